"""Notifier settings from ``NOTIFIER_*`` environment variables (platform ones from ``ADIEU_*``)."""

from __future__ import annotations

from pathlib import Path
from typing import Self

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
    mail_from: str = "no-reply@shop.example"
    shop_name: str = "Adieu Shop"
    sms_dir: Path = Path("var/sms")
    delivery_poll_seconds: float = Field(default=0.5, gt=0)
    max_delivery_attempts: int = Field(default=8, ge=1)
    # 5 s doubling over 8 attempts spans ~10 minutes: about how long a deletion code is valid.
    delivery_retry_base_seconds: float = Field(default=5.0, gt=0)
    delivery_retry_max_seconds: float = Field(default=900.0, gt=0)

    @model_validator(mode="after")
    def _one_tls_mode(self) -> Self:
        if self.smtp_starttls and self.smtp_use_tls:
            raise ValueError("choose smtp_starttls (upgrade) or smtp_use_tls (implicit), not both")
        return self
