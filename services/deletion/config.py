"""Deletion settings from ``DELETION_*`` environment variables (platform ones from ``ADIEU_*``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from services.deletion.consequences import CATEGORIES, KNOWN_CATEGORIES
from shared.config import ServiceSettings
from shared.crypto import decode_key

__all__ = ["Settings"]

Names = Annotated[tuple[str, ...], NoDecode]  # the environment gives "a,b,c", not JSON


def _split(value: object) -> object:
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",")]
    if isinstance(value, list | tuple):
        return tuple(str(part).strip() for part in value if str(part).strip())
    return value


class Settings(ServiceSettings):
    """The deletion service's settings."""

    model_config = SettingsConfigDict(env_prefix="DELETION_", extra="ignore")

    http_port: int = 8002
    hmac_key: SecretStr = Field(
        description="32-byte key for code hashes and for the account ids kept after a purge"
    )
    grace_seconds: int = Field(default=86400, ge=0)
    purge_lead_seconds: int = Field(default=300, ge=0)
    scan_interval_seconds: float = Field(default=5.0, gt=0)
    request_ttl_seconds: int = Field(default=86400, ge=1)
    survey_required: bool = True
    participants: Names = ("auth", "survey", "notifier")
    participant_timeout_seconds: float = Field(default=60.0, gt=0)
    participant_max_asks: int = Field(default=6, ge=1)
    reauth_max_age_seconds: int = Field(default=300, ge=0)
    code_ttl_seconds: int = Field(default=600, ge=1)
    code_max_attempts: int = Field(default=5, ge=1)
    code_resend_cooldown_seconds: int = Field(default=60, ge=0)
    code_max_per_request: int = Field(default=5, ge=1)
    shop_name: str = Field(default="the shop", min_length=1, max_length=100)
    data_categories: Names = CATEGORIES
    linked_services: Names = ()
    notification_settings_url: str = Field(default="/settings/notifications", max_length=300)
    receipt_signing_key: SecretStr | None = None
    audit_retention_days: int = Field(default=731, ge=1)
    admin_token: SecretStr | None = None
    lease_seconds: float = Field(default=15.0, gt=0)

    @field_validator("hmac_key")
    @classmethod
    def _key_is_32_bytes(cls, value: SecretStr) -> SecretStr:
        decode_key(value.get_secret_value(), size=32)
        return value

    @field_validator("receipt_signing_key")
    @classmethod
    def _signing_key_is_32_bytes(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value():
            decode_key(value.get_secret_value(), size=32)
        return value

    @field_validator("admin_token")
    @classmethod
    def _token_is_long(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and 0 < len(value.get_secret_value()) < 16:
            raise ValueError("the admin token must be at least 16 characters")
        return value

    @field_validator("participants", mode="before")
    @classmethod
    def _split_participants(cls, value: object) -> object:
        names = _split(value)
        if isinstance(names, tuple) and (not names or len(set(names)) != len(names)):
            raise ValueError("participants must name at least one service, each once")
        return names

    @field_validator("data_categories", mode="before")
    @classmethod
    def _known_categories(cls, value: object) -> object:
        names = _split(value)
        if isinstance(names, tuple):
            unknown = sorted(set(names) - set(KNOWN_CATEGORIES))
            if unknown or not names:
                raise ValueError(f"data categories must be among: {', '.join(KNOWN_CATEGORIES)}")
        return names

    @field_validator("linked_services", mode="before")
    @classmethod
    def _split_services(cls, value: object) -> object:
        return _split(value)

    def hmac_key_bytes(self) -> bytes:
        """The decoded HMAC key."""
        return decode_key(self.hmac_key.get_secret_value(), size=32)

    def secret_or_none(self, name: str) -> str | None:
        """An optional secret's value; unset or empty is None."""
        value: SecretStr | None = getattr(self, name)
        return value.get_secret_value() or None if value is not None else None
