"""The outbox relay with a real SQLite file and a publisher standing in for the producer.

What the broker answers is scripted per record, so the test can fail one record of a batch
and see what happens to the rows before and behind it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiokafka.errors import KafkaConnectionError, MessageSizeTooLargeError
from faust.exceptions import ProducerSendError

from shared.clock import FrozenClock
from shared.db import Database
from shared.metrics import OUTBOX_PARKED
from shared.outbox import OutboxRelay, PublishFailed, enqueue_raw
from tests.support.polling import eventually

Answer = Callable[[bytes], BaseException | None]


class _ScriptedPublisher:
    """Records every send; ``answer`` decides, per value, how its acknowledgement ends."""

    def __init__(self, answer: Answer, refuse_at_send: bytes | None = None) -> None:
        self.sent: list[bytes] = []
        self._answer = answer
        self._refuse_at_send = refuse_at_send

    async def send(self, topic: str, key: bytes, value: bytes) -> Awaitable[Any]:
        if value == self._refuse_at_send:
            # What Faust raises when aiokafka refuses a record bigger than max_request_size.
            try:
                raise MessageSizeTooLargeError("The message is 1400000 bytes when serialized")
            except MessageSizeTooLargeError as exc:
                raise ProducerSendError(f"Error while sending: {exc!r}") from exc
        self.sent.append(value)
        ack: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        error = self._answer(value)
        if error is None:
            ack.set_result(None)
        else:
            ack.set_exception(error)
        return ack


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(tmp_path / "svc.sqlite3", "")
    await database.open()
    try:
        yield database
    finally:
        await database.close()


async def _enqueue(db: Database, *values: bytes) -> None:
    async with db.transaction() as tx:
        for value in values:
            await enqueue_raw(tx, "t.events", b"acc", value, "Thing", FrozenClock())


async def _outbox(db: Database, table: str = "outbox") -> list[bytes]:
    rows = await db.fetch_all(f"SELECT value FROM {table} ORDER BY seq")  # noqa: S608  # test constant
    return [bytes(row["value"]) for row in rows]


async def test_a_record_refused_at_send_is_parked_and_the_rows_behind_it_go_out(
    db: Database,
) -> None:
    publisher = _ScriptedPublisher(lambda value: None, refuse_at_send=b"huge")
    await _enqueue(db, b"a", b"huge", b"c")
    parked_before = OUTBOX_PARKED.labels(topic="t.events", event_type="Thing")._value.get()

    assert await OutboxRelay(db, publisher, 1.0).publish_pending() == 3

    assert publisher.sent == [b"a", b"c"]
    assert await _outbox(db) == []
    assert await _outbox(db, "outbox_parked") == [b"huge"]
    [parked] = await db.fetch_all("SELECT reason FROM outbox_parked")
    assert "MessageSizeTooLargeError" in parked["reason"]
    parked_after = OUTBOX_PARKED.labels(topic="t.events", event_type="Thing")._value.get()
    assert parked_after == parked_before + 1


async def test_a_record_the_broker_refuses_is_parked_not_retried(db: Database) -> None:
    def answer(value: bytes) -> BaseException | None:
        return MessageSizeTooLargeError() if value == b"big" else None

    publisher = _ScriptedPublisher(answer)
    await _enqueue(db, b"a", b"big", b"c")
    relay = OutboxRelay(db, publisher, 1.0)
    assert await relay.publish_pending() == 3
    assert await relay.publish_pending() == 0
    assert publisher.sent == [b"a", b"big", b"c"]
    assert await _outbox(db, "outbox_parked") == [b"big"]


async def test_a_passing_failure_keeps_only_the_failed_row_and_resends_no_earlier_one(
    db: Database,
) -> None:
    # Issue 17: the relay used to resend a whole batch on any failure (29 copies seen).
    failing = {b"b"}

    def answer(value: bytes) -> BaseException | None:
        return KafkaConnectionError("broker away") if value in failing else None

    publisher = _ScriptedPublisher(answer)
    await _enqueue(db, b"a", b"b", b"c")
    relay = OutboxRelay(db, publisher, 1.0)
    with pytest.raises(PublishFailed, match="KafkaConnectionError: broker away"):
        await relay.publish_pending()
    assert await _outbox(db) == [b"b"]

    failing.clear()
    assert await relay.publish_pending() == 1
    assert publisher.sent == [b"a", b"b", b"c", b"b"]
    assert await _outbox(db) == []
    assert await _outbox(db, "outbox_parked") == []


async def test_a_stalled_relay_logs_why_it_cannot_publish_but_never_the_record(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    # Issue 17: the log said only "KafkaConnectionError", so an operator could not tell why.
    def answer(value: bytes) -> BaseException | None:
        return KafkaConnectionError("Unable to bootstrap from [('127.0.0.1', 9)]")

    await _enqueue(db, b"secret-personal-payload")
    relay = OutboxRelay(db, _ScriptedPublisher(answer), 0.05)
    caplog.set_level(logging.WARNING, logger="shared.outbox")
    relay.start()
    try:

        async def logged() -> list[str] | None:
            found = [r.getMessage() for r in caplog.records if r.name == "shared.outbox"]
            return found or None

        [first, *_] = await eventually(logged, what="a log line from the stalled relay")
    finally:
        await relay.stop()
    assert "KafkaConnectionError: Unable to bootstrap from [('127.0.0.1', 9)]" in first
    assert all("secret-personal-payload" not in r.getMessage() for r in caplog.records)
    assert await _outbox(db) == [b"secret-personal-payload"]
