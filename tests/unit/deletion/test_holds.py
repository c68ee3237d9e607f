"""Holds: the pause and resume of the timer, lapsing holds, re-asking, on real SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from services.deletion import fanout, fanout_admin_api, handlers, hold_handlers, purge, store
from services.deletion.domain import DeletionRequest, InvalidState, Status
from services.deletion.holds import Hold, active_holds, is_overdue, pause, resume
from shared.consumer import RejectEvent
from shared.events import HoldsReported, ReportedHold, new_event
from shared.http import install_error_handlers, operator_dependency
from tests.unit.deletion.support import frozen_clock as _clock
from tests.unit.deletion.support import handler_deps, open_request
from tests.unit.deletion.support import outbox_events as _outbox

CODE = "135790"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def _scheduled(**fields: object) -> DeletionRequest:
    base = DeletionRequest(
        request_id="r",
        account_id="a",
        status=Status.SCHEDULED,
        channel="email",
        correlation_id="c",
        created_at=T0,
        purge_deadline=T0 + DAY,
        purge_at=T0 + DAY - timedelta(minutes=5),
    )
    return DeletionRequest(**{**base.__dict__, **fields})  # type: ignore[arg-type]


def test_a_paused_request_is_never_due_and_resumes_with_the_time_it_had_left() -> None:
    paused = pause(_scheduled(), T0 + timedelta(hours=2))
    assert not paused.is_due(T0 + 10 * DAY)
    assert paused.purge_at is None  # out of the timer's indexed scan while paused
    assert pause(paused, T0 + timedelta(hours=5)) == paused  # pausing again changes nothing
    resumed = resume(paused, T0 + timedelta(hours=2) + 3 * DAY, DAY, timedelta(minutes=5))
    assert resumed.paused_at is None
    assert resumed.purge_deadline == T0 + 4 * DAY
    assert resumed.purge_at == T0 + 4 * DAY - timedelta(minutes=5)
    assert not resumed.is_due(T0 + 4 * DAY - timedelta(minutes=6))
    assert resumed.is_due(T0 + 4 * DAY - timedelta(minutes=5))


def test_only_a_scheduled_request_is_paused() -> None:
    with pytest.raises(InvalidState):
        pause(_scheduled(status=Status.AWAITING_CODE), T0)
    with pytest.raises(InvalidState):
        resume(_scheduled(status=Status.PURGING), T0, DAY, timedelta(0))


def test_a_hold_with_an_until_lapses_and_an_old_one_is_overdue() -> None:
    lasting = Hold("orders", "h1", "open_order", "nb", "en", T0 - timedelta(hours=1))
    dated = Hold("pay", "h2", "balance", "nb", "en", T0, until=T0 + DAY)
    assert active_holds([dated, lasting], T0) == [lasting, dated]
    assert active_holds([dated, lasting], T0 + DAY) == [lasting]
    assert not is_overdue(lasting, T0 + DAY, timedelta(days=2))
    assert is_overdue(lasting, T0 + 3 * DAY, timedelta(days=2))


@pytest.fixture
async def deps(tmp_path: Path) -> AsyncIterator[handlers.Deps]:
    async with handler_deps(
        tmp_path,
        CODE,
        participants=("auth", "orders"),
        survey_required=False,
        purge_lead_seconds=0,
        participant_timeout_seconds=60,
        participant_max_asks=2,
        hold_max_seconds=2 * 86400,
    ) as made:
        yield made


async def _report(
    deps: handlers.Deps, who: str, *holds: ReportedHold, until: object = None
) -> None:
    event = new_event(
        HoldsReported,
        account_id="acc",
        correlation_id="c",
        occurred_at=deps.clock.now(),
        participant=who,
        holds=holds,
    )
    async with deps.db.transaction() as tx:
        await hold_handlers.record_holds(deps, tx, event)


ORDER = ReportedHold(hold_id="o", reason="open_order", text_nb="På vei", text_en="On its way")


async def _load(deps: handlers.Deps, request_id: str) -> DeletionRequest:
    async with deps.db.transaction() as tx:
        found = await store.load(tx, request_id)
    assert found is not None
    return found


async def test_the_purge_waits_for_the_last_hold_and_the_person_is_told(
    deps: handlers.Deps,
) -> None:
    request = await open_request(deps, "acc")
    (query,) = await _outbox(deps, "HoldsQueried")
    assert query.payload.participants == ("auth", "orders")  # type: ignore[union-attr]
    await _report(deps, "orders", ORDER)
    await handlers.confirm_code(deps, account_id="acc", request_id=request.request_id, code=CODE)
    notices = [e.payload.notice for e in await _outbox(deps, "NoticeRequested")]  # type: ignore[union-attr]
    assert notices == ["deletion_held"]

    _clock(deps).advance(3 * 86400)
    assert await store.due_request_ids(deps.db, deps.clock.now(), 10) == []
    assert await purge.fire_due_purges(deps) == 0
    assert (await _load(deps, request.request_id)).status is Status.SCHEDULED

    await _report(deps, "orders")  # delivered: no holds any more
    resumed = await _load(deps, request.request_id)
    assert resumed.paused_at is None
    assert resumed.purge_deadline == deps.clock.now() + DAY
    notices = [e.payload.notice for e in await _outbox(deps, "NoticeRequested")]  # type: ignore[union-attr]
    assert notices == ["deletion_held", "deletion_resumed"]
    _clock(deps).advance(86400)
    assert await purge.fire_due_purges(deps) == 1


async def test_a_hold_placed_after_confirmation_pauses_and_its_until_lifts_it(
    deps: handlers.Deps,
) -> None:
    request = await open_request(deps, "acc")
    await handlers.confirm_code(deps, account_id="acc", request_id=request.request_id, code=CODE)
    dated = ReportedHold(
        hold_id="b",
        reason="balance",
        text_nb="Saldo",
        text_en="Balance",
        until=deps.clock.now() + timedelta(hours=30),
    )
    await _report(deps, "orders", dated)
    assert (await _load(deps, request.request_id)).paused_at is not None
    _clock(deps).advance(30 * 3600)
    assert (await fanout.run_fanout_timer(deps)).holds_lapsed == 1
    assert (await _load(deps, request.request_id)).paused_at is None
    assert await hold_handlers.account_holds(deps, "acc") == []


async def test_holds_from_a_stranger_are_dead_lettered_and_silent_services_asked_again(
    deps: handlers.Deps,
) -> None:
    with pytest.raises(RejectEvent):
        await _report(deps, "billing", ORDER)
    await open_request(deps, "acc")
    await _report(deps, "orders")  # orders answered (no holds); auth stays silent
    _clock(deps).advance(61)
    assert await fanout.reask_fanout(deps) == 1
    again = (await _outbox(deps, "HoldsQueried"))[-1]
    assert again.payload.participants == ("auth",)  # type: ignore[union-attr]
    _clock(deps).advance(3600)
    assert await fanout.reask_fanout(deps) == 0  # asked twice: an operator looks now


async def test_holds_reported_once_the_purge_began_are_not_kept(deps: handlers.Deps) -> None:
    request = await open_request(deps, "acc")
    await handlers.confirm_code(deps, account_id="acc", request_id=request.request_id, code=CODE)
    _clock(deps).advance(86400)
    assert await purge.fire_due_purges(deps) == 1
    await _report(deps, "orders", ORDER)
    assert await deps.db.fetch_all("SELECT * FROM holds") == []


async def test_operators_see_a_hold_past_the_maximum_flagged_overdue(deps: handlers.Deps) -> None:
    request = await open_request(deps, "acc")
    await _report(deps, "orders", ORDER)
    api = FastAPI()
    install_error_handlers(api)
    api.include_router(fanout_admin_api.router)
    api.state.deps = deps
    api.state.operator = operator_dependency(
        "operator-token", missing_error="invalid_admin_token", wrong_error="invalid_admin_token"
    )
    admin = {"Authorization": "Bearer operator-token"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=api), base_url="http://deletion"
    ) as http:
        assert (await http.get("/v1/admin/holds")).status_code == 401
        fresh = (await http.get("/v1/admin/holds", headers=admin)).json()["holds"]
        assert [(h["request_id"], h["reason"], h["overdue"]) for h in fresh] == [
            (request.request_id, "open_order", False)
        ]
        assert (await http.get("/v1/admin/holds?overdue=true", headers=admin)).json() == {
            "holds": []
        }
        _clock(deps).advance(2 * 86400 + 1)
        old = (await http.get("/v1/admin/holds?overdue=true", headers=admin)).json()["holds"]
    assert [(h["hold_id"], h["text_nb"], h["overdue"]) for h in old] == [("o", "På vei", True)]
