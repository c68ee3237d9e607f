"""The notifier against the real broker, a real SMTP server and a real SQLite file."""

from __future__ import annotations

import asyncio
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from devstack.broker import free_port
from devstack.mailcatcher import MailCatcher
from services.notifier.domain import CONTACT_WAIT_REASON
from shared.brand import DEFAULT_SHOP_NAME
from shared.events import (
    NotificationDelayed,
    NotificationDelivered,
    NotificationFailed,
)
from tests.integration.notifier.helpers import (
    SIX_DIGITS,
    MakeService,
    Platform,
    all_delivered,
    database_bytes,
    deliveries_of,
    plain_text,
    read_mails,
)
from tests.support.kafka import read_dead_letters
from tests.support.polling import eventually
from tests.support.services import serving


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
            lambda: deliveries_of(adieu, later.payload.notification_id), what="the later code"
        )
        first = await eventually(
            lambda: deliveries_of(adieu, code.payload.notification_id), what="the code"
        )

    mails = read_mails(mail_catcher.directory)
    assert len(mails) == 2
    assert len(first) == 1
    assert first[0].payload.channel == "email"
    assert first[0].account_id == account
    mail = next(m for m in mails if "048213" in plain_text(m))
    assert mail["To"] == "kari.nordmann@example.com"
    assert mail["From"].addresses[0].display_name == DEFAULT_SHOP_NAME
    assert mail["Subject"] == "Bekreft sletting av kontoen din"
    assert f"Du har bedt om å slette kontoen din hos {DEFAULT_SHOP_NAME}" in plain_text(mail)
    assert SIX_DIGITS.findall(plain_text(mail)) == ["048213"]
    raw = database_bytes(tmp_path)
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
            lambda: deliveries_of(adieu, code.payload.notification_id), what="the SMS"
        )

    assert delivered[0].payload.channel == "sms"
    files = list((tmp_path / "sms").iterdir())
    assert len(files) == 1
    to, blank, text = files[0].read_text(encoding="utf-8").split("\n", 2)
    assert (to, blank) == ("To: +4791234567", "")
    assert SIX_DIGITS.findall(text) == ["305117"]
    assert "valid for 10 minutes" in text
    assert read_mails(mail_catcher.directory) == []


async def test_every_mail_waits_while_the_smtp_server_is_down_and_then_goes_out(
    make_service: MakeService, adieu: Platform, tmp_path: Path
) -> None:
    port = free_port()  # nothing listens here yet
    service = make_service(port)
    people = {str(uuid.uuid4()): (f"late{n}@example.com", f"62038{n}") for n in range(3)}
    codes = [adieu.code(account, code) for account, (_, code) in people.items()]
    first = next(iter(people))
    notice = adieu.notice(first, "deletion_scheduled", deadline=datetime(2026, 5, 6, tzinfo=UTC))
    async with serving(service):
        for account, (address, _) in people.items():
            await adieu.send(adieu.contact(account, "en", email=address))
        for event in codes:
            await adieu.send(event)
        await adieu.send(notice)

        async def all_refused_once() -> bool:
            rows = await service.deps.db.fetch_all("SELECT attempts FROM deliveries")
            return len(rows) == 4 and all(row["attempts"] >= 1 for row in rows)

        await eventually(all_refused_once, what="a first, refused attempt for every message")
        catcher = MailCatcher(tmp_path / "late-mail", port)
        catcher.start()
        try:
            ids = [c.payload.notification_id for c in codes] + [notice.payload.notification_id]
            await eventually(lambda: all_delivered(adieu, ids), what="every mail after the outage")
        finally:
            catcher.stop()
    mails = read_mails(tmp_path / "late-mail")
    assert len(mails) == 4
    for address, code in people.values():
        (mail,) = [m for m in mails if m["To"] == address and m["Subject"].startswith("Confirm")]
        assert SIX_DIGITS.findall(plain_text(mail)) == [code]
    assert await adieu.events(NotificationFailed) == []
    # Each said once, at its first refused attempt, that it is late and still being tried.
    delayed = await adieu.events(NotificationDelayed)
    assert sorted(d.payload.notification_id for d in delayed) == sorted(ids)


