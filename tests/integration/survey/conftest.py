"""Fixtures for the survey's integration tests: one platform per test module.

Each module runs one service for all its tests (a start costs seconds); tests keep apart by
using fresh account and request ids.
"""

from __future__ import annotations

import pytest

from shared.config import PlatformSettings
from tests.support.brokers import BrokerUnderTest
from tests.support.platform import Keys, new_keys, platform_settings


@pytest.fixture(scope="module")
def module_keys() -> Keys:
    return new_keys()


@pytest.fixture(scope="module")
def module_platform(broker: BrokerUnderTest, module_keys: Keys) -> PlatformSettings:
    """As tests/conftest.py's per-test ``platform``, but shared by one module's tests."""
    return platform_settings(broker, module_keys)
