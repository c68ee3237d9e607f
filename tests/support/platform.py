"""Fresh platform secrets and settings for a test (or a test module) of its own."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from shared.config import PlatformSettings
from shared.crypto import new_key
from shared.tokens import new_signing_key, public_key_for
from tests.support.brokers import BrokerUnderTest

__all__ = ["Keys", "new_keys", "platform_environment", "platform_settings"]


@dataclass(frozen=True)
class Keys:
    """A fresh set of platform secrets."""

    signing_key: str
    public_key: str
    # The notifier's alone (NOTIFIER_KEY_WRAPPING_KEY): no platform-wide key opens anything.
    notifier_wrapping_key: str


def new_keys() -> Keys:
    """Secrets no other test shares."""
    signing = new_signing_key()
    return Keys(signing, public_key_for(signing), new_key())


def platform_settings(broker: BrokerUnderTest, keys: Keys) -> PlatformSettings:
    """Settings with a topic prefix (and so consumer groups) of their own, tuned for tests.

    On Tansu the group timeouts are shorter still than its defaults (a worker joins ~1 s after
    it starts); on Apache Kafka they stay the usual ones, as operators run them.
    """
    tansu_timeouts = (
        {"broker_session_timeout_seconds": 2.0, "broker_heartbeat_interval_seconds": 0.5}
        if broker.kind == "tansu"
        else {}
    )
    return PlatformSettings(
        kafka_bootstrap=broker.bootstrap,
        broker_kind=broker.kind,
        topic_prefix=f"t{uuid.uuid4().hex[:10]}.",
        topic_partitions=2,
        token_public_key=keys.public_key,
        outbox_poll_seconds=0.2,
        log_format="text",
        **tansu_timeouts,
    )


def platform_environment(platform: PlatformSettings) -> dict[str, str]:
    """``ADIEU_*`` variables that give a service process exactly these settings."""
    env = {}
    for name, value in platform.model_dump(exclude_none=True).items():
        secret = getattr(value, "get_secret_value", None)
        env[f"ADIEU_{name.upper()}"] = str(secret() if secret else value)
    return env
