"""The e-mail the SMTP adapter builds (sending itself is covered against a real server)."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage

from services.notifier.mailer import SmtpMailer, SmtpOptions
from services.notifier.templates import render
from shared.clock import FrozenClock

SIX_DIGITS = re.compile(rb"(?<!\d)\d{6}(?!\d)")


def _mailer() -> SmtpMailer:
    options = SmtpOptions(
        host="127.0.0.1", port=1025, mail_from="no-reply@shop.example", shop_name="Blåbær Butikk"
    )
    return SmtpMailer(options, FrozenClock())


def test_builds_a_multipart_message_with_the_code_once_in_the_raw_bytes() -> None:
    message = render("deletion_code", "nb", "Blåbær Butikk", code="048213", valid_minutes=10)
    mail = _mailer().build("kari@example.com", message, "abc123")
    raw = mail.as_bytes()
    assert SIX_DIGITS.findall(raw) == [b"048213"]

    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed["To"] == "kari@example.com"
    assert parsed["From"].addresses[0].display_name == "Blåbær Butikk"
    assert parsed["From"].addresses[0].addr_spec == "no-reply@shop.example"
    assert parsed["Message-ID"] == "<abc123@shop.example>"
    assert parsed["Date"] == "Thu, 01 Jan 2026 00:00:00 +0000"
    plain = parsed.get_body(("plain",))
    rich = parsed.get_body(("html",))
    assert plain is not None
    assert rich is not None
    assert "048213" in plain.get_content()
    assert "å slette" in plain.get_content()
    assert "048213" in rich.get_content()
