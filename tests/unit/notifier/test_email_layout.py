"""Every e-mail wears the one branded layout, in nb and en; the text part stays plain."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import get_args

import pytest
from markupsafe import escape

from services.notifier.domain import Template
from services.notifier.templates import Rendered, render
from shared.events import Language

# Template is a union of literals (the codes' and the notice kinds'): every name in it.
_TEMPLATES = [name for part in get_args(Template) for name in (get_args(part) or (part,))]
_FOOTER = {
    "nb": "Denne e-posten er sendt automatisk fra Fjellbutikken.",
    "en": "This e-mail was sent automatically by Fjellbutikken.",
}


def _rendered(template: Template, language: Language, colour: str = "#1f5c4a") -> Rendered:
    return render(
        template,
        language,
        "Fjellbutikken",
        deadline=datetime(2026, 12, 1, 19, 37, tzinfo=UTC),
        channel="email",
        brand_color=colour,
        code="482913",  # the notices simply leave code and minutes unused
        valid_minutes=10,
    )


@pytest.mark.parametrize("language", ["nb", "en"])
@pytest.mark.parametrize("template", _TEMPLATES)
def test_every_message_has_the_branded_layout(template: Template, language: Language) -> None:
    rendered = _rendered(template, language)
    html = rendered.html
    band = re.search(r'<td class="brand" style="background:([^;]+);[^"]*">([^<]+)</td>', html)
    assert band is not None, html
    assert band.groups() == ("rgb(31,92,74)", "Fjellbutikken")
    assert _FOOTER[language] in html
    assert f'<html lang="{language}">' in html
    # The text part is the message itself: no markup, no footer added to it.
    text = rendered.text
    assert "<" not in text
    assert _FOOTER[language] not in text
    for paragraph in text.strip().split("\n\n"):
        first_line = paragraph.split("\n")[0]
        assert str(escape(first_line)) in html


def test_the_code_is_set_apart_and_a_colour_adds_no_six_digit_number() -> None:
    html = _rendered("deletion_code", "nb", colour="#123456").html
    assert re.findall(r"(?<!\d)\d{6}(?!\d)", html) == ["482913"]
    assert '<p class="code"' in html
