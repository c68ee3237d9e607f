"""Survey settings from ``SURVEY_*`` environment variables (platform ones from ``ADIEU_*``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from shared.config import RedactionKey, ServiceSettings

__all__ = ["ADMIN_TOKEN_MIN_LENGTH", "Settings"]

ADMIN_TOKEN_MIN_LENGTH = 24


class Settings(ServiceSettings, RedactionKey):
    """The survey service's settings."""

    model_config = SettingsConfigDict(env_prefix="SURVEY_", extra="ignore")

    http_port: int = 8003
    questionnaire_file: Path | None = Field(
        default=None,
        description="A questionnaire TOML file of the operator's own; unset: the shipped one",
    )
    answer_wait_seconds: float = Field(
        default=5.0,
        ge=0,
        le=60,
        description="How long an answer waits for its deletion request to reach the survey",
    )
    admin_token: SecretStr | None = Field(
        default=None,
        description="Bearer token for the operator's report routes, at least 24 characters;"
        " unset or empty: those routes do not exist (404)",
    )

    @field_validator("questionnaire_file", mode="before")
    @classmethod
    def _empty_file_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("admin_token")
    @classmethod
    def _token_is_long(cls, value: SecretStr | None) -> SecretStr | None:
        # An empty variable means "not set", as it does for a shell or a compose file.
        if value is None or not value.get_secret_value():
            return None
        if len(value.get_secret_value()) < ADMIN_TOKEN_MIN_LENGTH:
            raise ValueError(f"must be at least {ADMIN_TOKEN_MIN_LENGTH} characters")
        return value
