"""The survey service against the real broker and a real SQLite file.

One service serves the whole module; each test uses account and request ids of its own.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import pytest_asyncio

from services.survey.app import Service, bootstrap
from services.survey.config import Settings
from shared.config import PlatformSettings
from shared.events import (
    AccountPurged,
    DeletionRequested,
    PurgeCompleted,
    SessionsRevoked,
    SurveySubmitted,
    new_event,
)
from tests.support.kafka import produce_event, produce_raw, read_dead_letters, read_events
from tests.support.platform import Keys
from tests.support.polling import eventually
from tests.support.services import bearer, serving
from tests.support.sqlite_files import stored_bytes
from tests.support.survey import digests_issued

pytestmark = pytest.mark.asyncio(loop_scope="module")


@dataclass(frozen=True)
class Running:
    service: Service
    client: httpx.AsyncClient
    platform: PlatformSettings
    keys: Keys


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def running(
    module_platform: PlatformSettings,
    module_keys: Keys,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Running]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("survey"), platform=module_platform)
    service = bootstrap(settings)
    async with serving(service) as client:
        yield Running(service, client, module_platform, module_keys)


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


async def test_questionnaire_is_served_in_both_languages(running: Running) -> None:
    nb = (await running.client.get("/v1/survey", params={"lang": "nb"})).json()
    en = (await running.client.get("/v1/survey", params={"lang": "en"})).json()
    assert [r["id"] for r in nb["reasons"]][-1] == "other"
    assert len(nb["reasons"]) == 6
    assert len(nb["problems"]) == 6
    assert len(nb["aspects"]) == 6
    assert nb["reasons"][0]["label"] != en["reasons"][0]["label"]
    assert (nb["version"], nb["comment_max_length"], nb["other_max_length"]) == (1, 2000, 200)


async def _request_deletion(running: Running, account_id: str, request_id: str) -> None:
    """Deletion's event, on deletion's topic, as deletion sends it (and auth's answer to it)."""
    requested = new_event(
        DeletionRequested,
        account_id=account_id,
        correlation_id="c-0",
        occurred_at=datetime.now(UTC),
        request_id=request_id,
        channel="email",
        survey_required=True,
    )
    platform = running.platform
    await produce_event(platform.kafka_bootstrap, platform.topics.deletion_events, requested)
    # And auth's digests of the person's identifier words (none of them in these answers).
    digests = digests_issued(request_id, account_id, username="somebody")
    await produce_event(platform.kafka_bootstrap, platform.topics.auth_events, digests)


async def test_send_publishes_survey_submitted_without_answers(running: Running) -> None:
    client, platform, keys = running.client, running.platform, running.keys
    account_id, request_id = str(uuid.uuid4()), str(uuid.uuid4())
    token = bearer(keys.signing_key, account_id)
    # Sent at once after the request: the answer waits for the event to reach the survey.
    await _request_deletion(running, account_id, request_id)
    answer = await client.post("/v1/responses", json=_answer(request_id), headers=token)
    assert answer.status_code == 201, answer.text
    # Sent is final: a second send is refused, and there is no route to change an answer.
    again = await client.post("/v1/responses", json=_answer(request_id), headers=token)
    assert again.status_code == 409
    assert again.json()["error"] == "already_submitted"
    for method in ("PUT", "PATCH", "DELETE"):
        changed = await client.request(method, "/v1/responses", json=_answer(request_id))
        assert changed.status_code == 405

    async def submitted() -> list[SurveySubmitted] | None:
        events = await read_events(platform.kafka_bootstrap, platform.topics.survey_events)
        ours = [e for e in events if isinstance(e, SurveySubmitted)]
        return [e for e in ours if e.account_id == account_id] or None

    events = await eventually(submitted, what="SurveySubmitted on the survey topic")
    assert len(events) == 1
    assert events[0].payload.model_dump() == {"request_id": request_id}

    traces = (account_id, request_id, "kari@example.com", "912 34 567", "https://x.example")

    async def scrubbed() -> bool:
        raw = stored_bytes(running.service.deps.db.path)
        return not any(trace.encode() in raw for trace in traces)

    # The published outbox row's old page lives in the SQLite log until the runtime scrubs it
    # (seconds after the write, see shared.db); after that nothing of it may be found.
    await eventually(scrubbed, timeout=30, what="the file and its log free of every trace")


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"reasons": ["nope"]}, "reasons.0"),
        ({"reasons": []}, "reasons"),
        ({"problems": ["delivery", "delivery"]}, "problems"),
        ({"ratings": {"prices": 6}}, "ratings.prices"),
        ({"ratings": {"prices": 0}}, "ratings.prices"),
        ({"ratings": {"prices": "4"}}, "ratings.prices"),
        ({"ratings": {"mood": 3}}, "ratings.mood"),
        ({"reasons": ["other"], "other_reason": None}, "other_reason"),
        ({"problems": ["other"]}, "other_problem"),
        ({"comment": "x" * 2001}, "comment"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_invalid_answers_are_refused_naming_the_field(
    running: Running, override: dict[str, object], field: str
) -> None:
    answer = await running.client.post(
        "/v1/responses",
        json=_answer(str(uuid.uuid4()), **override),
        headers=bearer(running.keys.signing_key, str(uuid.uuid4())),
    )
    assert answer.status_code == 422
    assert answer.json()["error"] == "validation_error"
    assert answer.json()["field"] == field


async def test_no_one_but_the_owner_answers_a_request_awaiting_its_survey(
    running: Running,
) -> None:
    client, signing = running.client, running.keys.signing_key
    owner, intruder, request_id = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    await _request_deletion(running, owner, request_id)
    # Both wait out the bound before their refusal; sent together, the test waits for it once.
    stolen, made_up = await asyncio.gather(
        client.post("/v1/responses", json=_answer(request_id), headers=bearer(signing, intruder)),
        client.post(
            "/v1/responses", json=_answer(str(uuid.uuid4())), headers=bearer(signing, owner)
        ),
    )
    # Alike, and no "never" either: survey cannot tell a made-up id from one on its way.
    for refused in (stolen, made_up):
        assert refused.status_code == 409
        assert refused.json()["error"] == "request_not_yet_known"
        assert refused.headers["Retry-After"] == str(refused.json()["retry_after"])
    assert stolen.json() == made_up.json()
    # The intruder's attempt left the owner's request open.
    mine = await client.post(
        "/v1/responses", json=_answer(request_id), headers=bearer(signing, owner)
    )
    assert mine.status_code == 201, mine.text


async def test_sending_without_a_token_is_refused(running: Running) -> None:
    answer = await running.client.post("/v1/responses", json=_answer(str(uuid.uuid4())))
    assert answer.status_code == 401
    assert answer.json()["error"] == "unauthorized"


async def test_purge_is_acknowledged_once_even_when_delivered_twice(running: Running) -> None:
    platform = running.platform
    purge = new_event(
        AccountPurged,
        account_id=str(uuid.uuid4()),
        correlation_id="c-1",
        occurred_at=datetime.now(UTC),
        request_id="r-1",
        participants=("auth", "survey", "notifier"),
    )
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


async def test_a_revoked_session_cannot_send_the_survey(running: Running) -> None:
    platform = running.platform
    account_id = str(uuid.uuid4())
    old_token = bearer(running.keys.signing_key, account_id)
    revoked = new_event(
        SessionsRevoked,
        account_id=account_id,
        correlation_id="c-2",
        # Whole seconds in the past, so the old token's iat is before it.
        occurred_at=datetime.now(UTC),
        revoked_before=datetime.now(UTC) + timedelta(seconds=2),
        reason="password_changed",
    )
    await produce_event(platform.kafka_bootstrap, platform.topics.auth_events, revoked)

    async def refused() -> dict[str, object] | None:
        answer = await running.client.post(
            "/v1/responses", json=_answer(str(uuid.uuid4())), headers=old_token
        )
        return answer.json() if answer.status_code == 401 else None

    body = await eventually(refused, what="the revoked token refused")
    assert body["error"] == "session_revoked"
