"""The questionnaire is data: the shipped file, an operator's own, and files that must not load."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.survey.questionnaire import QuestionnaireError, load_questionnaire

OPERATOR_FILE = """
version = 2

[[reasons]]
id = "privacy"
nb = "Personvern"
en = "Privacy"

[[reasons]]
id = "too_many_messages"
nb = "For mange varsler"
en = "Too many messages"
retired = true

[[reasons]]
id = "moving_abroad"
nb = "Jeg flytter utenlands"
en = "I am moving abroad"

[[aspects]]
id = "overall"
nb = "Generelt"
en = "Overall"
"""


def test_the_shipped_questionnaire_has_the_seed_options_in_both_languages() -> None:
    questionnaire = load_questionnaire()
    assert questionnaire.version == 1
    assert [len(questionnaire.offered(s)) for s in ("reasons", "problems", "aspects")] == [6, 6, 6]
    assert questionnaire.offered("reasons")[-1].id == "other"
    assert questionnaire.offered("problems")[-1].id == "other"
    assert questionnaire.comment_max_length == 2000
    for section in ("reasons", "problems", "aspects"):
        for option in questionnaire.options(section):
            assert option.label("nb")
            assert option.label("en")
            assert option.label("nb") != option.label("en") or option.id == "other"


def test_an_operator_file_adds_and_retires_options(tmp_path: Path) -> None:
    path = tmp_path / "questionnaire.toml"
    path.write_text(OPERATOR_FILE, encoding="utf-8")
    questionnaire = load_questionnaire(path)

    assert questionnaire.version == 2
    assert [o.id for o in questionnaire.offered("reasons")] == ["privacy", "moving_abroad"]
    retired = questionnaire.find("reasons", "too_many_messages")
    assert retired is not None
    assert retired.retired
    assert retired.label("en") == "Too many messages"
    assert questionnaire.find("reasons", "rarely_use") is None
    assert questionnaire.offered("problems") == ()
    # Limits the file leaves out take their defaults.
    assert (questionnaire.comment_max_length, questionnaire.other_max_length) == (2000, 200)


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("version = 1\n[[reasons]]\nid = 'a'\nnb = 'A'\n", "en"),
        ("version = 1\n" + "[[reasons]]\nid = 'a'\nnb = 'A'\nen = 'A'\n" * 2, "ids appear twice"),
        ("version = 1\n[[reasons]]\nid = 'a'\nnb = 'A'\nen = 'A'\nretired = true\n", "retired"),
        ("version = 1\n[[reasons]]\nid = 'Has Spaces'\nnb = 'A'\nen = 'A'\n", "id"),
        ("version = 0\n[[reasons]]\nid = 'a'\nnb = 'A'\nen = 'A'\n", "version"),
        ("version = 1\nreasons = []\ncolour = 'red'\n", "colour"),
        ("version = 1\n[[reasons]\n", "questionnaire"),
    ],
)
def test_a_broken_file_stops_the_service_from_starting(
    tmp_path: Path, text: str, complaint: str
) -> None:
    path = tmp_path / "questionnaire.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(QuestionnaireError, match=complaint):
        load_questionnaire(path)


def test_a_missing_file_names_its_path(tmp_path: Path) -> None:
    with pytest.raises(QuestionnaireError, match=r"nowhere\.toml"):
        load_questionnaire(tmp_path / "nowhere.toml")
