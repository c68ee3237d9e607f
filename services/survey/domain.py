"""The rules for an answer to the questionnaire, and how it is de-identified; no I/O."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from services.survey.questionnaire import Questionnaire, Section
from services.survey.scrubbing import REMOVED, scrub
from shared.identifier_digests import redact_words

__all__ = [
    "OTHER",
    "RATING_SCALE",
    "Answers",
    "InvalidAnswer",
    "StoredResponse",
    "de_identify",
    "validate",
]

OTHER = "other"
RATING_SCALE = range(1, 6)


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


def has_free_text(answers: Answers) -> bool:
    """Whether the answer carries text to keep (only then must the person's identifiers be
    known, to remove them from it)."""
    texts = (answers.other_reason, answers.other_problem, answers.comment)
    return any(scrub(text) is not None for text in texts)


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


def validate(answers: Answers, questionnaire: Questionnaire) -> None:
    """Raise :class:`InvalidAnswer` for the first rule the answers break."""
    _check_choices(questionnaire, "reasons", answers.reasons, required=True)
    _check_choices(questionnaire, "problems", answers.problems, required=False)
    limit = questionnaire.other_max_length
    _check_other("other_reason", OTHER in answers.reasons, answers.other_reason, limit)
    _check_other("other_problem", OTHER in answers.problems, answers.other_problem, limit)
    for aspect, rating in answers.ratings.items():
        _check_offered(questionnaire, "aspects", aspect, f"ratings.{aspect}")
        if rating not in RATING_SCALE:
            raise InvalidAnswer(f"ratings.{aspect}", "a rating is a whole number from 1 to 5")
    longest = questionnaire.comment_max_length
    if answers.comment is not None and len(answers.comment) > longest:
        raise InvalidAnswer("comment", f"at most {longest} characters")


def _check_choices(
    questionnaire: Questionnaire, section: Section, chosen: tuple[str, ...], *, required: bool
) -> None:
    if required and not chosen:
        raise InvalidAnswer(section, "choose at least one option")
    for index, option_id in enumerate(chosen):
        _check_offered(questionnaire, section, option_id, f"{section}.{index}")
    if len(set(chosen)) != len(chosen):
        raise InvalidAnswer(section, "an option is chosen twice")


def _check_offered(questionnaire: Questionnaire, section: Section, key: str, name: str) -> None:
    option = questionnaire.find(section, key)
    if option is None:
        raise InvalidAnswer(name, "unknown option" if section != "aspects" else "unknown aspect")
    if option.retired:
        raise InvalidAnswer(name, "this option is no longer offered")


def _check_other(name: str, selected: bool, text: str | None, limit: int) -> None:
    if selected and not (text and text.strip()):
        raise InvalidAnswer(name, "describe 'other' in a few words")
    if not selected and text:
        raise InvalidAnswer(name, "only allowed when 'other' is chosen")
    if text and len(text) > limit:
        raise InvalidAnswer(name, f"at most {limit} characters")


def de_identify(
    answers: Answers,
    today: date,
    questionnaire_version: int,
    theirs: Callable[[str], bool] | None,
) -> StoredResponse:
    """The form in which an answer may be kept, under the questionnaire version it answered.

    ``theirs`` recognises the words of the person's own identifiers (from auth's digests);
    None means they are not known, and then no free text is kept at all (fail closed).
    """

    def free_text(text: str | None) -> str | None:
        scrubbed = scrub(text)
        if scrubbed is None:
            return None
        return REMOVED if theirs is None else redact_words(scrubbed, theirs, REMOVED)

    return StoredResponse(
        questionnaire_version=questionnaire_version,
        submitted_on=today,
        reasons=answers.reasons,
        problems=answers.problems,
        ratings=dict(answers.ratings),
        other_reason=free_text(answers.other_reason),
        other_problem=free_text(answers.other_problem),
        comment=free_text(answers.comment),
    )
