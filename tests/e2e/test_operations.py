"""Operating the platform: metrics that move during a journey, logs without personal data, and
the ``adieu`` CLI against the running stack.

One stack for this module (``python -m devstack``, every port a free one, JSON logs as in
production); one journey by e-mail drives it; the tests after it read what it left behind.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.brokers import BrokerUnderTest
from tests.support.polling import eventually
from tests.support.stack import codes_sent_to, running_stack

ROOT = Path(__file__).resolve().parents[2]
_BACKENDS = ("auth", "deletion", "survey", "notifier")
EMAIL = "operations.check@example.net"
PHONE_TYPED = "+47 415 55 123"
PHONE_E164 = "+4741555123"
PASSWORD = "operators read metrics"


@dataclass
class Ops:
    """The running stack and what the journey left for the later tests."""

    log: Path
    var_dir: Path
    urls: Mapping[str, str]
    env: Mapping[str, str]
    secrets: dict[str, str]
    found: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(scope="module")
def ops(tmp_path_factory: pytest.TempPathFactory, broker: BrokerUnderTest) -> Iterator[Ops]:
    # JSON logs as in production (`make run` prints text), so every line can be checked.
    json_logs = {"ADIEU_LOG_FORMAT": "json"}
    base = tmp_path_factory.mktemp("operations")
    with running_stack(base, "ops", broker, json_logs) as stack:
        yield Ops(stack.log, stack.var_dir, stack.urls, stack.env, stack.secrets())


# --- reading metrics ------------------------------------------------------------------------


def _sample(text: str, name: str, **labels: str) -> float:
    """The sum of the samples of ``name`` whose labels include ``labels``."""
    total = 0.0
    for line in text.splitlines():
        match = re.match(rf"^{re.escape(name)}(?:\{{(.*)\}})? (\S+)$", line)
        if match and all(f'{k}="{v}"' in (match.group(1) or "") for k, v in labels.items()):
            total += float(match.group(2))
    return total


async def _scrape(http: httpx.AsyncClient, ops: Ops) -> dict[str, str]:
    texts = {}
    for name in _BACKENDS:
        answer = await http.get(f"{ops.urls[name]}/metrics")
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("text/plain")
        texts[name] = answer.text
    return texts


# --- the journey ----------------------------------------------------------------------------


def _code_in_mail(var_dir: Path) -> str | None:
    codes = codes_sent_to(var_dir, EMAIL)
    return codes[0] if codes else None


async def _journey(http: httpx.AsyncClient, ops: Ops) -> dict[str, Any]:
    auth, deletion, survey = ops.urls["auth"], ops.urls["deletion"], ops.urls["survey"]
    body = {"email": EMAIL, "phone": PHONE_TYPED, "password": PASSWORD, "language": "en"}
    assert (await http.post(f"{auth}/v1/accounts", json=body)).status_code == 201
    login = await http.post(f"{auth}/v1/sessions", json={"login": EMAIL, "password": PASSWORD})
    assert login.status_code == 201, login.text
    token = {"Authorization": f"Bearer {login.json()['access_token']}"}
    ticked = {"understood_consequences": True, "accepted_terms": True, "channel": "email"}
    created = await http.post(f"{deletion}/v1/deletion-requests", json=ticked, headers=token)
    assert created.status_code == 201, created.text
    request_id = created.json()["request_id"]
    reasons = (await http.get(f"{survey}/v1/survey")).json()["reasons"]
    answer = {"request_id": request_id, "reasons": [reasons[0]["id"]]}
    sent = await http.post(f"{survey}/v1/responses", json=answer, headers=token)
    assert sent.status_code == 201, sent.text

    async def code() -> str | None:
        return _code_in_mail(ops.var_dir)

    the_code = await eventually(code, timeout=30, what="the code by e-mail")
    url = f"{deletion}/v1/deletion-requests/{request_id}"
    confirmed = await http.post(f"{url}/confirm", json={"code": the_code}, headers=token)
    assert confirmed.status_code == 202, confirmed.text

    async def purged() -> bool:
        return bool((await http.get(url, headers=token)).json()["status"] == "purged")

    await eventually(purged, timeout=40, what="the request to be purged")
    return {"request_id": request_id, "code": the_code, "token": token}


async def test_a_journey_moves_the_counters(ops: Ops) -> None:
    async with httpx.AsyncClient(timeout=10.0) as http:
        before = await _scrape(http, ops)
        ops.found.update(await _journey(http, ops))

        async def settled() -> dict[str, str] | None:
            texts = await _scrape(http, ops)
            sent = _sample(texts["notifier"], "adieu_notifications_total", outcome="sent")
            return (
                texts
                if sent - _sample(before["notifier"], "adieu_notifications_total", outcome="sent")
                >= 3
                else None
            )

        after = await eventually(settled, timeout=30, what="code and both notices to be sent")

    def moved(service: str, name: str, **labels: str) -> float:
        return _sample(after[service], name, **labels) - _sample(before[service], name, **labels)

    assert moved("auth", "adieu_http_requests_total", route="/v1/accounts", status="201") == 1
    assert moved("auth", "adieu_events_produced_total", event_type="AccountRegistered") == 1
    assert moved("survey", "adieu_events_produced_total", event_type="SurveySubmitted") == 1
    consumed = {"consumer": "deletion", "event_type": "SurveySubmitted", "outcome": "applied"}
    assert moved("deletion", "adieu_events_consumed_total", **consumed) == 1
    assert moved("deletion", "adieu_events_produced_total", event_type="AccountPurged") == 1
    for participant in ("auth", "survey", "notifier"):
        assert moved(participant, "adieu_events_produced_total", event_type="PurgeCompleted") == 1
    assert _sample(after["deletion"], "adieu_deletion_requests", status="purged") >= 1
    assert _sample(after["deletion"], "adieu_deletion_purge_lag_seconds_count") >= 1
    for service in _BACKENDS:
        assert "adieu_outbox_backlog{" in after[service]
        assert _sample(after[service], "adieu_dead_letters_total") == 0


async def test_every_log_line_is_json_and_none_holds_personal_data(ops: Ops) -> None:
    assert ops.found, "runs after the journey"
    text = ops.log.read_text(errors="replace")
    secrets = [EMAIL, PHONE_TYPED, PHONE_E164, PASSWORD, ops.found["code"]]
    assert [s for s in secrets if s in text] == [], "personal data in the services' logs"
    entries = []
    for line in text.splitlines():
        source, _, rest = line.partition(" | ")
        if source.strip() in _BACKENDS:
            entry = json.loads(rest)
            assert {"time", "service", "level", "message"} <= set(entry)
            assert entry["service"] == source.strip()
            entries.append(entry)
    assert entries, "no service logged anything"
    keys = {key for entry in entries for key in entry}
    assert keys <= {
        "time",
        "service",
        "level",
        "logger",
        "message",
        "exception",
        "event_id",
        "event_type",
        "correlation_id",
        "request_id",
        "notification_id",
    }


async def test_every_service_is_ready(ops: Ops) -> None:
    async with httpx.AsyncClient(timeout=10.0) as http:
        for name in _BACKENDS:
            answer = await http.get(f"{ops.urls[name]}/readyz")
            assert answer.status_code == 200, (name, answer.text)
            assert answer.json()["checks"] == {"database": "ok", "broker": "ok"}


async def _adieu(ops: Ops, *args: str) -> tuple[int, Any]:
    env = {
        **ops.env,
        "ADIEU_DELETION_URL": ops.urls["deletion"],
        "ADIEU_SURVEY_URL": ops.urls["survey"],
        "ADIEU_DELETION_ADMIN_TOKEN": ops.secrets.get("DELETION_ADMIN_TOKEN", ""),
        "ADIEU_SURVEY_ADMIN_TOKEN": ops.secrets.get("SURVEY_ADMIN_TOKEN", ""),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "adieu_cli",
        *args,
        "--json",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, json.loads(out) if out.strip() else err.decode()


async def test_the_cli_reports_on_the_running_platform(ops: Ops, tmp_path: Path) -> None:
    request_id = ops.found["request_id"]
    code, status = await _adieu(ops, "status", request_id)
    assert code == 0, status
    assert status["status"] == "purged"
    assert set(status["participants"].values()) == {"completed"}
    code, missing = await _adieu(ops, "status", str(uuid.uuid4()))
    assert code == 1, missing
    code, listed = await _adieu(ops, "requests", "--status", "purged")
    assert code == 0, listed
    assert request_id in [row["request_id"] for row in listed["requests"]]
    code, overdue = await _adieu(ops, "requests", "--status", "overdue")
    assert (code, overdue["requests"]) == (0, [])
    code, report = await _adieu(ops, "survey-report")
    assert code == 0, report
    code, letters = await _adieu(ops, "dlq", "list", "deletion.events")
    assert (code, letters["dead_letters"]) == (0, [])

    async with httpx.AsyncClient(timeout=10.0) as http:
        url = f"{ops.urls['deletion']}/v1/receipts/{request_id}"
        receipt = await http.get(url, headers=ops.found["token"])
    assert receipt.status_code == 200, receipt.text
    saved = tmp_path / "receipt.json"
    saved.write_text(receipt.text)
    code, verdict = await _adieu(ops, "verify-receipt", str(saved))
    assert (code, verdict["valid"]) == (0, True)
    document = receipt.json()
    document["receipt"]["request_id"] = str(uuid.uuid4())
    saved.write_text(json.dumps(document))
    code, verdict = await _adieu(ops, "verify-receipt", str(saved))
    assert (code, verdict["valid"]) == (1, False)
