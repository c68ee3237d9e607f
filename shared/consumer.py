"""Idempotent event consumption with a dead-letter queue.

Each event's effect and the ``(consumer, event_id)`` row are committed in one transaction, so a
redelivered event is recognised and skipped. :meth:`IdempotentConsumer.handle_batch` applies the
records of one poll in one transaction (one commit, one fsync, instead of one per record); if
any of them fails, the batch is rolled back and its records are applied one at a time, so a
poison record is dead-lettered alone and the others still take effect. A record that cannot be
parsed, that a handler rejects as permanently invalid, or that keeps failing, is written to
``<topic>.dlq`` (through the outbox, so the dead letter itself cannot be lost) with the reason;
the worker carries on.

A dead letter carries where the original lies (topic, partition, offset), its size and SHA-256,
and the original itself only up to :data:`DEAD_LETTER_VALUE_LIMIT` bytes; a larger one keeps
its first :data:`DEAD_LETTER_HEAD_BYTES` bytes. So a dead letter always fits in a request, and
one oversized poison record cannot make an unsendable outbox row.

A dead-lettered event id is remembered, so a redelivery is not dead-lettered twice. ``adieu dlq
replay`` re-sends the original record with the :data:`REPLAY_HEADER` header: for such a record,
and only if this consumer dead-lettered that event, the memory is dropped and the handler runs
again (a success is then remembered as usual; a new failure makes a new dead letter).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shared.clock import Clock
from shared.db import Database, Transaction
from shared.events import EventDecodeError, decode_wanted
from shared.logs import bound
from shared.metrics import DEAD_LETTERS, EVENTS_CONSUMED
from shared.outbox import enqueue_raw
from shared.topics import Topics

__all__ = [
    "DEAD_LETTER_HEAD_BYTES",
    "DEAD_LETTER_VALUE_LIMIT",
    "REPLAY_HEADER",
    "EventHandler",
    "IdempotentConsumer",
    "Record",
    "RejectEvent",
    "dead_letter",
]

log = logging.getLogger(__name__)

EventHandler = Callable[[Transaction, Any], Awaitable[None]]

_RETRY_PAUSE_SECONDS = 0.2
# Bound parameters per dedupe look-up (SQLite allows at least 999 per statement).
_IDS_PER_QUERY = 500

# Set by `adieu dlq replay` on a record it re-sends from a dead-letter topic.
REPLAY_HEADER = "adieu-replay"

# An original up to this size travels whole in its dead letter (base64: 4/3 of it); events are
# a few hundred bytes, so only a record nobody should have sent is cut.
DEAD_LETTER_VALUE_LIMIT = 64 * 1024
DEAD_LETTER_HEAD_BYTES = 512

Headers = Iterable[tuple[str, bytes]] | Mapping[str, bytes] | None


def _is_replay(headers: Headers) -> bool:
    if not headers:
        return False
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    return any(name == REPLAY_HEADER for name, _ in pairs)


@dataclass(frozen=True)
class Record:
    """One record as fetched: where it lies, its key, value and headers."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Headers = None


class _Fallback(Exception):
    """A record of the batch needs the one-at-a-time path (dead letter, retry)."""


