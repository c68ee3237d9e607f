"""The idempotent consumer with a real SQLite file: one effect per event, poison to the DLQ."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shared.clock import FrozenClock
from shared.consumer import DEAD_LETTER_HEAD_BYTES, IdempotentConsumer, Record, RejectEvent
from shared.db import Database, Transaction
from shared.events import SurveySubmitted, encode_event, new_event

SCHEMA = "CREATE TABLE IF NOT EXISTS effects (request_id TEXT NOT NULL);"


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(tmp_path / "svc.sqlite3", SCHEMA)
    await database.open()
    try:
        yield database
    finally:
        await database.close()


def _record(request_id: str = "req-1") -> bytes:
    event = new_event(
        SurveySubmitted,
        account_id="acc-1",
        correlation_id="c",
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        request_id=request_id,
    )
    return encode_event(event)


async def _effects(db: Database) -> list[str]:
    return [row["request_id"] for row in await db.fetch_all("SELECT request_id FROM effects")]


async def _dead_letters(db: Database) -> list[dict[str, object]]:
    rows = await db.fetch_all("SELECT topic, value FROM outbox WHERE event_type = 'DeadLetter'")
    return [{"topic": row["topic"], **json.loads(row["value"])} for row in rows]


async def _feed(consumer: IdempotentConsumer, value: bytes | None, offset: int = 0) -> None:
    await consumer.handle_record(
        topic="t.survey.events", partition=0, offset=offset, key=b"acc-1", value=value
    )


async def test_a_redelivered_event_has_one_effect(db: Database) -> None:
    async def record_effect(tx: Transaction, event: SurveySubmitted) -> None:
        await tx.execute("INSERT INTO effects VALUES (?)", (event.payload.request_id,))

    consumer = IdempotentConsumer("c", db, FrozenClock(), {"SurveySubmitted": record_effect})
    record = _record()
    await _feed(consumer, record, offset=0)
    await _feed(consumer, record, offset=1)
    assert await _effects(db) == ["req-1"]


async def test_a_failing_handler_rolls_back_and_dead_letters_after_its_attempts(
    db: Database,
) -> None:
    calls = 0

    async def half_done_then_fail(tx: Transaction, event: SurveySubmitted) -> None:
        nonlocal calls
        calls += 1
        await tx.execute("INSERT INTO effects VALUES (?)", (event.payload.request_id,))
        raise RuntimeError("downstream broke")

    consumer = IdempotentConsumer(
        "c", db, FrozenClock(), {"SurveySubmitted": half_done_then_fail}, max_attempts=2
    )
    poison = _record()
    await _feed(consumer, poison)
    letters = await _dead_letters(db)
    assert calls == 2
    assert await _effects(db) == []
    assert [(d["topic"], d["reason"]) for d in letters] == [
        ("t.survey.events.dlq", "handler failed after 2 attempts: RuntimeError")
    ]
    # A redelivery of the same poison event is not dead-lettered a second time.
    await _feed(consumer, poison, offset=1)
    assert len(await _dead_letters(db)) == 1
    assert calls == 2


async def test_a_rejected_event_goes_to_the_dlq_with_its_reason(db: Database) -> None:
    async def reject(tx: Transaction, event: SurveySubmitted) -> None:
        raise RejectEvent("request does not belong to this account")

    consumer = IdempotentConsumer("c", db, FrozenClock(), {"SurveySubmitted": reject})
    await _feed(consumer, _record())
    letters = await _dead_letters(db)
    assert letters[0]["reason"] == "request does not belong to this account"
    assert letters[0]["source"] == {"topic": "t.survey.events", "partition": 0, "offset": 0}


async def test_an_undecodable_record_is_dead_lettered_and_the_next_one_still_handled(
    db: Database,
) -> None:
    async def record_effect(tx: Transaction, event: SurveySubmitted) -> None:
        await tx.execute("INSERT INTO effects VALUES (?)", (event.payload.request_id,))

    consumer = IdempotentConsumer("c", db, FrozenClock(), {"SurveySubmitted": record_effect})
    await _feed(consumer, b"\xff\xfe", offset=0)
    await _feed(consumer, _record("req-2"), offset=1)
    assert [d["reason"] for d in await _dead_letters(db)] == ["record is not JSON"]
    assert await _effects(db) == ["req-2"]


async def test_a_batch_is_one_commit_and_a_poison_record_in_it_goes_alone(db: Database) -> None:
    async def record_effect(tx: Transaction, event: SurveySubmitted) -> None:
        if event.payload.request_id == "req-bad":
            raise RejectEvent("no such request")
        await tx.execute("INSERT INTO effects VALUES (?)", (event.payload.request_id,))

    commits: list[bool] = []
    db.on_commit(lambda: commits.append(True))
    consumer = IdempotentConsumer("c", db, FrozenClock(), {"SurveySubmitted": record_effect})
    twice = _record("req-2")
    clean = [_record("req-1"), twice, twice]  # a redelivery inside the batch counts once
    await consumer.handle_batch(
        [Record("t.survey.events", 0, i, b"acc-1", value) for i, value in enumerate(clean)]
    )
    assert (await _effects(db), len(commits)) == (["req-1", "req-2"], 1)  # one commit for three
    poisoned = [_record("req-3"), _record("req-bad"), b"not json", _record("req-4")]
    await consumer.handle_batch(
        [Record("t.survey.events", 0, 10 + i, b"acc-1", v) for i, v in enumerate(poisoned)]
    )
    assert await _effects(db) == ["req-1", "req-2", "req-3", "req-4"]
    reasons = sorted(str(letter["reason"]) for letter in await _dead_letters(db))
    assert reasons == ["no such request", "record is not JSON"]


async def test_an_oversized_record_makes_a_small_dead_letter_that_says_where_it_lies(
    db: Database,
) -> None:
    # Issue 17: an 800 KB poison record used to be copied whole (base64, 1.33x) into its dead
    # letter, over the producer's 1 MB limit: an outbox row that could never be sent.
    consumer = IdempotentConsumer("c", db, FrozenClock(), {})
    poison = b"{" + b"x" * 800_000
    await _feed(consumer, poison, offset=41)
    [row] = await db.fetch_all("SELECT value FROM outbox WHERE event_type = 'DeadLetter'")
    letter = json.loads(row["value"])
    assert len(row["value"]) < 4_000
    assert letter["source"] == {"topic": "t.survey.events", "partition": 0, "offset": 41}
    assert letter["value_size"] == len(poison)
    assert letter["value_sha256"] == hashlib.sha256(poison).hexdigest()
    assert letter["value_b64"] is None
    assert base64.b64decode(letter["value_head_b64"]) == poison[:DEAD_LETTER_HEAD_BYTES]
    assert letter["reason"] == "record is not JSON"


async def test_a_small_poison_record_travels_whole_in_its_dead_letter(db: Database) -> None:
    consumer = IdempotentConsumer("c", db, FrozenClock(), {})
    await _feed(consumer, b"not json")
    [letter] = await _dead_letters(db)
    assert base64.b64decode(str(letter["value_b64"])) == b"not json"
    assert letter["value_head_b64"] is None
    assert letter["value_size"] == len(b"not json")


async def _record_effect(tx: Transaction, event: SurveySubmitted) -> None:
    await tx.execute("INSERT INTO effects VALUES (?)", (event.payload.request_id,))


async def test_a_batch_of_event_types_the_consumer_does_not_handle_commits_nothing(
    db: Database,
) -> None:
    consumer = IdempotentConsumer("c", db, FrozenClock(), {"AccountPurged": _record_effect})
    commits: list[None] = []
    db.on_commit(lambda: commits.append(None))
    batch = [Record("t.survey.events", 0, n, b"acc-1", _record(f"req-{n}")) for n in range(3)]
    await consumer.handle_batch(batch)
    assert commits == []  # skipped before any transaction: no commit, no relay wake-up
    assert await db.fetch_all("SELECT event_id FROM processed_events") == []


async def test_an_unknown_event_type_is_still_dead_lettered_in_a_batch(db: Database) -> None:
    consumer = IdempotentConsumer("c", db, FrozenClock(), {"SurveySubmitted": _record_effect})
    unknown = json.dumps({**json.loads(_record("req-x")), "event_type": "NoSuchEvent"}).encode()
    batch = [
        Record("t.survey.events", 0, 0, b"acc-1", _record("req-1")),
        Record("t.survey.events", 0, 1, b"acc-1", unknown),
        Record("t.survey.events", 0, 2, b"acc-1", _record("req-2")),
    ]
    await consumer.handle_batch(batch)
    assert await _effects(db) == ["req-1", "req-2"]
    assert [letter["source"] for letter in await _dead_letters(db)] == [
        {"topic": "t.survey.events", "partition": 0, "offset": 1}
    ]
