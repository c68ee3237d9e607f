"""The CLI's settings: environment variables (``ADIEU_*``), overridden by flags."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["CliSettings"]


class CliSettings(BaseSettings):
    """Where the operator APIs and the broker are, and the operator tokens."""

    model_config = SettingsConfigDict(
        env_prefix="ADIEU_", extra="ignore", use_attribute_docstrings=True
    )

    deletion_url: str = "http://127.0.0.1:8002"
    """The deletion service's API (flag --deletion-url)."""
    survey_url: str = "http://127.0.0.1:8003"
    """The survey service's API (flag --survey-url)."""
    # One token for both APIs, or one per service (the per-service one wins).
    admin_token: SecretStr | None = None
    """One operator token for both APIs (flag --token)."""
    deletion_admin_token: SecretStr | None = None
    """The deletion operator token; used before ADIEU_ADMIN_TOKEN."""
    survey_admin_token: SecretStr | None = None
    """The survey report token; used before ADIEU_ADMIN_TOKEN."""
    kafka_bootstrap: str = "127.0.0.1:9092"
    """Kafka bootstrap servers, for dlq commands (flag --bootstrap)."""
    topic_prefix: str = "adieu."
    """Prefix of the topics (flag --topic-prefix)."""
    http_timeout_seconds: float = 10.0
    """Timeout per API call."""

    def token_for(self, service: str) -> str | None:
        """The operator token for ``deletion`` or ``survey``, if one is configured."""
        specific = getattr(self, f"{service}_admin_token")
        chosen = specific or self.admin_token
        return chosen.get_secret_value() if chosen is not None else None
