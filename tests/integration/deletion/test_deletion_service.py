"""The deletion service in-process, against the real broker and a real SQLite file.

The service's clock is frozen (moved by the test) and its codes are known to the test; tokens
are issued on the same clock, as auth would issue them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.deletion.app import Service
from shared.clock import FrozenClock
from shared.config import PlatformSettings
from shared.events import PurgeCompleted, SurveySubmitted, new_event
from tests.integration.deletion.support import (
    account_events,
    deletion_service,
    one_event,
    token,
)
from tests.support.account_keys import AccountKeys
from tests.support.kafka import produce_event, produce_raw, read_dead_letters
from tests.support.platform import Keys
from tests.support.polling import eventually
from tests.support.services import serving

CODE = "482913"
WRONG = "000000"
TICKED = {"understood_consequences": True, "accepted_terms": True, "channel": "email"}


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime.now(UTC))


def _service(
    platform: PlatformSettings, tmp_path: Path, clock: FrozenClock, *, survey_required: bool
) -> Service:
    return deletion_service(platform, tmp_path, clock, CODE, survey_required=survey_required)


@pytest.fixture
def service(platform: PlatformSettings, tmp_path: Path, clock: FrozenClock) -> Service:
    return _service(platform, tmp_path, clock, survey_required=True)


@pytest.fixture
def quick_service(platform: PlatformSettings, tmp_path: Path, clock: FrozenClock) -> Service:
    """The code goes out at creation: no survey in between."""
    return _service(platform, tmp_path, clock, survey_required=False)


async def _create(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    answer = await client.post("/v1/deletion-requests", json=TICKED, headers=headers)
    assert answer.status_code == 201, answer.text
    request_id: str = answer.json()["request_id"]
    return request_id


async def _confirm(
    client: httpx.AsyncClient, request_id: str, code: str, headers: dict[str, str]
) -> httpx.Response:
    return await client.post(
        f"/v1/deletion-requests/{request_id}/confirm", json={"code": code}, headers=headers
    )


async def test_requests_are_guarded(service: Service, keys: Keys, clock: FrozenClock) -> None:
    account = str(uuid.uuid4())
    fresh = token(keys.signing_key, clock, account)
    async with serving(service) as client:
        en = (await client.get("/v1/deletion/consequences", params={"lang": "en"})).json()
        nb = (await client.get("/v1/deletion/consequences", params={"lang": "nb"})).json()
        assert len(en["lost"]) == len(nb["lost"]) == 6
        assert en["title"] != nb["title"]

        for field, value in [
            ("understood_consequences", False),
            ("accepted_terms", 1),
            ("accepted_terms", None),
        ]:
            body = {**TICKED, field: value}
            answer = await client.post("/v1/deletion-requests", json=body, headers=fresh)
            assert answer.status_code == 422, field
            assert answer.json()["error"] == "validation_error"
            assert answer.json()["field"] == field
        extra = await client.post(
            "/v1/deletion-requests", json={**TICKED, "force": True}, headers=fresh
        )
        assert (extra.status_code, extra.json()["field"]) == (422, "force")

        stale = token(keys.signing_key, clock, account, clock.now() - timedelta(seconds=301))
        answer = await client.post("/v1/deletion-requests", json=TICKED, headers=stale)
        assert answer.status_code == 401
        assert answer.json()["error"] == "reauthentication_required"
        anonymous = await client.post("/v1/deletion-requests", json=TICKED)
        assert anonymous.status_code == 401

        request_id = await _create(client, fresh)
        again = await client.post("/v1/deletion-requests", json=TICKED, headers=fresh)
        assert again.status_code == 409
        assert again.json() | {"detail": ""} == {
            "error": "request_exists",
            "detail": "",
            "request_id": request_id,
        }
        stranger = token(keys.signing_key, clock, str(uuid.uuid4()))
        for answer in (
            await client.get(f"/v1/deletion-requests/{request_id}", headers=stranger),
            await _confirm(client, request_id, CODE, stranger),
        ):
            assert (answer.status_code, answer.json()["error"]) == (404, "request_not_found")
        early = await _confirm(client, request_id, CODE, fresh)
        assert (early.status_code, early.json()["error"]) == (409, "invalid_state")
        own = await client.get(f"/v1/deletion-requests/{request_id}", headers=fresh)
        assert own.json() == {
            "request_id": request_id,
            "status": "awaiting_survey",
            "code_delivery_failed": False,
            "code_delayed": False,
            "expires_at": (clock.now() + timedelta(days=1)).isoformat().replace("+00:00", "Z"),
            "code_valid_minutes": 10,
        }


async def test_the_whole_journey_from_request_to_purged(
    service: Service, platform: PlatformSettings, keys: Keys, clock: FrozenClock
) -> None:
    account = str(uuid.uuid4())
    topics = platform.topics
    account_keys = AccountKeys()
    async with serving(service) as client:
        request_id = await _create(client, token(keys.signing_key, clock, account))
        # The notifier's key for the account may come late: the code waits for it.
        await account_keys.announce(platform.kafka_bootstrap, topics.notifier_events, account)
        requested = await one_event(platform, topics.deletion_events, "DeletionRequested", account)
        assert requested.payload.model_dump() == {
            "request_id": request_id,
            "channel": "email",
            "survey_required": True,
        }

        await produce_event(
            platform.kafka_bootstrap, topics.survey_events, _survey(request_id, account)
        )
        delivery: Any = await one_event(
            platform, topics.notifications, "CodeDeliveryRequested", account
        )
        assert account_keys.open(delivery.payload.code_enc, account) == CODE
        assert (delivery.payload.purpose, delivery.payload.channel) == ("deletion", "email")
        assert delivery.payload.valid_minutes == 10

        headers = token(keys.signing_key, clock, account)
        wrong = await _confirm(client, request_id, WRONG, headers)
        assert wrong.status_code == 400
        assert wrong.json()["error"] == "invalid_code"
        assert wrong.json()["attempts_left"] == 4
        right = await _confirm(client, request_id, CODE, headers)
        assert right.status_code == 202, right.text
        deadline = datetime.fromisoformat(right.json()["purge_deadline"])
        assert right.json()["status"] == "scheduled"
        assert deadline == clock.now() + timedelta(seconds=86400)
        replay = await _confirm(client, request_id, CODE, headers)
        assert (replay.status_code, replay.json()["error"]) == (409, "invalid_state")

        verified: Any = await one_event(platform, topics.deletion_events, "CodeVerified", account)
        assert verified.payload.purge_deadline == deadline
        scheduled: Any = await one_event(platform, topics.notifications, "NoticeRequested", account)
        assert (scheduled.payload.notice, scheduled.payload.deadline) == (
            "deletion_scheduled",
            deadline,
        )

        clock.advance(86400)
        purged: Any = await one_event(platform, topics.deletion_events, "AccountPurged", account)
        assert purged.payload.participants == ("auth", "survey", "notifier")

        headers = token(keys.signing_key, clock, account)
        status = await client.get(f"/v1/deletion-requests/{request_id}", headers=headers)
        assert status.json()["status"] == "purging"
        assert status.json()["participants"] == dict.fromkeys(
            purged.payload.participants, "pending"
        )

        await _answer_purge(platform, request_id, account)
        letters = await eventually(
            lambda: _dead_letters(platform), what="the marker record in the DLQ"
        )
        assert [letter["reason"] for letter in letters] == ["record is not JSON"]

        status = await client.get(f"/v1/deletion-requests/{request_id}", headers=headers)
        assert status.json() == {
            "request_id": request_id,
            "status": "purged",
            "code_delivery_failed": False,
            "code_delayed": False,
            "purge_deadline": right.json()["purge_deadline"],
            "participants": dict.fromkeys(purged.payload.participants, "completed"),
        }
        events = await account_events(platform, topics.deletion_events, "AccountPurged", account)
        assert len(events) == 1
        completed = await account_events(
            platform, topics.deletion_events, "DeletionCompleted", account
        )
        assert len(completed) == 1
        notices = await account_events(platform, topics.notifications, "NoticeRequested", account)
        assert sorted(n.payload.notice for n in notices) == [  # type: ignore[union-attr]
            "deletion_completed",
            "deletion_scheduled",
        ]


async def test_an_expired_code_is_refused(
    quick_service: Service, platform: PlatformSettings, keys: Keys, clock: FrozenClock
) -> None:
    account = str(uuid.uuid4())
    async with serving(quick_service) as client:
        headers = token(keys.signing_key, clock, account)
        request_id = await _create(client, headers)
        clock.advance(600)
        headers = token(keys.signing_key, clock, account)
        answer = await _confirm(client, request_id, CODE, headers)
        status = await client.get(f"/v1/deletion-requests/{request_id}", headers=headers)
    assert answer.status_code == 410
    assert answer.json()["error"] == "code_expired"
    assert status.json()["status"] == "awaiting_code"


async def test_five_wrong_codes_burn_the_code(
    quick_service: Service, keys: Keys, clock: FrozenClock
) -> None:
    account = str(uuid.uuid4())
    async with serving(quick_service) as client:
        headers = token(keys.signing_key, clock, account)
        request_id = await _create(client, headers)
        answers = [await _confirm(client, request_id, WRONG, headers) for _ in range(5)]
        after = await _confirm(client, request_id, CODE, headers)
        status = await client.get(f"/v1/deletion-requests/{request_id}", headers=headers)
    assert status.json()["status"] == "awaiting_code"
    assert [a.json().get("attempts_left") for a in answers[:4]] == [4, 3, 2, 1]
    assert [a.status_code for a in answers] == [400, 400, 400, 400, 429]
    assert (after.status_code, after.json()["error"]) == (429, "too_many_attempts")


async def test_surveys_that_do_not_fit_a_request_go_to_the_dead_letter_queue(
    service: Service, platform: PlatformSettings, keys: Keys, clock: FrozenClock
) -> None:
    account = str(uuid.uuid4())
    topic = platform.topics.survey_events
    notifier_topic = platform.topics.notifier_events
    await AccountKeys().announce(platform.kafka_bootstrap, notifier_topic, account)
    async with serving(service) as client:
        request_id = await _create(client, token(keys.signing_key, clock, account))
        for event in (
            _survey(request_id, str(uuid.uuid4())),
            _survey(str(uuid.uuid4()), account),
            _survey(request_id, account),
            _survey(request_id, account),
        ):
            await produce_event(platform.kafka_bootstrap, topic, event)

        async def three_letters() -> list[dict[str, Any]] | None:
            letters = await read_dead_letters(platform.kafka_bootstrap, topic)
            return letters if len(letters) >= 3 else None

        letters = await eventually(three_letters, what="three dead letters")
    assert sorted(letter["reason"] for letter in letters) == [
        "a request that is awaiting_code cannot become awaiting_code",
        "the deletion request belongs to another account",
        "unknown deletion request",
    ]
    deliveries = await account_events(
        platform, platform.topics.notifications, "CodeDeliveryRequested", account
    )
    assert len(deliveries) == 1


def _survey(request_id: str, account_id: str) -> Any:
    return new_event(
        SurveySubmitted,
        account_id=account_id,
        correlation_id="test",
        occurred_at=datetime.now(UTC),
        request_id=request_id,
    )


async def _answer_purge(platform: PlatformSettings, request_id: str, account_id: str) -> None:
    """Each participant answers; notifier twice, auth's answer is redelivered; then a marker."""
    topic = platform.topics.purge_completions
    answers = {
        name: new_event(
            PurgeCompleted,
            account_id=account_id,
            correlation_id="test",
            occurred_at=datetime.now(UTC),
            request_id=request_id,
            participant=name,
        )
        for name in ("auth", "survey", "notifier")
    }
    again = answers["notifier"].model_copy(update={"event_id": uuid.uuid4()})
    for event in (*answers.values(), again, answers["auth"]):
        await produce_event(platform.kafka_bootstrap, topic, event)
    # Same key, so same partition: once this is dead-lettered, everything before it was handled.
    await produce_raw(platform.kafka_bootstrap, topic, account_id.encode(), b"marker")


async def _dead_letters(platform: PlatformSettings) -> list[dict[str, Any]] | None:
    return (
        await read_dead_letters(platform.kafka_bootstrap, platform.topics.purge_completions) or None
    )
