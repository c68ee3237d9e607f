"""The consequences texts and the settings' parsing."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.deletion.config import Settings
from services.deletion.consequences import consequences
from shared.crypto import new_key


def test_consequences_list_the_same_losses_in_both_languages() -> None:
    nb = consequences("nb", "Butikken")
    en = consequences("en", "the shop")
    assert [key for key, _ in nb.lost] == [key for key, _ in en.lost]
    assert [key for key, _ in en.lost] == [
        "personal_data",
        "history",
        "benefits",
        "wishlists",
        "reviews",
        "linked_services",
    ]
    assert nb.title != en.title
    assert "Butikken" in nb.intro
    assert "the shop" in en.intro
    assert "never" in en.identifiers
    assert "notifications" in en.alternative
    assert "varsler" in nb.alternative


@pytest.fixture(autouse=True)
def _platform_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADIEU_TOKEN_PUBLIC_KEY", "unused-here")
    monkeypatch.setenv("ADIEU_NOTIFICATION_KEY", new_key())
    monkeypatch.delenv("DELETION_HMAC_KEY", raising=False)


def test_settings_read_participants_as_a_comma_separated_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DELETION_HMAC_KEY", new_key())
    monkeypatch.setenv("DELETION_PARTICIPANTS", "auth, survey,notifier,billing")
    settings = Settings()
    assert settings.participants == ("auth", "survey", "notifier", "billing")
    assert settings.http_port == 8002
    assert settings.grace_seconds == 86400
    assert len(settings.hmac_key_bytes()) == 32


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"hmac_key": "c2hvcnQ"}, "hmac_key"),
        ({"participants": "auth,auth"}, "participants"),
        ({"participants": ""}, "participants"),
    ],
)
def test_settings_refuse_bad_values(overrides: dict[str, str], field: str) -> None:
    values = {"hmac_key": new_key(), **overrides}
    with pytest.raises(ValidationError) as caught:
        Settings(**values)  # type: ignore[arg-type]  # strings are coerced
    assert caught.value.errors()[0]["loc"][0] == field


def test_the_hmac_key_has_no_default() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert [error["loc"] for error in caught.value.errors()] == [("hmac_key",)]
