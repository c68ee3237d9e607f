"""The survey removes the person's own identifiers from their free text using auth's digests,
keeps no free text when it cannot, and keeps the digests no longer than their request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import pytest

from services.survey import handlers, store
from services.survey.domain import Answers
from services.survey.questionnaire import load_questionnaire
from services.survey.store import SCHEMA, responses_between
from shared.clock import FrozenClock
from shared.db import Database
from shared.events import DeletionCancelled, DeletionRequested, new_event
from shared.revocation import REVOCATION_SCHEMA, Revocations
from shared.topics import Topics
from tests.support.sqlite_files import stored_bytes
from tests.support.survey import digests_issued

START = datetime(2026, 2, 4, 13, 37, tzinfo=UTC)
KEY = bytes(range(32))
COMMENT = "Takk for nå. Hilsen Kari_N-1985 (kari.n1985 på nettet), tlf 551 2345"
WHO = {"email": "kari.n1985@example.com", "phone": "+3545512345", "username": "Kari_N-1985"}


@pytest.fixture
async def deps(tmp_path: Path) -> AsyncIterator[handlers.Deps]:
    db = Database(tmp_path / "survey.sqlite3", SCHEMA + REVOCATION_SCHEMA)
    await db.open()
    clock = FrozenClock(START)
    yield handlers.Deps(
        db=db,
        clock=clock,
        topics=Topics("u."),
        revocations=Revocations(db, clock, 3600),
        questionnaire=load_questionnaire(),
        redaction_key=KEY,
        answer_wait_seconds=0.0,
    )
    await db.close()


async def _open(deps: handlers.Deps, request_id: str, *, key: bytes | None = KEY) -> None:
    requested = new_event(
        DeletionRequested,
        account_id="A",
        correlation_id="c",
        occurred_at=START,
        request_id=request_id,
        channel="email",
        survey_required=True,
    )
    async with deps.db.transaction() as tx:
        await handlers.await_answer(deps, tx, cast(DeletionRequested, requested))
        if key is not None:
            await handlers.keep_digests(deps, tx, digests_issued(request_id, "A", key=key, **WHO))


async def _answer(deps: handlers.Deps, request_id: str) -> str | None:
    await handlers.submit_response(
        deps,
        account_id="A",
        request_id=request_id,
        answers=Answers(reasons=("privacy",), problems=(), comment=COMMENT),
        correlation_id="c",
    )
    (kept,) = await responses_between(deps.db, START.date(), START.date())
    return kept.comment


async def _digests_kept(deps: handlers.Deps) -> int:
    return len(await deps.db.fetch_all("SELECT 1 FROM redactions"))


async def test_the_persons_identifiers_leave_the_comment_and_the_rest_stays(
    deps: handlers.Deps,
) -> None:
    await _open(deps, "r-1")
    comment = await _answer(deps, "r-1")
    assert comment == "Takk for nå. Hilsen [fjernet] ([fjernet] på nettet), tlf [fjernet]"
    raw = stored_bytes(deps.db.path)
    for trace in (b"Kari_N", b"kari.n1985", b"551 2345", b"5512345"):
        assert trace not in raw
    assert await _digests_kept(deps) == 0  # served, then gone


async def test_without_the_digests_no_free_text_is_kept(deps: handlers.Deps) -> None:
    await _open(deps, "r-1", key=None)
    assert await _answer(deps, "r-1") == "[fjernet]"


async def test_digests_made_with_another_key_keep_no_free_text(deps: handlers.Deps) -> None:
    await _open(deps, "r-1", key=bytes(32))
    assert await _answer(deps, "r-1") == "[fjernet]"


async def test_the_digests_go_with_the_request(deps: handlers.Deps) -> None:
    await _open(deps, "r-cancelled")
    cancelled = new_event(
        DeletionCancelled,
        account_id="A",
        correlation_id="c",
        occurred_at=START,
        request_id="r-cancelled",
    )
    async with deps.db.transaction() as tx:
        await handlers.close_request(deps, tx, cast(DeletionCancelled, cancelled))
    assert await _digests_kept(deps) == 0
    await _open(deps, "r-purged")
    async with deps.db.transaction() as tx:
        await store.forget_owner(tx, "A")
    assert await _digests_kept(deps) == 0
    await _open(deps, "r-forgotten")
    clock = cast(FrozenClock, deps.clock)
    clock.advance(timedelta(days=1).total_seconds())
    assert await handlers.prune_digests(deps) == 0
    later = replace(deps, clock=FrozenClock(START + handlers.DIGESTS_KEPT + timedelta(seconds=1)))
    assert await handlers.prune_digests(later) == 1
