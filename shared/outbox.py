"""Transactional outbox: events are written in the same transaction as the state change, and a
relay publishes them afterwards, in order, deleting each row once the broker has acknowledged it.

If the broker is away, rows wait in SQLite and the relay retries with backoff; nothing is lost.
Delivery is at least once, which every consumer tolerates (see :mod:`shared.consumer`).

A row the broker will never take (too large for a request, an invalid topic name, a record the
broker calls corrupt) is not retried: it is moved to ``outbox_parked`` with the reason, counted
in ``adieu_outbox_parked``, and the rows behind it go ahead. Only rows whose send was
acknowledged are deleted, so a failure in the middle of a batch never re-sends the rows before
it; a row whose send failed for a passing reason is tried again in the next batch (behind rows
of the same batch that did go out: at-least-once, not strictly ordered across a failure).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from aiokafka import errors as kafka_errors

from shared.clock import Clock
from shared.db import Database, Transaction
from shared.events import Event, encode_event
from shared.metrics import OUTBOX_PARKED, count_produced
from shared.tasks import cancel_and_wait

__all__ = [
    "OutboxRelay",
    "PublishFailed",
    "Publisher",
    "describe_failure",
    "enqueue",
    "enqueue_raw",
    "never_accepted",
]

log = logging.getLogger(__name__)

_BATCH = 200
_MAX_BACKOFF_SECONDS = 5.0
_REASON_CHARS = 300

# Errors about the record itself: sending the same bytes again can only fail the same way.
_NEVER_ACCEPTED: tuple[type[BaseException], ...] = (
    kafka_errors.MessageSizeTooLargeError,
    kafka_errors.RecordTooLargeError,
    kafka_errors.RecordListTooLargeError,
    kafka_errors.CorruptRecordException,
    kafka_errors.InvalidTopicError,
    kafka_errors.InvalidTimestampError,
    kafka_errors.UnsupportedForMessageFormatError,
)


class Publisher(Protocol):
    """Sends a record; the returned awaitable resolves when the broker has acknowledged it."""

    async def send(self, topic: str, key: bytes, value: bytes) -> Awaitable[Any]: ...


class PublishFailed(Exception):
    """A batch stopped on a passing failure; ``reason`` says why (never the payload)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def never_accepted(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) says the broker will never take this record."""
    return any(isinstance(link, _NEVER_ACCEPTED) for link in _chain(exc))


def describe_failure(exc: BaseException) -> str:
    """The exception chain as ``Type: message`` parts, short; Kafka errors quote no payload."""
    parts = []
    for link in _chain(exc):
        text = str(link).strip()
        parts.append(f"{type(link).__name__}: {text}" if text else type(link).__name__)
    return " <- ".join(parts)[:_REASON_CHARS]


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
        self._on_failure: Callable[[], None] | None = None
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        db.on_commit(self.wake)

    def on_failure(self, hook: Callable[[], None]) -> None:
        """Call ``hook`` after each passing failure, before the backoff (the runtime uses it to
        re-create topics a broker restart forgot)."""
        self._on_failure = hook

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
                    "outbox publish failed, retrying in %.1fs: %s", backoff, describe_failure(exc)
                )
                if self._on_failure is not None:
                    self._on_failure()
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
        """Publish one batch of pending rows in order; return how many left the outbox.

        Raises:
            PublishFailed: a row failed for a passing reason; the acknowledged rows before and
                after it are already deleted, the failed ones stay for the next batch.
        """
        self._wakeup.clear()
        # Committed rows only (as every plain read): an event must never leave before its
        # state change is durable.
        rows = await self._db.fetch_all(
            "SELECT seq, topic, key, value, event_type FROM outbox ORDER BY seq LIMIT ?", (_BATCH,)
        )
        if not rows:
            return 0
        sent, parked, failure = await self._send(rows)
        await self._settle(sent, parked)
        if failure is not None:
            raise PublishFailed(describe_failure(failure)) from failure
        return len(sent) + len(parked)

    async def _send(
        self, rows: Sequence[Any]
    ) -> tuple[list[Any], list[tuple[Any, str]], BaseException | None]:
        """Queue rows in order (the producer keeps per-partition order), then await the acks."""
        queued: list[tuple[Any, Awaitable[Any]]] = []
        parked: list[tuple[Any, str]] = []
        failure: BaseException | None = None
        for row in rows:
            try:
                ack = await self._publisher.send(row["topic"], row["key"], row["value"])
            except Exception as exc:
                if never_accepted(exc):
                    parked.append((row, describe_failure(exc)))
                    continue
                failure = exc  # the rest of the batch waits for the next try
                break
            queued.append((row, ack))
        results = await asyncio.gather(*(ack for _, ack in queued), return_exceptions=True)
        sent = []
        for (row, _), result in zip(queued, results, strict=True):
            if not isinstance(result, BaseException):
                sent.append(row)
            elif never_accepted(result):
                parked.append((row, describe_failure(result)))
            elif failure is None:
                failure = result
        return sent, parked, failure

    async def _settle(self, sent: Sequence[Any], parked: Sequence[tuple[Any, str]]) -> None:
        """Delete the acknowledged rows and move the refused ones aside, in one transaction."""
        if not sent and not parked:
            return
        async with self._db.transaction() as tx:
            await tx.executemany("DELETE FROM outbox WHERE seq = ?", [(r["seq"],) for r in sent])
            for row, reason in parked:
                await _park(tx, row["seq"], reason)
        for row in sent:
            count_produced(row["topic"], row["event_type"])
        for row, reason in parked:
            OUTBOX_PARKED.labels(topic=row["topic"], event_type=row["event_type"]).inc()
            log.error(
                "outbox row %d (%s to %s, %d bytes) parked, the broker will never take it: %s",
                row["seq"],
                row["event_type"],
                row["topic"],
                len(row["value"]),
                reason,
            )


async def _park(tx: Transaction, seq: int, reason: str) -> None:
    await tx.execute(
        "INSERT INTO outbox_parked (seq, topic, key, value, event_type, created_at, reason,"
        " parked_at) SELECT seq, topic, key, value, event_type, created_at, ?,"
        " strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM outbox WHERE seq = ?",
        (reason, seq),
    )
    await tx.execute("DELETE FROM outbox WHERE seq = ?", (seq,))
