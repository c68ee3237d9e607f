"""The launcher's own settings, read from ``DEVSTACK_*`` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DevstackSettings"]


class DevstackSettings(BaseSettings):
    """Where the local stack keeps its state and which ports its infrastructure uses."""

    model_config = SettingsConfigDict(
        env_prefix="DEVSTACK_", extra="ignore", use_attribute_docstrings=True
    )

    var_dir: Path = Path("var")
    """Where the stack keeps secrets, databases, mail and SMS."""
    broker: Literal["tansu", "kafka"] = "tansu"
    """tansu (embedded, memory only) or kafka (Apache Kafka, data in var/kafka/)."""
    broker_port: int = Field(default=9092, ge=1, le=65535)
    """The broker's port."""
    kafka_controller_port: int = Field(default=9093, ge=1, le=65535)
    """Apache Kafka's controller port."""
    # Apache Kafka took 10-80 s to answer its first metadata request on two busy cores.
    kafka_ready_timeout_seconds: float = Field(default=180.0, gt=0)
    """How long to wait for Apache Kafka to answer."""
    smtp_port: int = Field(default=1025, ge=1, le=65535)
    """The mail catcher's port."""
    # Generous: the first start on a cold machine imports Faust four times in parallel.
    ready_timeout_seconds: float = Field(default=120.0, gt=0)
    """How long to wait for every GET /healthz."""
    stop_timeout_seconds: float = Field(default=20.0, gt=0)
    """How long to wait for the children to stop before killing them."""

    @property
    def state_dir(self) -> Path:
        """``var_dir`` as an absolute path, so children agree on it whatever their cwd."""
        return self.var_dir.resolve()
