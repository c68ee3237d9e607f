"""The messages the notifier sends, in Norwegian (nb) and English (en).

Each text is a few paragraphs of :meth:`str.format` strings. The HTML part is built from the same
paragraphs with every character escaped, so a shop name or value can never inject markup.
Dates are written out (``2. februar 2026 kl. 14:30 UTC``) so the only six-digit number in a
message is the code itself, once; the code is never in a subject line, which lock screens show.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, datetime

from services.notifier.domain import Template
from shared.events import Language

__all__ = ["MissingValue", "Rendered", "format_deadline", "render"]


class MissingValue(ValueError):
    """A template needs a value (code, validity, deadline) that the command did not give."""


@dataclass(frozen=True)
class Rendered:
    """One message in every form a channel may want."""

    subject: str
    text: str
    html: str
    sms: str


@dataclass(frozen=True)
class _Text:
    subject: str
    paragraphs: tuple[str, ...]
    sms: str


_CODE = "{code}"

_TEXTS: dict[Template, dict[Language, _Text]] = {
    "deletion_code": {
        "nb": _Text(
            "Bekreft sletting av kontoen din",
            (
                "Hei!",
                "Du har bedt om å slette kontoen din hos {shop}. Bekreftelseskoden din er:",
                _CODE,
                "Koden er gyldig i {minutes} minutter. Har du ikke bedt om dette, kan du se bort"
                " fra meldingen. Kontoen blir ikke slettet uten koden.",
                "Hilsen\n{shop}",
            ),
            "{code} er koden for å bekrefte sletting av kontoen din hos {shop}."
            " Den er gyldig i {minutes} minutter.",
        ),
        "en": _Text(
            "Confirm the deletion of your account",
            (
                "Hello,",
                "You asked to delete your account at {shop}. Your confirmation code is:",
                _CODE,
                "The code is valid for {minutes} minutes. If you did not ask for this, you can"
                " ignore this message. Your account is not deleted without the code.",
                "Kind regards,\n{shop}",
            ),
            "{code} is the code to confirm the deletion of your account at {shop}."
            " It is valid for {minutes} minutes.",
        ),
    },
    "deletion_scheduled": {
        "nb": _Text(
            "Kontoen din blir slettet",
            (
                "Hei!",
                "Vi har mottatt bekreftelsen din. Kontoen din hos {shop} og opplysningene om deg"
                " blir slettet {deadline}.",
                "Du trenger ikke gjøre noe mer. Vi sender deg en siste melding når slettingen"
                " er fullført.",
                "Hilsen\n{shop}",
            ),
            "Kontoen din hos {shop} blir slettet {deadline}. Vi gir beskjed når det er gjort.",
        ),
        "en": _Text(
            "Your account will be deleted",
            (
                "Hello,",
                "We have received your confirmation. Your account at {shop} and the information"
                " about you will be deleted on {deadline}.",
                "You need not do anything more. We will send you one last message when the"
                " deletion is complete.",
                "Kind regards,\n{shop}",
            ),
            "Your account at {shop} will be deleted on {deadline}. We will tell you when it is"
            " done.",
        ),
    },
    "deletion_completed": {
        "nb": _Text(
            "Kontoen din er slettet",
            (
                "Hei!",
                "Kontoen din hos {shop} og opplysningene om deg er nå slettet.",
                "Dette er den siste meldingen du får fra oss. Adressen vi sendte den til, slettes"
                " så snart meldingen er sendt.",
                "Takk for at du var kunde hos oss.\n{shop}",
            ),
            "Kontoen din hos {shop} er nå slettet. Dette er den siste meldingen du får fra oss.",
        ),
        "en": _Text(
            "Your account has been deleted",
            (
                "Hello,",
                "Your account at {shop} and the information about you have now been deleted.",
                "This is the last message you will get from us. The address we sent it to is"
                " erased as soon as it has been sent.",
                "Thank you for having been our customer.\n{shop}",
            ),
            "Your account at {shop} has now been deleted. This is the last message you will get"
            " from us.",
        ),
    },
}

_MONTHS: dict[Language, tuple[str, ...]] = {
    "nb": (
        "januar",
        "februar",
        "mars",
        "april",
        "mai",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "desember",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}


def format_deadline(deadline: datetime, language: Language) -> str:
    """The deadline in UTC, in words and ``HH:MM`` (no run of six digits)."""
    moment = deadline.astimezone(UTC)
    month = _MONTHS[language][moment.month - 1]
    if language == "nb":
        return f"{moment.day}. {month} {moment.year} kl. {moment:%H:%M} UTC"
    return f"{moment.day} {month} {moment.year} at {moment:%H:%M} UTC"


def render(
    template: Template,
    language: Language,
    shop_name: str,
    *,
    code: str | None = None,
    valid_minutes: int | None = None,
    deadline: datetime | None = None,
) -> Rendered:
    """Fill in ``template`` in ``language``; raise :class:`MissingValue` if a value is lacking."""
    values = {"shop": shop_name}
    if template == "deletion_code":
        if code is None or valid_minutes is None:
            raise MissingValue("a code message needs the code and its validity")
        values |= {"code": code, "minutes": str(valid_minutes)}
    elif template == "deletion_scheduled":
        if deadline is None:
            raise MissingValue("a scheduled-deletion notice needs the deadline")
        values["deadline"] = format_deadline(deadline, language)
    text = _TEXTS[template][language]
    paragraphs = [paragraph.format(**values) for paragraph in text.paragraphs]
    return Rendered(
        subject=text.subject.format(**values),
        text="\n\n".join(paragraphs) + "\n",
        html=_html(text.paragraphs, paragraphs, text.subject.format(**values)),
        sms=text.sms.format(**values),
    )


def _html(sources: tuple[str, ...], paragraphs: list[str], title: str) -> str:
    blocks = []
    for source, paragraph in zip(sources, paragraphs, strict=True):
        body = html.escape(paragraph).replace("\n", "<br>\n")
        if source == _CODE:
            # Large and spaced so it is easy to read, but still one run of digits to copy.
            style = "font-size:28px;font-weight:bold;letter-spacing:4px"
            blocks.append(f'<p style="{style}">{body}</p>')
        else:
            blocks.append(f"<p>{body}</p>")
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n<body>\n"
        + "\n".join(blocks)
        + "\n</body></html>\n"
    )
