"""Deletion's use cases against a real SQLite file, reading what they queue in the outbox."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from services.deletion import handlers, purge
from services.deletion.domain import InvalidState, Status, WrongCode
from shared.clock import FrozenClock
from shared.consumer import RejectEvent
from shared.crypto import keyed_hash
from shared.events import (
    CodeDeliveryRequested,
    Event,
    PurgeCompleted,
    SurveySubmitted,
    decode_event,
    new_event,
)
from tests.support.sqlite_files import stored_bytes
from tests.unit.deletion.support import KEYS, handler_deps

CODE = "135790"
PARTICIPANTS = ("auth", "survey", "notifier")


@pytest.fixture
async def deps(tmp_path: Path) -> AsyncIterator[handlers.Deps]:
    async with handler_deps(tmp_path, CODE, participants=PARTICIPANTS) as made:
        yield made


async def _outbox(deps: handlers.Deps) -> list[tuple[str, Event]]:
    rows = await deps.db.fetch_all("SELECT topic, value FROM outbox ORDER BY seq")
    return [(row["topic"], decode_event(row["value"])) for row in rows]


async def _types(deps: handlers.Deps) -> list[str]:
    return [event.event_type for _, event in await _outbox(deps)]


async def _open(deps: handlers.Deps, account_id: str) -> str:
    await KEYS.give(deps.db, deps.sealer, account_id)
    request = await handlers.request_deletion(
        deps,
        account_id=account_id,
        authenticated_at=deps.clock.now(),
        channel="sms",
        correlation_id="c-1",
    )
    return request.request_id


async def _survey(deps: handlers.Deps, request_id: str, account_id: str) -> None:
    event = new_event(
        SurveySubmitted,
        account_id=account_id,
        correlation_id="c-2",
        occurred_at=deps.clock.now(),
        request_id=request_id,
    )
    async with deps.db.transaction() as tx:
        await handlers.submit_survey(deps, tx, event)  # type: ignore[arg-type]  # a SurveySubmitted


async def _completed(deps: handlers.Deps, request_id: str, account_id: str, who: str) -> None:
    event = new_event(
        PurgeCompleted,
        account_id=account_id,
        correlation_id="c-3",
        occurred_at=deps.clock.now(),
        request_id=request_id,
        participant=who,
    )
    async with deps.db.transaction() as tx:
        await purge.record_purge_completion(deps, tx, event)  # type: ignore[arg-type]


async def _scheduled(deps: handlers.Deps, account_id: str) -> str:
    request_id = await _open(deps, account_id)
    await _survey(deps, request_id, account_id)
    await handlers.confirm_code(deps, account_id=account_id, request_id=request_id, code=CODE)
    return request_id


async def test_a_second_open_request_is_refused_with_the_first_ones_id(
    deps: handlers.Deps,
) -> None:
    first = await _open(deps, "a-1")
    with pytest.raises(handlers.RequestExists) as caught:
        await _open(deps, "a-1")
    assert caught.value.request_id == first


async def test_the_code_is_kept_only_as_a_hash(deps: handlers.Deps, tmp_path: Path) -> None:
    request_id = await _open(deps, "a-1")
    await _survey(deps, request_id, "a-1")
    [(_, delivery)] = [item for item in await _outbox(deps) if item[0] == "u.notifications"]
    assert KEYS.open(delivery.payload.code_enc, "a-1") == CODE  # type: ignore[union-attr]
    row = await deps.db.fetch_one("SELECT code_hash FROM requests")
    assert row is not None
    assert row["code_hash"] == deps.hasher.hash(request_id, CODE)
    assert CODE.encode() not in stored_bytes(tmp_path / "deletion.sqlite3")


@pytest.mark.parametrize(
    ("request_id", "account_id", "reason"),
    [
        ("nope", "a-1", "unknown deletion request"),
        (None, "a-2", "the deletion request belongs to another account"),
    ],
)
async def test_surveys_for_unknown_or_foreign_requests_are_rejected(
    deps: handlers.Deps, request_id: str | None, account_id: str, reason: str
) -> None:
    real = await _open(deps, "a-1")
    with pytest.raises(RejectEvent) as caught:
        await _survey(deps, request_id or real, account_id)
    assert caught.value.reason == reason


async def test_a_second_survey_for_a_request_is_rejected(deps: handlers.Deps) -> None:
    request_id = await _open(deps, "a-1")
    await _survey(deps, request_id, "a-1")
    with pytest.raises(RejectEvent):
        await _survey(deps, request_id, "a-1")


async def test_wrong_tries_are_committed_although_the_call_fails(deps: handlers.Deps) -> None:
    request_id = await _open(deps, "a-1")
    await _survey(deps, request_id, "a-1")
    for left in (4, 3):
        with pytest.raises(WrongCode) as caught:
            await handlers.confirm_code(deps, account_id="a-1", request_id=request_id, code="1")
        assert caught.value.attempts_left == left


async def test_confirming_before_the_survey_is_an_invalid_state(deps: handlers.Deps) -> None:
    request_id = await _open(deps, "a-1")
    with pytest.raises(InvalidState):
        await handlers.confirm_code(deps, account_id="a-1", request_id=request_id, code=CODE)


async def test_someone_elses_request_is_not_found(deps: handlers.Deps) -> None:
    request_id = await _open(deps, "a-1")
    with pytest.raises(handlers.RequestNotFound):
        await handlers.get_request(deps, account_id="a-2", request_id=request_id)
    with pytest.raises(handlers.RequestNotFound):
        await handlers.confirm_code(deps, account_id="a-2", request_id=request_id, code=CODE)


async def test_the_timer_starts_each_due_purge_exactly_once(deps: handlers.Deps) -> None:
    early = await _scheduled(deps, "a-1")
    assert isinstance(deps.clock, FrozenClock)
    deps.clock.advance(3600)
    late = await _scheduled(deps, "a-2")
    assert await purge.fire_due_purges(deps) == 0
    deps.clock.advance(timedelta(hours=23).total_seconds())
    assert await purge.fire_due_purges(deps) == 1
    assert await purge.fire_due_purges(deps) == 0
    deps.clock.advance(3600)
    assert await purge.fire_due_purges(deps) == 1
    purged = [event for _, event in await _outbox(deps) if event.event_type == "AccountPurged"]
    assert [event.payload.request_id for event in purged] == [early, late]
    assert purged[0].payload.participants == PARTICIPANTS


async def test_after_the_purge_only_a_keyed_hash_of_the_account_remains(
    deps: handlers.Deps, tmp_path: Path
) -> None:
    account_id = str(uuid.uuid4())
    request_id = await _scheduled(deps, account_id)
    assert isinstance(deps.clock, FrozenClock)
    deps.clock.advance(86400)
    await purge.fire_due_purges(deps)
    for who in ("auth", "survey", "notifier", "survey"):
        await _completed(deps, request_id, account_id, who)
    assert (await _types(deps)).count("DeletionCompleted") == 1
    await deps.db.fetch_all("DELETE FROM outbox")  # what the relay does once published
    await deps.db.scrub()  # what the runtime does within seconds of a write (shared.db)
    assert account_id.encode() not in stored_bytes(tmp_path / "deletion.sqlite3")
    row = await deps.db.fetch_one("SELECT account_id FROM requests")
    assert row is not None
    assert row["account_id"] == keyed_hash(deps.account_key, "account", account_id)
    seen = await handlers.get_request(deps, account_id=account_id, request_id=request_id)
    assert seen.status is Status.PURGED
    # A late duplicate from a participant, carrying the raw id, is still recognised.
    await _completed(deps, request_id, account_id, "auth")


async def test_completions_from_strangers_are_rejected(deps: handlers.Deps) -> None:
    request_id = await _scheduled(deps, "a-1")
    with pytest.raises(RejectEvent, match="scheduled"):  # no purge asked yet
        await _completed(deps, request_id, "a-1", "auth")
    assert isinstance(deps.clock, FrozenClock)
    deps.clock.advance(86400)
    await purge.fire_due_purges(deps)
    with pytest.raises(RejectEvent, match="unknown participant"):
        await _completed(deps, request_id, "a-1", "billing")
    with pytest.raises(RejectEvent, match="unknown deletion request"):
        await _completed(deps, "nope", "a-1", "auth")


async def test_request_and_notification_ids_come_from_the_injected_factory(
    deps: handlers.Deps,
) -> None:
    issued = iter(["request-1", "notification-1", "notification-2"])
    counted = dataclasses.replace(deps, new_id=lambda: next(issued))
    request_id = await _open(counted, "acc-ids")
    await _survey(counted, request_id, "acc-ids")
    assert request_id == "request-1"
    codes = [e for _, e in await _outbox(counted) if isinstance(e, CodeDeliveryRequested)]
    assert [e.payload.notification_id for e in codes] == ["notification-1"]


async def test_answering_the_survey_writes_the_request_once(deps: handlers.Deps) -> None:
    # The survey moves the request on and issues its code: one write, not one per step.
    async with deps.db.transaction() as tx:
        await tx.execute("CREATE TABLE request_writes (request_id TEXT)")
        await tx.execute(
            "CREATE TRIGGER count_writes AFTER UPDATE ON requests"
            " BEGIN INSERT INTO request_writes VALUES (NEW.request_id); END"
        )
    request_id = await _open(deps, "acc-once")
    await _survey(deps, request_id, "acc-once")
    rows = await deps.db.fetch_all("SELECT request_id FROM request_writes")
    assert [row["request_id"] for row in rows] == [request_id]
    assert (await _types(deps))[-1] == "CodeDeliveryRequested"
