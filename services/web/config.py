"""Web edge settings from ``WEB_*`` environment variables.

The web edge holds no data of its own and never touches the broker, so it does not embed the
platform settings; it only needs to know where the APIs answer and its own secrets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from shared.brand import BrandColor, brand_color_field, shop_name_field
from shared.config import EdgeTrust, Key32, key_bytes

__all__ = ["Settings"]

_OWN_TERMS = Path(__file__).parent / "terms"


class Settings(EdgeTrust):
    """The web edge's settings; the session key and the operator token have no defaults."""

    # populate_by_name: tests and callers may pass shop_name= although the env name is shared.
    model_config = SettingsConfigDict(
        env_prefix="WEB_", extra="ignore", use_attribute_docstrings=True, populate_by_name=True
    )

    http_host: str = "127.0.0.1"
    """Address the pages are served on."""
    http_port: int = Field(default=8000, ge=0, le=65535)
    """Port the pages are served on."""
    auth_url: str = "http://127.0.0.1:8001"
    """Auth's API (devstack derives it from AUTH_HTTP_PORT)."""
    deletion_url: str = "http://127.0.0.1:8002"
    """Deletion's API (devstack derives it from DELETION_HTTP_PORT)."""
    survey_url: str = "http://127.0.0.1:8003"
    """Survey's API (devstack derives it from SURVEY_HTTP_PORT)."""
    notifier_url: str = "http://127.0.0.1:8004"
    """Accepted and checked, but the pages do not call the notifier."""
    session_key: Key32 = Field(description="32-byte key (URL-safe base64) sealing the cookie")
    admin_token: SecretStr = Field(
        min_length=16, description="Operators sign in to /operator with it (at least 16 characters)"
    )
    deletion_admin_token: SecretStr = SecretStr("")
    """The deletion operator API's token (the value of DELETION_ADMIN_TOKEN)."""
    survey_admin_token: SecretStr = SecretStr("")
    """The survey report API's token (the value of SURVEY_ADMIN_TOKEN)."""
    # Off only for plain-http local runs (make run); a Secure cookie is never sent over http.
    cookie_secure: bool = True
    """Set false only for plain http on loopback (make run does)."""
    session_max_age_seconds: int = Field(default=8 * 3600, ge=60)
    """A session older than this is forgotten."""
    upstream_timeout_seconds: float = Field(default=10.0, gt=0)
    """Timeout per API call."""
    shop_name: str = shop_name_field()
    """The shop's name on every page (``ADIEU_SHOP_NAME``, shared)."""
    brand_color: BrandColor = brand_color_field()
    """The pages' colour, #rrggbb only (``ADIEU_BRAND_COLOR``, shared)."""
    default_language: Literal["nb", "en"] = "nb"
    """Language before sign-in, when the browser asks for neither nb nor en."""
    shop_url: str = Field(default="/", max_length=500)
    """Where "back to the shop" leads on the last page of a deletion."""
    terms_dir: Path | None = None
    """Directory with the terms of deletion as nb.txt and en.txt (paragraphs between blank
    lines, {shop} for the shop's name); unset: Adieu's own wording."""
    log_format: Literal["json", "text"] = Field(default="json", validation_alias="ADIEU_LOG_FORMAT")
    """json or text (the platform's setting, read by the web edge too)."""
    log_level: str = Field(default="INFO", validation_alias="ADIEU_LOG_LEVEL")
    """Log level (the platform's setting, read by the web edge too)."""

    @field_validator("terms_dir")
    @classmethod
    def _terms_in_both_languages(cls, value: Path | None) -> Path | None:
        # Refuse to start rather than answer a person's "read the terms" with an error.
        missing = [
            f"{lang}.txt"
            for lang in ("nb", "en")
            if value and not (value / f"{lang}.txt").is_file()
        ]
        if missing:
            raise ValueError(f"terms_dir lacks {', '.join(missing)}")
        return value

    @field_validator("auth_url", "deletion_url", "survey_url", "notifier_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    def terms_text(self, lang: str) -> str:
        """The terms of deletion in ``lang``, from the operator's directory or ours."""
        directory = self.terms_dir or _OWN_TERMS
        return (directory / f"{lang}.txt").read_text(encoding="utf-8")

    def session_key_bytes(self) -> bytes:
        """The decoded session key."""
        return key_bytes(self.session_key)
