"""Reading and writing topics directly, as another service on the platform would."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared.events import Event, decode_event, encode_event

__all__ = [
    "ProducerPublisher",
    "committed_offset",
    "ensure_topic",
    "produce_event",
    "produce_events",
    "produce_raw",
    "read_dead_letters",
    "read_events",
    "read_values",
]


class ProducerPublisher:
    """An outbox relay's publisher over a plain aiokafka producer (one the test started)."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self._producer = producer

    async def send(self, topic: str, key: bytes, value: bytes) -> Awaitable[Any]:
        """Queue a record; the future resolves on the broker's acknowledgement."""
        fut: Awaitable[Any] = await self._producer.send(topic, value, key=key)
        return fut


async def ensure_topic(bootstrap: str, topic: str, partitions: int = 2) -> None:
    """Create ``topic`` unless it exists, as a producing service does at start.

    Apache Kafka here does not auto-create topics, and a test may publish as another service
    before the service under test has created the topics it reads.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, partitions, 1)])
    except TopicAlreadyExistsError:
        pass
    finally:
        await admin.close()


async def produce_raw(bootstrap: str, topic: str, key: bytes, value: bytes) -> None:
    """Send one record (creating its topic if missing) and wait for the broker's ack."""
    await ensure_topic(bootstrap, topic)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


async def produce_event(bootstrap: str, topic: str, event: Event) -> None:
    """Send an event keyed by its account id."""
    await produce_raw(bootstrap, topic, event.account_id.encode(), encode_event(event))


async def produce_events(
    bootstrap: str, topic: str, events: list[Event], pace_seconds: float = 0.0
) -> None:
    """Send ``events`` in order, each keyed by its account id, each acknowledged before the next.

    ``pace_seconds`` between two sends paces the load (it waits for no outcome).
    """
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(topic, encode_event(event), key=event.account_id.encode())
            if pace_seconds:
                await asyncio.sleep(pace_seconds)
    finally:
        await producer.stop()


async def _read_values(bootstrap: str, topic: str, poll_ms: int = 300) -> list[bytes]:
    # An assigned consumer (no group) from the beginning: sees everything, commits nothing.
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic) or set()
        assignment = [TopicPartition(topic, p) for p in sorted(partitions)]
        if not assignment:
            return []
        consumer.assign(assignment)
        await consumer.seek_to_beginning(*assignment)
        values: list[bytes] = []
        while True:
            batch = await consumer.getmany(timeout_ms=poll_ms)
            if not batch:
                return values
            for records in batch.values():
                values.extend(record.value or b"" for record in records)
    finally:
        await consumer.stop()


async def read_events(bootstrap: str, topic: str) -> list[Event]:
    """Every event on ``topic`` so far (order is per partition)."""
    return [decode_event(value) for value in await _read_values(bootstrap, topic)]


async def read_dead_letters(bootstrap: str, topic: str) -> list[dict[str, Any]]:
    """Every dead letter on ``topic``'s DLQ so far."""
    return [json.loads(value) for value in await _read_values(bootstrap, topic + ".dlq")]


async def read_values(bootstrap: str, topic: str) -> list[bytes]:
    """Every record value on ``topic`` so far, undecoded."""
    return await _read_values(bootstrap, topic)


async def committed_offset(bootstrap: str, group: str, topic: str, partitions: int = 1) -> int:
    """The offsets ``group`` has committed on ``topic``'s partitions, summed (0 for none)."""
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await reader.start()
    try:
        total = 0
        for partition in range(partitions):
            total += await reader.committed(TopicPartition(topic, partition)) or 0
        return total
    finally:
        await reader.stop()
