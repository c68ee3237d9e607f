"""What every service gets from ``build_api``: /readyz, /metrics, correlation ids in logs.

A tiny service built from the shared parts (a real SQLite file, the real broker, the real Faust
app and outbox relay) stands in for the four, so this does not depend on any one of them.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, Request
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from shared.clock import SystemClock
from shared.config import PlatformSettings
from shared.consumer import IdempotentConsumer
from shared.db import Database, Transaction
from shared.events import SurveySubmitted, new_event
from shared.faust_app import create_faust_app, subscribe
from shared.http import correlation_id
from shared.logs import configure_logging
from shared.outbox import enqueue
from shared.runtime import ServiceRuntime
from shared.service import build_api
from tests.support.polling import eventually
from tests.support.services import serving

log = logging.getLogger("tests.ops.probe")


@dataclass
class Probe:
    api: object
    runtime: ServiceRuntime


def _probe(platform: PlatformSettings, data_dir: Path) -> Probe:
    db = Database(data_dir / "probe.sqlite3", "")
    faust_app = create_faust_app("probe", platform, data_dir)

    async def on_submitted(tx: Transaction, event: SurveySubmitted) -> None:
        log.info("consumed a thing")

    consumer = IdempotentConsumer("probe", db, SystemClock(), {"SurveySubmitted": on_submitted})
    subscribe(faust_app, platform.topics.survey_events, consumer)
    runtime = ServiceRuntime(platform, db, faust_app)
    router = APIRouter()

    @router.post("/v1/things/{thing_id}", status_code=201)
    async def make(thing_id: str, request: Request) -> dict[str, str]:
        cid = correlation_id(request)
        log.info("making a thing")
        event = new_event(
            SurveySubmitted,
            account_id="acc-1",
            correlation_id=cid,
            occurred_at=datetime.now(UTC),
            request_id=thing_id,
        )
        async with db.transaction() as tx:
            await enqueue(tx, platform.topics.survey_events, event, SystemClock())
        return {"correlation_id": cid}

    async def answers() -> list[Metric]:
        gauge = GaugeMetricFamily("probe_answer", "A service-specific reading.")
        gauge.add_metric([], 42.0)
        return [gauge]

    api = build_api("probe", runtime, router, collectors=[answers])
    return Probe(api=api, runtime=runtime)


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in a Prometheus exposition, 0 if absent."""
    for line in text.splitlines():
        match = re.match(rf"^{re.escape(name)}\{{(.*)\}} (\S+)$", line) or re.match(
            rf"^{re.escape(name)}() (\S+)$", line
        )
        if match and all(f'{k}="{v}"' in match.group(1) for k, v in labels.items()):
            return float(match.group(2))
    return 0.0


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    stream = io.StringIO()
    configure_logging("probe", "json", "INFO", stream)
    try:
        yield stream
    finally:
        root.handlers[:] = saved
        root.setLevel(level)


@pytest.fixture
async def client(platform: PlatformSettings, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(_probe(platform, tmp_path)) as http:
        yield http


async def test_readyz_names_what_is_unavailable(platform: PlatformSettings, tmp_path: Path) -> None:
    probe = _probe(platform, tmp_path)
    # Not started: no database connection, no producer.
    transport = httpx.ASGITransport(app=probe.api)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://probe") as http:
        answer = await http.get("/readyz")
    assert answer.status_code == 503
    assert answer.json() == {
        "status": "unavailable",
        "checks": {"database": "unavailable", "broker": "unavailable"},
    }
    async with serving(probe) as http:
        ready = await http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "broker": "ok"}


async def test_metrics_count_requests_by_route_and_events_produced(
    client: httpx.AsyncClient, platform: PlatformSettings
) -> None:
    before = (await client.get("/metrics")).text
    route = {"service": "probe", "route": "/v1/things/{thing_id}", "status": "201"}
    produced = {"topic": platform.topics.survey_events, "event_type": "SurveySubmitted"}
    assert (await client.post("/v1/things/abc")).status_code == 201
    assert (await client.post("/v1/things/def")).status_code == 201
    assert (await client.get("/no/such/path")).status_code == 404

    async def published() -> str | None:
        text = (await client.get("/metrics")).text
        done = _sample(text, "adieu_events_produced_total", **produced)
        return text if done - _sample(before, "adieu_events_produced_total", **produced) else None

    after = await eventually(published, what="the relay's publications to be counted")
    requests = _sample(after, "adieu_http_requests_total", **route)
    assert requests - _sample(before, "adieu_http_requests_total", **route) == 2
    assert _sample(after, "adieu_http_requests_total", route="unmatched", status="404") >= 1
    assert "/v1/things/abc" not in after  # ids never become label values
    assert _sample(after, "adieu_outbox_backlog", service="probe", event_type="all") >= 0
    assert "adieu_outbox_backlog{" in after
    assert _sample(after, "probe_answer") == 42.0


async def test_a_request_correlation_id_reaches_the_logs_the_event_and_the_answer(
    client: httpx.AsyncClient, json_logs: io.StringIO
) -> None:
    answer = await client.post("/v1/things/xyz", headers={"X-Correlation-ID": "trace-123"})
    assert answer.headers["X-Correlation-ID"] == "trace-123"
    assert answer.json() == {"correlation_id": "trace-123"}
    fresh = await client.post("/v1/things/xyz", headers={"X-Correlation-ID": "bad id!"})
    assert fresh.headers["X-Correlation-ID"] != "bad id!"
    lines = [json.loads(line) for line in json_logs.getvalue().splitlines()]
    made = [line for line in lines if line["message"] == "making a thing"]
    assert made[0]["correlation_id"] == "trace-123"
    assert made[0]["service"] == "probe"
    assert made[0]["level"] == "info"
    assert made[1]["correlation_id"] == fresh.headers["X-Correlation-ID"]

    async def consumed() -> list[dict[str, object]] | None:
        lines = [json.loads(line) for line in json_logs.getvalue().splitlines()]
        seen = [line for line in lines if line["message"] == "consumed a thing"]
        return seen if len(seen) >= 2 else None

    seen = await eventually(consumed, timeout=20, what="the consumer's log lines")
    assert {line["correlation_id"] for line in seen} >= {"trace-123"}
    assert all(line["event_type"] == "SurveySubmitted" and line["event_id"] for line in seen)
    metrics = (await client.get("/metrics")).text
    labels = {"consumer": "probe", "event_type": "SurveySubmitted", "outcome": "applied"}
    assert _sample(metrics, "adieu_events_consumed_total", **labels) >= 2
