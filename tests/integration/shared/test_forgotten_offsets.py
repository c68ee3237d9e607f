"""A consumer left past the end of a partition the broker forgot reads the new records all the same.

Tansu (memory storage) starts empty after a restart: a consumer that had read N records of a
partition can be left at offset N (the fault suite found deletion's ``purge.completions``
consumer there) while the re-created partition starts again at 0. Tansu answers a fetch beyond
a partition's end with no records and no OFFSET_OUT_OF_RANGE, so the consumer waited there for
good and every new record below N went unread (issue 17). Here the partition is deleted and
re-created under the running consumer, which leaves it at the same place every time: its
position and the group's committed offset both past the new end (after a real restart the
group's rejoin usually seeks back to the beginning, patch 3, but not always).

Tansu only: Apache Kafka keeps its records across a restart, and answers a fetch beyond the end
with OFFSET_OUT_OF_RANGE.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from faust.contrib.asgi import faust_app_running

from devstack.broker import TansuBroker, free_port
from shared.admin import TopicKeeper, ensure_topics
from shared.clock import SystemClock
from shared.config import PlatformSettings
from shared.consumer import IdempotentConsumer
from shared.db import Database, Transaction
from shared.events import AccountRegistered, Event, new_event
from shared.faust_app import create_faust_app, read_everything_again, subscribe
from shared.metrics import REGISTRY
from tests.support.kafka import committed_offset, produce_events
from tests.support.polling import eventually

BEFORE = 12  # records read first: the consumer's position ends up past the new end
AFTER = 5  # records produced to the re-created partition, all below that position
PARTITIONS = 1  # so that every record lands below the old position


async def _handled(tx: Transaction, event: Any) -> None:
    """Nothing to do: the consumer records the event id in the same transaction."""


def _events(count: int) -> list[Event]:
    return [
        new_event(
            AccountRegistered,
            account_id=str(uuid.uuid4()),
            correlation_id=str(uuid.uuid4()),
            occurred_at=SystemClock().now(),
            language="en",
        )
        for _ in range(count)
    ]


async def _forget(bootstrap: str, topic: str) -> None:
    """What a Tansu restart does to the partition: gone, then back empty."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.delete_topics([topic])
    finally:
        await admin.close()
    await ensure_topics(bootstrap, [topic], partitions=PARTITIONS, replication=1)


async def test_records_of_a_forgotten_partition_are_read_from_its_new_beginning(
    platform: PlatformSettings, tmp_path: Path
) -> None:
    if platform.broker_kind != "tansu":
        pytest.skip("Apache Kafka keeps its records, and resets a consumer beyond the end")
    bootstrap, topic = platform.kafka_bootstrap, f"{platform.topic_prefix}forgotten"
    await ensure_topics(bootstrap, [topic], partitions=PARTITIONS, replication=1)
    db = Database(tmp_path / "forgotten.sqlite3", "")
    app = create_faust_app("forgotten", platform, tmp_path)
    consumer = IdempotentConsumer("forgotten", db, SystemClock(), {"AccountRegistered": _handled})
    subscribe(app, topic, consumer)

    def all_handled(events: list[Event]) -> Any:
        want = {str(e.event_id) for e in events}

        async def probe() -> bool:
            rows = await db.fetch_all("SELECT event_id FROM processed_events")
            return want <= {row["event_id"] for row in rows}

        return probe

    before, after = _events(BEFORE), _events(AFTER)
    await db.open()
    try:
        async with faust_app_running(app, stop_timeout=15.0):
            await produce_events(bootstrap, topic, before)
            await eventually(all_handled(before), timeout=30, what="the first records")
            await _forget(bootstrap, topic)
            await produce_events(bootstrap, topic, after)
            await eventually(all_handled(after), timeout=30, what="the records after")
    finally:
        await db.close()


async def test_a_keeper_tells_when_its_broker_forgot_though_others_re_created_the_topics(
    platform: PlatformSettings,
) -> None:
    if platform.broker_kind != "tansu":
        pytest.skip("Apache Kafka does not forget")
    broker = TansuBroker(free_port())
    broker.start()
    try:
        topic = f"{platform.topic_prefix}kept"
        keeper = TopicKeeper(
            broker.bootstrap, [topic], partitions=1, replication=1, marker=f"{topic}.alive-1"
        )
        told: list[bool] = []

        async def forgotten() -> None:
            told.append(True)

        keeper.on_forgotten(forgotten)
        await keeper.ensure()
        await keeper.check()
        assert told == []  # nothing forgotten yet
        broker.stop()
        broker.start()
        # Another service (or a client's metadata request) brings the topic back first.
        await ensure_topics(broker.bootstrap, [topic], partitions=1, replication=1)
        assert await keeper.check() == []
        assert told == [True]
        await keeper.check()
        assert told == [True]  # once per forgetting
    finally:
        broker.stop()


