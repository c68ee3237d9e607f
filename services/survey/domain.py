"""The questionnaire and the rules for an answer to it; no I/O.

Wording follows the seed's options in our own words; the shop's name never appears, so the
texts stay brand-neutral.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

__all__ = [
    "ASPECTS",
    "COMMENT_MAX_LENGTH",
    "OTHER",
    "PROBLEMS",
    "QUESTIONNAIRE_VERSION",
    "REASONS",
    "Answers",
    "InvalidAnswer",
    "StoredResponse",
    "de_identify",
    "labels",
    "scrub",
    "validate",
]

Lang = Literal["nb", "en"]
QUESTIONNAIRE_VERSION = 1
COMMENT_MAX_LENGTH = 2000
OTHER_MAX_LENGTH = 200
OTHER = "other"

REASONS: dict[str, dict[Lang, str]] = {
    "rarely_use": {"nb": "Jeg handler sjelden i butikken", "en": "I rarely shop here"},
    "products_or_service": {
        "nb": "Jeg er misfornøyd med produktene eller kundeservicen",
        "en": "I am unhappy with the products or customer service",
    },
    "too_many_messages": {
        "nb": "Jeg får for mange varsler eller reklamer",
        "en": "I get too many notifications or ads",
    },
    "privacy": {
        "nb": "Jeg er bekymret for personvernet og dataene mine",
        "en": "I am worried about my privacy and personal data",
    },
    "found_alternative": {
        "nb": "Jeg har funnet en annen butikk som passer meg bedre",
        "en": "I found another shop that suits me better",
    },
    OTHER: {"nb": "Annet", "en": "Other"},
}

PROBLEMS: dict[str, dict[Lang, str]] = {
    "damaged_or_not_as_described": {
        "nb": "Varer var skadet eller stemte ikke med beskrivelsen",
        "en": "Items were damaged or not as described",
    },
    "delivery": {"nb": "Forsinket eller feil levering", "en": "Late or wrong delivery"},
    "payments": {
        "nb": "Avviste eller usikre betalinger",
        "en": "Declined or insecure payments",
    },
    "disputes": {
        "nb": "Uløste eller utilfredsstillende tvister",
        "en": "Unresolved or unsatisfying disputes",
    },
    "reaching_support": {
        "nb": "Vanskelig å komme i kontakt med kundeservice",
        "en": "Hard to reach customer service",
    },
    OTHER: {"nb": "Annet", "en": "Other"},
}

ASPECTS: dict[str, dict[Lang, str]] = {
    "product_quality": {"nb": "Produktkvalitet", "en": "Product quality"},
    "product_selection": {"nb": "Utvalg", "en": "Product selection"},
    "prices": {"nb": "Priser", "en": "Prices"},
    "customer_service": {"nb": "Kundeservice", "en": "Customer service"},
    "usability": {"nb": "Brukervennlighet på nettsted og app", "en": "Website and app usability"},
    "overall": {"nb": "Generell tilfredshet", "en": "Overall satisfaction"},
}


class InvalidAnswer(Exception):
    """An answer breaks a rule; ``field`` names where."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field
        self.detail = detail


@dataclass(frozen=True)
class Answers:
    """What a person sent, before it is de-identified."""

    reasons: tuple[str, ...]
    problems: tuple[str, ...]
    ratings: dict[str, int] = field(default_factory=dict)
    other_reason: str | None = None
    other_problem: str | None = None
    comment: str | None = None


@dataclass(frozen=True)
class StoredResponse:
    """An answer as kept: no account, no request, only the day, free text scrubbed."""

    questionnaire_version: int
    submitted_on: date
    reasons: tuple[str, ...]
    problems: tuple[str, ...]
    ratings: dict[str, int]
    other_reason: str | None
    other_problem: str | None
    comment: str | None


def labels(options: dict[str, dict[Lang, str]], lang: Lang) -> list[dict[str, str]]:
    """Options as ``[{id, label}]`` in one language, in their defined order."""
    return [{"id": key, "label": text[lang]} for key, text in options.items()]


def validate(answers: Answers) -> None:
    """Raise :class:`InvalidAnswer` for the first rule the answers break."""
    _check_choices("reasons", answers.reasons, REASONS, required=True)
    _check_choices("problems", answers.problems, PROBLEMS, required=False)
    _check_other("other_reason", OTHER in answers.reasons, answers.other_reason)
    _check_other("other_problem", OTHER in answers.problems, answers.other_problem)
    for aspect, rating in answers.ratings.items():
        if aspect not in ASPECTS:
            raise InvalidAnswer(f"ratings.{aspect}", "unknown aspect")
        if not 1 <= rating <= 5:
            raise InvalidAnswer(f"ratings.{aspect}", "a rating is a whole number from 1 to 5")
    if answers.comment is not None and len(answers.comment) > COMMENT_MAX_LENGTH:
        raise InvalidAnswer("comment", f"at most {COMMENT_MAX_LENGTH} characters")


def _check_choices(
    name: str, chosen: tuple[str, ...], options: dict[str, dict[Lang, str]], *, required: bool
) -> None:
    if required and not chosen:
        raise InvalidAnswer(name, "choose at least one option")
    for index, option in enumerate(chosen):
        if option not in options:
            raise InvalidAnswer(f"{name}.{index}", "unknown option")
    if len(set(chosen)) != len(chosen):
        raise InvalidAnswer(name, "an option is chosen twice")


def _check_other(name: str, selected: bool, text: str | None) -> None:
    if selected and not (text and text.strip()):
        raise InvalidAnswer(name, "describe 'other' in a few words")
    if not selected and text:
        raise InvalidAnswer(name, "only allowed when 'other' is chosen")
    if text and len(text) > OTHER_MAX_LENGTH:
        raise InvalidAnswer(name, f"at most {OTHER_MAX_LENGTH} characters")


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_URL = re.compile(r"(https?://|www\.)\S+", re.IGNORECASE)
# Runs of 8+ digits, allowing the spaces, dashes and dots people type inside numbers.
_PHONE = re.compile(r"\+?\d[\d\s().-]{6,}\d")
_REMOVED = "[fjernet]"


def scrub(text: str | None) -> str | None:
    """Remove e-mail addresses, URLs and phone numbers from free text."""
    if text is None:
        return None
    for pattern in (_EMAIL, _URL, _PHONE):
        text = pattern.sub(_REMOVED, text)
    return text.strip() or None


def de_identify(answers: Answers, today: date) -> StoredResponse:
    """The form in which an answer may be kept."""
    return StoredResponse(
        questionnaire_version=QUESTIONNAIRE_VERSION,
        submitted_on=today,
        reasons=answers.reasons,
        problems=answers.problems,
        ratings=dict(answers.ratings),
        other_reason=scrub(answers.other_reason),
        other_problem=scrub(answers.other_problem),
        comment=scrub(answers.comment),
    )
