"""Deletion settings from ``DELETION_*`` environment variables (platform ones from ``ADIEU_*``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from services.deletion.consequences import CATEGORIES, KNOWN_CATEGORIES
from shared.brand import shop_name_field
from shared.config import Key32, Key32OrEmpty, ServiceSettings, key_bytes

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

    # populate_by_name: tests and callers may pass shop_name= although the env name is shared.
    model_config = SettingsConfigDict(env_prefix="DELETION_", extra="ignore", populate_by_name=True)

    http_port: int = 8002
    hmac_key: Key32 = Field(
        description="32-byte key for code hashes, the account ids kept after a purge, and the"
        " account hash in receipts and audit records"
    )
    grace_seconds: int = Field(default=86400, ge=0)
    """Time between confirmation and the purge deadline."""
    purge_lead_seconds: int = Field(default=300, ge=0)
    """The purge starts this long before the deadline (at most a tenth of the grace)."""
    scan_interval_seconds: float = Field(default=5.0, gt=0)
    """The longest the timer sleeps: it wakes at the next deadline and on a confirmed code."""
    request_ttl_seconds: int = Field(default=86400, ge=1)
    """An unfinished request lapses (expired) after this."""
    survey_required: bool = True
    """Whether the code waits for the survey."""
    participants: Names = ("auth", "survey", "notifier")
    """Services that must confirm the purge (comma-separated, each once)."""
    participant_timeout_seconds: float = Field(default=60.0, gt=0)
    """Silence before a participant is asked again (doubling)."""
    participant_max_asks: int = Field(default=6, ge=1)
    """Asks per participant before operators must act."""
    reauth_max_age_seconds: int = Field(default=300, ge=0)
    """How recent a token's auth_time must be to request deletion."""
    code_ttl_seconds: int = Field(default=600, ge=1)
    """Validity of a confirmation code."""
    code_max_attempts: int = Field(default=5, ge=1)
    """Wrong codes allowed before 429."""
    code_resend_cooldown_seconds: int = Field(default=60, ge=0)
    """Wait between codes."""
    code_max_per_request: int = Field(default=5, ge=1)
    """Codes one request may have."""
    code_wrong_limit: int = Field(
        default=20, ge=1, description="Wrong codes per account per rolling window, any requests"
    )
    code_new_limit: int = Field(
        default=10, ge=1, description="New codes per account per rolling window, any requests"
    )
    code_limit_window_seconds: int = Field(default=86400, ge=60)
    """How long the code budgets above look back (a rolling window)."""
    shop_name: str = shop_name_field()
    """The shop's name in the consequences text (``ADIEU_SHOP_NAME``, shared)."""
    data_categories: Names = CATEGORIES
    """Losses listed on the consequences page (also known: addresses, payment_methods,
    subscriptions).
    """
    linked_services: Names = ()
    """Names of services signed in to with the account (comma-separated)."""
    notification_settings_url: str = Field(default="/settings/notifications", max_length=300)
    """Where "take a break" points."""
    receipt_signing_key: Key32OrEmpty | None = None
    """Ed25519 key signing receipts; unset: generated into <data_dir>/deletion/receipt-signing.key.
    """
    audit_retention_days: int = Field(default=731, ge=1)
    """Audit records are kept this long."""
    admin_token: SecretStr | None = None
    """Operator bearer token, at least 16 characters; unset: no operator routes (404)."""
    lease_seconds: float = Field(default=15.0, gt=0)
    """Leader lease between processes sharing the data directory."""
    export_timeout_seconds: float = Field(default=600.0, gt=0)
    """An export waits this long for a silent participant, then its part counts as missing."""
    export_keep_seconds: int = Field(default=7 * 86400, ge=60)
    """A ready export can be downloaded this long, then it is destroyed."""
    export_part_max_bytes: int = Field(default=512 * 1024, ge=1024, le=700_000)
    """Largest export part a participant may send (JSON, before sealing; under Kafka's 1 MB)."""
    hold_max_seconds: int = Field(default=30 * 86400, ge=60)
    """A hold older than this is flagged overdue for operators."""

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
        return key_bytes(self.hmac_key)

    def secret_or_none(self, name: str) -> str | None:
        """An optional secret's value; unset or empty is None."""
        value: SecretStr | None = getattr(self, name)
        return value.get_secret_value() or None if value is not None else None
