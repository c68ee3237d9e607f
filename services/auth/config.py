"""Auth settings from ``AUTH_*`` environment variables (platform ones from ``ADIEU_*``)."""

from __future__ import annotations

import phonenumbers
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from shared.config import ServiceSettings
from shared.crypto import decode_key
from shared.tokens import public_key_for

__all__ = ["Settings"]


class Settings(ServiceSettings):
    """The auth service's settings; the two secrets have no defaults."""

    model_config = SettingsConfigDict(env_prefix="AUTH_", extra="ignore")

    http_port: int = 8001
    token_signing_key: SecretStr = Field(
        description="Ed25519 private key (URL-safe base64), from shared.tokens.new_signing_key"
    )
    identifier_hmac_key: SecretStr = Field(
        description="32-byte key (URL-safe base64) for the digests of retired identifiers"
    )
    token_lifetime_seconds: int = Field(default=900, ge=60, le=86400)
    default_phone_region: str = Field(
        default="NO", description="Region assumed for phone numbers typed without +country code"
    )

    @field_validator("token_signing_key", "identifier_hmac_key")
    @classmethod
    def _key_is_32_bytes(cls, value: SecretStr) -> SecretStr:
        decode_key(value.get_secret_value(), size=32)
        return value

    @field_validator("default_phone_region")
    @classmethod
    def _region_is_known(cls, value: str) -> str:
        region = value.strip().upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"unknown phone region {value!r}")
        return region

    @model_validator(mode="after")
    def _public_key_matches(self) -> Settings:
        # Every other service verifies with ADIEU_TOKEN_PUBLIC_KEY; a mismatch would make every
        # token auth issues useless elsewhere, so refuse to start rather than fail later.
        derived = public_key_for(self.token_signing_key.get_secret_value())
        if derived != self.platform.token_public_key.strip():
            raise ValueError("ADIEU_TOKEN_PUBLIC_KEY does not match AUTH_TOKEN_SIGNING_KEY")
        return self

    def identifier_hmac_key_bytes(self) -> bytes:
        """The decoded key for retired-identifier digests."""
        return decode_key(self.identifier_hmac_key.get_secret_value(), size=32)
