"""Deletion settings from ``DELETION_*`` environment variables (platform ones from ``ADIEU_*``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from shared.config import ServiceSettings
from shared.crypto import decode_key

__all__ = ["Settings"]


class Settings(ServiceSettings):
    """The deletion service's settings."""

    model_config = SettingsConfigDict(env_prefix="DELETION_", extra="ignore")

    http_port: int = 8002
    hmac_key: SecretStr = Field(
        description="32-byte key for code hashes and for the account ids kept after a purge"
    )
    grace_seconds: int = Field(default=86400, ge=0)
    scan_interval_seconds: float = Field(default=5.0, gt=0)
    survey_required: bool = True
    # NoDecode: the environment gives "auth,survey,notifier", not JSON.
    participants: Annotated[tuple[str, ...], NoDecode] = ("auth", "survey", "notifier")
    reauth_max_age_seconds: int = Field(default=300, ge=0)
    code_ttl_seconds: int = Field(default=600, ge=1)
    code_max_attempts: int = Field(default=5, ge=1)
    shop_name: str = Field(default="the shop", min_length=1, max_length=100)

    @field_validator("hmac_key")
    @classmethod
    def _key_is_32_bytes(cls, value: SecretStr) -> SecretStr:
        decode_key(value.get_secret_value(), size=32)
        return value

    @field_validator("participants", mode="before")
    @classmethod
    def _split_participants(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",")]
        if isinstance(value, list | tuple):
            names = tuple(str(part) for part in value if str(part))
            if not names or len(set(names)) != len(names):
                raise ValueError("participants must name at least one service, each once")
            return names
        return value

    def hmac_key_bytes(self) -> bytes:
        """The decoded HMAC key."""
        return decode_key(self.hmac_key.get_secret_value(), size=32)
