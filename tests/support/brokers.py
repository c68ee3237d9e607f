"""The brokers the suite runs on: Tansu (embedded) and Apache Kafka (the jars via Maven).

Every test that touches the broker asks for the session ``broker`` fixture (tests/conftest.py),
which is parametrised by :func:`broker_kinds`, so it runs once per broker. ``ADIEU_TEST_BROKERS``
picks them (``tansu``, ``kafka`` or ``tansu,kafka``, the default); ``KAFKA_BOOTSTRAP`` points the
Kafka runs at a broker of your own instead of starting one.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shared.config import BrokerKind

__all__ = ["KINDS", "BrokerCounts", "BrokerUnderTest", "broker_kinds", "in_ci", "warm_up"]

KINDS: tuple[BrokerKind, ...] = ("tansu", "kafka")


@dataclass(frozen=True)
class BrokerUnderTest:
    """A running broker of one kind and where clients reach it."""

    kind: BrokerKind
    bootstrap: str
    # Apache Kafka only: (listener port, advertised port) of a listener whose clients come back
    # through the advertised port, where tests/integration/shared/test_outbox_outage.py puts a
    # proxy it can cut. Tansu advertises one address, so there the test starts a Tansu of its own.
    proxied: tuple[int, int] | None = None


def broker_kinds() -> list[BrokerKind]:
    """The brokers this run uses, from ``ADIEU_TEST_BROKERS`` (default: both)."""
    raw = os.environ.get("ADIEU_TEST_BROKERS", ",".join(KINDS))
    kinds = [name.strip() for name in raw.split(",") if name.strip()]
    unknown = [name for name in kinds if name not in KINDS]
    if unknown or not kinds:
        raise ValueError(f"ADIEU_TEST_BROKERS={raw!r}: name one or both of {', '.join(KINDS)}")
    return [kind for kind in KINDS if kind in kinds]


def in_ci() -> bool:
    """CI=true: a broker that cannot start fails the run instead of skipping its tests."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@dataclass
class BrokerCounts:
    """Outcomes of the broker-touching tests, per broker, for the closing summary."""

    outcomes: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, kind: str, outcome: str) -> None:
        self.outcomes.setdefault(kind, Counter())[outcome] += 1

    def lines(self) -> list[str]:
        lines = []
        for kind in KINDS:
            counts = self.outcomes.get(kind)
            if counts:
                parts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
                lines.append(f"on {kind}: {sum(counts.values())} tests ({parts})")
        return lines


async def warm_up(bootstrap: str, timeout: float = 120.0) -> None:
    """Have a fresh Apache Kafka create and load its group and producer-id state now.

    Its first consumer group creates ``__consumer_offsets`` and its first idempotent producer
    loads the transaction coordinator; on a busy machine that took long enough to outlast the
    first test stack's ready timeout. Done once, in the boot thread, before any test needs it.
    """
    topic = "adieu-warm-up"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        if topic not in await admin.list_topics():
            await admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=topic, auto_offset_reset="earliest"
    )
    await producer.start()
    await consumer.start()
    try:
        await asyncio.wait_for(producer.send_and_wait(topic, b"warm"), timeout)
        deadline = time.monotonic() + timeout
        while not consumer.assignment() and time.monotonic() < deadline:
            await consumer.getmany(timeout_ms=500)
        await consumer.commit()
    finally:
        await consumer.stop()
        await producer.stop()
