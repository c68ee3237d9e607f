"""The notifier's message texts: languages, the one code, dates, escaping."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.notifier.domain import Template
from services.notifier.templates import MissingValue, Rendered, format_deadline, render
from shared.events import Channel, Language

SIX_DIGITS = re.compile(r"(?<!\d)\d{6}(?!\d)")
DEADLINE = datetime(2026, 2, 3, 14, 5, 9, tzinfo=UTC)


def _all(rendered: Rendered) -> dict[str, str]:
    return {"text": rendered.text, "html": rendered.html, "sms": rendered.sms}


@pytest.mark.parametrize("language", ["nb", "en"])
@pytest.mark.parametrize("code", ["123456", "000042", "999999"])
def test_code_appears_once_and_no_other_six_digit_number(language: Language, code: str) -> None:
    rendered = render("deletion_code", language, "Adieu Shop", code=code, valid_minutes=10)
    for part, body in _all(rendered).items():
        assert SIX_DIGITS.findall(body) == [code], part
    assert code not in rendered.subject


@pytest.mark.parametrize(
    ("language", "validity"),
    [("nb", "gyldig i 10 minutter"), ("en", "valid for 10 minutes")],
)
def test_code_message_says_how_long_the_code_is_valid(language: Language, validity: str) -> None:
    rendered = render("deletion_code", language, "Adieu Shop", code="123456", valid_minutes=10)
    assert validity in rendered.text
    assert validity in rendered.sms
    assert validity in rendered.html


def test_norwegian_text_keeps_its_letters() -> None:
    rendered = render("deletion_code", "nb", "Adieu Shop", code="123456", valid_minutes=10)
    assert "å slette" in rendered.text
    assert "Bekreft sletting" in rendered.subject
    completed = render("deletion_completed", "nb", "Blåbær & Søtt")
    assert "Blåbær &amp; Søtt" in completed.html
    assert "Blåbær & Søtt" in completed.text


@pytest.mark.parametrize(
    ("language", "expected"),
    [("nb", "3. februar 2026 kl. 14:05 UTC"), ("en", "3 February 2026 at 14:05 UTC")],
)
def test_scheduled_notice_states_the_deadline_in_utc(language: Language, expected: str) -> None:
    oslo = DEADLINE.astimezone(timezone(timedelta(hours=1)))
    rendered = render("deletion_scheduled", language, "Adieu Shop", deadline=oslo)
    assert expected in rendered.text
    assert expected in rendered.sms
    for body in _all(rendered).values():
        assert SIX_DIGITS.findall(body) == []


@pytest.mark.parametrize("language", ["nb", "en"])
def test_deadline_formats_never_hold_six_digits(language: Language) -> None:
    moment = datetime(2099, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    for day in range(0, 400, 7):
        assert SIX_DIGITS.search(format_deadline(moment - timedelta(days=day), language)) is None


def test_html_escapes_every_value() -> None:
    rendered = render("deletion_completed", "en", '<script>alert("x")</script>')
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;" in rendered.html


def test_languages_differ() -> None:
    nb = render("deletion_completed", "nb", "Adieu Shop")
    en = render("deletion_completed", "en", "Adieu Shop")
    assert nb.subject == "Kontoen din er slettet"
    assert en.subject == "Your account has been deleted"
    assert nb.text != en.text


def test_missing_values_are_refused() -> None:
    with pytest.raises(MissingValue):
        render("deletion_code", "nb", "Adieu Shop", valid_minutes=10)
    with pytest.raises(MissingValue):
        render("deletion_scheduled", "en", "Adieu Shop")


CODE_TEMPLATES: list[Template] = ["deletion_code", "password_reset_code", "contact_change_code"]
NOTICE_TEMPLATES: list[Template] = [
    "deletion_scheduled",
    "deletion_completed",
    "address_changed",
    "deletion_held",
    "deletion_resumed",
    "export_ready",
]
SHOP = "Blåbær & Søtt"  # æ, ø and å, and an ampersand for the HTML part to escape


def _any(template: Template, language: Language, channel: Channel = "email") -> Rendered:
    return render(
        template,
        language,
        SHOP,
        code="035791",
        valid_minutes=10,
        deadline=DEADLINE,
        time_zone="Europe/Oslo",
        channel=channel,
    )


@pytest.mark.parametrize("template", CODE_TEMPLATES + NOTICE_TEMPLATES)
@pytest.mark.parametrize("language", ["nb", "en"])
def test_every_message_keeps_norwegian_letters_in_every_part(
    template: Template, language: Language
) -> None:
    rendered = _any(template, language)
    assert SHOP in rendered.text
    assert SHOP in rendered.sms
    assert "Blåbær &amp; Søtt" in rendered.html
    assert rendered.subject
    if language == "nb":
        assert {"å", "ø"} & set(rendered.text + rendered.subject)  # the words, not just the shop


@pytest.mark.parametrize("template", CODE_TEMPLATES)
@pytest.mark.parametrize("language", ["nb", "en"])
@pytest.mark.parametrize("channel", ["email", "sms"])
def test_every_code_appears_once_as_the_only_six_digit_number(
    template: Template, language: Language, channel: Channel
) -> None:
    rendered = _any(template, language, channel)
    for part, body in _all(rendered).items():
        assert SIX_DIGITS.findall(body) == ["035791"], part
    assert SIX_DIGITS.findall(rendered.subject) == []


@pytest.mark.parametrize("template", NOTICE_TEMPLATES)
@pytest.mark.parametrize("language", ["nb", "en"])
def test_notices_hold_no_six_digit_number(template: Template, language: Language) -> None:
    rendered = render(template, language, SHOP, deadline=DEADLINE, channel="email")
    for body in (*_all(rendered).values(), rendered.subject):
        assert SIX_DIGITS.findall(body) == []


@pytest.mark.parametrize(
    ("language", "expected"),
    [("nb", "3. februar 2026 kl. 15:05 (Europe/Oslo)"), ("en", "3 February 2026 at 15:05")],
)
def test_deadline_is_shown_in_the_persons_time_zone(language: Language, expected: str) -> None:
    rendered = render(
        "deletion_scheduled", language, SHOP, deadline=DEADLINE, time_zone="Europe/Oslo"
    )
    assert expected in rendered.text
    assert expected in rendered.sms


def test_an_unknown_time_zone_falls_back_to_utc() -> None:
    assert format_deadline(DEADLINE, "en", "Mars/Olympus_Mons") == "3 February 2026 at 14:05 UTC"
    assert format_deadline(DEADLINE, "en", None) == "3 February 2026 at 14:05 UTC"


@pytest.mark.parametrize(
    ("channel", "nb", "en"),
    [
        ("email", "den nye e-postadressen din", "your new e-mail address"),
        ("sms", "det nye telefonnummeret ditt", "your new phone number"),
    ],
)
def test_contact_change_code_names_what_is_being_confirmed(
    channel: Channel, nb: str, en: str
) -> None:
    assert nb in _any("contact_change_code", "nb", channel).text
    assert en in _any("contact_change_code", "en", channel).sms


def test_address_changed_notice_tells_the_old_address_what_changed() -> None:
    assert "E-postadressen på kontoen" in _any("address_changed", "nb", "email").text
    assert "The phone number of your account" in _any("address_changed", "en", "sms").text


def test_password_reset_says_what_the_code_is_for() -> None:
    assert "tilbakestille passordet" in _any("password_reset_code", "nb").sms
    assert "reset your password" in _any("password_reset_code", "en").sms
