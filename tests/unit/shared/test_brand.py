"""One shop name and one colour, read by every service that shows them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.deletion.config import Settings as DeletionSettings
from services.notifier.config import Settings as NotifierSettings
from services.web.config import Settings as WebSettings
from shared.crypto import new_key
from tests.support.platform import new_keys


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    keys = new_keys()
    for name, value in {
        "ADIEU_TOKEN_PUBLIC_KEY": keys.public_key,
        "NOTIFIER_KEY_WRAPPING_KEY": keys.notifier_wrapping_key,
        "DELETION_HMAC_KEY": new_key(),
        "WEB_SESSION_KEY": new_key(),
        "WEB_ADMIN_TOKEN": "an operator token of length",
    }.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_one_setting_names_the_shop_everywhere_as_written(
    environment: pytest.MonkeyPatch,
) -> None:
    environment.setenv("ADIEU_SHOP_NAME", "fjellbutikken AS")
    environment.setenv("ADIEU_BRAND_COLOR", "#AA3300")
    # The old per-service names are no longer read: one name cannot drift into three.
    environment.setenv("WEB_SHOP_NAME", "Another")
    environment.setenv("DELETION_SHOP_NAME", "another")
    environment.setenv("NOTIFIER_SHOP_NAME", "Adieu Shop")
    names = {
        settings.shop_name for settings in (DeletionSettings(), NotifierSettings(), WebSettings())
    }
    assert names == {"fjellbutikken AS"}
    assert WebSettings().brand_color == NotifierSettings().brand_color == "#aa3300"


def test_a_colour_is_only_ever_a_plain_hex_triple(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("ADIEU_BRAND_COLOR", "red;} body{display:none")
    with pytest.raises(ValidationError):
        WebSettings()
