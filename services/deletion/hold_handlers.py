"""Holds, as use cases: ask the participants, record their answers, pause and resume the timer.

Deletion asks every participant when a deletion is requested (HoldsQueried); a participant
answers, and may report again at any time, with all its current holds (HoldsReported). The
account's in-progress request is then paused (a hold is active) or resumed (the last one
lifted), and the person is told by e-mail either way. The purge never starts while a hold is
active (:func:`blocks_purge` is checked inside the purge's own transaction).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from services.deletion import holds_store, store
from services.deletion.domain import DeletionRequest, Status
from services.deletion.holds import Hold, active_holds, pause, resume
from services.deletion.steps import Deps, account_keys, event_about, fan_out, notify, save
from shared.consumer import RejectEvent
from shared.db import Transaction
from shared.events import HoldsQueried, HoldsReported, NoticeRequested

__all__ = [
    "account_holds",
    "account_holds_in",
    "apply_holds",
    "blocks_purge",
    "hold_request",
    "query_holds",
    "record_holds",
    "release_lapsed_holds",
]

log = logging.getLogger(__name__)

_SCAN_BATCH = 100


async def query_holds(
    deps: Deps,
    tx: Transaction,
    request: DeletionRequest,
    participants: tuple[str, ...],
    asks: int = 1,
) -> None:
    """Ask ``participants`` (the ``asks``-th time) whether anything holds the deletion."""
    event = event_about(
        deps, request, HoldsQueried, request_id=request.request_id, participants=participants
    )
    await fan_out(deps, tx, event, ("holds", request.request_id), participants, asks)


async def record_holds(deps: Deps, tx: Transaction, event: HoldsReported) -> None:
    """A participant's holds on the account, as they are now; pause or resume accordingly."""
    report = event.payload
    if report.participant not in deps.policy.participants:
        raise RejectEvent("holds from a service that is not a participant")
    if await store.purge_begun(tx, account_keys(deps, event.account_id)):
        log.info(
            "holds reported after the purge began; ignored", extra={"event_id": str(event.event_id)}
        )
        return  # the account is being erased: keeping anything new about it would undo that
    now = deps.clock.now()
    holds = [
        Hold(report.participant, h.hold_id, h.reason, h.text_nb, h.text_en, now, h.until)
        for h in report.holds
    ]
    await holds_store.replace_holds(tx, event.account_id, report.participant, holds)
    await holds_store.holds_answered(tx, event.account_id, report.participant)
    await apply_holds(deps, tx, event.account_id)


async def apply_holds(deps: Deps, tx: Transaction, account_id: str) -> None:
    """Pause the account's scheduled request while a hold is active, resume it when none is."""
    request_id = await store.open_request_of(tx, account_id)
    before = None if request_id is None else await store.load(tx, request_id)
    if before is None or before.status is not Status.SCHEDULED:
        return
    held = bool(active_holds(await holds_store.holds_of(tx, account_id), deps.clock.now()))
    if held and before.paused_at is None:
        await hold_request(deps, tx, before)
    elif not held and before.paused_at is not None:
        grace = timedelta(seconds=deps.policy.grace_seconds)
        lead = timedelta(seconds=deps.policy.purge_lead_seconds)
        request = resume(before, deps.clock.now(), grace, lead)
        await save(deps, tx, before, request)
        await notify(
            deps,
            tx,
            request,
            NoticeRequested,
            notice="deletion_resumed",
            deadline=request.purge_deadline,
        )
        deps.wake_timer()  # its new start may be sooner than what the timer sleeps towards
        log.info("holds lifted; the timer resumes", extra={"request_id": request.request_id})


async def hold_request(deps: Deps, tx: Transaction, before: DeletionRequest) -> DeletionRequest:
    """Pause a scheduled request's timer and tell the person it waits."""
    request = pause(before, deps.clock.now())
    await save(deps, tx, before, request)
    await notify(deps, tx, request, NoticeRequested, notice="deletion_held")
    log.info("deletion held by a participant", extra={"request_id": request.request_id})
    return request


async def blocks_purge(deps: Deps, tx: Transaction, request: DeletionRequest) -> bool:
    """Whether an active hold keeps the due request from its purge (then it is paused)."""
    if not active_holds(await holds_store.holds_of(tx, request.account_id), deps.clock.now()):
        return False
    await hold_request(deps, tx, request)
    return True


async def account_holds(deps: Deps, account_id: str) -> list[Hold]:
    """The account's active holds, oldest first (for the person's pages)."""
    return active_holds(await holds_store.holds_of(deps.db, account_id), deps.clock.now())


async def account_holds_in(deps: Deps, tx: Transaction, account_id: str) -> list[Hold]:
    """:func:`account_holds`, read inside a transaction that acts on them."""
    return active_holds(await holds_store.holds_of(tx, account_id), deps.clock.now())


async def release_lapsed_holds(deps: Deps) -> int:
    """Drop holds past their ``until``; resume requests no longer held. Return accounts seen."""
    now = deps.clock.now()
    accounts = await holds_store.accounts_with_lapsed_holds(deps.db, now, _SCAN_BATCH)
    for account_id in accounts:
        async with deps.db.transaction() as tx:
            await holds_store.drop_lapsed(tx, account_id, now)
            await apply_holds(deps, tx, account_id)
    return len(accounts)
