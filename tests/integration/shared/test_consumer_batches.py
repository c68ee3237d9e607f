"""A service's consumer commits a batch's offsets only after the batch's transaction, keeps
partition order, and handles a lone record that comes when the stream is idle.

The batches come from shared/faust_batches.py, which waits for a batch's first record without a
timeout (Faust's own take_events woke every 5 ms while idle). Waiting without a timeout is what
Faust warns can stall a stream, so a lone record on an idle stream is the case to prove.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

from faust.contrib.asgi import faust_app_running

from shared.admin import ensure_topics
from shared.clock import SystemClock
from shared.config import PlatformSettings
from shared.consumer import IdempotentConsumer
from shared.db import Database, Transaction
from shared.events import AccountRegistered, Event, new_event
from shared.faust_app import create_faust_app, subscribe
from tests.support.kafka import committed_offset, produce_events
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


async def test_batches_commit_after_their_transaction_and_a_lone_record_on_an_idle_stream_is_read(
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
            # For three commit intervals (1 s each) with the batch's transaction still open,
            # the group must not commit any offset of it: looked at throughout, not once.
            open_until = time.monotonic() + 3.0
            while time.monotonic() < open_until:
                assert await committed_offset(bootstrap, group, topic, 2) == 0
            release.set()

            async def all_committed() -> bool:
                return await committed_offset(bootstrap, group, topic, 2) == len(first)

            await eventually(all_committed, timeout=30, what="the offsets after the batches")
            assert handled_ids == [str(e.event_id) for e in first]  # partition order

            # Every batch is done and nothing more is coming: the stream waits for a first
            # record again, with no timeout, and must still take a lone one.
            await produce_events(bootstrap, topic, lone)

            async def lone_handled() -> bool:
                rows = await db.fetch_all("SELECT event_id FROM processed_events")
                return str(lone[0].event_id) in {row["event_id"] for row in rows}

            await eventually(lone_handled, timeout=15, what="the lone record after the quiet")
    finally:
        await db.close()
