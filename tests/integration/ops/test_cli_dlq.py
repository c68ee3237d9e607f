"""``adieu dlq list`` and ``adieu dlq replay`` against the real broker.

A real consumer dead-letters an event it rejects (through its outbox, published by the relay);
the CLI lists it, replays it once (a second replay re-sends nothing), and the same consumer,
fixed, applies the replayed record — while a plain redelivery would still be skipped.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from shared.admin import ensure_topics
from shared.clock import SystemClock
from shared.config import PlatformSettings
from shared.consumer import REPLAY_HEADER, IdempotentConsumer, RejectEvent
from shared.db import Database, Transaction
from shared.events import SurveySubmitted, encode_event, new_event
from shared.outbox import OutboxRelay
from tests.support.kafka import ProducerPublisher

ROOT = Path(__file__).resolve().parents[3]


async def adieu(platform: PlatformSettings, *args: str) -> tuple[int, Any]:
    """Run the real ``adieu`` CLI in a subprocess; its exit code and parsed JSON output."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "adieu_cli",
        *args,
        "--json",
        "--bootstrap",
        platform.kafka_bootstrap,
        "--topic-prefix",
        platform.topic_prefix,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, json.loads(out) if out.strip() else err.decode()


async def _records(bootstrap: str, topic: str) -> list[Any]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        found: list[Any] = []
        while batch := await consumer.getmany(timeout_ms=300):
            for part in batch.values():
                found.extend(part)
        return found
    finally:
        await consumer.stop()


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(tmp_path / "ops.sqlite3", "CREATE TABLE effects (request_id TEXT);")
    await database.open()
    try:
        yield database
    finally:
        await database.close()


async def test_a_dead_letter_is_listed_replayed_once_and_then_applied(
    platform: PlatformSettings, db: Database
) -> None:
    topic = platform.topics.survey_events
    topics = platform.topics
    await ensure_topics(
        platform.kafka_bootstrap,
        [*topics.all(), *(topics.dlq(t) for t in topics.all())],
        partitions=2,
        replication=1,
    )
    broken = True

    async def handle(tx: Transaction, event: SurveySubmitted) -> None:
        if broken:
            raise RejectEvent("request is unknown here")
        await tx.execute("INSERT INTO effects VALUES (?)", (event.payload.request_id,))

    consumer = IdempotentConsumer("ops", db, SystemClock(), {"SurveySubmitted": handle})
    event = new_event(
        SurveySubmitted,
        account_id="acc-ops",
        correlation_id="corr-ops",
        occurred_at=datetime.now(UTC),
        request_id="req-ops",
    )
    original = encode_event(event)
    await consumer.handle_record(topic=topic, partition=0, offset=0, key=b"acc-ops", value=original)

    producer = AIOKafkaProducer(bootstrap_servers=platform.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        assert await OutboxRelay(db, ProducerPublisher(producer), 1.0).publish_pending() == 1
    finally:
        await producer.stop()

    code, listed = await adieu(platform, "dlq", "list", "survey.events")
    assert code == 0, listed
    [letter] = listed["dead_letters"]
    assert letter["event_id"] == str(event.event_id)
    assert letter["event_type"] == "SurveySubmitted"
    assert letter["reason"] == "request is unknown here"
    assert letter["replayed"] is False

    code, first = await adieu(platform, "dlq", "replay", topic)
    assert code == 0, first
    assert [d["event_id"] for d in first["replayed"]] == [str(event.event_id)]
    code, second = await adieu(platform, "dlq", "replay", topic)
    assert code == 0, second
    assert second["replayed"] == []
    code, again = await adieu(platform, "dlq", "list", "survey.events")
    assert [d["replayed"] for d in again["dead_letters"]] == [True]

    [resent] = await _records(platform.kafka_bootstrap, topic)
    assert resent.value == original
    assert resent.key == b"acc-ops"
    assert REPLAY_HEADER in dict(resent.headers)

    broken = False
    # A plain redelivery of the dead-lettered event is still skipped ...
    await consumer.handle_record(topic=topic, partition=0, offset=0, key=b"acc-ops", value=original)
    assert await db.fetch_all("SELECT request_id FROM effects") == []
    # ... but the replayed record runs the fixed handler, exactly once.
    for _ in range(2):
        await consumer.handle_record(
            topic=topic,
            partition=resent.partition,
            offset=resent.offset,
            key=resent.key,
            value=resent.value,
            headers=resent.headers,
        )
    rows = await db.fetch_all("SELECT request_id FROM effects")
    assert [row["request_id"] for row in rows] == ["req-ops"]


async def test_unknown_topic_and_unreachable_broker_have_their_exit_codes(
    platform: PlatformSettings,
) -> None:
    code, message = await adieu(platform, "dlq", "list", "no.such.topic")
    assert code == 1
    assert "no topic" in message
    unreachable = platform.model_copy(update={"kafka_bootstrap": "127.0.0.1:1"})
    code, message = await adieu(unreachable, "dlq", "list", "survey.events")
    assert code == 3, message
