"""Helpers for the notifier's integration tests: the commands other services send, and mail."""

from __future__ import annotations

import email
import email.policy
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar

from services.notifier.app import Service
from shared.config import PlatformSettings
from shared.crypto import FieldCipher, decode_key, new_key
from shared.events import (
    CodeDeliveryRequested,
    ContactDetailsChanged,
    Event,
    NoticeRequested,
    NotificationDelivered,
    new_event,
)
from tests.support.kafka import produce_event, read_events
from tests.support.platform import Keys
from tests.support.sqlite_files import stored_bytes

__all__ = [
    "SIX_DIGITS",
    "MakeService",
    "Platform",
    "all_delivered",
    "database_bytes",
    "deliveries_of",
    "plain_text",
    "read_mails",
]

SIX_DIGITS = re.compile(r"(?<!\d)\d{6}(?!\d)")
MakeService = Callable[..., Service]
E = TypeVar("E")


def _typed(kind: type[E], event: Event) -> E:
    assert isinstance(event, kind)
    return event


class Platform:
    """Produces the commands other services sent before per-account keys (version 1).

    Their fields are under the one old platform key, which the notifier under test holds as
    its legacy key: these tests cover delivery and version 1 compatibility. Sealing to the
    account's own key is covered by tests/integration/shredding, with auth and deletion.
    """

    def __init__(self, platform: PlatformSettings, keys: Keys) -> None:
        self.settings = platform
        self.legacy_key = new_key()
        self.cipher = FieldCipher(decode_key(self.legacy_key, size=32))

    def seal(self, value: str, account_id: str) -> str:
        return self.cipher.encrypt(value, context=account_id)

    async def send(self, event: Event, topic: str | None = None) -> None:
        target = topic or self.settings.topics.notifications
        await produce_event(self.settings.kafka_bootstrap, target, event)

    async def events(self, kind: type[Any]) -> list[Any]:
        topic = self.settings.topics.notifier_events
        return [
            e
            for e in await read_events(self.settings.kafka_bootstrap, topic)
            if isinstance(e, kind)
        ]

    def contact(
        self,
        account_id: str,
        language: str,
        email: str | None = None,
        phone: str | None = None,
        time_zone: str | None = None,
    ) -> ContactDetailsChanged:
        event = new_event(
            ContactDetailsChanged,
            account_id=account_id,
            correlation_id="c-contact",
            occurred_at=datetime.now(UTC),
            language=language,
            email_enc=self.seal(email, account_id) if email else None,
            phone_enc=self.seal(phone, account_id) if phone else None,
            time_zone=time_zone,
        )
        return _typed(ContactDetailsChanged, event.model_copy(update={"schema_version": 1}))

    def code(  # the fields of the command, each with the usual default
        self,
        account_id: str,
        code: str,
        channel: str = "email",
        notification_id: str | None = None,
        purpose: str = "deletion",
        destination: str | None = None,
    ) -> CodeDeliveryRequested:
        event = new_event(
            CodeDeliveryRequested,
            account_id=account_id,
            correlation_id="c-code",
            occurred_at=datetime.now(UTC),
            notification_id=notification_id or str(uuid.uuid4()),
            purpose=purpose,
            channel=channel,
            code_enc=self.seal(code, account_id),
            valid_minutes=10,
            destination_enc=self.seal(destination, account_id) if destination else None,
        )
        return _typed(CodeDeliveryRequested, event.model_copy(update={"schema_version": 1}))

    def notice(
        self, account_id: str, notice: str, deadline: datetime | None = None
    ) -> NoticeRequested:
        event = new_event(
            NoticeRequested,
            account_id=account_id,
            correlation_id="c-notice",
            occurred_at=datetime.now(UTC),
            notification_id=str(uuid.uuid4()),
            notice=notice,
            deadline=deadline,
        )
        return _typed(NoticeRequested, event)


def read_mails(directory: Path) -> list[EmailMessage]:
    found = []
    for path in sorted(directory.glob("*.eml")):
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        found.append(parsed)
    return found


def plain_text(mail: EmailMessage) -> str:
    body = mail.get_body(("plain",))
    assert body is not None
    content: str = body.get_content()
    return content


def database_bytes(tmp_path: Path) -> bytes:
    return stored_bytes(tmp_path / "notifier" / "notifier.sqlite3")


async def deliveries_of(
    adieu: Platform, notification_id: str
) -> list[NotificationDelivered] | None:
    events = await adieu.events(NotificationDelivered)
    return [e for e in events if e.payload.notification_id == notification_id] or None


async def all_delivered(
    adieu: Platform, notification_ids: list[str]
) -> list[NotificationDelivered] | None:
    """NotificationDelivered for every one of ``notification_ids``, or None while any lacks."""
    events = await adieu.events(NotificationDelivered)
    found = [e for e in events if e.payload.notification_id in notification_ids]
    return found if {e.payload.notification_id for e in found} == set(notification_ids) else None
