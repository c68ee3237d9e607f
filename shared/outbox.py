"""Transactional outbox: events are written in the same transaction as the state change, and a
relay publishes them afterwards, in order, deleting each row once the broker has acknowledged it.

If the broker is away, rows wait in SQLite and the relay retries with backoff; nothing is lost.
Delivery is at least once, which every consumer tolerates (see :mod:`shared.consumer`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from typing import Any, Protocol

from shared.clock import Clock
from shared.db import Database, Transaction
from shared.events import Event, encode_event
from shared.metrics import count_produced
from shared.tasks import cancel_and_wait

__all__ = ["OutboxRelay", "Publisher", "enqueue", "enqueue_raw"]

log = logging.getLogger(__name__)

_BATCH = 200
_MAX_BACKOFF_SECONDS = 5.0


class Publisher(Protocol):
    """Sends a record; the returned awaitable resolves when the broker has acknowledged it."""

    async def send(self, topic: str, key: bytes, value: bytes) -> Awaitable[Any]: ...


async def enqueue(tx: Transaction, topic: str, event: Event, clock: Clock) -> None:
    """Add ``event`` to the outbox inside the caller's transaction, keyed by its account id."""
    await enqueue_raw(
        tx, topic, event.account_id.encode(), encode_event(event), event.event_type, clock
    )


async def enqueue_raw(
    tx: Transaction, topic: str, key: bytes, value: bytes, kind: str, clock: Clock
) -> None:
    """Add an already-encoded record (a dead letter, say) to the outbox."""
    await tx.execute(
        "INSERT INTO outbox (topic, key, value, event_type, created_at) VALUES (?, ?, ?, ?, ?)",
        (topic, key, value, kind, clock.now().isoformat()),
    )


class OutboxRelay:
    """Publishes outbox rows in order; woken by every commit, and by a poll as a safety net."""

    def __init__(self, db: Database, publisher: Publisher, poll_seconds: float) -> None:
        self._db = db
        self._publisher = publisher
        self._poll_seconds = poll_seconds
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        db.on_commit(self.wake)

    def wake(self) -> None:
        """Ask the relay to look at the outbox now."""
        self._wakeup.set()

    def start(self) -> None:
        """Run the relay in the background of the current event loop."""
        self._task = asyncio.get_running_loop().create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        """Stop the relay; rows not yet published stay in the outbox for the next start."""
        await cancel_and_wait(self._task)
        self._task = None

    async def _run(self) -> None:
        backoff = self._poll_seconds
        while True:
            try:
                published = await self.publish_pending()
                backoff = self._poll_seconds
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the broker may be away; keep the rows and retry
                log.warning(
                    "outbox publish failed, retrying in %.1fs: %s", backoff, type(exc).__name__
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF_SECONDS)
                continue
            if published == 0:
                with contextlib.suppress(TimeoutError):
                    # Not wait_for: on 3.11 it can swallow stop()'s cancel when a wake-up races it.
                    async with asyncio.timeout(self._poll_seconds):
                        await self._wakeup.wait()
                self._wakeup.clear()

    async def publish_pending(self) -> int:
        """Publish one batch of pending rows in order; return how many were published."""
        self._wakeup.clear()
        rows = await self._db.fetch_all(
            "SELECT seq, topic, key, value, event_type FROM outbox ORDER BY seq LIMIT ?", (_BATCH,)
        )
        if not rows:
            return 0
        # Queue the whole batch before awaiting: the producer keeps per-partition order.
        acks = [await self._publisher.send(row["topic"], row["key"], row["value"]) for row in rows]
        await asyncio.gather(*acks)
        last = rows[-1]["seq"]
        async with self._db.transaction() as tx:
            await tx.execute("DELETE FROM outbox WHERE seq <= ?", (last,))
        for row in rows:
            count_produced(row["topic"], row["event_type"])
        return len(rows)
