"""Fixtures for the notifier's integration tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from services.notifier.app import Service, bootstrap
from services.notifier.config import Settings
from shared.config import PlatformSettings
from tests.integration.notifier.helpers import MakeService, Platform
from tests.support.platform import Keys


@pytest.fixture
def make_service(
    platform: PlatformSettings, keys: Keys, adieu: Platform, tmp_path: Path
) -> MakeService:
    def make(smtp_port: int, **overrides: Any) -> Service:
        settings = Settings(
            data_dir=tmp_path,
            platform=platform,
            key_wrapping_key=keys.notifier_wrapping_key,
            legacy_notification_key=adieu.legacy_key,
            smtp_port=smtp_port,
            sms_dir=tmp_path / "sms",
            delivery_poll_seconds=0.1,
            delivery_retry_base_seconds=0.2,
            delivery_retry_max_seconds=1.0,
            **overrides,
        )
        return bootstrap(settings)

    return make


@pytest.fixture
def adieu(platform: PlatformSettings, keys: Keys) -> Platform:
    return Platform(platform, keys)
