"""Every error a page can show has its own words in nb and en, and addresses are masked."""

from __future__ import annotations

import pytest

from services.auth.api_errors import ERROR_STATUS
from services.web.backend import Reply
from services.web.masking import mask_address
from services.web.pages.common import field_errors
from services.web.render import Texts
from services.web.texts import TEXTS
from services.web.texts_errors import ERRORS

# Codes deletion and survey answer with that a page shows (auth's come from its own table).
_OTHERS = (
    "invalid_state",
    "request_exists",
    "request_not_found",
    "request_not_yet_known",
    "reauthentication_required",
    "too_many_codes",
    "resend_cooldown",
    "already_submitted",
    "export_in_progress",
    "export_not_found",
    "export_not_ready",
    "export_expired",
)


@pytest.mark.parametrize("code", sorted({*ERROR_STATUS, *_OTHERS}))
def test_every_api_error_reads_in_both_languages(code: str) -> None:
    nb, en = ERRORS[code]
    assert nb
    assert en
    assert nb != en
    if code not in ("validation_error",):
        assert (nb, en) != ERRORS["http_error"]


def test_every_text_has_both_languages() -> None:
    for key, (nb, en) in {**TEXTS, **ERRORS}.items():
        assert nb.strip(), key
        assert en.strip(), key


@pytest.mark.parametrize(
    ("field", "detail", "fallback", "expected"),
    [
        ("reasons", "choose at least one option", "reasons", {"reasons": "Velg minst én grunn."}),
        (
            "password",
            "use at least 8 characters",
            "login",
            {"password": "Passordet må ha minst 8 tegn."},
        ),
        (
            "new_password",
            "use at most 128 characters",
            "x",
            {"new_password": "Passordet kan ha høyst 128 tegn."},
        ),
        (
            "ratings.overall",
            "a rating is a whole number from 1 to 5",
            "reasons",
            {"ratings.overall": "Velg et tall fra 1 til 5, eller «Vil ikke svare»."},
        ),
        (
            "other_reason",
            "describe 'other' in a few words",
            "reasons",
            {"other_reason": "Kryss av for «Annet» og beskriv det med noen få ord."},
        ),
        (
            "phone",
            "sign up with one address; add the other in settings",
            "login",
            {"login": ERRORS["one_address"][0]},
        ),
    ],
)
def test_a_validation_error_says_what_to_do_next_to_its_field(
    field: str, detail: str, fallback: str, expected: dict[str, str]
) -> None:
    known = ("reasons", "password", "new_password", "ratings.overall", "other_reason")
    reply = Reply(422, {"error": "validation_error", "field": field, "detail": detail})
    assert field_errors(reply, Texts("nb", "Fjellbutikken"), fallback, known) == expected


def test_addresses_are_masked() -> None:
    assert mask_address("kari.nordmann@example.com") == "k***@example.com"
    assert mask_address("+4791234567") == "+47*****567"
    assert mask_address("12345") == "*****"
