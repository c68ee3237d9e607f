"""Notifier settings from ``NOTIFIER_*`` environment variables (platform ones from ``ADIEU_*``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.brand import BrandColor, brand_color_field, shop_name_field
from shared.config import Key32, ServiceSettings

__all__ = ["Settings"]


class Settings(ServiceSettings):
    """The notifier service's settings; the defaults suit a local mail catcher."""

    # populate_by_name: tests and callers may pass shop_name= although the env name is shared.
    model_config = SettingsConfigDict(env_prefix="NOTIFIER_", extra="ignore", populate_by_name=True)

    http_port: int = 8004
    smtp_host: str = "127.0.0.1"
    """SMTP server host."""
    smtp_port: int = Field(default=1025, ge=1, le=65535)
    """SMTP server port."""
    smtp_starttls: bool = False
    """Upgrade the SMTP connection with STARTTLS (not with smtp_use_tls)."""
    smtp_use_tls: bool = False
    """Implicit TLS to the SMTP server (not with smtp_starttls)."""
    smtp_username: str | None = None
    """SMTP user name; unset: no login."""
    smtp_password: SecretStr | None = None
    """SMTP password."""
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    """SMTP timeout."""
    # CA bundle (PEM) to verify the SMTP server's certificate; None means the system's store.
    smtp_ca_file: Path | None = None
    """PEM bundle used to verify the SMTP server's certificate; unset: the system store."""
    mail_from: str = "no-reply@shop.example"
    """Sender address."""
    shop_name: str = shop_name_field()
    """The shop's name in every message and as the sender's name (``ADIEU_SHOP_NAME``, shared)."""
    brand_color: BrandColor = brand_color_field()
    """The colour of the e-mails' branded band (``ADIEU_BRAND_COLOR``, shared)."""
    sms_gateway: Literal["file", "http"] = "file"
    """file (one file per message under NOTIFIER_SMS_DIR) or http."""
    sms_dir: Path = Path("var/sms")
    """Where the file sink writes."""
    sms_http_url: str | None = None
    """The HTTP gateway's endpoint; required with http."""
    sms_http_token: SecretStr | None = None
    """Bearer token for the HTTP gateway; required with http."""
    sms_http_timeout_seconds: float = Field(default=10.0, gt=0)
    """HTTP gateway timeout."""
    # Beyond this many segments a text is cut (with an ellipsis) or refused.
    sms_max_segments: int = Field(default=3, ge=1, le=10)
    """Longest text message, in segments (1-10)."""
    sms_overflow: Literal["truncate", "refuse"] = "truncate"
    """Beyond the limit: truncate (ends with an ellipsis; never cuts the code) or refuse
    (NotificationFailed).
    """
    key_wrapping_key: Key32
    """32-byte key (URL-safe base64) wrapping each account's private notification key at
    rest; only the notifier has it (docs/crypto-shredding.md)."""
    legacy_notification_key: Key32 | None = None
    """The old ADIEU_NOTIFICATION_KEY, only to open version 1 commands written before
    per-account keys; unset it once none are left."""
    # 32 bytes, URL-safe base64; unset means derived from the wrapping key with HKDF.
    throttle_key: Key32 | None = None
    """32-byte key for the throttle's keyed hash of addresses; unset: HKDF-SHA256 of
    NOTIFIER_KEY_WRAPPING_KEY.
    """
    throttle_max_codes: int = Field(default=5, ge=1)
    """At most this many codes to one address within the window."""
    throttle_window_seconds: float = Field(default=600.0, gt=0)
    """The throttle's window."""
    delivery_poll_seconds: float = Field(default=0.5, gt=0)
    """How often pending deliveries are looked at."""
    max_delivery_attempts: int = Field(default=8, ge=1)
    """Attempts before NotificationFailed."""
    # 5 s doubling over 8 attempts spans ~10 minutes: about how long a deletion code is valid.
    delivery_retry_base_seconds: float = Field(default=5.0, gt=0)
    """First retry wait (doubling, with jitter)."""
    delivery_retry_max_seconds: float = Field(default=900.0, gt=0)
    """Longest retry wait."""
    contact_wait_seconds: float = Field(default=300.0, gt=0)
    """How long a command waits for its account's contact details, which come from auth on
    another topic and may arrive after it."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.smtp_starttls and self.smtp_use_tls:
            raise ValueError("choose smtp_starttls (upgrade) or smtp_use_tls (implicit), not both")
        http_unset = self.sms_http_url is None or self.sms_http_token is None
        if self.sms_gateway == "http" and http_unset:
            raise ValueError("the http SMS gateway needs sms_http_url and sms_http_token")
        return self
