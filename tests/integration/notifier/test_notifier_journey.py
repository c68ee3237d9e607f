"""A whole account's story through the notifier, then nothing of it left in its file or logs."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from devstack.mailcatcher import MailCatcher
from shared.events import (
    AccountPurged,
    CodeDeliveryRequested,
    NoticeRequested,
    PurgeCompleted,
    new_event,
)
from tests.integration.notifier.helpers import (
    SIX_DIGITS,
    MakeService,
    Platform,
    all_delivered,
    database_bytes,
    plain_text,
    read_mails,
)
from tests.support.kafka import read_events
from tests.support.polling import eventually
from tests.support.services import serving

OLD_EMAIL, NEW_EMAIL, PHONE = "kari.nordmann@example.com", "kari.ny@example.com", "+4791234567"
RESET_CODE, CHANGE_CODE, DELETION_CODE = "246810", "135791", "975310"


async def _send_and_wait(
    adieu: Platform, *commands: CodeDeliveryRequested | NoticeRequested
) -> None:
    for command in commands:
        await adieu.send(command)
    ids = [c.payload.notification_id for c in commands]
    await eventually(lambda: all_delivered(adieu, ids), what="every message of this step")


async def _purge(adieu: Platform, account: str) -> None:
    purge = new_event(
        AccountPurged,
        account_id=account,
        correlation_id="c-purge",
        occurred_at=datetime.now(UTC),
        request_id="r-1",
        participants=("auth", "survey", "notifier"),
    )
    await adieu.send(purge, topic=adieu.settings.topics.deletion_events)

    async def acknowledged() -> list[Any] | None:
        topic = adieu.settings.topics.purge_completions
        events = await read_events(adieu.settings.kafka_bootstrap, topic)
        return [e for e in events if isinstance(e, PurgeCompleted)] or None

    acks = await eventually(acknowledged, what="PurgeCompleted from the notifier")
    assert [(a.payload.request_id, a.payload.participant) for a in acks] == [("r-1", "notifier")]


async def test_a_whole_journey_in_norwegian_leaves_no_address_or_code_behind(
    make_service: MakeService,
    adieu: Platform,
    mail_catcher: MailCatcher,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="services.notifier")
    caplog.set_level(logging.INFO)
    account = str(uuid.uuid4())
    first = adieu.contact(account, "nb", OLD_EMAIL, PHONE, time_zone="Europe/Oslo")
    changed = adieu.contact(account, "nb", NEW_EMAIL, PHONE, time_zone="Europe/Oslo")
    reset = adieu.code(account, RESET_CODE, channel="sms", purpose="password_reset")
    change = adieu.code(account, CHANGE_CODE, purpose="contact_change", destination=NEW_EMAIL)
    deadline = datetime(2026, 3, 4, 5, 6, tzinfo=UTC)
    async with serving(make_service(mail_catcher.port)):
        await adieu.send(first)
        await _send_and_wait(adieu, reset, change)
        await adieu.send(changed)
        await _send_and_wait(
            adieu,
            adieu.notice(account, "address_changed"),
            adieu.code(account, DELETION_CODE),
            adieu.notice(account, "deletion_scheduled", deadline=deadline),
        )
        await _purge(adieu, account)
        await _send_and_wait(adieu, adieu.notice(account, "deletion_completed"))

    mails = {m["Subject"]: m for m in read_mails(mail_catcher.directory)}
    sent = {subject: (m["To"], plain_text(m)) for subject, m in mails.items()}
    assert sent["Bekreft den nye e-postadressen"][0] == NEW_EMAIL
    assert SIX_DIGITS.findall(sent["Bekreft den nye e-postadressen"][1]) == [CHANGE_CODE]
    assert sent["Kontaktopplysningene dine er endret"][0] == OLD_EMAIL
    assert "E-postadressen på kontoen din" in sent["Kontaktopplysningene dine er endret"][1]
    assert sent["Bekreft sletting av kontoen din"][0] == NEW_EMAIL
    assert SIX_DIGITS.findall(sent["Bekreft sletting av kontoen din"][1]) == [DELETION_CODE]
    assert "4. mars 2026 kl. 06:06 (Europe/Oslo)" in sent["Kontoen din blir slettet"][1]
    assert sent["Kontoen din er slettet"][0] == NEW_EMAIL
    assert "er nå slettet" in sent["Kontoen din er slettet"][1]
    (sms,) = (tmp_path / "sms").iterdir()
    assert sms.read_text(encoding="utf-8").startswith(f"To: {PHONE}\n\n{RESET_CODE} er koden")

    secrets = [OLD_EMAIL, NEW_EMAIL, PHONE, RESET_CODE, CHANGE_CODE, DELETION_CODE]
    raw = database_bytes(tmp_path)
    ciphertexts = [first.payload.email_enc, first.payload.phone_enc, changed.payload.email_enc]
    ciphertexts += [change.payload.code_enc, change.payload.destination_enc]
    for trace in [*secrets, account, *map(str, ciphertexts)]:
        assert trace.encode() not in raw, trace
    logged = [
        f"{record.getMessage()} {vars(record)}"
        for record in caplog.records
        if record.name != "mail.log"  # the test's own SMTP server, not the notifier
    ]
    assert any("sent deletion_code by email" in line for line in logged)
    for secret in secrets:
        assert not [line for line in logged if secret in line], secret
