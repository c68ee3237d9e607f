"""Codes re-sent and failing, requests lapsing and cancelled, silent participants, operators
and receipts: the deletion service in-process against the real broker, on a frozen clock."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from services.deletion.app import Service
from shared.clock import FrozenClock
from shared.config import PlatformSettings
from shared.events import (
    NotificationDelayed,
    NotificationDelivered,
    NotificationFailed,
    PurgeCompleted,
    new_event,
)
from tests.integration.deletion.support import (
    account_events,
    deletion_service,
    one_event,
    token,
)
from tests.support.account_keys import AccountKeys
from tests.support.kafka import produce_event
from tests.support.platform import Keys
from tests.support.polling import eventually
from tests.support.services import serving

CODE = "482913"
ADMIN = "operator-token-0123456789"
ROOT = Path(__file__).resolve().parents[3]


def _service(
    platform: PlatformSettings, tmp_path: Path, clock: FrozenClock, **overrides: Any
) -> Service:
    return deletion_service(platform, tmp_path, clock, CODE, **overrides)


async def _create(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    body = {"understood_consequences": True, "accepted_terms": True, "channel": "email"}
    answer = await client.post("/v1/deletion-requests", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["request_id"])


async def _status(client: httpx.AsyncClient, request_id: str, headers: dict[str, str]) -> Any:
    return (await client.get(f"/v1/deletion-requests/{request_id}", headers=headers)).json()


async def test_a_late_code_shows_as_delayed_until_the_notifier_delivers_it(
    platform: PlatformSettings, keys: Keys, tmp_path: Path
) -> None:
    # Issue 17: with SMTP down the person saw "awaiting_code" and no hint for up to 69 s.
    clock = FrozenClock(datetime.now(UTC))
    topics = platform.topics
    account = str(uuid.uuid4())
    # The notifier's key for the account, which the code is sealed to.
    await AccountKeys().announce(platform.kafka_bootstrap, topics.notifier_events, account)
    async with serving(_service(platform, tmp_path, clock)) as client:
        headers = token(keys.signing_key, clock, account)
        request_id = await _create(client, headers)
        assert (await _status(client, request_id, headers))["code_delayed"] is False
        asked: Any = await one_event(
            platform, topics.notifications, "CodeDeliveryRequested", account
        )
        notification_id = asked.payload.notification_id
        news: dict[str, Any] = {"account_id": account, "correlation_id": "test"}
        delayed = new_event(
            NotificationDelayed,
            **news,
            occurred_at=clock.now(),
            notification_id=notification_id,
            reason="the mail server did not answer (ConnectionRefusedError)",
        )
        await produce_event(platform.kafka_bootstrap, topics.notifier_events, delayed)

        async def shown(flag: bool) -> bool:
            view = await _status(client, request_id, headers)
            return bool(view["code_delayed"] is flag and not view["code_delivery_failed"])

        await eventually(lambda: shown(True), what="code_delayed on the request")
        delivered = new_event(
            NotificationDelivered,
            **news,
            occurred_at=clock.now(),
            notification_id=notification_id,
            channel="email",
        )
        await produce_event(platform.kafka_bootstrap, topics.notifier_events, delivered)
        await eventually(lambda: shown(False), what="code_delayed cleared once delivered")


async def test_codes_are_resent_by_the_rules_lapse_and_can_be_cancelled(
    platform: PlatformSettings, keys: Keys, tmp_path: Path
) -> None:
    clock = FrozenClock(datetime.now(UTC))
    topics = platform.topics
    account, other, third = (str(uuid.uuid4()) for _ in range(3))
    for someone in (account, other, third):  # the notifier's keys, which codes are sealed to
        await AccountKeys().announce(platform.kafka_bootstrap, topics.notifier_events, someone)
    async with serving(_service(platform, tmp_path, clock)) as client:
        headers = token(keys.signing_key, clock, account)
        request_id = await _create(client, headers)
        resend = f"/v1/deletion-requests/{request_id}/resend-code"
        early = await client.post(resend, json={"channel": "sms"}, headers=headers)
        assert (early.status_code, early.json()["error"]) == (429, "resend_cooldown")
        assert early.json()["retry_after"] == 60
        assert early.headers["retry-after"] == "60"

        first: Any = await one_event(
            platform, topics.notifications, "CodeDeliveryRequested", account
        )
        failed = new_event(
            NotificationFailed,
            account_id=account,
            correlation_id="test",
            occurred_at=clock.now(),
            notification_id=first.payload.notification_id,
            reason="mailbox unavailable",
        )
        await produce_event(platform.kafka_bootstrap, topics.notifier_events, failed)

        async def flagged() -> bool:
            return bool((await _status(client, request_id, headers))["code_delivery_failed"])

        await eventually(flagged, what="code_delivery_failed on the request")

        channels = []
        for _ in range(4):
            clock.advance(60)
            answer = await client.post(resend, json={"channel": "sms"}, headers=headers)
            assert answer.status_code == 202, answer.text
            channels.append(answer.json()["channel"])
        assert channels == ["sms"] * 4
        assert (await _status(client, request_id, headers))["code_delivery_failed"] is False
        clock.advance(60)
        spent = await client.post(resend, headers=headers)
        assert (spent.status_code, spent.json()["error"]) == (429, "too_many_codes")

        async def five_codes() -> list[Any] | None:
            found = await account_events(
                platform, topics.notifications, "CodeDeliveryRequested", account
            )
            return found if len(found) == 5 else None

        codes = await eventually(five_codes, what="five code deliveries")
        assert [c.payload.channel for c in codes] == ["email"] + ["sms"] * 4

        # A second request, abandoned: it lapses by the clock and the account may start again.
        other_headers = token(keys.signing_key, clock, other)
        abandoned = await _create(client, other_headers)
        third_headers = token(keys.signing_key, clock, third)
        withdrawn = await _create(client, third_headers)
        cancel = await client.post(
            f"/v1/deletion-requests/{withdrawn}/cancel", headers=third_headers
        )
        assert cancel.json() == {"status": "cancelled"}
        again = await client.post(
            f"/v1/deletion-requests/{withdrawn}/cancel", headers=third_headers
        )
        assert (again.status_code, again.json()["current_status"]) == (409, "cancelled")
        # Told on deletion's topic, so the survey stops taking answers for it.
        told = await one_event(platform, topics.deletion_events, "DeletionCancelled", third)
        assert told.payload.request_id == withdrawn  # type: ignore[union-attr]

        clock.advance(86400)
        lapsed = await one_event(platform, topics.deletion_events, "DeletionExpired", other)
        assert lapsed.payload.request_id == abandoned  # type: ignore[union-attr]
        other_headers = token(keys.signing_key, clock, other)
        assert (await _status(client, abandoned, other_headers))["status"] == "expired"
        confirm = await client.post(
            f"/v1/deletion-requests/{abandoned}/confirm", json={"code": CODE}, headers=other_headers
        )
        assert (confirm.status_code, confirm.json()["error"]) == (409, "invalid_state")
        assert await _create(client, other_headers) != abandoned
        operators = await client.get("/v1/admin/requests")
        assert operators.status_code == 404  # no DELETION_ADMIN_TOKEN: no operator routes


async def test_a_silent_participant_is_asked_again_and_the_receipt_proves_the_purge(
    platform: PlatformSettings, keys: Keys, tmp_path: Path
) -> None:
    clock = FrozenClock(datetime.now(UTC))
    topics = platform.topics
    account = str(uuid.uuid4())
    service = _service(
        platform,
        tmp_path,
        clock,
        participants=("auth", "orders"),
        participant_timeout_seconds=30,
        admin_token=SecretStr(ADMIN),
    )
    admin = {"Authorization": f"Bearer {ADMIN}"}
    async with serving(service) as client:
        headers = token(keys.signing_key, clock, account)
        request_id = await _create(client, headers)
        confirmed = await client.post(
            f"/v1/deletion-requests/{request_id}/confirm", json={"code": CODE}, headers=headers
        )
        assert confirmed.status_code == 202, confirmed.text
        clock.advance(86400)
        await one_event(platform, topics.deletion_events, "AccountPurged", account)
        await _complete(platform, request_id, account, "auth")

        async def auth_answer_read() -> bool:
            shown = await client.get(f"/v1/admin/requests/{request_id}", headers=admin)
            return bool(shown.json()["participants"]["auth"] == "completed")

        # Before the clock moves on: an answer still unread then is asked again too.
        await eventually(auth_answer_read, what="deletion reading auth's answer")
        clock.advance(30)
        headers = token(keys.signing_key, clock, account)

        async def asked_again() -> list[Any] | None:
            found = await account_events(platform, topics.deletion_events, "AccountPurged", account)
            return found if len(found) == 2 else None

        purges = await eventually(asked_again, what="AccountPurged asked again")
        assert purges[1].payload.participants == ("orders",)
        assert purges[1].event_id != purges[0].event_id

        wrong = await client.get("/v1/admin/requests", headers={"Authorization": "Bearer nope"})
        assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_admin_token")
        listed = await client.get("/v1/admin/requests?overdue=true", headers=admin)
        [row] = listed.json()["requests"]
        assert (row["request_id"], row["status"], row["overdue"]) == (request_id, "purging", True)
        assert row["participants"] == {"auth": "completed", "orders": "pending"}
        resent = await client.post(
            f"/v1/admin/requests/{request_id}/participants/orders/resend", headers=admin
        )
        assert resent.status_code == 202
        nobody = await client.post(
            f"/v1/admin/requests/{request_id}/participants/billing/resend", headers=admin
        )
        assert (nobody.status_code, nobody.json()["error"]) == (404, "participant_not_found")
        pending = await client.get(f"/v1/receipts/{request_id}", headers=headers)
        assert (pending.status_code, pending.json()["error"]) == (404, "receipt_not_found")

        await _complete(platform, request_id, account, "orders")

        async def purged() -> bool:
            return bool((await _status(client, request_id, headers))["status"] == "purged")

        await eventually(purged, what="the request to be purged")
        shown = await client.get(f"/v1/admin/requests/{request_id}", headers=admin)
        assert shown.json()["overdue"] is False
        receipt = (await client.get(f"/v1/receipts/{request_id}", headers=headers)).json()
        public = (await client.get("/v1/receipts/public-key")).json()
    assert receipt["key_id"] == public["key_id"]
    assert account not in json.dumps(receipt)
    _verify_with_the_cli(tmp_path, receipt, public["public_key"])


def _verify_with_the_cli(tmp_path: Path, receipt: dict[str, Any], public_key: str) -> None:
    """The CLI accepts the receipt as served, and refuses it once one byte is changed."""
    original = json.dumps(receipt, indent=2).encode()
    position = original.index(b'"purged_at": "') + len(b'"purged_at": "') + 3
    changed = bytearray(original)
    changed[position] = ord("1") if changed[position] != ord("1") else ord("2")
    outcomes = []
    for name, content in (("receipt.json", original), ("tampered.json", bytes(changed))):
        path = tmp_path / name
        path.write_bytes(content)
        command = [sys.executable, "-m", "services.deletion.verify_receipt", str(path)]
        done = subprocess.run(  # our own CLI, fixed arguments
            [*command, f"--public-key={public_key}"], cwd=ROOT, capture_output=True, check=False
        )
        outcomes.append(done.returncode)
    assert outcomes == [0, 1]


async def _complete(
    platform: PlatformSettings, request_id: str, account_id: str, participant: str
) -> None:
    event = new_event(
        PurgeCompleted,
        account_id=account_id,
        correlation_id="test",
        occurred_at=datetime.now(UTC),
        request_id=request_id,
        participant=participant,
    )
    await produce_event(platform.kafka_bootstrap, platform.topics.purge_completions, event)
