"""Deletion's facts read back from the broker: when each purge started and when it finished.

The benchmarks time the purge by deletion's own ``occurred_at`` on AccountPurged (the timer
fired) and DeletionCompleted (every participant answered), instead of polling each request's
status over HTTP: at 200 journeys/s that polling was thousands of requests a second, load the
benchmark itself put on the service it measured.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from aiokafka import AIOKafkaConsumer

from bench.stack import BenchStack
from shared.events import AccountPurged, DeletionCompleted, decode_event
from shared.topics import Topics

__all__ = ["DeletionEvents", "deletion_events"]


class DeletionEvents:
    """Reads ``topic`` from the beginning until cancelled (run :meth:`run` as a task)."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.fired: dict[str, datetime] = {}
        self.completed: dict[str, datetime] = {}
        self._waiting: dict[str, asyncio.Future[datetime]] = {}
        self._consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            fetch_max_wait_ms=50,
        )

    def completion(self, request_id: str) -> asyncio.Future[datetime]:
        """A future of the request's DeletionCompleted ``occurred_at``."""
        future: asyncio.Future[datetime] = asyncio.get_running_loop().create_future()
        if request_id in self.completed:
            future.set_result(self.completed[request_id])
        else:
            self._waiting[request_id] = future
        return future

    async def run(self) -> None:
        """Consume until cancelled."""
        await self._consumer.start()
        try:
            while True:
                batches = await self._consumer.getmany(timeout_ms=500)
                for records in batches.values():
                    for record in records:
                        self._take(record.value or b"")
        finally:
            await self._consumer.stop()

    def _take(self, value: bytes) -> None:
        try:
            event = decode_event(value)
        except ValueError:
            return  # not a fact the benchmarks time
        if isinstance(event, AccountPurged):
            self.fired.setdefault(event.payload.request_id, event.occurred_at)
        elif isinstance(event, DeletionCompleted):
            request_id = event.payload.request_id
            self.completed.setdefault(request_id, event.occurred_at)
            future = self._waiting.pop(request_id, None)
            if future is not None and not future.done():
                future.set_result(event.occurred_at)


def deletion_events(stack: BenchStack) -> DeletionEvents:
    """A reader of the stack's deletion events (start :meth:`DeletionEvents.run` as a task)."""
    topics = Topics(stack.env.get("ADIEU_TOPIC_PREFIX", "adieu."))
    return DeletionEvents(stack.bootstrap, topics.deletion_events)
