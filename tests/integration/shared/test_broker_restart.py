"""What a broker that forgets its topics and a record it will never take do to a running
service's publishing: neither may stop it.

Tansu (memory storage) forgets every topic when it restarts; Apache Kafka keeps them, so there
a forgotten topic is one deleted under the running service (as an operator's slip would).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from devstack.broker import TansuBroker, free_port
from services.survey.app import bootstrap
from services.survey.config import Settings
from shared.clock import SystemClock
from shared.config import PlatformSettings
from shared.db import Database
from shared.events import SurveySubmitted
from shared.outbox import OutboxRelay, enqueue_raw
from tests.support.kafka import ProducerPublisher, ensure_topic, read_events, read_values
from tests.support.platform import Keys
from tests.support.polling import eventually
from tests.support.services import bearer, serving
from tests.support.survey import open_request

# How the broker comes to forget the topics: a coroutine that makes it so.
Forget = Callable[[set[str]], Awaitable[None]]


async def _topics(bootstrap: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


@pytest.fixture
async def forgetful(
    platform: PlatformSettings,
) -> AsyncIterator[tuple[PlatformSettings, Forget]]:
    """Settings of a broker this test may make forget its topics, and the way to do it.

    On Tansu a broker of the test's own, restarted; on Apache Kafka the session's, where the
    test deletes the topics of its own prefix (Kafka never forgets them by itself).
    """
    if platform.broker_kind == "kafka":

        async def delete(topics: set[str]) -> None:
            admin = AIOKafkaAdminClient(bootstrap_servers=platform.kafka_bootstrap)
            await admin.start()
            try:
                await admin.delete_topics(sorted(topics))
            finally:
                await admin.close()

        yield platform.model_copy(update={"topic_check_seconds": 0.5}), delete
        return
    own = TansuBroker(free_port())
    own.start()

    async def restart(topics: set[str]) -> None:
        own.stop()
        own.start()

    try:
        yield (
            platform.model_copy(
                update={"kafka_bootstrap": own.bootstrap, "topic_check_seconds": 0.5}
            ),
            restart,
        )
    finally:
        own.stop()


async def test_topics_the_broker_forgot_come_back_and_publishing_resumes(
    forgetful: tuple[PlatformSettings, Forget],
    keys: Keys,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    isolated, forget = forgetful
    broker, topics = isolated.kafka_bootstrap, isolated.topics
    service = bootstrap(Settings(data_dir=tmp_path, platform=isolated))
    wanted = set(service.runtime.topics)  # what survey declares it uses, dead letters included
    assert topics.survey_events in wanted
    assert topics.dlq(topics.deletion_events) in wanted  # the DLQ of a topic it consumes
    async with serving(service) as client:
        assert wanted <= await _topics(broker)
        await forget(wanted)

        # The service says it re-created them (the operator's sign that they were gone). Not
        # a look for the moment they are missing: the keeper looks every 0.5 s here, and a
        # listing under load could miss that moment altogether.
        async def told() -> bool:
            return any(
                record.name == "shared.admin"
                and "re-created" in record.getMessage()
                and topics.survey_events in record.getMessage()
                for record in caplog.records
            )

        await eventually(told, timeout=30, what="the service re-creating its topics")

        async def back() -> bool:
            return wanted <= await _topics(broker)

        # Dead-letter topics too, though nothing was produced to them since.
        await eventually(back, timeout=30, what="every topic re-created")
        request_id = str(uuid.uuid4())
        await open_request(service.deps.db, "acc-1", request_id)
        answer = await client.post(
            "/v1/responses",
            json={"request_id": request_id, "reasons": ["privacy"]},
            headers=bearer(keys.signing_key, "acc-1"),
        )
        assert answer.status_code == 201, answer.text

        async def published() -> list[str] | None:
            events = await read_events(broker, topics.survey_events)
            found = [e.payload.request_id for e in events if isinstance(e, SurveySubmitted)]
            return found or None

        assert await eventually(published, timeout=30, what="the event") == [request_id]


async def test_a_record_over_the_request_limit_is_parked_and_the_next_ones_are_sent_once(
    platform: PlatformSettings, tmp_path: Path
) -> None:
    topic = platform.topics.survey_events
    # As the service's start would (Apache Kafka here creates no topic on first use).
    await ensure_topic(platform.kafka_bootstrap, topic)
    db = Database(tmp_path / "svc.sqlite3", "")
    await db.open()
    producer = AIOKafkaProducer(bootstrap_servers=platform.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        async with db.transaction() as tx:
            for value in (b"before", b"x" * 1_200_000, b"after"):
                await enqueue_raw(tx, topic, b"acc-1", value, "Thing", SystemClock())
        relay = OutboxRelay(db, ProducerPublisher(producer), 0.2)
        assert await relay.publish_pending() == 3
        assert await relay.publish_pending() == 0
        [parked] = await db.fetch_all("SELECT length(value) AS size, reason FROM outbox_parked")
        assert await db.fetch_all("SELECT 1 FROM outbox") == []
    finally:
        await producer.stop()
        await db.close()
    assert sorted(await read_values(platform.kafka_bootstrap, topic)) == [b"after", b"before"]
    assert parked["size"] == 1_200_000
    assert "MessageSizeTooLargeError" in parked["reason"]
