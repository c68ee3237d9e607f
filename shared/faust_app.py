"""The Faust app every service runs: the one place Adieu adapts faust-streaming.

Handlers never see Faust: they get records through :func:`subscribe` and publish through
:class:`FaustPublisher`. What Adieu changes in Faust, and on which broker (``ADIEU_BROKER_KIND``,
measurements in shared notes/broker.md and docs/kafka.md):

1. **Fetch wait** (both). Faust hard-codes a 1.5 s fetch wait; the wait becomes
   ``ADIEU_CONSUMER_FETCH_WAIT_MS``. Tansu never wakes a parked fetch when data arrives.
   Apache Kafka does, but aiokafka keeps one fetch in flight per broker and leaves out of it
   the partitions whose records the consumer still holds, so a record arriving on one of
   those waits for the parked fetch to come back: measured on Kafka 4.1 with 1.5 s, 4 of 10
   hops took 1.3 s (docs/kafka.md).
2. **Short group timeouts** (both). Tansu answers JoinGroup only after about half the
   session timeout, so Faust's 60 s default would keep a worker without partitions for ~30 s.
   Apache Kafka answers a join at once, but while a SIGKILLed member's session lasts the group
   cannot rebalance, and Faust starts a restarted service's timers, relay and HTTP API only
   after its first assignment: with Faust's 60 s session, deletion fired nothing for more than
   45 s after a SIGKILL and restart (bench timers). 10 s is Kafka's own default before 3.0.
3. **Seek back to the beginning** (both). Faust drops records it prefetched while its flow is
   stopped around a rebalance, then seeks "back to committed"; aiokafka leaves a partition with
   no committed offset where the fetcher got to, so those records were skipped. The cause is in
   Faust and aiokafka, not the broker, so the guard stays on both
   (tests/integration/shared/test_rebalance.py runs on both).
4. **Idempotent producer** (Apache Kafka only). Kafka de-duplicates a producer's retried sends;
   Tansu answers InitProducerId with an error, so there delivery stays at-least-once (every
   consumer is idempotent either way).
5. **Partitions the broker forgot** (both; arises on Tansu). After a Tansu restart a consumer
   can sit past the end of a re-created partition, where Tansu answers with no records and no
   error: within seconds such a partition is sought back to its beginning, and Faust made
   to forget what it read there (:mod:`shared.forgotten_partitions`).

No Faust tables, no leader topic, no Faust web server: state lives in SQLite and HTTP is
served by uvicorn (see :mod:`shared.runtime`).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import faust
from aiokafka.structs import TopicPartition
from faust.transport.drivers import aiokafka as faust_aiokafka
from mode import Service
from mode.utils.futures import notify

from shared.config import PlatformSettings
from shared.consumer import IdempotentConsumer, Record
from shared.faust_batches import take_batches
from shared.forgotten_partitions import ForgottenPartitions, forget_read_state

__all__ = [
    "FaustPublisher",
    "create_faust_app",
    "read_everything_again",
    "subscribe",
    "subscriptions",
]

log = logging.getLogger(__name__)

# Each agent function subscribe() made, and the consumer it feeds: what subscriptions() reads.
_FED: weakref.WeakKeyDictionary[Callable[..., Any], IdempotentConsumer] = (
    weakref.WeakKeyDictionary()
)


# Patch 2: each broker kind's group timeouts (session, heartbeat, rebalance), in seconds; None
# keeps Faust's (rebalance: 60 s, the time a live member has to rejoin).
_GROUP_TIMEOUTS: dict[str, tuple[float, float, float | None]] = {
    "tansu": (6.0, 1.0, 10.0),
    "kafka": (10.0, 1.0, None),
}
# Patch 5: how often a consumer looks for partitions past the broker's end. A look reads only
# what the fetcher already holds (no request), and a forgotten partition is seen in two looks.
# Not every second: on a loaded machine the hop to the consumer's thread alone took over 1 s
# (the fault suite at a load average of 30: "timer overlapping" warnings in every service).
_FORGOTTEN_LOOK_SECONDS = 3.0


class _ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._forgotten = ForgottenPartitions()

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        # Patch 1. aiokafka reads this when it builds its fetcher in start(), not run yet.
        consumer._fetch_max_wait_ms = getattr(self.app, "adieu_fetch_wait_ms", 50)
        return consumer

    async def seek_to_committed(self) -> Mapping[Any, int]:
        """Seek every assigned partition to its committed offset, or to the beginning if none.

        Patch 3. Faust drops records it fetched while its flow is stopped (around a rebalance)
        and then seeks "back to committed", but aiokafka leaves a partition with no committed offset
        where the fetcher got to, so the dropped records were skipped for good (notes/broker.md:
        19-49 of a run's messages lost in 5 of 9 two-worker runs; 0 of 9 with this seek).
        Consumers are idempotent, so reading such a partition again from the start is safe.
        """
        result: Mapping[Any, int] = await self.call_thread(self._seek_committed_or_beginning)
        return result

    async def _seek_committed_or_beginning(self) -> Mapping[Any, int | None]:
        consumer = self._ensure_consumer()
        committed: Mapping[Any, int | None] = await consumer.seek_to_committed()
        # aiokafka seeks only to offsets > 0; 0 means nothing was consumed either.
        uncommitted = [tp for tp, offset in committed.items() if not offset]
        if uncommitted:
            await consumer.seek_to_beginning(*uncommitted)
        # None stays in: Faust then forgets its read offset, else it would drop the re-reads.
        return committed

    async def look_for_forgotten(self) -> set[Any]:
        """Patch 5, on the consumer's thread: the partitions that lie past the broker's end."""
        if self._consumer is None:  # not started yet, or stopped
            return set()
        return self._forgotten.look(self._consumer)

    async def start_over(self, partitions: set[Any]) -> None:
        """Patch 5, on the consumer's thread: commit 0 for ``partitions`` and seek to the start.

        The 0 replaces any offset committed for them since the broker forgot (Faust commits
        what it had acknowledged before, to the new broker): a rejoin seeking to such an
        offset would skip every new record below it.
        """
        consumer = self._consumer
        if consumer is None or not partitions:
            return
        # Faust's TP equals aiokafka's TopicPartition but is no instance of it, and aiokafka's
        # commit and seek refuse anything else (TypeError: the reset never happened).
        partitions = {TopicPartition(tp.topic, tp.partition) for tp in partitions}
        try:
            await consumer.commit(dict.fromkeys(partitions, 0))
        except Exception as exc:  # mid-rebalance: the seek below still starts over
            log.warning("could not reset the committed offsets: %s", type(exc).__name__)
        await consumer.seek_to_beginning(*partitions)

    async def rewind_forgotten(self, partitions: set[Any]) -> set[Any]:
        """Patch 5, on the consumer's thread: seek ``partitions`` back to their beginning."""
        if self._consumer is None:
            return set()
        return await self._forgotten.rewind(self._consumer, partitions)


class _Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> _ConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    @Service.timer(_FORGOTTEN_LOOK_SECONDS)
    async def _rewind_forgotten(self) -> None:
        """Patch 5: read again from the start the partitions the broker forgot."""
        thread = self._thread
        assert isinstance(thread, _ConsumerThread)  # what _new_consumer_thread makes
        found: set[Any] = await thread.call_thread(thread.look_for_forgotten)
        if not found:
            return
        # Forget first: a record read again between the seek and this would be dropped.
        forget_read_state(self, found)
        rewound: set[Any] = await thread.call_thread(thread.rewind_forgotten, found)
        if rewound:
            log.warning(
                "read again from the beginning %d partitions past the broker's end: %s",
                len(rewound),
                ", ".join(sorted(f"{tp.topic}[{tp.partition}]" for tp in rewound)),
            )


async def read_everything_again(app: Any) -> None:
    """Patch 5, when the broker forgot (shared.admin's marker): every partition from its start.

    Partitions sought to an offset committed before the broker forgot would otherwise skip
    the new records below it; patch 5's look catches only those left past the end.
    """
    consumer = app.consumer
    thread = consumer._thread
    # Take Faust's commit turn, as its own commit() does. A commit Faust computed before the
    # broker forgot, still waiting on the producer's flush, would otherwise land after the 0:
    # its old offsets back in the broker, and in Faust's memory, where they kept Faust from
    # committing any lower offset read since. A rejoin then sought past every record not yet
    # read below them (the fault suite: survey never read one DeletionRequested).
    await consumer.maybe_wait_for_commit_to_finish()
    consumer._commit_fut = asyncio.Future()
    try:
        partitions = set(consumer.assignment())
        forget_read_state(consumer, partitions)
        await thread.call_thread(thread.start_over, partitions)
    finally:
        turn, consumer._commit_fut = consumer._commit_fut, None
        notify(turn)
    log.warning("read again from the beginning all %d partitions", len(partitions))


class _Producer(faust_aiokafka.Producer):
    def _settings_extra(self) -> Mapping[str, Any]:
        extra = dict(super()._settings_extra())
        if getattr(self.app, "adieu_idempotent", False):  # patch 4, on Apache Kafka only
            extra.update(acks="all", enable_idempotence=True)
        return extra


class _Transport(faust_aiokafka.Transport):
    Consumer = _Consumer
    Producer = _Producer


class _App(faust.App):
    adieu_fetch_wait_ms: int = 50
    adieu_batch_size: int = 1
    adieu_batch_wait_seconds: float = 0.005
    adieu_idempotent: bool = False

    def _new_transport(self) -> Any:
        return _Transport(self.conf.broker_consumer, self)


def create_faust_app(service: str, platform: PlatformSettings, data_dir: Path) -> Any:
    """Build (but do not connect) the Faust app of ``service``.

    The app id is also the consumer group and is prefixed like the topics, so two test runs
    with different prefixes never share a group.
    """
    faust_dir = data_dir / service / "faust"
    faust_dir.mkdir(parents=True, exist_ok=True)
    app = _App(
        f"{platform.topic_prefix}{service}",
        broker=f"kafka://{platform.kafka_bootstrap}",
        store="memory://",
        datadir=str(faust_dir),
        web_enabled=False,
        topic_disable_leader=True,
        topic_partitions=platform.topic_partitions,
        topic_replication_factor=platform.topic_replication,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        # Faust's default (20 minutes) would park the outbox relay behind one lost send;
        # failing sooner lets the relay retry the row (consumers are idempotent).
        producer_request_timeout=30.0,
        broker_commit_interval=1.0,
        **_group_timeouts(platform),
    )
    app.adieu_fetch_wait_ms = platform.consumer_fetch_wait_ms
    app.adieu_batch_size = platform.consumer_batch_size
    app.adieu_batch_wait_seconds = platform.consumer_batch_wait_ms / 1000
    app.adieu_idempotent = platform.broker_kind == "kafka"
    return app


def _group_timeouts(platform: PlatformSettings) -> dict[str, Any]:
    """The consumer-group timeouts given, else the broker kind's own (patch 2)."""
    given: list[float | None] = [
        platform.broker_session_timeout_seconds,
        platform.broker_heartbeat_interval_seconds,
        platform.broker_rebalance_timeout_seconds,
    ]
    names = ("broker_session_timeout", "broker_heartbeat_interval", "broker_rebalance_timeout")
    defaults = _GROUP_TIMEOUTS.get(platform.broker_kind, (None, None, None))
    given = [g or d for g, d in zip(given, defaults, strict=True)]
    return {name: value for name, value in zip(names, given, strict=True) if value is not None}


def subscribe(app: Any, topic_name: str, consumer: IdempotentConsumer) -> None:
    """Feed every record of ``topic_name`` to ``consumer`` in partition order.

    Records come in batches of up to the app's batch size, gathered for at most its batch
    wait; Faust acknowledges a batch's records (so their offsets may be committed) only after
    :meth:`IdempotentConsumer.handle_batch` has returned, i.e. after their transaction.
    """
    topic = app.topic(
        topic_name,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
    )

    size = getattr(app, "adieu_batch_size", 1)
    wait = getattr(app, "adieu_batch_wait_seconds", 0.005)

    async def agent(stream: Any) -> None:
        if size == 1:
            async for event in stream.events():
                await consumer.handle_batch([_record(event.message)])
            return
        async for events in take_batches(stream, size, within=wait):
            await consumer.handle_batch([_record(event.message) for event in events])

    app.agent(topic, name=f"{consumer.name}.{topic_name}")(agent)
    _FED[agent] = consumer


def subscriptions(app: Any) -> dict[str, frozenset[str]]:
    """Topic → the event types the app's consumers route from it: what it really reads."""
    found: dict[str, frozenset[str]] = {}
    for agent in app.agents.values():
        consumer = _FED.get(agent.fun)
        if consumer is not None:
            for topic in agent.channel.topics:
                found[topic] = found.get(topic, frozenset()) | consumer.event_types
    return found


def _record(message: Any) -> Record:
    return Record(
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        key=message.key,
        value=message.value,
        headers=message.headers,
    )


class FaustPublisher:
    """Publishes through the Faust app's producer (one connection per service)."""

    def __init__(self, app: Any) -> None:
        self._app = app

    async def send(self, topic: str, key: bytes, value: bytes) -> Awaitable[Any]:
        """Queue a record; the returned future resolves on the broker's acknowledgement."""
        producer = self._app.producer
        fut: Awaitable[Any] = await producer.send(topic, key, value, None, None, None)
        return fut
