"""The purge: the timer's work, the fan-out to participants, their answers, and the receipt.

The timer (run by the process holding the lease, see :mod:`services.deletion.lease`) lets
abandoned requests lapse, starts due purges and asks silent participants again. It sleeps until
:func:`next_due_at` (or until a confirmed code wakes it), so a purge starts when it is due, not
at the next poll. Each step changes the requests' state and queues their events in one
transaction per batch, so a crash at any point neither loses a step nor repeats it, and a
backlog costs one commit (one fsync) per batch rather than per request.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from services.deletion import export_store, hold_handlers, holds_store, purge_store, store
from services.deletion.domain import (
    DeletionRequest,
    InvalidState,
    Status,
    UnknownParticipant,
    next_ask_at,
)
from services.deletion.handlers import RequestNotFound
from services.deletion.steps import (
    Deps,
    account_hash,
    budget_scope,
    load_for_event,
    notify,
    publish,
    save,
)
from shared import rolling_limits
from shared.consumer import RejectEvent
from shared.db import Transaction
from shared.events import (
    AccountPurged,
    DeletionCompleted,
    DeletionExpired,
    NoticeRequested,
    PurgeCompleted,
)
from shared.recipient_keys import forget_recipient

__all__ = [
    "ParticipantNotFound",
    "TimerRun",
    "ask_participant_again",
    "expire_lapsed",
    "fire_due_purges",
    "next_due_at",
    "prune_audit",
    "reask_silent_participants",
    "record_purge_completion",
    "run_timer",
    "seconds_to_next",
]

log = logging.getLogger(__name__)

# Requests handled per timer run and step; any more are handled on the next run.
_SCAN_BATCH = 100
# How long the timer waits when work looks due but a run changed nothing (another process
# took it, say), instead of running again at once.
_IDLE_RETRY_SECONDS = 1.0


class ParticipantNotFound(Exception):
    """The request's purge did not ask a participant of that name."""


@dataclass(frozen=True)
class TimerRun:
    """What one run of the timer did."""

    expired: int
    fired: int
    asked_again: int

    @property
    def idle(self) -> bool:
        """Whether the run changed nothing."""
        return self.expired == self.fired == self.asked_again == 0


async def run_timer(deps: Deps) -> TimerRun:
    """One run of the timer: lapse, fire, ask again."""
    expired = await expire_lapsed(deps)
    fired = await fire_due_purges(deps)
    return TimerRun(expired, fired, await reask_silent_participants(deps))


async def next_due_at(deps: Deps) -> datetime | None:
    """The earliest moment the timer has work: a purge start, a lapse or an ask (indexed)."""
    moments = [
        await store.next_purge_or_lapse_at(deps.db),
        await purge_store.next_ask_at(deps.db),
    ]
    found = [moment for moment in moments if moment is not None]
    return min(found) if found else None


async def seconds_to_next(deps: Deps, run: TimerRun) -> float | None:
    """How long the timer may sleep after ``run``: until the next due work (None: none known)."""
    due = await next_due_at(deps)
    if due is None:
        return None
    wait = (due - deps.clock.now()).total_seconds()
    return _IDLE_RETRY_SECONDS if wait <= 0 and run.idle else wait


async def expire_lapsed(deps: Deps) -> int:
    """Let requests abandoned past their ``expires_at`` lapse; return how many did."""
    now = deps.clock.now()
    lapsed: list[str] = []
    request_ids = await store.lapsed_request_ids(deps.db, now, _SCAN_BATCH)
    if not request_ids:
        return 0
    async with deps.db.transaction() as tx:
        for request_id in request_ids:
            before = await store.load(tx, request_id)
            try:
                request = before.expire(now) if before else None
            except InvalidState:
                request = None  # confirmed or cancelled meanwhile
            if before is None or request is None:
                continue
            await save(deps, tx, before, request)
            await publish(deps, tx, request, DeletionExpired)
            lapsed.append(request_id)
    for request_id in lapsed:
        log.info("deletion request lapsed", extra={"request_id": request_id})
    return len(lapsed)


async def fire_due_purges(deps: Deps) -> int:
    """Start the purge of every request that is due; return how many started.

    The state transition scheduled → purging and AccountPurged are one transaction, and
    ``BEGIN IMMEDIATE`` serialises it across processes sharing the file: a request found
    already purging is skipped, so each purge is announced once.
    """
    now = deps.clock.now()
    fired: list[str] = []
    participants = deps.policy.participants
    request_ids = await store.due_request_ids(deps.db, now, _SCAN_BATCH)
    if not request_ids:
        return 0
    async with deps.db.transaction() as tx:
        for request_id in request_ids:
            before = await store.load(tx, request_id)
            if before is None or not before.is_due(now):
                continue
            if await hold_handlers.blocks_purge(deps, tx, before):
                continue  # a participant's hold pauses it; it resumes when the hold lifts
            request = before.start_purge(now, participants)
            # The person's exports, their key and the holds go with the purge's first step.
            await export_store.forget_account(tx, request.account_id)
            await holds_store.forget_account(tx, request.account_id)
            await save(deps, tx, before, request)
            await publish(deps, tx, request, AccountPurged, participants=participants)
            for name in participants:
                await _asked(deps, tx, request_id, name, asks=1)
            fired.append(request_id)
    for request_id in fired:
        log.info("purge started", extra={"request_id": request_id})
    return len(fired)


