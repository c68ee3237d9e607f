"""Notifier settings from ``NOTIFIER_*`` environment variables (platform ones from ``ADIEU_*``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.config import ServiceSettings

__all__ = ["Settings"]


class Settings(ServiceSettings):
    """The notifier service's settings; the defaults suit a local mail catcher."""

    model_config = SettingsConfigDict(env_prefix="NOTIFIER_", extra="ignore")

    http_port: int = 8004
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=1025, ge=1, le=65535)
    smtp_starttls: bool = False
    smtp_use_tls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    # CA bundle (PEM) to verify the SMTP server's certificate; None means the system's store.
    smtp_ca_file: Path | None = None
    mail_from: str = "no-reply@shop.example"
    shop_name: str = "Adieu Shop"
    sms_gateway: Literal["file", "http"] = "file"
    sms_dir: Path = Path("var/sms")
    sms_http_url: str | None = None
    sms_http_token: SecretStr | None = None
    sms_http_timeout_seconds: float = Field(default=10.0, gt=0)
    # Beyond this many segments a text is cut (with an ellipsis) or refused.
    sms_max_segments: int = Field(default=3, ge=1, le=10)
    sms_overflow: Literal["truncate", "refuse"] = "truncate"
    # 32 bytes, URL-safe base64; unset means derived from ADIEU_NOTIFICATION_KEY with HKDF.
    throttle_key: SecretStr | None = None
    throttle_max_codes: int = Field(default=5, ge=1)
    throttle_window_seconds: float = Field(default=600.0, gt=0)
    delivery_poll_seconds: float = Field(default=0.5, gt=0)
    max_delivery_attempts: int = Field(default=8, ge=1)
    # 5 s doubling over 8 attempts spans ~10 minutes: about how long a deletion code is valid.
    delivery_retry_base_seconds: float = Field(default=5.0, gt=0)
    delivery_retry_max_seconds: float = Field(default=900.0, gt=0)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.smtp_starttls and self.smtp_use_tls:
            raise ValueError("choose smtp_starttls (upgrade) or smtp_use_tls (implicit), not both")
        http_unset = self.sms_http_url is None or self.sms_http_token is None
        if self.sms_gateway == "http" and http_unset:
            raise ValueError("the http SMS gateway needs sms_http_url and sms_http_token")
        return self
