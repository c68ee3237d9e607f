"""Settings from the environment, and the routes they switch, without starting the runtime.

Neither route here touches the database or the broker, so the app is called directly.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from services.survey.app import bootstrap
from services.survey.config import Settings
from shared.config import PlatformSettings
from shared.tokens import new_signing_key, public_key_for

OPERATOR_FILE = """
version = 3

[[reasons]]
id = "privacy"
nb = "Personvern"
en = "Privacy"

[[reasons]]
id = "rarely_use"
nb = "Sjelden"
en = "Rarely"
retired = true

[[reasons]]
id = "moving_abroad"
nb = "Flytter utenlands"
en = "Moving abroad"
"""


@pytest.fixture
def platform() -> PlatformSettings:
    return PlatformSettings(token_public_key=public_key_for(new_signing_key()))


def test_settings_come_from_survey_variables(
    monkeypatch: pytest.MonkeyPatch, platform: PlatformSettings, tmp_path: Path
) -> None:
    monkeypatch.setenv("SURVEY_QUESTIONNAIRE_FILE", str(tmp_path / "q.toml"))
    monkeypatch.setenv("SURVEY_ADMIN_TOKEN", "t" * 32)
    settings = Settings(platform=platform)
    assert settings.questionnaire_file == tmp_path / "q.toml"
    assert settings.admin_token is not None
    assert settings.admin_token.get_secret_value() == "t" * 32
    assert "t" * 32 not in repr(settings)


def test_empty_variables_mean_unset(
    monkeypatch: pytest.MonkeyPatch, platform: PlatformSettings
) -> None:
    monkeypatch.setenv("SURVEY_QUESTIONNAIRE_FILE", "")
    monkeypatch.setenv("SURVEY_ADMIN_TOKEN", "")
    settings = Settings(platform=platform)
    assert (settings.questionnaire_file, settings.admin_token) == (None, None)


def test_a_short_operator_token_is_refused(platform: PlatformSettings) -> None:
    with pytest.raises(ValidationError, match="at least 24 characters"):
        Settings(platform=platform, admin_token="short")


async def test_an_operator_questionnaire_is_what_the_survey_offers(
    platform: PlatformSettings, tmp_path: Path
) -> None:
    path = tmp_path / "questionnaire.toml"
    path.write_text(OPERATOR_FILE, encoding="utf-8")
    service = bootstrap(Settings(data_dir=tmp_path, platform=platform, questionnaire_file=path))
    transport = httpx.ASGITransport(app=service.api)
    async with httpx.AsyncClient(transport=transport, base_url="http://survey") as client:
        survey = (await client.get("/v1/survey", params={"lang": "en"})).json()
    assert survey["version"] == 3
    assert survey["reasons"] == [
        {"id": "privacy", "label": "Privacy"},
        {"id": "moving_abroad", "label": "Moving abroad"},
    ]
    assert survey["problems"] == []
    assert survey["aspects"] == []


async def test_without_an_operator_token_the_report_routes_do_not_exist(
    platform: PlatformSettings, tmp_path: Path
) -> None:
    service = bootstrap(Settings(data_dir=tmp_path, platform=platform))
    transport = httpx.ASGITransport(app=service.api)
    async with httpx.AsyncClient(transport=transport, base_url="http://survey") as client:
        for path in ("summary", "summary.csv", "summary.html"):
            answer = await client.get(
                f"/v1/reports/{path}", headers={"Authorization": "Bearer " + "t" * 32}
            )
            assert answer.status_code == 404
            assert answer.json()["error"] == "not_found"