class RejectEvent(Exception):
    """Raised by a handler for an event that will never be valid (no point retrying)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class IdempotentConsumer:
    """Routes each event type to its handler, at most one effect per event id."""

    def __init__(
        self,
        name: str,
        db: Database,
        clock: Clock,
        handlers: Mapping[str, EventHandler],
        max_attempts: int = 3,
    ) -> None:
        self.name = name
        self._db = db
        self._clock = clock
        self._handlers = dict(handlers)
        self._max_attempts = max_attempts

    @property
    def event_types(self) -> frozenset[str]:
        """The event types this consumer handles (others on its topics it skips)."""
        return frozenset(self._handlers)

    async def handle_record(
        self,
        *,
        topic: str,
        partition: int,
        offset: int,
        key: bytes | None,
        value: bytes | None,
        headers: Headers = None,
    ) -> None:
        """Apply one record: decode, dedupe, handle, or dead-letter it. Never raises."""
        where = {"topic": topic, "partition": partition, "offset": offset}
        try:
            event = decode_wanted(value, self._handlers)
        except EventDecodeError as exc:
            log.warning("dead-lettering undecodable record", extra={"record": where})
            self._count("undecodable", "rejected")
            await self._dead_letter(where, key, value, exc.reason, event_id=None)
            return
        if event is None:
            return  # topics carry several event types; this consumer wants only some of them
        handler = self._handlers[event.event_type]
        with bound(
            correlation_id=event.correlation_id,
            event_id=str(event.event_id),
            event_type=event.event_type,
        ):
            outcome = await self._apply(handler, event, where, key, value, _is_replay(headers))
        self._count(event.event_type, outcome)

    async def handle_batch(self, records: Sequence[Record]) -> None:
        """Apply ``records`` in order: in one transaction if all go cleanly. Never raises."""
        if len(records) > 1:
            try:
                outcomes = await self._apply_together(records)
            except Exception:  # any failure: roll back, then the careful path for each
                log.info("a batch of %d records goes one at a time", len(records))
            else:
                for event_type, outcome in outcomes:
                    self._count(event_type, outcome)
                return
        for record in records:
            await self.handle_record(
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
                key=record.key,
                value=record.value,
                headers=record.headers,
            )

    async def _apply_together(self, records: Sequence[Record]) -> list[tuple[str, str]]:
        wanted: list[tuple[Record, Any, EventHandler]] = []
        for record in records:
            try:
                event = decode_wanted(record.value, self._handlers)
            except EventDecodeError:
                raise _Fallback from None
            if event is not None:  # topics carry several event types; a known other is skipped
                wanted.append((record, event, self._handlers[event.event_type]))
        outcomes: list[tuple[str, str]] = []
        if not wanted:
            return outcomes  # nothing for us: no transaction, no commit, no relay wake-up
        async with self._db.transaction() as tx:
            for record, event, _ in wanted:
                if _is_replay(record.headers):
                    await self._forget_dead_letter(tx, str(event.event_id))
            # One look-up and one insert for the batch's event ids, not two statements each.
            seen = await self._seen_among(tx, [str(event.event_id) for _, event, _ in wanted])
            fresh: list[str] = []
            for _, event, handler in wanted:
                event_id = str(event.event_id)
                if event_id in seen:  # also a redelivery later in this same batch
                    outcomes.append((event.event_type, "duplicate"))
                    continue
                with bound(
                    correlation_id=event.correlation_id,
                    event_id=event_id,
                    event_type=event.event_type,
                ):
                    await handler(tx, event)
                seen.add(event_id)
                fresh.append(event_id)
                outcomes.append((event.event_type, "applied"))
            await self._remember_all(tx, fresh)
        return outcomes

    def _count(self, event_type: str, outcome: str) -> None:
        EVENTS_CONSUMED.labels(consumer=self.name, event_type=event_type, outcome=outcome).inc()

    async def _apply(
        self,
        handler: EventHandler,
        event: Any,
        where: dict[str, Any],
        key: bytes | None,
        value: bytes | None,
        replay: bool,
    ) -> str:
        event_id = str(event.event_id)
        reason = "handler never ran"
        for attempt in range(1, self._max_attempts + 1):
            try:
                async with self._db.transaction() as tx:
                    if replay:
                        await self._forget_dead_letter(tx, event_id)
                    if not await self._mark(tx, event_id):
                        return "duplicate"
                    await handler(tx, event)  # if it fails, the savepoint undoes the mark too
                return "applied"
            except RejectEvent as exc:
                log.warning("event rejected: %s", exc.reason)
                await self._dead_letter(where, key, value, exc.reason, event_id=event_id)
                return "rejected"
            except Exception as exc:
                log.exception("handler failed (attempt %d)", attempt)
                reason = f"handler failed after {attempt} attempts: {type(exc).__name__}"
                if attempt < self._max_attempts:
                    await asyncio.sleep(_RETRY_PAUSE_SECONDS * attempt)
        await self._dead_letter(where, key, value, reason, event_id=event_id)
        return "failed"

    async def _forget_dead_letter(self, tx: Transaction, event_id: str) -> None:
        """Let a replayed event run again, if what we remember about it is a dead letter."""
        cursor = await tx.execute(
            "DELETE FROM dead_lettered_events WHERE consumer = ? AND event_id = ?",
            (self.name, event_id),
        )
        if cursor.rowcount:
            await tx.execute(
                "DELETE FROM processed_events WHERE consumer = ? AND event_id = ?",
                (self.name, event_id),
            )
        await cursor.close()

    async def _seen(self, tx: Transaction, event_id: str) -> bool:
        cursor = await tx.execute(
            "SELECT 1 FROM processed_events WHERE consumer = ? AND event_id = ?",
            (self.name, event_id),
        )
        row = await cursor.fetchone()
        await cursor.close()
        return row is not None

    async def _seen_among(self, tx: Transaction, event_ids: Sequence[str]) -> set[str]:
        """Which of ``event_ids`` this consumer has processed already."""
        seen: set[str] = set()
        for start in range(0, len(event_ids), _IDS_PER_QUERY):
            chunk = event_ids[start : start + _IDS_PER_QUERY]
            marks = ", ".join("?" for _ in chunk)
            cursor = await tx.execute(
                "SELECT event_id FROM processed_events"  # noqa: S608  # placeholders only
                f" WHERE consumer = ? AND event_id IN ({marks})",
                (self.name, *chunk),
            )
            seen.update(row[0] for row in await cursor.fetchall())
            await cursor.close()
        return seen

    async def _mark(self, tx: Transaction, event_id: str) -> bool:
        """Remember ``event_id`` as processed; False if it already was (one statement)."""
        cursor = await tx.execute(
            "INSERT INTO processed_events (consumer, event_id, processed_at) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (self.name, event_id, self._clock.now().isoformat()),
        )
        return bool(cursor.rowcount)

    async def _remember_all(self, tx: Transaction, event_ids: Sequence[str]) -> None:
        if event_ids:
            now = self._clock.now().isoformat()
            await tx.executemany(
                "INSERT INTO processed_events (consumer, event_id, processed_at) VALUES (?, ?, ?)",
                [(self.name, event_id, now) for event_id in event_ids],
            )

    async def _remember(self, tx: Transaction, event_id: str) -> None:
        await tx.execute(
            "INSERT INTO processed_events (consumer, event_id, processed_at) VALUES (?, ?, ?)",
            (self.name, event_id, self._clock.now().isoformat()),
        )

    async def _dead_letter(
        self,
        where: dict[str, Any],
        key: bytes | None,
        value: bytes | None,
        reason: str,
        event_id: str | None,
    ) -> None:
        letter = dead_letter(
            value,
            reason=reason,
            consumer=self.name,
            source=where,
            event_id=event_id,
            failed_at=self._clock.now().isoformat(),
        )
        async with self._db.transaction() as tx:
            if event_id is not None:
                if await self._seen(tx, event_id):
                    return
                await self._remember(tx, event_id)
                await tx.execute(
                    "INSERT INTO dead_lettered_events (consumer, event_id) VALUES (?, ?)",
                    (self.name, event_id),
                )
            await enqueue_raw(
                tx,
                Topics.dlq(where["topic"]),
                key or b"",
                json.dumps(letter).encode(),
                "DeadLetter",
                self._clock,
            )
        DEAD_LETTERS.labels(consumer=self.name, topic=where["topic"]).inc()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def dead_letter(
    value: bytes | None,
    *,
    reason: str,
    consumer: str,
    source: Mapping[str, Any],
    event_id: str | None,
    failed_at: str,
) -> dict[str, Any]:
    """The dead-letter record for ``value``: bounded in size whatever ``value`` is.

    ``value_b64`` is the whole original, or None when it is over the limit; then
    ``value_head_b64`` holds its first bytes, and ``source`` says where the whole lies.
    """
    original = value or b""
    whole = len(original) <= DEAD_LETTER_VALUE_LIMIT
    return {
        "reason": reason,
        "consumer": consumer,
        "source": dict(source),
        "event_id": event_id,
        "failed_at": failed_at,
        "value_size": len(original),
        "value_sha256": hashlib.sha256(original).hexdigest(),
        "value_b64": _b64(original) if whole else None,
        "value_head_b64": None if whole else _b64(original[:DEAD_LETTER_HEAD_BYTES]),
    }
