"""Dead-letter topics: list what is in ``<topic>.dlq`` and replay it to ``<topic>``.

Reading uses an assigned consumer (no group membership, no rebalance). Replay progress is kept
as committed offsets of the consumer group :data:`REPLAY_GROUP` on the dead-letter topic, so a
second replay starts after the last record the first one re-sent and acknowledged. Replayed
records carry the ``adieu-replay`` header, which lets the consumer that dead-lettered an event
run it again (see :mod:`shared.consumer`).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import asdict, dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from adieu_cli.errors import CliError, Exit
from shared.consumer import REPLAY_HEADER
from shared.topics import DLQ_SUFFIX

__all__ = ["REPLAY_GROUP", "DeadLetter", "list_dead_letters", "replay", "resolve_topic"]

REPLAY_GROUP = "adieu-dlq-replay"
_POLL_MS = 500


@dataclass(frozen=True)
class DeadLetter:
    """One record of a dead-letter topic, as an operator sees it (no event content)."""

    partition: int
    offset: int
    reason: str
    consumer: str
    event_id: str | None
    event_type: str | None
    failed_at: str
    source: dict[str, Any]
    replayed: bool

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def resolve_topic(name: str, prefix: str) -> str:
    """``deletion.events`` or ``adieu.deletion.events`` (or its ``.dlq``) → the full topic."""
    name = name.removesuffix(DLQ_SUFFIX)
    return name if name.startswith(prefix) else prefix + name


def _event_type(original: bytes) -> str | None:
    try:
        loaded = json.loads(original)
    except ValueError:
        return None
    kind = loaded.get("event_type") if isinstance(loaded, dict) else None
    return kind if isinstance(kind, str) else None


def _letter(record: Any, replayed: bool) -> tuple[DeadLetter, bytes] | None:
    try:
        body = json.loads(record.value)
        original = base64.b64decode(body["value_b64"], validate=True)
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None
    letter = DeadLetter(
        partition=record.partition,
        offset=record.offset,
        reason=str(body.get("reason", "")),
        consumer=str(body.get("consumer", "")),
        event_id=body.get("event_id"),
        event_type=_event_type(original),
        failed_at=str(body.get("failed_at", "")),
        source=dict(body.get("source") or {}),
        replayed=replayed,
    )
    return letter, original


async def _open(bootstrap: str, dlq: str) -> tuple[AIOKafkaConsumer, list[TopicPartition]]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=REPLAY_GROUP, enable_auto_commit=False
    )
    try:
        await consumer.start()
    except KafkaError as exc:
        await consumer.stop()
        raise CliError(Exit.UNREACHABLE, f"broker {bootstrap}: {type(exc).__name__}") from None
    partitions = consumer.partitions_for_topic(dlq)
    if not partitions:
        await consumer._client.force_metadata_update()
        partitions = consumer.partitions_for_topic(dlq)
    if not partitions:
        await consumer.stop()
        raise CliError(Exit.NOT_FOUND_OR_INVALID, f"no topic {dlq}")
    assignment = [TopicPartition(dlq, p) for p in sorted(partitions)]
    consumer.assign(assignment)
    return consumer, assignment


async def _records(consumer: AIOKafkaConsumer) -> list[Any]:
    # Read until a poll brings nothing: end offsets are not trusted (see notes/broker.md).
    records: list[Any] = []
    while batch := await consumer.getmany(timeout_ms=_POLL_MS):
        for part in batch.values():
            records.extend(part)
    return sorted(records, key=lambda r: (r.partition, r.offset))


async def _committed(consumer: AIOKafkaConsumer, tps: list[TopicPartition]) -> dict[int, int]:
    done: dict[int, int] = {}
    for tp in tps:
        offset = await consumer.committed(tp)
        done[tp.partition] = offset if offset is not None and offset >= 0 else 0
    return done


async def list_dead_letters(bootstrap: str, topic: str) -> list[DeadLetter]:
    """Every dead letter of ``topic``, marked replayed if a replay already re-sent it."""
    consumer, assignment = await _open(bootstrap, topic + DLQ_SUFFIX)
    try:
        done = await _committed(consumer, assignment)
        await consumer.seek_to_beginning(*assignment)
        letters = []
        for record in await _records(consumer):
            parsed = _letter(record, record.offset < done[record.partition])
            if parsed is not None:
                letters.append(parsed[0])
        return letters
    finally:
        await consumer.stop()


@dataclass(frozen=True)
class ReplayResult:
    """What a replay did."""

    topic: str
    replayed: list[DeadLetter]
    skipped: list[dict[str, int]]


async def replay(bootstrap: str, topic: str) -> ReplayResult:
    """Re-send every not yet replayed dead letter's original record to ``topic``."""
    dlq = topic + DLQ_SUFFIX
    consumer, assignment = await _open(bootstrap, dlq)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        await producer.start()
        done = await _committed(consumer, assignment)
        for tp in assignment:
            consumer.seek(tp, done[tp.partition])
        records = await _records(consumer)
        replayed, skipped, acks = [], [], []
        for record in records:
            parsed = _letter(record, replayed=True)
            if parsed is None:  # not a dead letter we wrote; nothing to re-send
                skipped.append({"partition": record.partition, "offset": record.offset})
                continue
            header = f"{dlq}:{record.partition}:{record.offset}".encode()
            acks.append(
                await producer.send(
                    topic, parsed[1], key=record.key, headers=[(REPLAY_HEADER, header)]
                )
            )
            replayed.append(parsed[0])
        for ack in acks:
            await ack
        ends = {r.partition: r.offset + 1 for r in records}
        if ends:
            await consumer.commit({TopicPartition(dlq, p): o for p, o in ends.items()})
        return ReplayResult(topic=topic, replayed=replayed, skipped=skipped)
    except KafkaError as exc:
        raise CliError(Exit.UNREACHABLE, f"broker {bootstrap}: {type(exc).__name__}") from None
    finally:
        await producer.stop()
        await consumer.stop()
