"""The timer, the fan-out's re-asking, receipts, audit pruning and the lease, on real SQLite."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from services.deletion import handlers, purge, purge_store, store
from services.deletion.domain import DeletionRequest, Status
from services.deletion.lease import Lease
from services.deletion.receipts import ReceiptSigner, load_or_create_key, verify_receipt
from shared.events import NotificationFailed, PurgeCompleted, new_event
from shared.tokens import new_signing_key
from tests.unit.deletion.support import frozen_clock as _clock
from tests.unit.deletion.support import handler_deps, open_request
from tests.unit.deletion.support import outbox_events as _outbox

CODE = "135790"
PARTICIPANTS = ("auth", "orders")


@pytest.fixture
async def deps(tmp_path: Path) -> AsyncIterator[handlers.Deps]:
    async with handler_deps(
        tmp_path,
        CODE,
        participants=PARTICIPANTS,
        survey_required=False,
        request_ttl_seconds=3600,
        purge_lead_seconds=300,
        participant_timeout_seconds=60,
        participant_max_asks=3,
        audit_retention_days=731,
        signer=ReceiptSigner(new_signing_key()),
    ) as made:
        yield made


async def _open(deps: handlers.Deps, account_id: str) -> str:
    return (await open_request(deps, account_id)).request_id


async def _purging(deps: handlers.Deps, account_id: str) -> str:
    request_id = await _open(deps, account_id)
    await handlers.confirm_code(deps, account_id=account_id, request_id=request_id, code=CODE)
    _clock(deps).advance(86400 - 300)
    assert await purge.fire_due_purges(deps) == 1
    return request_id


async def test_the_timer_sleeps_until_the_next_deadline_and_a_confirmed_code_wakes_it(
    deps: handlers.Deps,
) -> None:
    woken: list[bool] = []
    deps = replace(deps, wake_timer=lambda: woken.append(True))
    clock = _clock(deps)
    start = clock.now()
    assert await purge.next_due_at(deps) is None
    first = await _open(deps, "a-1")
    second = await _open(deps, "a-2")
    assert await purge.next_due_at(deps) == start + timedelta(seconds=3600)  # their lapse
    for account_id, request_id in (("a-1", first), ("a-2", second)):
        await handlers.confirm_code(deps, account_id=account_id, request_id=request_id, code=CODE)
    assert woken == [True, True]
    purge_at = start + timedelta(seconds=86400 - 300)
    assert await purge.next_due_at(deps) == purge_at
    idle = await purge.run_timer(deps)
    assert idle.idle
    assert await purge.seconds_to_next(deps, idle) == 86400 - 300
    clock.advance(86400 - 300)
    fired = await purge.run_timer(deps)
    assert (fired.fired, fired.idle) == (2, False)  # both in the one run
    assert len(await _outbox(deps, "AccountPurged")) == 2
    # Next: asking the silent participants again, a participant timeout from now.
    assert await purge.seconds_to_next(deps, fired) == 60


async def test_a_participant_working_through_a_backlog_is_given_time_not_asked_again(
    deps: handlers.Deps,
) -> None:
    clock = _clock(deps)
    requests = {account: await _open(deps, account) for account in ("a-1", "a-2")}
    for account, request_id in requests.items():
        await handlers.confirm_code(deps, account_id=account, request_id=request_id, code=CODE)
    clock.advance(86400 - 300)
    assert await purge.fire_due_purges(deps) == 2
    clock.advance(59)
    await _answer(deps, requests["a-1"], "a-1", "orders")  # orders is busy, not gone
    clock.advance(1)
    assert await purge.reask_silent_participants(deps) == 2  # auth, silent for both
    clock.advance(60)  # orders has now said nothing for a whole timeout
    assert await purge.reask_silent_participants(deps) == 1
    again = (await _outbox(deps, "AccountPurged"))[2:]
    assert [e.payload.participants for e in again] == [("auth",), ("auth",), ("orders",)]  # type: ignore[union-attr]


async def _answer(deps: handlers.Deps, request_id: str, account_id: str, who: str) -> None:
    event = new_event(
        PurgeCompleted,
        account_id=account_id,
        correlation_id="c",
        occurred_at=deps.clock.now(),
        request_id=request_id,
        participant=who,
    )
    async with deps.db.transaction() as tx:
        await purge.record_purge_completion(deps, tx, event)  # type: ignore[arg-type]


async def test_an_abandoned_request_lapses_and_frees_the_account(deps: handlers.Deps) -> None:
    first = await _open(deps, "a-1")
    _clock(deps).advance(3599)
    assert await purge.expire_lapsed(deps) == 0
    _clock(deps).advance(1)
    assert await purge.expire_lapsed(deps) == 1
    assert await purge.expire_lapsed(deps) == 0
    [expired] = await _outbox(deps, "DeletionExpired")
    assert expired.payload.request_id == first  # type: ignore[union-attr]
    seen = await handlers.get_request(deps, account_id="a-1", request_id=first)
    assert seen.status is Status.EXPIRED
    assert await _open(deps, "a-1") != first


async def test_a_failed_code_delivery_flags_only_its_own_request(deps: handlers.Deps) -> None:
    request_id = await _open(deps, "a-1")
    [delivery] = await _outbox(deps, "CodeDeliveryRequested")
    for notification_id in ("someone-elses", delivery.payload.notification_id):  # type: ignore[union-attr]
        failed = new_event(
            NotificationFailed,
            account_id="a-1",
            correlation_id="c",
            occurred_at=deps.clock.now(),
            notification_id=notification_id,
            reason="smtp refused",
        )
        async with deps.db.transaction() as tx:
            await handlers.code_delivery_failed(deps, tx, failed)  # type: ignore[arg-type]
        seen = await handlers.get_request(deps, account_id="a-1", request_id=request_id)
        assert seen.code_delivery_failed is (notification_id != "someone-elses")


async def test_a_silent_participant_is_asked_again_with_backoff_then_left_to_operators(
    deps: handlers.Deps,
) -> None:
    request_id = await _purging(deps, "a-1")
    await _answer(deps, request_id, "a-1", "auth")
    clock = _clock(deps)
    asked = []
    for wait in (59, 1, 119, 1, 240, 480, 960):
        clock.advance(wait)
        asked.append(await purge.reask_silent_participants(deps))
    assert asked == [0, 1, 0, 1, 0, 0, 0]  # 3 asks in all, then the operator's turn
    again = (await _outbox(deps, "AccountPurged"))[1:]
    assert [e.payload.participants for e in again] == [("orders",), ("orders",)]  # type: ignore[union-attr]
    listed = await purge_store.asks_of_request(deps.db, request_id)
    assert listed == {"auth": 1, "orders": 3}
    [overdue] = await handlers_list(deps, overdue=True)
    assert overdue.request_id == request_id
    await purge.ask_participant_again(deps, request_id, "orders")
    await _answer(deps, request_id, "a-1", "orders")
    assert await handlers_list(deps, overdue=True) == []


async def handlers_list(deps: handlers.Deps, *, overdue: bool) -> list[DeletionRequest]:
    return await store.list_requests(deps.db, None, overdue, 10)


async def test_the_receipt_verifies_and_one_changed_byte_breaks_it(deps: handlers.Deps) -> None:
    request_id = await _purging(deps, "a-1")
    for who in PARTICIPANTS:
        _clock(deps).advance(1)
        await _answer(deps, request_id, "a-1", who)
    stored = await purge_store.load_receipt(deps.db, request_id)
    assert stored is not None
    assert deps.signer is not None
    document = {"receipt": json.loads(stored.document), "signature": stored.signature}
    receipt = document["receipt"]
    assert receipt["request_id"] == request_id
    assert "a-1" not in stored.document
    assert [p["name"] for p in receipt["participants"]] == list(PARTICIPANTS)
    assert all(p["completed_at"] for p in receipt["participants"])
    assert verify_receipt(document, deps.signer.public_key)
    tampered = {**document, "receipt": {**receipt, "purged_at": receipt["purged_at"][:-1] + "9"}}
    assert not verify_receipt(tampered, deps.signer.public_key)
    assert not verify_receipt(document, ReceiptSigner(new_signing_key()).public_key)
    assert not verify_receipt({"receipt": "x"}, deps.signer.public_key)


async def test_audit_records_keep_only_hashes_and_are_pruned_after_retention(
    deps: handlers.Deps, tmp_path: Path
) -> None:
    request_id = await _purging(deps, "a-1")
    for who in PARTICIPANTS:
        await _answer(deps, request_id, "a-1", who)
    rows = await deps.db.fetch_all("SELECT from_status, to_status, account_hash FROM audit")
    assert [(r["from_status"], r["to_status"]) for r in rows] == [
        (None, "awaiting_code"),
        ("awaiting_code", "scheduled"),
        ("scheduled", "purging"),
        ("purging", "purged"),
    ]
    assert {r["account_hash"] for r in rows} == {handlers.account_hash(deps, "a-1")}
    _clock(deps).advance(timedelta(days=730).total_seconds())
    assert await purge.prune_audit(deps) == 0
    _clock(deps).advance(timedelta(days=2).total_seconds())
    assert await purge.prune_audit(deps) == 4


async def test_one_process_holds_the_lease_until_it_lapses_or_is_released(
    deps: handlers.Deps,
) -> None:
    first = Lease(deps.db, deps.clock, "leader", ttl_seconds=10)
    second = Lease(deps.db, deps.clock, "leader", ttl_seconds=10)
    assert await first.held()
    assert not await second.held()
    _clock(deps).advance(11)
    assert await second.held()
    assert not await first.held()
    await second.release()
    assert await first.held()


def test_the_signing_key_is_made_once_and_kept(tmp_path: Path) -> None:
    made = load_or_create_key(None, tmp_path)
    assert load_or_create_key(None, tmp_path) == made
    assert oct((tmp_path / "receipt-signing.key").stat().st_mode & 0o777) == "0o600"
    configured = new_signing_key()
    assert load_or_create_key(configured, tmp_path) == configured
