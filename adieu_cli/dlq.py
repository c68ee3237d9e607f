"""Dead-letter topics: list what is in ``<topic>.dlq`` and replay it to ``<topic>``.

Reading uses an assigned consumer (no group membership, no rebalance). Replay progress is kept
as committed offsets of the consumer group :data:`REPLAY_GROUP` on the dead-letter topic, so a
second replay starts after the last record the first one re-sent and acknowledged. Replayed
records carry the ``adieu-replay`` header, which lets the consumer that dead-lettered an event
run it again (see :mod:`shared.consumer`).

A dead letter of an oversized record carries only its first bytes and digest; replay then reads
the original where it lies (its source topic, partition and offset) and re-sends it if its
digest matches, or skips it with the reason when the broker no longer has it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
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
    value_size: int
    value_sha256: str

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


def _letter(record: Any, replayed: bool) -> tuple[DeadLetter, bytes | None] | None:
    """The letter and its original (None when only described: too large to carry)."""
    try:
        body = json.loads(record.value)
        carried = body["value_b64"]
        if carried is None:
            original = None
            head = base64.b64decode(body["value_head_b64"], validate=True)
        else:
            original = head = base64.b64decode(carried, validate=True)
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None
    letter = DeadLetter(
        partition=record.partition,
        offset=record.offset,
        reason=str(body.get("reason", "")),
        consumer=str(body.get("consumer", "")),
        event_id=body.get("event_id"),
        event_type=_event_type(head),
        failed_at=str(body.get("failed_at", "")),
        source=dict(body.get("source") or {}),
        replayed=replayed,
        value_size=int(body.get("value_size", len(head))),
        value_sha256=str(body.get("value_sha256") or hashlib.sha256(head).hexdigest()),
    )
    return letter, original


async def _original(bootstrap: str, letter: DeadLetter) -> bytes | None:
    """The original record of a letter that only describes it, read where it lies."""
    source = letter.source
    tp = TopicPartition(str(source.get("topic")), int(source.get("partition", -1)))
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, max_partition_fetch_bytes=2**24
    )
    await consumer.start()
    try:
        consumer.assign([tp])
        consumer.seek(tp, int(source.get("offset", 0)))
        batch = await consumer.getmany(tp, timeout_ms=_POLL_MS * 4, max_records=1)
        records = batch.get(tp, [])
    finally:
        await consumer.stop()
    if not records or records[0].offset != int(source.get("offset", -1)):
        return None
    value: bytes = records[0].value or b""
    return value if hashlib.sha256(value).hexdigest() == letter.value_sha256 else None


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
    skipped: list[dict[str, Any]]


async def replay(bootstrap: str, topic: str) -> ReplayResult:
    """Re-send every not yet replayed dead letter's original record to ``topic``."""
    dlq = topic + DLQ_SUFFIX
    consumer, assignment = await _open(bootstrap, dlq)
    # The broker took each original once; let it, not our default, judge a large one again.
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", max_request_size=2**24)
    try:
        await producer.start()
        done = await _committed(consumer, assignment)
        for tp in assignment:
            consumer.seek(tp, done[tp.partition])
        records = await _records(consumer)
        replayed, skipped, acks = [], [], []
        for record in records:
            where = {"partition": record.partition, "offset": record.offset}
            parsed = _letter(record, replayed=True)
            if parsed is None:  # not a dead letter we wrote; nothing to re-send
                skipped.append({**where, "reason": "not a dead letter"})
                continue
            letter, original = parsed
            if original is None:
                original = await _original(bootstrap, letter)
            if original is None:
                skipped.append({**where, "reason": "original no longer at its source"})
                continue
            header = f"{dlq}:{record.partition}:{record.offset}".encode()
            acks.append(
                await producer.send(
                    topic, original, key=record.key, headers=[(REPLAY_HEADER, header)]
                )
            )
            replayed.append(letter)
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
