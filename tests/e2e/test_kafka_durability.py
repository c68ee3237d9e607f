"""``DEVSTACK_BROKER=kafka make run``: Apache Kafka under var/kafka/, kept across restarts.

One stack registers a person and asks for deletion; the code arrives by e-mail. The launcher is
stopped and started again on the same var/ (other ports, as a person may pick): the events
are still on their topics, every group's committed offsets are where they were or further
(nothing is handled twice), and the journey finishes: the code confirms, the purge runs, the
confirmation e-mail arrives.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.topics import Topics
from tests.e2e.test_journey import (
    Person,
    _answer_survey,
    _code_sent,
    _confirm,
    _confirmation_arrived,
    _register_and_sign_in,
    _request_deletion,
    _wait_for_purge,
)
from tests.support.kafka import read_events
from tests.support.polling import eventually
from tests.support.stack import Stack, codes_sent_to, running_stack

pytestmark = [pytest.mark.kafka_only, pytest.mark.usefixtures("kafka_runnable")]
GROUPS = ("auth", "deletion", "survey", "notifier")
PARTITIONS = 4  # devstack's ADIEU_TOPIC_PARTITIONS
PERSON = Person(
    email="siri.durable@example.org",
    phone_typed="412 34 569",
    phone_e164="+4741234569",
    phone_retyped="0047 41234569",
    password="durable horse battery",
)


async def _committed(stack: Stack, topics: Topics) -> dict[str, dict[str, int]]:
    """Every service group's committed offsets on every topic, as ``topic:partition``."""
    bootstrap = stack.env["ADIEU_KAFKA_BOOTSTRAP"]
    offsets: dict[str, dict[str, int]] = {}
    for service in GROUPS:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=f"{topics.prefix}{service}",
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            found = {}
            for topic in topics.all():
                for partition in range(PARTITIONS):
                    offset = await consumer.committed(TopicPartition(topic, partition))
                    if offset:
                        found[f"{topic}:{partition}"] = offset
            offsets[service] = found
        finally:
            await consumer.stop()
    return offsets


# Two cold starts of Apache Kafka and of the stack.
@pytest.mark.timeout(600)
async def test_a_restart_of_the_launcher_keeps_topics_offsets_and_the_journey(
    tmp_path: Path,
) -> None:
    prefix = f"dur{uuid.uuid4().hex[:8]}."
    own_kafka = {"DEVSTACK_BROKER": "kafka", "ADIEU_TOPIC_PREFIX": prefix}
    topics = Topics(prefix)
    with running_stack(tmp_path, "durable", None, own_kafka) as first:
        assert "Apache Kafka on" in first.log.read_text()
        async with httpx.AsyncClient(timeout=10.0) as http:
            token = await _register_and_sign_in(http, first, PERSON)
            request_id = await _request_deletion(http, first, token, "email")
            await _answer_survey(http, first, token, request_id)
        code = await _code_sent(first, PERSON, "email")

        async def notifier_committed() -> dict[str, dict[str, int]] | None:
            offsets = await _committed(first, topics)
            return offsets if offsets["notifier"] else None

        before = await eventually(notifier_committed, timeout=30, what="the notifier's commit")
        events_before = len(
            await read_events(first.env["ADIEU_KAFKA_BOOTSTRAP"], topics.auth_events)
        )
    assert events_before > 0

    with running_stack(tmp_path, "durable", None, own_kafka) as second:
        bootstrap = second.env["ADIEU_KAFKA_BOOTSTRAP"]
        assert len(await read_events(bootstrap, topics.auth_events)) == events_before
        # Where they were or further (a worker commits once more as it stops), never back at 0.
        after = await _committed(second, topics)
        for service, offsets in before.items():
            assert all(after[service].get(key, 0) >= n for key, n in offsets.items()), service
        async with httpx.AsyncClient(timeout=10.0) as http:
            await _confirm(http, second, token, request_id, code)
            await _wait_for_purge(http, second, token, PERSON, request_id)
        await _confirmation_arrived(second, PERSON)
        # Handled once: the code e-mail was not sent again after the restart.
        assert codes_sent_to(second.var_dir, PERSON.email) == [code]
