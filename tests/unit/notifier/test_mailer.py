"""The e-mail the SMTP adapter builds (sending itself is covered against a real server)."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage

import pytest

from services.notifier.domain import PermanentFailure
from services.notifier.mailer import SmtpMailer, SmtpOptions
from services.notifier.templates import Rendered, render
from shared.clock import FrozenClock

SIX_DIGITS = re.compile(rb"(?<!\d)\d{6}(?!\d)")


def _mailer() -> SmtpMailer:
    options = SmtpOptions(
        host="127.0.0.1", port=1025, mail_from="no-reply@shop.example", shop_name="Blåbær Butikk"
    )
    return SmtpMailer(options, FrozenClock())


def test_builds_a_multipart_message_with_the_code_once_in_the_raw_bytes() -> None:
    message = render("deletion_code", "nb", "Blåbær Butikk", code="048213", valid_minutes=10)
    raw = _mailer().build("kari@example.com", message, "abc123")
    assert SIX_DIGITS.findall(raw) == [b"048213"]
    # The boundary is random: in 200 messages none puts another run of six digits beside it.
    for _ in range(200):
        again = _mailer().build("kari@example.com", message, "abc123")
        assert SIX_DIGITS.findall(again) == [b"048213"]

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


def _parsed(raw: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_an_address_with_a_line_break_is_refused_before_any_header_is_written() -> None:
    message = render("deletion_code", "en", "Shop", code="048213", valid_minutes=10)
    with pytest.raises(PermanentFailure):
        _mailer().build("kari@example.com\r\nBcc: eve@example.com", message, "abc123")


def test_non_ascii_names_and_long_subjects_read_back_as_written() -> None:
    long_subject = "Kontoen din hos Blåbær Butikk er slettet, og alt vi hadde om deg er borte nå"
    message = Rendered(subject=long_subject, text="Hei\n", html="<p>Hei</p>", sms="Hei")
    raw = _mailer().build("kåre@example.no", message, "abc123")
    assert raw.isascii()
    assert all(len(line) <= 78 for line in raw.split(b"\r\n"))
    parsed = _parsed(raw)
    assert parsed["Subject"] == long_subject
    assert parsed["To"].addresses[0].addr_spec == "kåre@example.no"
    plain = parsed.get_body(("plain",))
    assert plain is not None
    assert plain.get_content() == "Hei\r\n"  # as read off the wire, line ends and all


def test_each_message_is_written_with_crlf_line_ends_and_one_mime_version() -> None:
    message = render("deletion_completed", "en", "Shop")
    raw = _mailer().build("kari@example.com", message, "abc123")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert raw.count(b"MIME-Version:") == 1
