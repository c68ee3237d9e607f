"""Where an API error is shown, and in which words (no services needed)."""

from __future__ import annotations

from services.web.backend import Reply
from services.web.pages.common import field_errors
from services.web.render import Texts


def test_a_throttle_says_how_long_to_wait_and_a_burned_code_asks_for_a_new_one() -> None:
    texts = Texts("en", "The Shop")
    throttled = Reply(429, {"error": "too_many_attempts", "retry_after": 30})
    burned = Reply(429, {"error": "too_many_attempts"})
    fields = ("current_password", "new_password")
    assert field_errors(throttled, texts, "current_password", fields) == {
        "current_password": "Too many tries. Wait 30 seconds and try again."
    }
    assert field_errors(burned, texts, "code", ()) == {
        "code": "Too many tries. Ask for a new code."
    }


def test_auths_picture_refusals_are_told_in_words() -> None:
    texts = Texts("nb", "The Shop")
    too_large = Reply(413, {"error": "picture_too_large"})
    invalid = Reply(422, {"error": "invalid_picture", "field": "body"})
    assert field_errors(too_large, texts, "picture", ()) == {"picture": "Bildet er for stort."}
    assert field_errors(invalid, texts, "picture", ()) == {
        "picture": "Filen er ikke et bilde vi kan bruke."
    }
