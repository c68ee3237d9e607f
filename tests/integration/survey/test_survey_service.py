"""The survey service against the real broker and a real SQLite file."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.survey.app import bootstrap
from services.survey.config import Settings
from shared.config import PlatformSettings
from shared.events import (
    AccountPurged,
    PurgeCompleted,
    SessionsRevoked,
    SurveySubmitted,
    new_event,
)
from tests.conftest import Keys
from tests.support.kafka import produce_event, produce_raw, read_dead_letters, read_events
from tests.support.polling import eventually
from tests.support.services import bearer, serving


@pytest.fixture
def service(platform: PlatformSettings, tmp_path: Path):  # type: ignore[no-untyped-def]
    return bootstrap(Settings(data_dir=tmp_path, platform=platform))


def _answer(request_id: str, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "request_id": request_id,
        "reasons": ["privacy", "other"],
        "other_reason": "Moving abroad",
        "problems": ["delivery"],
        "ratings": {"prices": 4, "overall": 2},
        "comment": "Write to me at kari@example.com or +47 912 34 567, see https://x.example/y",
    }
    body.update(overrides)
    return body


async def test_questionnaire_is_served_in_both_languages(service) -> None:  # type: ignore[no-untyped-def]
    async with serving(service) as client:
        nb = (await client.get("/v1/survey", params={"lang": "nb"})).json()
        en = (await client.get("/v1/survey", params={"lang": "en"})).json()
    assert [r["id"] for r in nb["reasons"]][-1] == "other"
    assert len(nb["reasons"]) == 6
    assert len(nb["problems"]) == 6
    assert len(nb["aspects"]) == 6
    assert nb["reasons"][0]["label"] != en["reasons"][0]["label"]
    assert nb["comment_max_length"] == 2000


async def test_send_publishes_survey_submitted_without_answers(
    service,
    platform: PlatformSettings,
    keys: Keys,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    account_id, request_id = str(uuid.uuid4()), str(uuid.uuid4())
    async with serving(service) as client:
        answer = await client.post(
            "/v1/responses", json=_answer(request_id), headers=bearer(keys.signing_key, account_id)
        )
        assert answer.status_code == 201, answer.text
        again = await client.post(
            "/v1/responses", json=_answer(request_id), headers=bearer(keys.signing_key, account_id)
        )
        assert again.status_code == 409
        assert again.json()["error"] == "already_submitted"

        async def submitted() -> list[SurveySubmitted] | None:
            events = await read_events(platform.kafka_bootstrap, platform.topics.survey_events)
            return [e for e in events if isinstance(e, SurveySubmitted)] or None

        events = await eventually(submitted, what="SurveySubmitted on the survey topic")
    assert len(events) == 1
    assert events[0].account_id == account_id
    assert events[0].payload.model_dump() == {"request_id": request_id}

    raw = (tmp_path / "survey" / "survey.sqlite3").read_bytes()
    for trace in (account_id, request_id, "kari@example.com", "912 34 567", "https://x.example"):
        assert trace.encode() not in raw


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"reasons": ["nope"]}, "reasons.0"),
        ({"reasons": []}, "reasons"),
        ({"ratings": {"prices": 6}}, "ratings.prices"),
        ({"ratings": {"prices": 0}}, "ratings.prices"),
        ({"ratings": {"mood": 3}}, "ratings.mood"),
        ({"reasons": ["other"], "other_reason": None}, "other_reason"),
        ({"comment": "x" * 2001}, "comment"),
    ],
)
async def test_invalid_answers_are_refused_naming_the_field(
    service,
    keys: Keys,
    override: dict[str, object],
    field: str,  # type: ignore[no-untyped-def]
) -> None:
    async with serving(service) as client:
        answer = await client.post(
            "/v1/responses",
            json=_answer(str(uuid.uuid4()), **override),
            headers=bearer(keys.signing_key, str(uuid.uuid4())),
        )
    assert answer.status_code == 422
    assert answer.json()["error"] == "validation_error"
    assert answer.json()["field"] == field


async def test_sending_without_a_token_is_refused(service) -> None:  # type: ignore[no-untyped-def]
    async with serving(service) as client:
        answer = await client.post("/v1/responses", json=_answer(str(uuid.uuid4())))
    assert answer.status_code == 401
    assert answer.json()["error"] == "unauthorized"


async def test_purge_is_acknowledged_once_even_when_delivered_twice(
    service,
    platform: PlatformSettings,  # type: ignore[no-untyped-def]
) -> None:
    purge = new_event(
        AccountPurged,
        account_id=str(uuid.uuid4()),
        correlation_id="c-1",
        occurred_at=datetime.now(UTC),
        request_id="r-1",
        participants=("auth", "survey", "notifier"),
    )
    async with serving(service):
        await produce_event(platform.kafka_bootstrap, platform.topics.deletion_events, purge)
        await produce_event(platform.kafka_bootstrap, platform.topics.deletion_events, purge)
        # Same key, so the same partition: the garbage record is read after both copies.
        key = purge.account_id.encode()
        await produce_raw(platform.kafka_bootstrap, platform.topics.deletion_events, key, b"{oops")

        async def dead_letter() -> list[dict[str, object]] | None:
            return (
                await read_dead_letters(platform.kafka_bootstrap, platform.topics.deletion_events)
                or None
            )

        # The garbage record was produced last; once it is dead-lettered, both copies were seen.
        letters = await eventually(dead_letter, what="the undecodable record in the DLQ")
        completions = [
            e
            for e in await read_events(platform.kafka_bootstrap, platform.topics.purge_completions)
            if isinstance(e, PurgeCompleted)
        ]
    assert letters[0]["reason"] == "record is not JSON"
    assert [(c.payload.request_id, c.payload.participant) for c in completions] == [
        ("r-1", "survey")
    ]


async def test_a_revoked_session_cannot_send_the_survey(
    service,
    platform: PlatformSettings,
    keys: Keys,  # type: ignore[no-untyped-def]
) -> None:
    account_id = str(uuid.uuid4())
    old_token = bearer(keys.signing_key, account_id)
    revoked = new_event(
        SessionsRevoked,
        account_id=account_id,
        correlation_id="c-2",
        # Whole seconds in the past, so the old token's iat is before it.
        occurred_at=datetime.now(UTC),
        revoked_before=datetime.now(UTC) + timedelta(seconds=2),
        reason="password_changed",
    )
    async with serving(service) as client:
        await produce_event(platform.kafka_bootstrap, platform.topics.auth_events, revoked)

        async def refused() -> dict[str, object] | None:
            answer = await client.post(
                "/v1/responses", json=_answer(str(uuid.uuid4())), headers=old_token
            )
            return answer.json() if answer.status_code == 401 else None

        body = await eventually(refused, what="the revoked token refused")
    assert body["error"] == "session_revoked"
