"""The notifier against the real broker, a real SMTP server and a real SQLite file."""

from __future__ import annotations

import email
import email.policy
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiosmtpd.controller import Controller

from devstack.broker import free_port
from devstack.mailcatcher import MailCatcher
from services.notifier.app import Service, bootstrap
from services.notifier.config import Settings
from shared.config import PlatformSettings
from shared.crypto import FieldCipher, decode_key
from shared.events import (
    AccountPurged,
    CodeDeliveryRequested,
    ContactDetailsChanged,
    Event,
    NoticeRequested,
    NotificationDelivered,
    NotificationFailed,
    PurgeCompleted,
    new_event,
)
from tests.conftest import Keys
from tests.support.kafka import produce_event, read_dead_letters, read_events
from tests.support.polling import eventually
from tests.support.services import serving

SIX_DIGITS = re.compile(r"(?<!\d)\d{6}(?!\d)")
MakeService = Callable[..., Service]
E = TypeVar("E")


def _typed(kind: type[E], event: Event) -> E:
    assert isinstance(event, kind)
    return event


@pytest.fixture
def make_service(platform: PlatformSettings, tmp_path: Path) -> MakeService:
    def make(smtp_port: int, **overrides: Any) -> Service:
        settings = Settings(
            data_dir=tmp_path,
            platform=platform,
            smtp_port=smtp_port,
            sms_dir=tmp_path / "sms",
            delivery_poll_seconds=0.1,
            delivery_retry_base_seconds=0.2,
            delivery_retry_max_seconds=1.0,
            **overrides,
        )
        return bootstrap(settings)

    return make


class Platform:
    """Produces the commands other services would send, encrypted as they would be."""

    def __init__(self, platform: PlatformSettings, keys: Keys) -> None:
        self.settings = platform
        self.cipher = FieldCipher(decode_key(keys.notification_key, size=32))

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
        self, account_id: str, language: str, email: str | None = None, phone: str | None = None
    ) -> ContactDetailsChanged:
        event = new_event(
            ContactDetailsChanged,
            account_id=account_id,
            correlation_id="c-contact",
            occurred_at=datetime.now(UTC),
            language=language,
            email_enc=self.seal(email, account_id) if email else None,
            phone_enc=self.seal(phone, account_id) if phone else None,
        )
        return _typed(ContactDetailsChanged, event)

    def code(
        self, account_id: str, code: str, channel: str = "email", notification_id: str | None = None
    ) -> CodeDeliveryRequested:
        event = new_event(
            CodeDeliveryRequested,
            account_id=account_id,
            correlation_id="c-code",
            occurred_at=datetime.now(UTC),
            notification_id=notification_id or str(uuid.uuid4()),
            purpose="deletion",
            channel=channel,
            code_enc=self.seal(code, account_id),
            valid_minutes=10,
        )
        return _typed(CodeDeliveryRequested, event)

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


@pytest.fixture
def adieu(platform: PlatformSettings, keys: Keys) -> Platform:
    return Platform(platform, keys)


def _mails(directory: Path) -> list[EmailMessage]:
    found = []
    for path in sorted(directory.glob("*.eml")):
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        found.append(parsed)
    return found


def _text(mail: EmailMessage) -> str:
    body = mail.get_body(("plain",))
    assert body is not None
    content: str = body.get_content()
    return content


def _database(tmp_path: Path) -> bytes:
    return (tmp_path / "notifier" / "notifier.sqlite3").read_bytes()


async def _delivered(adieu: Platform, notification_id: str) -> list[NotificationDelivered] | None:
    events = await adieu.events(NotificationDelivered)
    return [e for e in events if e.payload.notification_id == notification_id] or None


async def test_code_is_emailed_once_in_the_contacts_language(
    make_service: MakeService, adieu: Platform, mail_catcher: MailCatcher, tmp_path: Path
) -> None:
    account = str(uuid.uuid4())
    code = adieu.code(account, "048213")
    copy = adieu.code(account, "048213", notification_id=code.payload.notification_id)
    later = adieu.code(account, "771902")
    contact = adieu.contact(account, "nb", email="kari.nordmann@example.com")
    async with serving(make_service(mail_catcher.port)):
        await adieu.send(contact)
        # The command twice as produced, once more re-issued with a new event id, then another.
        for event in (code, code, copy, later):
            await adieu.send(event)
        await eventually(
            lambda: _delivered(adieu, later.payload.notification_id), what="the later code"
        )
        first = await eventually(
            lambda: _delivered(adieu, code.payload.notification_id), what="the code"
        )

    mails = _mails(mail_catcher.directory)
    assert len(mails) == 2
    assert len(first) == 1
    assert first[0].payload.channel == "email"
    assert first[0].account_id == account
    mail = next(m for m in mails if "048213" in _text(m))
    assert mail["To"] == "kari.nordmann@example.com"
    assert mail["From"].addresses[0].display_name == "Adieu Shop"
    assert mail["Subject"] == "Bekreft sletting av kontoen din"
    assert "Du har bedt om å slette kontoen din hos Adieu Shop" in _text(mail)
    assert SIX_DIGITS.findall(_text(mail)) == ["048213"]
    raw = _database(tmp_path)
    # The address is kept only as the ciphertext that arrived; codes not at all once sent.
    assert str(contact.payload.email_enc).encode() in raw
    for secret in (
        b"kari.nordmann@example.com",
        b"048213",
        b"771902",
        code.payload.code_enc.encode(),
    ):
        assert secret not in raw