def _duplicates(consumer: str) -> float:
    """What an operator's scrape shows: records the consumer read again and skipped."""
    value = REGISTRY.get_sample_value(
        "adieu_events_consumed_total",
        {"consumer": consumer, "event_type": "AccountRegistered", "outcome": "duplicate"},
    )
    return value or 0.0


async def test_what_the_keeper_calls_when_the_broker_forgot_reads_every_partition_again(
    platform: PlatformSettings, tmp_path: Path
) -> None:
    """``read_everything_again``, the keeper's call when its marker is gone: the group's
    offsets go back to 0 and every record is read again (and skipped as a duplicate). It raised
    TypeError until 2 December: Faust's partitions handed to aiokafka's commit and seek, which
    take only aiokafka's own TopicPartition."""
    if platform.broker_kind != "tansu":
        pytest.skip("Apache Kafka does not forget")
    bootstrap, topic = platform.kafka_bootstrap, f"{platform.topic_prefix}forgotten-all"
    name = f"forgotten-all-{uuid.uuid4().hex[:6]}"
    await ensure_topics(bootstrap, [topic], partitions=PARTITIONS, replication=1)
    db = Database(tmp_path / "forgotten.sqlite3", "")
    app = create_faust_app(name, platform, tmp_path)
    consumer = IdempotentConsumer(name, db, SystemClock(), {"AccountRegistered": _handled})
    subscribe(app, topic, consumer)
    group = f"{platform.topic_prefix}{name}"
    await db.open()
    try:
        async with faust_app_running(app, stop_timeout=15.0):
            await produce_events(bootstrap, topic, _events(BEFORE))

            async def committed_all() -> bool:
                return await committed_offset(bootstrap, group, topic) == BEFORE

            await eventually(committed_all, timeout=30, what="the first offsets")
            assert _duplicates(name) == 0
            await read_everything_again(app)

            async def read_again() -> bool:
                return _duplicates(name) == BEFORE

            await eventually(read_again, timeout=30, what="every record read a second time")
            await eventually(committed_all, timeout=30, what="the offsets after the re-read")
    finally:
        await db.close()


async def test_a_commit_in_flight_when_the_broker_forgot_does_not_bring_its_offsets_back(
    platform: PlatformSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Faust computes a commit, waits for its producer's flush, then commits. If the broker
    forgets in between, that commit used to land after ``read_everything_again``'s 0: the old
    offset was back in the group, where a rejoin would seek to it, and back in Faust's memory,
    where it kept Faust from committing the lower offsets of the records read since (the fault
    suite's lost DeletionRequested, 2 December)."""
    if platform.broker_kind != "tansu":
        pytest.skip("Apache Kafka does not forget")
    bootstrap, topic = platform.kafka_bootstrap, f"{platform.topic_prefix}forgotten-flight"
    name = f"forgotten-flight-{uuid.uuid4().hex[:6]}"
    await ensure_topics(bootstrap, [topic], partitions=PARTITIONS, replication=1)
    db = Database(tmp_path / "forgotten.sqlite3", "")
    app = create_faust_app(name, platform, tmp_path)
    consumer = IdempotentConsumer(name, db, SystemClock(), {"AccountRegistered": _handled})
    subscribe(app, topic, consumer)
    group = f"{platform.topic_prefix}{name}"
    await db.open()
    try:
        async with faust_app_running(app, stop_timeout=15.0):
            await produce_events(bootstrap, topic, _events(BEFORE))

            async def committed(offset: int) -> bool:
                return await committed_offset(bootstrap, group, topic) == offset

            await eventually(lambda: committed(BEFORE), timeout=30, what="the first offsets")
            # The next commit stops at the producer's flush until the broker has forgotten.
            flushing, go_on = asyncio.Event(), asyncio.Event()
            flush = app.producer.flush

            async def held_flush() -> None:
                flushing.set()
                await go_on.wait()
                await flush()

            monkeypatch.setattr(app.producer, "flush", held_flush)
            await produce_events(bootstrap, topic, _events(AFTER))
            await asyncio.wait_for(flushing.wait(), timeout=30)
            await _forget(bootstrap, topic)
            told = asyncio.create_task(read_everything_again(app))
            await asyncio.sleep(0.5)
            go_on.set()
            await asyncio.wait_for(told, timeout=30)
            monkeypatch.setattr(app.producer, "flush", flush)
            # What a member joining now would seek to: the new partition's beginning.
            assert await committed_offset(bootstrap, group, topic) == 0
            fewer = AFTER - 2  # fewer records than the offset committed before the forgetting
            await produce_events(bootstrap, topic, _events(fewer))
            await eventually(lambda: committed(fewer), timeout=30, what="the new records' offsets")
    finally:
        await db.close()
