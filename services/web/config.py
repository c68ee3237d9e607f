"""Web edge settings from ``WEB_*`` environment variables.

The web edge holds no data of its own and never touches the broker, so it does not embed the
platform settings; it only needs to know where the APIs answer and its own secrets.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.crypto import decode_key

__all__ = ["Settings"]

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


class Settings(BaseSettings):
    """The web edge's settings; the session key and the operator token have no defaults."""

    model_config = SettingsConfigDict(env_prefix="WEB_", extra="ignore")

    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=0, le=65535)
    auth_url: str = "http://127.0.0.1:8001"
    deletion_url: str = "http://127.0.0.1:8002"
    survey_url: str = "http://127.0.0.1:8003"
    notifier_url: str = "http://127.0.0.1:8004"
    session_key: SecretStr = Field(description="32-byte key (URL-safe base64) sealing the cookie")
    admin_token: SecretStr = Field(min_length=16, description="Operators sign in with this")
    deletion_admin_token: SecretStr = SecretStr("")
    survey_admin_token: SecretStr = SecretStr("")
    # Off only for plain-http local runs (make run); a Secure cookie is never sent over http.
    cookie_secure: bool = True
    session_max_age_seconds: int = Field(default=8 * 3600, ge=60)
    upstream_timeout_seconds: float = Field(default=10.0, gt=0)
    shop_name: str = Field(default="The Shop", min_length=1, max_length=100)
    brand_color: str = "#1f5c4a"
    default_language: Literal["nb", "en"] = "nb"
    log_format: Literal["json", "text"] = Field(default="json", validation_alias="ADIEU_LOG_FORMAT")
    log_level: str = Field(default="INFO", validation_alias="ADIEU_LOG_LEVEL")

    @field_validator("session_key")
    @classmethod
    def _key_is_32_bytes(cls, value: SecretStr) -> SecretStr:
        decode_key(value.get_secret_value(), size=32)
        return value

    @field_validator("brand_color")
    @classmethod
    def _colour_is_hex(cls, value: str) -> str:
        # It is written into a stylesheet, so only a plain #rrggbb may pass.
        if not _COLOUR.match(value):
            raise ValueError("brand_color must look like #1f5c4a")
        return value.lower()

    @field_validator("auth_url", "deletion_url", "survey_url", "notifier_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    def session_key_bytes(self) -> bytes:
        """The decoded session key."""
        return decode_key(self.session_key.get_secret_value(), size=32)
