"""Settings shared by every service, read from ``ADIEU_*`` environment variables.

Each service adds its own ``Settings`` class with its own prefix (``AUTH_``, ``DELETION_`` …)
and embeds :class:`PlatformSettings` for what the whole platform agrees on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from shared.client_address import TrustedProxies, parse_proxies, proxies_from
from shared.crypto import decode_key
from shared.topics import Topics

__all__ = [
    "BrokerKind",
    "EdgeTrust",
    "Key32",
    "Key32OrEmpty",
    "PlatformSettings",
    "RedactionKey",
    "ServiceSettings",
    "key_bytes",
]

# Which broker the platform talks to; shared/faust_app.py adapts Faust to each (docs/kafka.md).
BrokerKind = Literal["kafka", "tansu"]


def key_bytes(key: SecretStr) -> bytes:
    """The 32 bytes of a key given in URL-safe base64."""
    return decode_key(key.get_secret_value(), size=32)


def _is_32_byte_key(key: SecretStr) -> SecretStr:
    key_bytes(key)
    return key


def _empty_or_32_byte_key(key: SecretStr) -> SecretStr:
    return key if not key.get_secret_value() else _is_32_byte_key(key)


Key32 = Annotated[SecretStr, AfterValidator(_is_32_byte_key)]
"""A 32-byte key in URL-safe base64 (``shared.crypto.new_key()``), checked when read."""

Key32OrEmpty = Annotated[SecretStr, AfterValidator(_empty_or_32_byte_key)]
"""A :data:`Key32` where an empty variable means "not set", as in a shell or a compose file."""


class PlatformSettings(BaseSettings):
    """What every service must agree on: the broker, the topics, the shared keys."""

    model_config = SettingsConfigDict(
        env_prefix="ADIEU_", extra="ignore", use_attribute_docstrings=True
    )

    kafka_bootstrap: str = "127.0.0.1:9092"
    """Kafka bootstrap servers (host:port, comma-separated)."""
    # Apache Kafka is what operators run; `make run` and the tests say "tansu" when it is.
    broker_kind: BrokerKind = "kafka"
    """Which broker this is, kafka or tansu: the idempotent producer and the usual group timeouts
    on Apache Kafka, Tansu's work-arounds on Tansu (docs/kafka.md). make run sets it.
    """
    topic_prefix: str = "adieu."
    """Prefix of every topic and consumer group."""
    topic_partitions: int = Field(default=4, ge=1)
    """Partitions of the topics the services create."""
    topic_replication: int = Field(default=1, ge=1)
    """Replication factor of the topics the services create."""
    # Bounds each hop's latency on both brokers (shared/faust_app.py, patch 1).
    consumer_fetch_wait_ms: int = Field(default=50, ge=1, le=5000)
    """Consumer fetch wait (1-5000 ms); bounds each hop's latency on either broker."""
    consumer_batch_size: int = Field(default=100, ge=1, le=1000)
    """Most records a consumer applies in one SQLite transaction (1: one commit per record)."""
    consumer_batch_wait_ms: int = Field(default=5, ge=1, le=1000)
    """How long a consumer waits for more records before it applies a partial batch."""
    # Unset means the broker kind's own (shared/faust_app.py, patch 2).
    broker_session_timeout_seconds: float | None = Field(default=None, gt=0)
    """Consumer group session timeout; unset: 6 on Tansu, 10 on Apache Kafka."""
    broker_heartbeat_interval_seconds: float | None = Field(default=None, gt=0)
    """Consumer heartbeat interval; unset: 1 on both brokers."""
    broker_rebalance_timeout_seconds: float | None = Field(default=None, gt=0)
    """Consumer group rebalance timeout; unset: 10 on Tansu, Faust's 60 on Apache Kafka."""
    outbox_poll_seconds: float = Field(default=0.5, gt=0)
    """The outbox relay's safety-net poll (it is also woken by every commit)."""
    topic_check_seconds: float = Field(default=5.0, gt=0)
    """How often a service re-creates topics a broker restart forgot (Tansu keeps none)."""
    consumer_max_attempts: int = Field(default=3, ge=1)
    """Attempts before an event goes to the dead-letter topic."""
    token_public_key: str = Field(description="Auth's Ed25519 public key (URL-safe base64)")
    token_max_lifetime_seconds: int = Field(default=3600, ge=60)
    """The longest an access token can live; revocation records are kept this long. Keep it at
    least AUTH_TOKEN_LIFETIME_SECONDS.
    """
    sealing_hold_seconds: float = Field(default=120.0, gt=0)
    """How long a writer holds an event for an account whose notification key it has not
    received yet, before it gives up with a dead letter (see docs/crypto-shredding.md)."""
    api_docs: bool = Field(
        default=False,
        description="Serve /docs and /openapi.json (for development; off in a deployment)",
    )
    log_format: Literal["json", "text"] = "json"
    """json or text (make run uses text)."""
    log_level: str = "INFO"
    """Log level."""

    @property
    def topics(self) -> Topics:
        """The topic names under this platform's prefix."""
        return Topics(self.topic_prefix)