async def test_code_by_sms_is_written_by_the_file_sink(
    make_service: MakeService, adieu: Platform, mail_catcher: MailCatcher, tmp_path: Path
) -> None:
    account = str(uuid.uuid4())
    code = adieu.code(account, "305117", channel="sms")
    async with serving(make_service(mail_catcher.port)):
        await adieu.send(adieu.contact(account, "en", email="ola@example.com", phone="+4791234567"))
        await adieu.send(code)
        delivered = await eventually(
            lambda: _delivered(adieu, code.payload.notification_id), what="the SMS"
        )

    assert delivered[0].payload.channel == "sms"
    files = list((tmp_path / "sms").iterdir())
    assert len(files) == 1
    to, blank, text = files[0].read_text(encoding="utf-8").split("\n", 2)
    assert (to, blank) == ("To: +4791234567", "")
    assert SIX_DIGITS.findall(text) == ["305117"]
    assert "valid for 10 minutes" in text
    assert _mails(mail_catcher.directory) == []


async def test_mail_waits_while_the_smtp_server_is_down(
    make_service: MakeService, adieu: Platform, tmp_path: Path
) -> None:
    port = free_port()  # nothing listens here yet
    service = make_service(port)
    account = str(uuid.uuid4())
    code = adieu.code(account, "620384")
    async with serving(service):
        await adieu.send(adieu.contact(account, "en", email="late@example.com"))
        await adieu.send(code)

        async def attempted() -> bool:
            row = await service.deps.db.fetch_one("SELECT attempts FROM deliveries")
            return row is not None and row["attempts"] >= 1

        await eventually(attempted, what="a first, refused attempt")
        catcher = MailCatcher(tmp_path / "late-mail", port)
        catcher.start()
        try:
            await eventually(
                lambda: _delivered(adieu, code.payload.notification_id),
                what="delivery after the outage",
            )
        finally:
            catcher.stop()
    mails = _mails(tmp_path / "late-mail")
    assert len(mails) == 1
    assert mails[0]["To"] == "late@example.com"
    assert SIX_DIGITS.findall(_text(mails[0])) == ["620384"]
    assert await adieu.events(NotificationFailed) == []


class _NoSuchUser:
    async def handle_RCPT(  # noqa: N802  # aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        return "550 no such user"


async def test_a_permanent_refusal_fails_the_notification_and_dead_letters_it(
    make_service: MakeService, adieu: Platform
) -> None:
    port = free_port()
    controller = Controller(_NoSuchUser(), hostname="127.0.0.1", port=port)
    controller.start()
    account = str(uuid.uuid4())
    code = adieu.code(account, "550550")
    try:
        async with serving(make_service(port)):
            await adieu.send(adieu.contact(account, "nb", email="gone@example.com"))
            await adieu.send(code)

            async def failed() -> list[NotificationFailed] | None:
                return await adieu.events(NotificationFailed) or None

            failures = await eventually(failed, what="NotificationFailed")
            topic = adieu.settings.topics.notifications
            letters = await eventually(
                lambda: read_dead_letters(adieu.settings.kafka_bootstrap, topic),
                what="the dead letter",
            )
    finally:
        controller.stop()
    assert [f.payload.notification_id for f in failures] == [code.payload.notification_id]
    assert "550" in failures[0].payload.reason
    assert letters == [
        {
            "reason": failures[0].payload.reason,
            "notification_id": code.payload.notification_id,
            "event_type": "CodeDeliveryRequested",
        }
    ]
    for text in (failures[0].payload.reason, str(letters)):
        assert "gone@example.com" not in text
        assert "550550" not in text
    assert await adieu.events(NotificationDelivered) == []


async def test_after_a_purge_only_the_confirmation_goes_out_and_then_the_address_is_gone(
    make_service: MakeService, adieu: Platform, mail_catcher: MailCatcher, tmp_path: Path
) -> None:
    account = str(uuid.uuid4())
    contact = adieu.contact(account, "en", email="leaving@example.com", phone="+4798765432")
    code = adieu.code(account, "918273")
    deadline = datetime(2026, 3, 4, 5, 6, tzinfo=UTC) + timedelta(days=1)
    scheduled = adieu.notice(account, "deletion_scheduled", deadline=deadline)
    purge = new_event(
        AccountPurged,
        account_id=account,
        correlation_id="c-purge",
        occurred_at=datetime.now(UTC),
        request_id="r-1",
        participants=("auth", "survey", "notifier"),
    )
    completed = adieu.notice(account, "deletion_completed")
    async with serving(make_service(mail_catcher.port)):
        for event in (contact, code, scheduled):
            await adieu.send(event)
        await eventually(
            lambda: _delivered(adieu, scheduled.payload.notification_id), what="the notice"
        )
        await adieu.send(purge, topic=adieu.settings.topics.deletion_events)

        async def acknowledged() -> list[Any] | None:
            topic = adieu.settings.topics.purge_completions
            events = await read_events(adieu.settings.kafka_bootstrap, topic)
            return [e for e in events if isinstance(e, PurgeCompleted)] or None

        acks = await eventually(acknowledged, what="PurgeCompleted from the notifier")
        await adieu.send(completed)
        await eventually(
            lambda: _delivered(adieu, completed.payload.notification_id), what="the confirmation"
        )

    assert [(a.payload.request_id, a.payload.participant) for a in acks] == [("r-1", "notifier")]
    mails = {m["Subject"]: m for m in _mails(mail_catcher.directory)}
    assert "on 5 March 2026 at 05:06 UTC" in _text(mails["Your account will be deleted"])
    confirmation = mails["Your account has been deleted"]
    assert confirmation["To"] == "leaving@example.com"
    assert "have now been deleted" in _text(confirmation)
    raw = _database(tmp_path)
    for trace in (
        b"leaving@example.com",
        b"+4798765432",
        b"918273",
        str(contact.payload.email_enc).encode(),
        str(contact.payload.phone_enc).encode(),
        account.encode(),
    ):
        assert trace not in raw
