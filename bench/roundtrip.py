"""The floor every benchmark is compared with: the broker's own round trip, in the same run.

A raw aiokafka produce → consume → produce → consume through one relay hop on fresh topics:
the shape of one service hop, with no service code at all. Measured as a burst and one record
at a time (with the fetch wait the services use), so a figure can be read as "N times the broker".
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

__all__ = ["FETCH_WAIT_MS", "RoundTrip", "measure_round_trip", "percentile"]

FETCH_WAIT_MS = 50  # what the services use (ADIEU_CONSUMER_FETCH_WAIT_MS's default)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (with 20 samples, p99 is the slowest one); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class RoundTrip:
    """The broker's floor: one-at-a-time p50/p99 and burst throughput through one hop."""

    single_p50_ms: float
    single_p99_ms: float
    burst_per_second: float
    burst_p50_ms: float
    burst_p99_ms: float

    def line(self) -> str:
        """One line for a report."""
        return (
            f"raw broker round trip (one hop, fetch wait {FETCH_WAIT_MS} ms):"
            f" one at a time p50 {self.single_p50_ms:.0f} ms / p99 {self.single_p99_ms:.0f} ms;"
            f" burst {self.burst_per_second:,.0f} records/s"
            f" (p50 {self.burst_p50_ms:.0f} ms / p99 {self.burst_p99_ms:.0f} ms)"
        )


async def _relay(source: str, target: str, bootstrap: str, count: int) -> None:
    """Consume ``count`` records from ``source`` and produce each to ``target`` (one hop)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=FETCH_WAIT_MS
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await consumer.start()
    await producer.start()
    try:
        consumer.assign([TopicPartition(source, 0)])
        await consumer.seek_to_beginning()
        relayed = 0
        while relayed < count:
            batch = await consumer.getmany(timeout_ms=1000)
            for records in batch.values():
                for record in records:
                    await producer.send(target, record.value, key=record.key)
                    relayed += 1
        await producer.flush()
    finally:
        await consumer.stop()
        await producer.stop()


async def _receive(consumer: AIOKafkaConsumer, count: int) -> list[float]:
    """Read ``count`` stamped records; return each one's age in seconds."""
    trips: list[float] = []
    while len(trips) < count:
        batch = await consumer.getmany(timeout_ms=1000)
        now = time.monotonic()
        for records in batch.values():
            trips += [now - float((r.value or b"").split(b":")[1]) for r in records]
    return trips


async def _round_trips(
    bootstrap: str, source: str, target: str, count: int, *, one_at_a_time: bool
) -> list[float]:
    """Produce ``count`` records to ``source``; return each one's round trip via ``target``."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=FETCH_WAIT_MS
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await consumer.start()
    await producer.start()
    try:
        consumer.assign([TopicPartition(target, 0)])
        await consumer.seek_to_beginning()
        trips: list[float] = []
        for index in range(count):
            stamp = f"{index}:{time.monotonic():.9f}:".encode()
            await producer.send(source, stamp + b"x" * 300, key=b"bench")
            if one_at_a_time:
                trips += await _receive(consumer, 1)
        await producer.flush()
        return trips + await _receive(consumer, count - len(trips))
    finally:
        await consumer.stop()
        await producer.stop()


async def _measure(
    bootstrap: str, admin: AIOKafkaAdminClient, count: int, paced: bool
) -> tuple[float, list[float]]:
    """Elapsed seconds and round trips (ms) of ``count`` records through a relay hop."""
    names = [f"bench.{uuid.uuid4().hex[:10]}.{part}" for part in ("in", "out")]
    await admin.create_topics([NewTopic(name, 1, 1) for name in names])
    try:
        started = time.monotonic()
        relay = asyncio.create_task(_relay(names[0], names[1], bootstrap, count))
        trips = await _round_trips(bootstrap, names[0], names[1], count, one_at_a_time=paced)
        await relay
        return time.monotonic() - started, [trip * 1000 for trip in trips]
    finally:
        await admin.delete_topics(names)


async def measure_round_trip(bootstrap: str, burst: int = 2000, single: int = 50) -> RoundTrip:
    """A burst of ``burst`` records, then ``single`` one at a time, on fresh topics."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        elapsed, bursts = await _measure(bootstrap, admin, burst, paced=False)
        _, singles = await _measure(bootstrap, admin, single, paced=True)
    finally:
        await admin.close()
    return RoundTrip(
        single_p50_ms=percentile(singles, 0.5),
        single_p99_ms=percentile(singles, 0.99),
        burst_per_second=burst / elapsed,
        burst_p50_ms=percentile(bursts, 0.5),
        burst_p99_ms=percentile(bursts, 0.99),
    )
