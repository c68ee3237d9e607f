"""Every 32-byte key setting is checked once, by shared.config.Key32, when it is read."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.notifier.config import Settings as NotifierSettings
from shared.config import PlatformSettings, key_bytes
from shared.crypto import encode_key, new_key
from tests.support.brokers import BrokerUnderTest
from tests.support.platform import new_keys, platform_settings


def _notifier(**keys: str) -> NotifierSettings:
    platform = PlatformSettings(token_public_key="k")
    return NotifierSettings(platform=platform, **keys)  # type: ignore[arg-type]


def test_a_short_key_is_refused_with_the_variable_named() -> None:
    with pytest.raises(ValidationError, match="key_wrapping_key"):
        _notifier(key_wrapping_key=encode_key(b"x" * 16))


def test_the_notifier_cannot_start_without_its_wrapping_key() -> None:
    with pytest.raises(ValidationError, match="key_wrapping_key"):
        _notifier()


def test_a_32_byte_key_reads_back_as_its_bytes() -> None:
    key = new_key()
    settings = _notifier(key_wrapping_key=key)
    assert len(key_bytes(settings.key_wrapping_key)) == 32


def test_the_notifiers_throttle_key_is_checked_when_read() -> None:
    with pytest.raises(ValidationError, match="throttle_key"):
        NotifierSettings(
            platform=platform_settings(BrokerUnderTest("tansu", "127.0.0.1:1"), new_keys()),
            key_wrapping_key=new_key(),
            throttle_key=encode_key(b"x" * 31),
        )