class _SlowFor:
    """Accepts everything, but holds RCPT for one address until the test lets go."""

    def __init__(self, slow: str) -> None:
        self.slow = slow
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.delivered: list[str] = []

    async def handle_RCPT(  # noqa: N802  # aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address == self.slow:
            self.arrived.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.delivered.extend(envelope.rcpt_tos)
        return "250 OK"


async def test_a_slow_recipient_does_not_hold_up_another(
    make_service: MakeService, adieu: Platform
) -> None:
    server = _SlowFor("slow@example.com")
    port = free_port()
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    slow, fast = str(uuid.uuid4()), str(uuid.uuid4())
    slow_code, fast_code = adieu.code(slow, "111222"), adieu.code(fast, "333444")
    try:
        async with serving(make_service(port, smtp_timeout_seconds=60)):
            await adieu.send(adieu.contact(slow, "en", email="slow@example.com"))
            await adieu.send(adieu.contact(fast, "nb", email="fast@example.com"))
            await adieu.send(slow_code)

            async def arrived() -> bool:
                return server.arrived.is_set()

            await eventually(arrived, what="the slow recipient's RCPT")
            await adieu.send(fast_code)
            await eventually(
                lambda: deliveries_of(adieu, fast_code.payload.notification_id),
                what="the other recipient's mail while the first is stuck",
            )
            assert server.delivered == ["fast@example.com"]
            assert await deliveries_of(adieu, slow_code.payload.notification_id) is None
            server.release.set()
            await eventually(
                lambda: deliveries_of(adieu, slow_code.payload.notification_id),
                what="the slow mail once the server answers",
            )
    finally:
        server.release.set()
        controller.stop()
    assert server.delivered == ["fast@example.com", "slow@example.com"]


async def test_the_sixth_code_to_one_address_within_ten_minutes_is_throttled(
    make_service: MakeService, adieu: Platform, mail_catcher: MailCatcher
) -> None:
    account = str(uuid.uuid4())
    codes = [adieu.code(account, f"40{n}123", purpose="password_reset") for n in range(6)]
    async with serving(make_service(mail_catcher.port)):
        await adieu.send(adieu.contact(account, "en", email="busy@example.com"))
        for event in codes:
            await adieu.send(event)

        async def throttled() -> list[NotificationFailed] | None:
            return await adieu.events(NotificationFailed) or None

        failures = await eventually(throttled, what="NotificationFailed for the sixth code")
        ids = [c.payload.notification_id for c in codes[:5]]
        await eventually(lambda: all_delivered(adieu, ids), what="the first five codes")
    assert [(f.payload.notification_id, f.payload.reason) for f in failures] == [
        (codes[5].payload.notification_id, "throttled")
    ]
    sent = sorted(SIX_DIGITS.findall(plain_text(m))[0] for m in read_mails(mail_catcher.directory))
    assert sent == [f"40{n}123" for n in range(5)]


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


async def test_a_code_that_arrives_before_the_contact_waits_for_it_and_is_sent(
    make_service: MakeService, adieu: Platform, mail_catcher: MailCatcher, tmp_path: Path
) -> None:
    # Issue 17: after a broker restart auth's outbox ran 28 s behind deletion's, and a code
    # whose contact came second failed for good ("no email address for the account").
    account = str(uuid.uuid4())
    code = adieu.code(account, "530117")
    service = make_service(mail_catcher.port)
    async with serving(service):
        await adieu.send(code)

        async def waiting() -> bool:
            row = await service.deps.db.fetch_one(
                "SELECT status, last_reason FROM deliveries WHERE notification_id = ?",
                (code.payload.notification_id,),
            )
            return row is not None and row["last_reason"] == CONTACT_WAIT_REASON

        await eventually(waiting, what="the code waiting for its contact")
        await adieu.send(adieu.contact(account, "en", email="late.contact@example.com"))
        delivered = await eventually(
            lambda: deliveries_of(adieu, code.payload.notification_id), what="the code sent"
        )
    assert [d.payload.channel for d in delivered] == ["email"]
    [mail] = read_mails(mail_catcher.directory)
    assert mail["To"] == "late.contact@example.com"
    assert "530117" in plain_text(mail)
    assert await adieu.events(NotificationFailed) == []


async def test_a_code_whose_contact_never_arrives_fails_with_a_clear_reason(
    make_service: MakeService, adieu: Platform, mail_catcher: MailCatcher
) -> None:
    account = str(uuid.uuid4())
    code = adieu.code(account, "530118")
    async with serving(make_service(mail_catcher.port, contact_wait_seconds=1.0)):
        await adieu.send(code)

        async def failed() -> list[Any] | None:
            found = await adieu.events(NotificationFailed)
            return [f.payload.reason for f in found] or None

        reasons = await eventually(failed, what="the code failing")
    assert reasons == ["no contact details for the account arrived within 1 s"]
    assert read_mails(mail_catcher.directory) == []