async def reask_silent_participants(deps: Deps) -> int:
    """Ask each participant silent past its timeout again; flag its request overdue."""
    asked = 0
    now = deps.clock.now()
    timeout = timedelta(seconds=deps.policy.participant_timeout_seconds)
    asks = await purge_store.due_asks(deps.db, now, _SCAN_BATCH)
    if not asks:
        return 0
    async with deps.db.transaction() as tx:
        for ask in asks:
            request = await store.load(tx, ask.request_id)
            if request is None or ask.participant not in request.pending():
                await purge_store.stop_asking(tx, ask.request_id, ask.participant)
                continue
            if ask.asks >= deps.policy.participant_max_asks:
                await purge_store.stop_asking(tx, ask.request_id, ask.participant)
                log.error(
                    "participant never answered the purge; an operator must act",
                    extra={"request_id": ask.request_id, "participant": ask.participant},
                )
                continue
            if deps.pulse.busy(ask.participant, now, timeout):
                # It is answering other purges: still working through a backlog, so it is
                # given another timeout rather than a second copy of the same work.
                await purge_store.record_ask(
                    tx, ask.request_id, ask.participant, ask.asks, now + timeout
                )
                continue
            await _ask_again(deps, tx, request, ask.participant, ask.asks + 1)
            asked += 1
    return asked


async def ask_participant_again(deps: Deps, request_id: str, participant: str) -> None:
    """An operator re-sends the purge to one participant (also after the retries ran out)."""
    async with deps.db.transaction() as tx:
        request = await store.load(tx, request_id)
        if request is None:
            raise RequestNotFound
        if participant not in request.participants:
            raise ParticipantNotFound(participant)
        if request.status is not Status.PURGING:
            raise InvalidState(request.status, Status.PURGING)
        asks = (await purge_store.asks_of(tx, request_id)).get(participant, 0)
        await _ask_again(deps, tx, request, participant, asks + 1)


async def record_purge_completion(deps: Deps, tx: Transaction, event: PurgeCompleted) -> None:
    """A participant erased its data; when all have, the request is purged, signed, announced."""
    before = await load_for_event(deps, tx, event.payload.request_id, event.account_id)
    participant = event.payload.participant
    try:
        request = before.record_completion(participant)
    except UnknownParticipant:
        raise RejectEvent("purge completion from an unknown participant") from None
    except InvalidState as exc:
        raise RejectEvent(str(exc)) from None
    deps.pulse.heard(participant, deps.clock.now())
    if request == before:
        return  # this participant had already answered
    await save(deps, tx, before, request)
    await purge_store.stop_asking(tx, request.request_id, participant)
    if request.status is Status.PURGED:
        await publish(deps, tx, request, DeletionCompleted)
        await notify(deps, tx, request, NoticeRequested, notice="deletion_completed")
        hashed = account_hash(deps, request.account_id)
        await _sign_receipt(deps, tx, request, hashed)
        await store.forget_account(tx, request.request_id, hashed)
        await forget_recipient(tx, request.account_id)
        await rolling_limits.forget(tx, budget_scope(request.account_id))
        log.info("deletion completed", extra={"request_id": request.request_id})


async def prune_audit(deps: Deps) -> int:
    """Delete audit records past their retention; return how many went."""
    horizon = deps.clock.now() - timedelta(days=deps.policy.audit_retention_days)
    return await purge_store.prune_audit(deps.db, horizon)


# --- helpers --------------------------------------------------------------------------------


async def _ask_again(
    deps: Deps, tx: Transaction, request: DeletionRequest, participant: str, asks: int
) -> None:
    # A fresh AccountPurged (a new event id) naming only this participant: its consumer has
    # already recorded the first one's id, so a redelivery of that would be skipped.
    await publish(deps, tx, request, AccountPurged, participants=(participant,))
    await _asked(deps, tx, request.request_id, participant, asks)
    if not request.overdue:
        await store.save(tx, _overdue(request), deps.clock.now())
    log.warning(
        "participant asked again (ask %d)",
        asks,
        extra={"request_id": request.request_id, "participant": participant},
    )


def _overdue(request: DeletionRequest) -> DeletionRequest:
    return replace(request, overdue=True)


async def _asked(deps: Deps, tx: Transaction, request_id: str, name: str, asks: int) -> None:
    timeout = timedelta(seconds=deps.policy.participant_timeout_seconds)
    due = next_ask_at(deps.clock.now(), asks, timeout)
    await purge_store.record_ask(tx, request_id, name, asks, due)


async def _sign_receipt(deps: Deps, tx: Transaction, request: DeletionRequest, hashed: str) -> None:
    if deps.signer is None:
        return
    times = await purge_store.completion_times(tx, request.request_id)
    receipt: dict[str, Any] = {
        "version": 1,
        "request_id": request.request_id,
        "account_hash": hashed,
        "confirmed_at": _iso(request.confirmed_at),
        "purge_deadline": _iso(request.purge_deadline),
        "purged_at": store.stamp(deps.clock.now()),
        "participants": [
            {"name": name, "completed_at": times.get(name)} for name in request.participants
        ],
        "key_id": deps.signer.key_id,
    }
    document, signature = deps.signer.sign(receipt)
    receipt_row = purge_store.Receipt(document, signature, deps.signer.key_id)
    await purge_store.save_receipt(tx, request.request_id, receipt_row)


def _iso(moment: Any) -> str | None:
    return None if moment is None else store.stamp(moment)
