"""The survey's use cases against a real SQLite file: storing, one per request, reporting."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from services.survey import handlers
from services.survey.domain import Answers, InvalidAnswer
from services.survey.questionnaire import Questionnaire, load_questionnaire
from services.survey.store import SCHEMA, AlreadySubmitted, responses_between
from shared.clock import FrozenClock
from shared.db import Database
from shared.events import (
    AccountPurged,
    DeletionCancelled,
    DeletionExpired,
    DeletionRequested,
    SurveySubmitted,
    decode_event,
    new_event,
)
from shared.revocation import REVOCATION_SCHEMA, Revocations
from shared.topics import Topics
from tests.support.polling import eventually
from tests.support.survey import digests_issued, open_request

START = datetime(2026, 2, 4, 13, 37, tzinfo=UTC)  # a Wednesday afternoon in 2026-W06

RETIRING = """
version = 2

[[reasons]]
id = "privacy"
nb = "Personvern"
en = "Privacy"

[[reasons]]
id = "rarely_use"
nb = "Handler sjelden"
en = "Rarely shop"
retired = true

[[reasons]]
id = "moving_abroad"
nb = "Flytter utenlands"
en = "Moving abroad"
"""


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(tmp_path / "survey.sqlite3", SCHEMA + REVOCATION_SCHEMA)
    await database.open()
    yield database
    await database.close()


def _deps(db: Database, questionnaire: Questionnaire) -> handlers.Deps:
    clock = FrozenClock(START)
    return handlers.Deps(
        db=db,
        clock=clock,
        topics=Topics("u."),
        revocations=Revocations(db, clock, 3600),
        questionnaire=questionnaire,
        # No real waits in unit tests, except where a test sets one.
        answer_wait_seconds=0.0,
    )


async def _send(
    deps: handlers.Deps,
    *reasons: str,
    request_id: str | None = None,
    account_id: str = "a-1",
    opened: bool = True,
) -> None:
    request_id = request_id or str(uuid.uuid4())
    if opened:
        await open_request(deps.db, account_id, request_id)
    await handlers.submit_response(
        deps,
        account_id=account_id,
        request_id=request_id,
        answers=Answers(reasons=reasons, problems=(), ratings={}),
        correlation_id="c-1",
    )


def _requested(request_id: str, account_id: str, *, survey: bool = True) -> DeletionRequested:
    event = new_event(
        DeletionRequested,
        account_id=account_id,
        correlation_id="c-1",
        occurred_at=START,
        request_id=request_id,
        channel="email",
        survey_required=survey,
    )
    assert isinstance(event, DeletionRequested)
    return event


async def _consume(db: Database, handler: Any, event: Any) -> None:
    async with db.transaction() as tx:
        await handler(tx, event)


async def _stored(db: Database) -> int:
    return len(await responses_between(db, START.date(), START.date()))


async def test_only_the_owner_of_a_request_awaiting_its_survey_may_answer(db: Database) -> None:
    deps = _deps(db, load_questionnaire())
    await _consume(db, lambda tx, e: handlers.await_answer(deps, tx, e), _requested("r-a", "A"))
    await _consume(
        db, lambda tx, e: handlers.await_answer(deps, tx, e), _requested("r-n", "N", survey=False)
    )

    attacks = [
        ("B", "r-a"),  # another account answers A's request
        ("A", str(uuid.uuid4())),  # a random request id
        ("N", "r-n"),  # the owner, but the request never asked for a survey
    ]
    for account_id, request_id in attacks:
        with pytest.raises(handlers.RequestNotKnown):
            await _send(deps, "privacy", request_id=request_id, account_id=account_id, opened=False)
    assert await _stored(db) == 0
    assert await db.fetch_all("SELECT seq FROM outbox") == []

    # A is not locked out by B's attempt, and may send exactly once.
    await _send(deps, "privacy", request_id="r-a", account_id="A", opened=False)
    with pytest.raises(AlreadySubmitted):
        await _send(deps, "privacy", request_id="r-a", account_id="A", opened=False)
    assert await _stored(db) == 1


async def test_an_answer_for_an_unknown_request_waits_out_its_bound_then_is_refused(
    db: Database,
) -> None:
    deps = replace(_deps(db, load_questionnaire()), answer_wait_seconds=0.3)
    db.on_commit(deps.arrivals.ring)
    started = time.monotonic()
    with pytest.raises(handlers.RequestNotKnown):
        await _send(deps, "privacy", request_id="r-none", account_id="A", opened=False)
    assert time.monotonic() - started >= 0.3


async def test_a_cancelled_lapsed_or_purged_request_can_no_longer_be_answered(
    db: Database,
) -> None:
    deps = _deps(db, load_questionnaire())
    closing: list[Any] = [
        new_event(kind, account_id="A", correlation_id="c", occurred_at=START, request_id=rid)
        for kind, rid in ((DeletionCancelled, "r-c"), (DeletionExpired, "r-x"))
    ]
    closing.append(
        new_event(
            AccountPurged,
            account_id="A",
            correlation_id="c",
            occurred_at=START,
            request_id="r-p",
            participants=("survey",),
        )
    )
    for event in closing:
        await _consume(
            db,
            lambda tx, e: handlers.await_answer(deps, tx, e),
            _requested(event.payload.request_id, "A"),
        )
        if isinstance(event, AccountPurged):
            await _consume(db, lambda tx, e: handlers.purge_account(deps, tx, e), event)
        else:
            await _consume(db, lambda tx, e: handlers.close_request(deps, tx, e), event)
        with pytest.raises(handlers.RequestNotKnown):
            await _send(
                deps, "privacy", request_id=event.payload.request_id, account_id="A", opened=False
            )
    assert await _stored(db) == 0


async def test_an_answer_sent_before_the_request_arrives_waits_for_it(db: Database) -> None:
    deps = replace(_deps(db, load_questionnaire()), answer_wait_seconds=10.0)
    db.on_commit(deps.arrivals.ring)
    sending = asyncio.create_task(
        _send(deps, "privacy", request_id="r-late", account_id="A", opened=False)
    )

    async def waiting() -> bool | None:
        return deps.arrivals.waiting == 1 or None

    await eventually(waiting, what="the answer waiting for its request")
    assert not sending.done()
    await _consume(db, lambda tx, e: handlers.await_answer(deps, tx, e), _requested("r-late", "A"))
    await _consume(
        db, lambda tx, e: handlers.keep_digests(deps, tx, e), digests_issued("r-late", "A")
    )
    await asyncio.wait_for(sending, 5)
    assert await _stored(db) == 1


async def test_only_an_answer_with_free_text_waits_for_the_identifier_digests(
    db: Database,
) -> None:
    # A wait for the digests would last the hour; the bound below would then fail the test.
    deps = replace(_deps(db, load_questionnaire()), answer_wait_seconds=3600.0)
    db.on_commit(deps.arrivals.ring)
    for request_id in ("r-ticks", "r-text"):
        await _consume(
            db, lambda tx, e: handlers.await_answer(deps, tx, e), _requested(request_id, "A")
        )
    ticks = Answers(reasons=("privacy",), problems=(), ratings={"overall": 4})
    await asyncio.wait_for(
        handlers.submit_response(
            deps, account_id="A", request_id="r-ticks", answers=ticks, correlation_id="c-1"
        ),
        5,
    )
    assert await _stored(db) == 1

    worded = Answers(reasons=("privacy",), problems=(), comment="Too many e-mails")
    sending = asyncio.create_task(
        handlers.submit_response(
            deps, account_id="A", request_id="r-text", answers=worded, correlation_id="c-1"
        )
    )

    async def waiting() -> bool | None:
        return deps.arrivals.waiting == 1 or None

    await eventually(waiting, what="the answer with a comment waiting for its digests")
    await _consume(
        db, lambda tx, e: handlers.keep_digests(deps, tx, e), digests_issued("r-text", "A")
    )
    await asyncio.wait_for(sending, 5)
    assert await _stored(db) == 2


async def test_a_response_keeps_the_day_and_version_and_queues_a_bare_event(db: Database) -> None:
    deps = _deps(db, load_questionnaire())
    await _send(deps, "privacy", request_id="r-1")

    (kept,) = await responses_between(db, START.date(), START.date())
    assert (kept.submitted_on, kept.questionnaire_version, kept.reasons) == (
        START.date(),
        1,
        ("privacy",),
    )
    (row,) = await db.fetch_all("SELECT value FROM outbox")
    event = decode_event(row["value"])
    assert isinstance(event, SurveySubmitted)
    assert event.payload.model_dump() == {"request_id": "r-1"}


async def test_a_second_send_for_the_same_request_is_refused_and_stores_nothing(
    db: Database,
) -> None:
    deps = _deps(db, load_questionnaire())
    await _send(deps, "privacy", request_id="r-1")
    with pytest.raises(AlreadySubmitted):
        await _send(deps, "rarely_use", request_id="r-1")
    assert len(await responses_between(db, START.date(), START.date())) == 1
    assert len(await db.fetch_all("SELECT seq FROM outbox")) == 1


async def test_an_operator_retires_an_option_and_old_answers_still_count(
    db: Database, tmp_path: Path
) -> None:
    before = _deps(db, load_questionnaire())
    for _ in range(5):
        await _send(before, "rarely_use")
    # The operator's own file takes over at the next start; the database stays.
    path = tmp_path / "questionnaire.toml"
    path.write_text(RETIRING, encoding="utf-8")
    after = _deps(db, load_questionnaire(path))
    with pytest.raises(InvalidAnswer) as caught:
        await _send(after, "rarely_use")
    assert caught.value.field == "reasons.0"
    for _ in range(5):
        await _send(after, "moving_abroad")

    kept = await responses_between(db, START.date(), START.date())
    assert sorted(r.questionnaire_version for r in kept) == [1] * 5 + [2] * 5
    report = await handlers.summary_report(after, first=None, last=None, lang="en")
    rows = {row.id: (row.label, row.offered, row.count) for row in report.reasons}
    assert rows["rarely_use"] == ("Rarely shop", False, 5)
    assert rows["moving_abroad"] == ("Moving abroad", True, 5)
    assert rows["privacy"] == ("Privacy", True, None)
    assert report.questionnaire_version == 2
