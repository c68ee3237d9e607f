"""What the deletion tests share: tokens on the test's clock, and reading one account's events."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from services.deletion.app import Service, bootstrap
from services.deletion.config import Settings
from shared.clock import Clock, FrozenClock
from shared.config import PlatformSettings
from shared.crypto import new_key
from shared.events import Event
from shared.tokens import TokenIssuer
from tests.support.kafka import read_events
from tests.support.polling import eventually

__all__ = ["account_events", "deletion_service", "one_event", "token"]


def deletion_service(
    platform: PlatformSettings, tmp_path: Path, clock: FrozenClock, code: str, **overrides: Any
) -> Service:
    """The deletion service in-process on ``clock``, scanning often; every code is ``code``."""
    settings = Settings(
        **{
            "hmac_key": SecretStr(new_key()),
            "data_dir": tmp_path,
            "platform": platform,
            "scan_interval_seconds": 0.1,
            "survey_required": False,
            **overrides,
        }
    )
    return bootstrap(settings, clock=clock, new_code=lambda: code)


def token(
    signing_key: str, clock: Clock, account_id: str, authenticated_at: datetime | None = None
) -> dict[str, str]:
    """Headers with a token issued now on ``clock``, as auth would after a login."""
    issuer = TokenIssuer(signing_key, clock, lifetime_seconds=3600)
    access = issuer.issue(account_id, authenticated_at=authenticated_at)
    return {"Authorization": f"Bearer {access}"}


async def account_events(
    platform: PlatformSettings, topic: str, event_type: str, account_id: str
) -> list[Event]:
    """Every ``event_type`` event on ``topic`` for ``account_id`` so far."""
    return [
        event
        for event in await read_events(platform.kafka_bootstrap, topic)
        if event.event_type == event_type and event.account_id == account_id
    ]


async def one_event(
    platform: PlatformSettings,
    topic: str,
    event_type: str,
    account_id: str,
    timeout: float = 15.0,
) -> Event:
    """Wait for the first ``event_type`` event on ``topic`` for ``account_id``."""

    async def probe() -> list[Event] | None:
        return await account_events(platform, topic, event_type, account_id) or None

    found = await eventually(probe, timeout=timeout, what=f"{event_type} on {topic}")
    return found[0]