class ServiceSettings(BaseSettings):
    """Fields every service has; subclasses set ``env_prefix`` and add their own."""

    # Children inherit this: each field's docstring is its description in docs/configuration.md.
    model_config = SettingsConfigDict(extra="ignore", use_attribute_docstrings=True)

    http_host: str = "127.0.0.1"
    """Address the HTTP API listens on."""
    http_port: int = Field(default=8000, ge=0, le=65535)
    """HTTP port."""
    data_dir: Path = Path("var")
    """Data directory; the database is <data_dir>/<service>/<service>.sqlite3."""
    platform: PlatformSettings = Field(default_factory=lambda: PlatformSettings())

    def database_path(self, service: str) -> Path:
        """Where this service's SQLite file lives."""
        return self.data_dir / service / f"{service}.sqlite3"


class EdgeTrust(BaseSettings):
    """How the web edge and auth agree on a person's client address (see
    :mod:`shared.client_address`): ``ADIEU_EDGE_KEY`` and ``ADIEU_TRUSTED_PROXIES``."""

    # The platform-wide variable, and the field name for settings built in code.
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    edge_key: SecretStr | None = Field(
        default=None,
        validation_alias="ADIEU_EDGE_KEY",
        description="32-byte key (URL-safe base64) held by the web edge and auth only: the edge"
        " signs each person's client address with it, so auth throttles that address",
    )
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        validation_alias="ADIEU_TRUSTED_PROXIES",
        description="Load balancers whose X-Forwarded-For is believed (addresses or CIDRs)",
    )

    @field_validator("edge_key")
    @classmethod
    def _edge_key_is_32_bytes(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value():
            decode_key(value.get_secret_value(), size=32)
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _networks(cls, value: object) -> object:
        if isinstance(value, str | list | tuple):
            return parse_proxies(value if isinstance(value, str) else [str(v) for v in value])
        return value

    def edge_key_bytes(self) -> bytes | None:
        """The decoded edge key, or None when unset."""
        if self.edge_key is None or not self.edge_key.get_secret_value():
            return None
        return decode_key(self.edge_key.get_secret_value(), size=32)

    def proxies(self) -> TrustedProxies:
        """The trusted proxies, parsed."""
        return proxies_from(self.trusted_proxies)


class RedactionKey(BaseSettings):
    """The key auth and the survey share to recognise a person's identifiers in free text
    without the survey holding them (:mod:`shared.identifier_digests`)."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    redaction_key: SecretStr | None = Field(
        default=None,
        validation_alias="ADIEU_REDACTION_KEY",
        description="32-byte key (URL-safe base64) held by auth and the survey only: auth digests"
        " each account's identifier words with it, the survey removes matching words from"
        " comments; unset on both: salted digests that any reader of auth.events could test",
    )

    @field_validator("redaction_key")
    @classmethod
    def _redaction_key_is_32_bytes(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value():
            decode_key(value.get_secret_value(), size=32)
        return value

    def redaction_key_bytes(self) -> bytes:
        """The decoded key; empty when unset (the digests are then only salted)."""
        if self.redaction_key is None or not self.redaction_key.get_secret_value():
            return b""
        return decode_key(self.redaction_key.get_secret_value(), size=32)
