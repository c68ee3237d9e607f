"""The survey's use cases against a real SQLite file: storing, one per request, reporting."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.survey import handlers
from services.survey.domain import Answers, InvalidAnswer
from services.survey.questionnaire import Questionnaire, load_questionnaire
from services.survey.store import SCHEMA, AlreadySubmitted, responses_between
from shared.clock import FrozenClock
from shared.db import Database
from shared.events import SurveySubmitted, decode_event
from shared.revocation import REVOCATION_SCHEMA, Revocations
from shared.topics import Topics

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
    )


async def _send(deps: handlers.Deps, *reasons: str, request_id: str | None = None) -> None:
    await handlers.submit_response(
        deps,
        account_id=str(uuid.uuid4()),
        request_id=request_id or str(uuid.uuid4()),
        answers=Answers(reasons=reasons, problems=(), ratings={}),
        correlation_id="c-1",
    )


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
