"""The questionnaire as data: its options, their labels, which are still offered, its version.

The shipped questionnaire is ``questionnaire.toml`` beside this module; an operator points
``SURVEY_QUESTIONNAIRE_FILE`` at their own copy to add or retire options without code changes.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = [
    "Lang",
    "Option",
    "Questionnaire",
    "QuestionnaireError",
    "Section",
    "load_questionnaire",
]

Lang = Literal["nb", "en"]
Section = Literal["reasons", "problems", "aspects"]


class QuestionnaireError(Exception):
    """The questionnaire file cannot be read or breaks a rule; the service must not start."""


class Option(BaseModel):
    """One choice (a reason or a problem) or one rated aspect."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Ids are stored in answers and shown in reports and CSV files, so they stay plain.
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    nb: str = Field(min_length=1, max_length=200)
    en: str = Field(min_length=1, max_length=200)
    retired: bool = False

    def label(self, lang: Lang) -> str:
        """The option's label in ``lang``."""
        return self.nb if lang == "nb" else self.en


class Questionnaire(BaseModel):
    """A version of the questionnaire: every option ever offered, retired ones marked."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = Field(ge=1)
    comment_max_length: int = Field(default=2000, ge=0, le=10_000)
    other_max_length: int = Field(default=200, ge=1, le=2000)
    reasons: tuple[Option, ...]
    problems: tuple[Option, ...] = ()
    aspects: tuple[Option, ...] = ()

    @model_validator(mode="after")
    def _ids_are_unique_and_reasons_offered(self) -> Self:
        for section in ("reasons", "problems", "aspects"):
            ids = [option.id for option in self.options(section)]
            repeated = sorted({key for key in ids if ids.count(key) > 1})
            if repeated:
                raise ValueError(f"{section}: ids appear twice: {', '.join(repeated)}")
        # Choosing a reason is required, so at least one must be on offer.
        if not self.offered("reasons"):
            raise ValueError("reasons: at least one option must not be retired")
        return self

    def options(self, section: Section) -> tuple[Option, ...]:
        """Every option of ``section`` the file knows, retired ones included, in order."""
        options: tuple[Option, ...] = getattr(self, section)
        return options

    def offered(self, section: Section) -> tuple[Option, ...]:
        """The options of ``section`` a person may choose now."""
        return tuple(option for option in self.options(section) if not option.retired)

    def find(self, section: Section, option_id: str) -> Option | None:
        """The option ``option_id`` of ``section``, retired or not; None if the file lacks it."""
        return next((o for o in self.options(section) if o.id == option_id), None)


def load_questionnaire(path: Path | None = None) -> Questionnaire:
    """Read and check a questionnaire file (TOML); without ``path``, the shipped one.

    Raises:
        QuestionnaireError: the file is missing, is not TOML, or breaks a rule.
    """
    source = path or resources.files("services.survey").joinpath("questionnaire.toml")
    try:
        return Questionnaire.model_validate(tomllib.loads(source.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ValidationError) as exc:
        raise QuestionnaireError(f"questionnaire {source}: {exc}") from exc
