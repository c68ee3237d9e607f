"""A service's consumer commits a batch's offsets only after the batch's transaction, keeps
partition order, and handles a lone record that comes after a quiet spell.

The batches come from shared/faust_batches.py, which waits for a batch's first record without a
timeout (Faust's own take_events woke every 5 ms while idle). Waiting without a timeout is what
Faust warns can stall a stream, so a lone record after a quiet spell is the case to prove.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from faust.contrib.asgi import faust_app_running

from shared.admin import ensure_topics
from shared.clock import SystemClock
from shared.config import PlatformSettings
from shared.consumer import IdempotentConsumer
from shared.db import Database, Transaction
from shared.events import AccountRegistered, Event, new_event
from shared.faust_app import create_faust_app, subscribe
from tests.support.kafka import produce_events
from tests.support.polling import eventually

BATCH = 4


def _events(count: int) -> list[Event]:
    # One account, so every record lands on one partition, in order.
    account = str(uuid.uuid4())
    return [
        new_event(
            AccountRegistered,
            account_id=account,
            correlation_id=str(uuid.uuid4()),
            occurred_at=SystemClock().now(),
            language="en",
        )
        for _ in range(count)
    ]


async def _committed(bootstrap: str, group: str, topic: str, partitions: int) -> int:
    """The group's committed offsets on ``topic``, summed (0 for none)."""
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await reader.start()
    try:
        total = 0
        for partition in range(partitions):
            total += await reader.committed(TopicPartition(topic, partition)) or 0
        return total
    finally:
        await reader.stop()


async def test_batches_commit_after_their_transaction_and_a_lone_record_after_quiet_is_read(
    platform: PlatformSettings, tmp_path: Path
) -> None:
    bootstrap, topic = platform.kafka_bootstrap, f"{platform.topic_prefix}batched"
    await ensure_topics(bootstrap, [topic], partitions=2, replication=1)
    settings = platform.model_copy(update={"consumer_batch_size": BATCH})
    db = Database(tmp_path / "batched.sqlite3", "")
    app = create_faust_app("batched", settings, tmp_path)
    handling = asyncio.Event()
    release = asyncio.Event()
    handled_ids: list[str] = []

    async def handled(tx: Transaction, event: Any) -> None:
        handled_ids.append(str(event.event_id))
        handling.set()
        await release.wait()  # the transaction stays open until the test lets it go

    consumer = IdempotentConsumer("batched", db, SystemClock(), {"AccountRegistered": handled})
    subscribe(app, topic, consumer)
    first, lone = _events(10), _events(1)
    group = f"{platform.topic_prefix}batched"
    await db.open()
    try:
        async with faust_app_running(app, stop_timeout=15.0):
            await produce_events(bootstrap, topic, first)
            await asyncio.wait_for(handling.wait(), timeout=30)
            # Three commit intervals (1 s each) with the batch's transaction still open: the
            # group must not have committed any offset of it.
            await asyncio.sleep(3.0)
            assert await _committed(bootstrap, group, topic, 2) == 0
            release.set()

            async def all_committed() -> bool:
                return await _committed(bootstrap, group, topic, 2) == len(first)

            await eventually(all_committed, timeout=30, what="the offsets after the batches")
            assert handled_ids == [str(e.event_id) for e in first]  # partition order

            await asyncio.sleep(2.0)  # quiet: no record for a while
            await produce_events(bootstrap, topic, lone)

            async def lone_handled() -> bool:
                rows = await db.fetch_all("SELECT event_id FROM processed_events")
                return str(lone[0].event_id) in {row["event_id"] for row in rows}

            await eventually(lone_handled, timeout=15, what="the lone record after the quiet")
    finally:
        await db.close()
