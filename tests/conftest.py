"""Fixtures for every test layer: one real broker per session, fresh topics and keys per test."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from devstack.broker import TansuBroker, free_port
from devstack.mailcatcher import MailCatcher
from shared.config import PlatformSettings
from tests.support.platform import Keys, new_keys, platform_settings


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


@pytest.fixture
def keys() -> Keys:
    return new_keys()


@pytest.fixture
def platform(kafka_bootstrap: str, keys: Keys) -> PlatformSettings:
    """Platform settings with a topic prefix (and so consumer groups) of this test's own."""
    return platform_settings(kafka_bootstrap, keys)


@pytest.fixture
async def mail_catcher(tmp_path: Path) -> AsyncIterator[MailCatcher]:
    """A real SMTP server on loopback storing every message under tmp_path/mail."""
    catcher = MailCatcher(tmp_path / "mail", free_port())
    catcher.start()
    try:
        yield catcher
    finally:
        catcher.stop()
