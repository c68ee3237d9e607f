"""Fixtures for the survey's integration tests: one platform per test module.

Each module runs one service for all its tests (a start costs seconds); tests keep apart by
using fresh account and request ids.
"""

from __future__ import annotations

import uuid

import pytest

from shared.config import PlatformSettings
from shared.crypto import new_key
from shared.tokens import new_signing_key, public_key_for
from tests.conftest import Keys


@pytest.fixture(scope="module")
def module_keys() -> Keys:
    signing = new_signing_key()
    return Keys(signing, public_key_for(signing), new_key())


@pytest.fixture(scope="module")
def module_platform(kafka_bootstrap: str, module_keys: Keys) -> PlatformSettings:
    """As tests/conftest.py's per-test ``platform``, but shared by one module's tests."""
    return PlatformSettings(
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=f"t{uuid.uuid4().hex[:10]}.",
        topic_partitions=2,
        token_public_key=module_keys.public_key,
        notification_key=module_keys.notification_key,
        broker_session_timeout_seconds=2.0,
        broker_heartbeat_interval_seconds=0.5,
        outbox_poll_seconds=0.2,
        log_format="text",
    )
