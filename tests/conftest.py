"""Fixtures for every test layer: one real broker per session, fresh topics and keys per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from devstack.broker import TansuBroker, free_port
from devstack.mailcatcher import MailCatcher
from shared.config import PlatformSettings
from shared.crypto import new_key
from shared.tokens import new_signing_key, public_key_for


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """A real Kafka-protocol broker: Tansu started for this session, or KAFKA_BOOTSTRAP's."""
    external = os.environ.get("KAFKA_BOOTSTRAP")
    if external:
        yield external
        return
    broker = TansuBroker(free_port())
    broker.start()
    try:
        yield broker.bootstrap
    finally:
        broker.stop()


@dataclass(frozen=True)
class Keys:
    """A fresh set of platform secrets."""

    signing_key: str
    public_key: str
    notification_key: str


@pytest.fixture
def keys() -> Keys:
    signing = new_signing_key()
    return Keys(signing, public_key_for(signing), new_key())


@pytest.fixture
def platform(kafka_bootstrap: str, keys: Keys) -> PlatformSettings:
    """Platform settings with a topic prefix (and so consumer groups) of this test's own."""
    return PlatformSettings(
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=f"t{uuid.uuid4().hex[:10]}.",
        topic_partitions=2,
        token_public_key=keys.public_key,
        notification_key=keys.notification_key,
        broker_session_timeout_seconds=2.0,
        broker_heartbeat_interval_seconds=0.5,
        outbox_poll_seconds=0.2,
        log_format="text",
    )


@pytest.fixture
async def mail_catcher(tmp_path: Path) -> AsyncIterator[MailCatcher]:
    """A real SMTP server on loopback storing every message under tmp_path/mail."""
    catcher = MailCatcher(tmp_path / "mail", free_port())
    catcher.start()
    try:
        yield catcher
    finally:
        catcher.stop()
