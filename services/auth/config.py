"""Auth settings from ``AUTH_*`` environment variables (platform ones from ``ADIEU_*``)."""

from __future__ import annotations

import phonenumbers
from pydantic import Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from services.auth.pictures import PictureLimits
from services.auth.policies import CodePolicy, ThrottlePolicy
from services.auth.vault import derive_encryption_key
from shared.config import EdgeTrust, Key32, RedactionKey, ServiceSettings, key_bytes
from shared.rolling_limits import RollingLimit
from shared.tokens import public_key_for

__all__ = ["Settings"]


class Settings(ServiceSettings, EdgeTrust, RedactionKey):
    """The auth service's settings; the signing and digest keys have no defaults."""

    model_config = SettingsConfigDict(env_prefix="AUTH_", extra="ignore")

    http_port: int = 8001
    token_signing_key: Key32 = Field(
        description="Ed25519 private key (URL-safe base64), from shared.tokens.new_signing_key"
    )
    identifier_hmac_key: Key32 = Field(
        description="32-byte key (URL-safe base64) for the lookup digests of e-mails and phones"
        " (live and retired accounts) and of throttled logins"
    )
    identifier_encryption_key: Key32 | None = Field(
        default=None,
        description="32-byte key (URL-safe base64) encrypting stored e-mails and phones;"
        " unset means derived from AUTH_IDENTIFIER_HMAC_KEY with HKDF",
    )
    token_lifetime_seconds: int = Field(default=900, ge=60, le=86400)
    """Access token lifetime (60-86400)."""
    default_phone_region: str = Field(
        default="NO", description="Region assumed for phone numbers typed without +country code"
    )
    hide_unknown_accounts: bool = Field(
        default=False,
        description="Answer 401 invalid_credentials (not 404) for logins without an account",
    )
    login_slow_after: int = Field(
        default=3, ge=1, description="Failures per account from one address before waits"
    )
    login_lock_after: int = Field(
        default=10, ge=1, description="Failures per account from one address to lock"
    )
    login_lock_seconds: int = Field(default=900, ge=1)
    """How long a lock lasts (every sign-in budget)."""
    login_any_slow_after: int = Field(
        default=20, ge=1, description="Failures per account from all addresses before waits"
    )
    login_any_lock_after: int = Field(
        default=100, ge=1, description="Failures per account from all addresses to lock"
    )
    address_slow_after: int = Field(default=20, ge=1, description="Failures per client address")
    address_lock_after: int = Field(default=100, ge=1)
    """Failures per client address to lock."""
    code_ttl_seconds: int = Field(default=600, ge=60)
    """Validity of reset and contact-change codes."""
    code_max_attempts: int = Field(default=5, ge=1)
    """Wrong tries before such a code is burned."""
    code_resend_seconds: int = Field(default=60, ge=0)
    """Wait between two such codes."""
    code_wrong_limit: int = Field(
        default=20, ge=1, description="Wrong codes per account and kind per rolling window"
    )
    code_new_limit: int = Field(
        default=10, ge=1, description="New codes per account and kind per rolling window"
    )
    code_limit_window_seconds: int = Field(default=86400, ge=60)
    """How long the code budgets above look back (a rolling window)."""
    sign_up_address_limit: int = Field(
        default=20, ge=1, description="Sign-ups per client address per rolling window"
    )
    sign_up_window_seconds: int = Field(default=3600, ge=60)
    """How long the sign-up budget above looks back (a rolling window)."""
    picture_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    """Largest picture upload, in bytes."""
    picture_max_side: int = Field(default=4096, ge=16)
    """Largest picture width or height, in pixels."""

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

    @model_validator(mode="after")
    def _tokens_outlive_no_revocation(self) -> Settings:
        # Services forget a revocation after ADIEU_TOKEN_MAX_LIFETIME_SECONDS; a token living
        # longer would be accepted again once its revocation was pruned.
        if self.token_lifetime_seconds > self.platform.token_max_lifetime_seconds:
            raise ValueError(
                "AUTH_TOKEN_LIFETIME_SECONDS must not exceed ADIEU_TOKEN_MAX_LIFETIME_SECONDS"
            )
        return self

    def _throttle(self, slow_after: int, lock_after: int) -> ThrottlePolicy:
        return ThrottlePolicy(
            slow_after=slow_after,
            lock_after=lock_after,
            lock_seconds=self.login_lock_seconds,
            forget_after_seconds=max(3600, self.login_lock_seconds),
        )

    def account_throttle(self) -> ThrottlePolicy:
        """The throttle for failures of one account from one client address."""
        return self._throttle(self.login_slow_after, self.login_lock_after)

    def account_any_throttle(self) -> ThrottlePolicy:
        """The throttle for failures of one account summed over every client address."""
        return self._throttle(self.login_any_slow_after, self.login_any_lock_after)

    def address_throttle(self) -> ThrottlePolicy:
        """The throttle for failures from one client address."""
        return self._throttle(self.address_slow_after, self.address_lock_after)

    def code_policy(self) -> CodePolicy:
        """Lifetime, tries and resend pace of reset and contact-change codes."""
        return CodePolicy(
            ttl_seconds=self.code_ttl_seconds,
            max_attempts=self.code_max_attempts,
            resend_cooldown_seconds=self.code_resend_seconds,
        )

    def code_limits(self) -> tuple[RollingLimit, RollingLimit]:
        """The rolling budgets of wrong codes and of new codes, per account and kind."""
        window = self.code_limit_window_seconds
        return (
            RollingLimit("auth_wrong_code", self.code_wrong_limit, window),
            RollingLimit("auth_new_code", self.code_new_limit, window),
        )

    def sign_up_limit(self) -> RollingLimit:
        """The rolling budget of sign-ups per client address."""
        return RollingLimit("auth_sign_up", self.sign_up_address_limit, self.sign_up_window_seconds)

    def picture_limits(self) -> PictureLimits:
        """Upload limits for profile pictures."""
        return PictureLimits(max_bytes=self.picture_max_bytes, max_side=self.picture_max_side)

    def identifier_hmac_key_bytes(self) -> bytes:
        """The decoded key for retired-identifier digests."""
        return key_bytes(self.identifier_hmac_key)

    def identifier_encryption_key_bytes(self) -> bytes:
        """The key encrypting stored identifiers: the configured one, else derived."""
        if self.identifier_encryption_key is None:
            return derive_encryption_key(self.identifier_hmac_key_bytes())
        return key_bytes(self.identifier_encryption_key)
