"""The notifier's command handlers on a real SQLite file: throttle and address changes."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from services.notifier import handlers, store
from services.notifier.handlers import Deps
from services.notifier.throttle import recipient_key
from shared.clock import FrozenClock
from shared.events import (
    AccountPurged,
    CodeDeliveryRequested,
    ContactDetailsChanged,
    NoticeRequested,
    NotificationFailed,
    decode_event,
    new_event,
)
from tests.support.sqlite_files import stored_bytes
from tests.unit.notifier.support import open_for, seal_for

THROTTLE_KEY = b"k" * 32


def _clock(deps: Deps) -> FrozenClock:
    assert isinstance(deps.clock, FrozenClock)
    return deps.clock


async def _contact(deps: Deps, account: str, email: str | None, phone: str | None = None) -> None:
    email_enc = await seal_for(deps, account, email) if email else None
    phone_enc = await seal_for(deps, account, phone) if phone else None
    event = new_event(
        ContactDetailsChanged,
        account_id=account,
        correlation_id="c",
        occurred_at=deps.clock.now(),
        language="nb",
        email_enc=email_enc,
        phone_enc=phone_enc,
    )
    assert isinstance(event, ContactDetailsChanged)
    async with deps.db.transaction() as tx:
        await handlers.record_contact(deps, tx, event)


async def _code(deps: Deps, account: str, notification_id: str | None = None) -> str:
    notification_id = notification_id or str(uuid.uuid4())
    event = new_event(
        CodeDeliveryRequested,
        account_id=account,
        correlation_id="c",
        occurred_at=deps.clock.now(),
        notification_id=notification_id,
        purpose="password_reset",
        channel="email",
        code_enc=await seal_for(deps, account, "123456"),
        valid_minutes=10,
    )
    assert isinstance(event, CodeDeliveryRequested)
    async with deps.db.transaction() as tx:
        await handlers.request_code(deps, tx, event)
    return notification_id


async def _failures(deps: Deps) -> list[NotificationFailed]:
    rows = await deps.db.fetch_all(
        "SELECT value FROM outbox WHERE event_type = 'NotificationFailed'"
    )
    return [
        e for e in (decode_event(r["value"]) for r in rows) if isinstance(e, NotificationFailed)
    ]


async def _pending(deps: Deps) -> list[Any]:
    rows = await deps.db.fetch_all(
        "SELECT notification_id FROM deliveries WHERE status = 'pending'"
    )
    return [r["notification_id"] for r in rows]


async def test_the_sixth_code_to_one_address_within_ten_minutes_is_throttled(deps: Deps) -> None:
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    # Two accounts, one address (differently spelled): the limit is per address.
    await _contact(deps, first, "Kari@Example.com")
    await _contact(deps, second, " kari@example.com")
    sent = [await _code(deps, first) for _ in range(3)] + [
        await _code(deps, second) for _ in range(2)
    ]
    throttled = await _code(deps, second)
    assert sorted(await _pending(deps)) == sorted(sent)
    failures = await _failures(deps)
    assert [(f.payload.notification_id, f.payload.reason) for f in failures] == [
        (throttled, "throttled")
    ]
    letters = await deps.db.fetch_all("SELECT value FROM outbox WHERE event_type = 'DeadLetter'")
    assert b"throttled" in letters[0]["value"]

    _clock(deps).advance(601)
    later = await _code(deps, first)
    assert later in await _pending(deps)
    assert len(await _failures(deps)) == 1


async def test_a_repeated_command_is_not_counted_again(deps: Deps) -> None:
    account = str(uuid.uuid4())
    await _contact(deps, account, "ola@example.com")
    repeated = await _code(deps, account)
    for _ in range(6):
        await _code(deps, account, notification_id=repeated)
    others = [await _code(deps, account) for _ in range(4)]
    assert sorted(await _pending(deps)) == sorted([repeated, *others])
    assert await _failures(deps) == []


async def test_the_throttle_keeps_a_keyed_hash_not_the_address(deps: Deps) -> None:
    account = str(uuid.uuid4())
    await _contact(deps, account, "ola@example.com")
    await _code(deps, account)
    rows = await deps.db.fetch_all("SELECT recipient_key FROM code_throttle")
    assert [r["recipient_key"] for r in rows] == [
        recipient_key(THROTTLE_KEY, "email", "ola@example.com")
    ]
    raw = stored_bytes(deps.db.path)
    assert b"ola@example.com" not in raw
    assert b"123456" not in raw


async def _notice(deps: Deps, account: str) -> str:
    notification_id = str(uuid.uuid4())
    event = new_event(
        NoticeRequested,
        account_id=account,
        correlation_id="c",
        occurred_at=deps.clock.now(),
        notification_id=notification_id,
        notice="address_changed",
    )
    assert isinstance(event, NoticeRequested)
    async with deps.db.transaction() as tx:
        await handlers.request_notice(deps, tx, event)
    return notification_id


async def _destination(deps: Deps, account: str, notification_id: str) -> tuple[str, str]:
    row = await deps.db.fetch_one(
        "SELECT channel, destination_enc FROM deliveries WHERE notification_id = ?",
        (notification_id,),
    )
    assert row is not None
    return row["channel"], await open_for(deps, account, row["destination_enc"])


async def test_the_address_changed_notice_goes_to_the_replaced_address(deps: Deps) -> None:
    account = str(uuid.uuid4())
    await _contact(deps, account, "old@example.com", "+4791234567")
    await _contact(deps, account, "new@example.com", "+4791234567")
    notice = await _notice(deps, account)
    assert await _destination(deps, account, notice) == ("email", "old@example.com")
    # Handed over once: nothing of the old address is kept beside the pending delivery.
    assert await deps.db.fetch_all("SELECT * FROM previous_addresses") == []


async def test_a_replaced_phone_number_gets_the_notice_by_sms(deps: Deps) -> None:
    account = str(uuid.uuid4())
    await _contact(deps, account, None, "+4791234567")
    # The same number, freshly encrypted, is no change; a new one is.
    await _contact(deps, account, None, "+4791234567")
    assert await deps.db.fetch_all("SELECT * FROM previous_addresses") == []
    await _contact(deps, account, None, "+4798765432")
    notice = await _notice(deps, account)
    assert await _destination(deps, account, notice) == ("sms", "+4791234567")


async def test_a_notice_before_the_change_goes_to_the_address_still_known(deps: Deps) -> None:
    account = str(uuid.uuid4())
    await _contact(deps, account, "old@example.com")
    notice = await _notice(deps, account)
    assert await _destination(deps, account, notice) == ("email", "old@example.com")


async def test_purge_erases_throttle_counts_and_replaced_addresses(deps: Deps) -> None:
    account = str(uuid.uuid4())
    await _contact(deps, account, "old@example.com")
    await _contact(deps, account, "new@example.com")
    await _code(deps, account)
    async with deps.db.transaction() as tx:
        await store.purge_account(tx, account, None)
    for table in ("previous_addresses", "code_throttle", "deliveries"):
        assert await deps.db.fetch_all(f"SELECT * FROM {table}") == [], table  # noqa: S608


async def test_queueing_a_code_reads_the_contact_once(
    deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _contact(deps, "acc-once", "kari@example.com")
    loads: list[str] = []
    real_load = store.load_contact

    async def counted(conn: Any, account_id: str) -> Any:
        loads.append(account_id)
        return await real_load(conn, account_id)

    monkeypatch.setattr(store, "load_contact", counted)
    notification_id = await _code(deps, "acc-once")
    assert loads == ["acc-once"]
    assert await _pending(deps) == [notification_id]


async def _purge(deps: Deps, account: str) -> None:
    event = new_event(
        AccountPurged,
        account_id=account,
        correlation_id="c",
        occurred_at=deps.clock.now(),
        request_id="r",
        participants=("notifier",),
    )
    assert isinstance(event, AccountPurged)
    async with deps.db.transaction() as tx:
        await handlers.purge_account(deps, tx, event)


async def test_a_delivery_pending_at_the_purge_ends_as_failed_not_vanished(deps: Deps) -> None:
    # Issue 17: 1 of 30 notices used to disappear without NotificationFailed at the purge.
    account = str(uuid.uuid4())
    await _contact(deps, account, "kari@example.com")
    pending = await _code(deps, account)
    await _purge(deps, account)
    failures = await _failures(deps)
    assert [(f.payload.notification_id, f.payload.reason) for f in failures] == [
        (pending, "account purged before it could be sent")
    ]
    assert failures[0].account_id == account
    assert await _pending(deps) == []
    # What failed is erased with the rest; nothing of the code or address is kept.
    assert await deps.db.fetch_all("SELECT * FROM deliveries") == []
