"""Survey settings from ``SURVEY_*`` environment variables (platform ones from ``ADIEU_*``)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.config import ServiceSettings

__all__ = ["Settings"]


class Settings(ServiceSettings):
    """The survey service's settings."""

    model_config = SettingsConfigDict(env_prefix="SURVEY_", extra="ignore")

    http_port: int = 8003
