"""A writer without the account's key holds the event, never in clear; the key releases it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shared.clock import FrozenClock
from shared.crypto import FieldCipher
from shared.db import Database
from shared.events import CodeDeliveryRequested, decode_event, new_event
from shared.recipient_keys import (
    SEALING_SCHEMA,
    Sealer,
    enqueue_sealed,
    expire_held,
    forget_recipient,
)
from tests.support.account_keys import AccountKeys

START = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(tmp_path / "writer.sqlite3", SEALING_SCHEMA)
    await database.open()
    yield database
    await database.close()


def _sealer() -> Sealer:
    return Sealer(holding=FieldCipher(bytes(range(32))), clock=FrozenClock(START), hold_seconds=60)


async def _send_code(db: Database, sealer: Sealer, account_id: str, code: str) -> None:
    event = new_event(
        CodeDeliveryRequested,
        account_id=account_id,
        correlation_id="c",
        occurred_at=START,
        notification_id=f"n-{code[0]}",
        purpose="deletion",
        channel="email",
        code_enc="",
        valid_minutes=10,
    )
    async with db.transaction() as tx:
        await enqueue_sealed(tx, sealer, "t.notifications", event, {"code_enc": code})


async def _outbox(db: Database) -> list[tuple[str, bytes]]:
    rows = await db.fetch_all("SELECT topic, value FROM outbox ORDER BY seq")
    return [(row["topic"], row["value"]) for row in rows]


async def test_held_events_go_out_in_order_sealed_to_the_key_when_it_arrives(
    db: Database,
) -> None:
    sealer, keys = _sealer(), AccountKeys()
    await _send_code(db, sealer, "a-1", "111111")
    await _send_code(db, sealer, "a-1", "222222")
    assert await _outbox(db) == []
    held = await db.fetch_all("SELECT event, fields_enc FROM awaiting_key")
    assert len(held) == 2
    assert not any("111111" in row["event"] + row["fields_enc"] for row in held)

    await keys.give(db, sealer, "a-1")
    sent = [decode_event(value) for _, value in await _outbox(db)]
    codes = [keys.open(e.payload.code_enc, "a-1") for e in sent]  # type: ignore[union-attr]
    assert codes == ["111111", "222222"]
    assert await db.fetch_all("SELECT 1 FROM awaiting_key") == []
    # Known from now on: the next one is sealed at once.
    await _send_code(db, sealer, "a-1", "333333")
    assert len(await _outbox(db)) == 3


async def test_an_event_that_waits_too_long_is_erased_with_a_dead_letter(db: Database) -> None:
    sealer = _sealer()
    await _send_code(db, sealer, "a-2", "444444")
    assert await expire_held(db, sealer) == 0
    assert isinstance(sealer.clock, FrozenClock)
    sealer.clock.advance(61)
    assert await expire_held(db, sealer) == 1
    ((topic, value),) = await _outbox(db)
    letter = json.loads(value)
    assert topic == "t.notifications.dlq"
    assert letter["reason"] == "no key for the account arrived within 60 s"
    assert letter["event_type"] == "CodeDeliveryRequested"
    assert "444444" not in value.decode()
    assert await db.fetch_all("SELECT 1 FROM awaiting_key") == []


async def test_the_purge_forgets_the_key_and_what_waits(db: Database) -> None:
    sealer, keys = _sealer(), AccountKeys()
    await keys.give(db, sealer, "a-3")
    await _send_code(db, sealer, "a-4", "555555")
    async with db.transaction() as tx:
        await forget_recipient(tx, "a-3")
        await forget_recipient(tx, "a-4")
    assert await db.fetch_all("SELECT 1 FROM recipient_keys") == []
    assert await db.fetch_all("SELECT 1 FROM awaiting_key") == []
