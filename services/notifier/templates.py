"""The messages the notifier sends, in Norwegian (nb) and English (en), rendered with Jinja2.

Each message is one file, ``messages/<language>/<template>.txt``, that sets ``subject``, ``text``
(paragraphs separated by blank lines) and ``sms``. The HTML part is the shared
``messages/layout.html`` (the shop's name on its colour) filled with the same paragraphs; it
is autoescaped, so a shop name or value can never inject markup. Dates are written out
(``2. februar 2026 kl. 14:30 UTC``) so the only six-digit number in a message is the code
itself, once; the code is never in a subject line, which lock screens show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import jinja2

from services.notifier.domain import Template
from shared.brand import DEFAULT_BRAND_COLOR
from shared.dates import format_deadline
from shared.events import Channel, Language

__all__ = ["MissingValue", "Rendered", "format_deadline", "render"]

_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "messages"),
    autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
    # A value the command did not give fails loudly instead of rendering as an empty string.
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


class MissingValue(ValueError):
    """A template needs a value (code, validity, deadline) that the command did not give."""


@dataclass(frozen=True)
class Rendered:
    """One message in every form a channel may want."""

    subject: str
    text: str
    html: str
    sms: str


def render(
    template: Template,
    language: Language,
    shop_name: str,
    *,
    code: str | None = None,
    valid_minutes: int | None = None,
    deadline: datetime | None = None,
    time_zone: str | None = None,
    channel: Channel | None = None,
    brand_color: str = DEFAULT_BRAND_COLOR,
) -> Rendered:
    """Fill in ``template`` in ``language``; raise :class:`MissingValue` if a value is lacking."""
    values: dict[str, object] = {"shop": shop_name, "channel": channel, "language": language}
    if code is not None:
        values["code"] = code
    if valid_minutes is not None:
        values["minutes"] = valid_minutes
    if deadline is not None:
        values["deadline"] = format_deadline(deadline, language, time_zone)
    try:
        message = _ENVIRONMENT.get_template(f"{language}/{template}.txt").make_module(values)
    except jinja2.UndefinedError:
        raise MissingValue(f"the {template} message lacks a value it needs") from None
    subject, text, sms = (_part(message, name) for name in ("subject", "text", "sms"))
    paragraphs = text.split("\n\n")
    html = _ENVIRONMENT.get_template("layout.html").render(
        language=language,
        subject=subject,
        paragraphs=paragraphs,
        code=code,
        shop=shop_name,
        brand_color=_rgb(brand_color),
    )
    return Rendered(subject=subject, text=text + "\n", html=html, sms=sms)


def _rgb(colour: str) -> str:
    # As rgb(), not #rrggbb: a colour such as #123456 would put a second six-digit number in
    # the e-mail beside the code.
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red},{green},{blue})"


def _part(message: jinja2.environment.TemplateModule, name: str) -> str:
    # The message file's top-level {% set %} blocks are the module's attributes.
    return str(getattr(message, name)).strip()
