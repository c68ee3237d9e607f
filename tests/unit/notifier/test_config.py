"""Settings to adapters: which SMS gateway, which throttle key, which SMTP CA file."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from services.notifier.app import sms_gateway, smtp_mailer, throttle_key
from services.notifier.config import Settings
from services.notifier.sms import FileSmsGateway, HttpSmsGateway
from services.notifier.throttle import derive_throttle_key, recipient_key
from shared.clock import FrozenClock
from shared.config import PlatformSettings
from shared.crypto import decode_key, new_key


def _settings(**values: object) -> Settings:
    platform = PlatformSettings(token_public_key="unused")
    values.setdefault("key_wrapping_key", new_key())
    return Settings(platform=platform, **values)  # type: ignore[arg-type]


def test_the_file_sink_is_the_default_gateway(tmp_path: Path) -> None:
    gateway = sms_gateway(_settings(sms_dir=tmp_path))
    assert isinstance(gateway, FileSmsGateway)
    assert gateway.directory == tmp_path


def test_the_http_gateway_needs_its_url_and_token() -> None:
    with pytest.raises(ValidationError):
        _settings(sms_gateway="http", sms_http_url="http://127.0.0.1:9/sms")
    configured = _settings(
        sms_gateway="http", sms_http_url="http://127.0.0.1:9/sms", sms_http_token="t0ken"
    )
    assert isinstance(sms_gateway(configured), HttpSmsGateway)


def test_the_throttle_key_is_configured_or_derived_from_the_wrapping_key() -> None:
    own = new_key()
    assert throttle_key(_settings(throttle_key=own)) == decode_key(own, size=32)
    wrapping = new_key()
    derived = throttle_key(_settings(key_wrapping_key=wrapping))
    assert derived == derive_throttle_key(decode_key(wrapping, size=32))
    assert len(derived) == 32
    assert derived != decode_key(wrapping, size=32)


def test_recipient_keys_ignore_spelling_but_not_the_address() -> None:
    key = b"k" * 32
    assert recipient_key(key, "email", " Kari@Example.COM ") == recipient_key(
        key, "email", "kari@example.com"
    )
    assert recipient_key(key, "email", "kari@example.com") != recipient_key(
        key, "email", "ola@example.com"
    )
    assert recipient_key(key, "sms", "+47 912 34 567") == recipient_key(key, "sms", "+4791234567")
    assert recipient_key(b"o" * 32, "sms", "+4791234567") != recipient_key(
        key, "sms", "+4791234567"
    )


def test_the_smtp_ca_file_reaches_the_mailer(tmp_path: Path) -> None:
    settings = _settings(smtp_ca_file=tmp_path / "ca.pem", smtp_starttls=True)
    mailer = smtp_mailer(settings, FrozenClock())
    assert mailer.options.ca_file == tmp_path / "ca.pem"
    assert mailer.options.starttls
