"""The CLI's settings: environment variables (``ADIEU_*``), overridden by flags."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["CliSettings"]


class CliSettings(BaseSettings):
    """Where the operator APIs and the broker are, and the operator tokens."""

    model_config = SettingsConfigDict(env_prefix="ADIEU_", extra="ignore")

    deletion_url: str = "http://127.0.0.1:8002"
    survey_url: str = "http://127.0.0.1:8003"
    # One token for both APIs, or one per service (the per-service one wins).
    admin_token: SecretStr | None = None
    deletion_admin_token: SecretStr | None = None
    survey_admin_token: SecretStr | None = None
    kafka_bootstrap: str = "127.0.0.1:9092"
    topic_prefix: str = "adieu."
    http_timeout_seconds: float = 10.0

    def token_for(self, service: str) -> str | None:
        """The operator token for ``deletion`` or ``survey``, if one is configured."""
        specific = getattr(self, f"{service}_admin_token")
        chosen = specific or self.admin_token
        return chosen.get_secret_value() if chosen is not None else None
