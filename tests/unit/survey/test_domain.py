"""The rules for an answer, under the shipped questionnaire and under an operator's own."""

from __future__ import annotations

from datetime import date

import pytest

from services.survey.domain import Answers, InvalidAnswer, de_identify, validate
from services.survey.questionnaire import Option, Questionnaire, load_questionnaire

SHIPPED = load_questionnaire()


def _answers(**overrides: object) -> Answers:
    fields: dict[str, object] = {
        "reasons": ("privacy", "other"),
        "problems": ("delivery",),
        "ratings": {"prices": 4, "overall": 2},
        "other_reason": "Moving abroad",
    }
    fields.update(overrides)
    return Answers(**fields)  # type: ignore[arg-type]


def test_a_complete_answer_is_valid() -> None:
    validate(_answers(comment="x" * 2000), SHIPPED)


@pytest.mark.parametrize(
    ("overrides", "field", "detail"),
    [
        ({"reasons": ()}, "reasons", "choose at least one"),
        ({"reasons": ("privacy", "nope")}, "reasons.1", "unknown option"),
        ({"problems": ("nope",)}, "problems.0", "unknown option"),
        ({"reasons": ("privacy", "privacy")}, "reasons", "twice"),
        ({"ratings": {"prices": 0}}, "ratings.prices", "1 to 5"),
        ({"ratings": {"prices": 6}}, "ratings.prices", "1 to 5"),
        ({"ratings": {"mood": 3}}, "ratings.mood", "unknown aspect"),
        ({"other_reason": None}, "other_reason", "describe"),
        ({"other_reason": "   "}, "other_reason", "describe"),
        ({"problems": ("other",)}, "other_problem", "describe"),
        ({"reasons": ("privacy",)}, "other_reason", "only allowed"),
        ({"other_reason": "x" * 201}, "other_reason", "at most 200"),
        ({"comment": "x" * 2001}, "comment", "at most 2000"),
    ],
)
def test_a_broken_rule_names_its_field(
    overrides: dict[str, object], field: str, detail: str
) -> None:
    with pytest.raises(InvalidAnswer, match=detail) as caught:
        validate(_answers(**overrides), SHIPPED)
    assert caught.value.field == field


def _operator_questionnaire() -> Questionnaire:
    return SHIPPED.model_copy(
        update={
            "version": 2,
            "reasons": (
                Option(id="privacy", nb="Personvern", en="Privacy"),
                Option(id="rarely_use", nb="Sjelden", en="Rarely", retired=True),
            ),
            "aspects": (
                Option(id="prices", nb="Priser", en="Prices", retired=True),
                Option(id="delivery_speed", nb="Leveringstid", en="Delivery time"),
            ),
            "comment_max_length": 10,
        }
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"reasons": ("rarely_use",)}, "reasons.0"),
        ({"reasons": ("privacy",), "ratings": {"prices": 3}}, "ratings.prices"),
        ({"reasons": ("privacy",), "ratings": {}, "comment": "x" * 11}, "comment"),
    ],
)
def test_a_retired_option_is_no_longer_accepted(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidAnswer) as caught:
        validate(_answers(other_reason=None, **overrides), _operator_questionnaire())
    assert caught.value.field == field


def test_options_added_by_the_operator_are_accepted() -> None:
    answers = _answers(reasons=("privacy",), other_reason=None, ratings={"delivery_speed": 5})
    validate(answers, _operator_questionnaire())


def test_the_kept_form_has_the_day_the_version_and_scrubbed_text() -> None:
    kept = de_identify(_answers(comment="Ring 912 34 567 ;)"), date(2026, 2, 3), 7, lambda _: False)
    assert kept.questionnaire_version == 7
    assert kept.submitted_on == date(2026, 2, 3)
    assert kept.reasons == ("privacy", "other")
    assert kept.ratings == {"prices": 4, "overall": 2}
    assert kept.comment == "Ring [fjernet] ;)"
