"""Deletion's use cases, as plain async functions with their dependencies passed in.

Every state change is written in the same transaction as the events it causes (the outbox),
so a crash leaves either both or neither. Events of one request share the correlation id of
the HTTP call that opened it.
"""

from __future__ import annotations

import logging
import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from services.deletion import store
from services.deletion.domain import (
    CodePolicy,
    DeletionRequest,
    InvalidState,
    Status,
    UnknownParticipant,
    Verdict,
    require_recent_authentication,
)
from shared.clock import Clock
from shared.codes import CodeGenerator, CodeHasher
from shared.consumer import RejectEvent
from shared.crypto import FieldCipher, keyed_hash
from shared.db import Database, Transaction
from shared.events import (
    AccountPurged,
    Channel,
    CodeDeliveryRequested,
    CodeVerified,
    DeletionCompleted,
    DeletionRequested,
    Event,
    NoticeRequested,
    PurgeCompleted,
    SurveySubmitted,
    new_event,
)
from shared.outbox import enqueue
from shared.topics import Topics

__all__ = [
    "ACCOUNT_HASH_PURPOSE",
    "CODE_PURPOSE",
    "Deps",
    "Policy",
    "RequestExists",
    "RequestNotFound",
    "confirm_code",
    "fire_due_purges",
    "get_request",
    "record_purge_completion",
    "request_deletion",
    "submit_survey",
]

log = logging.getLogger(__name__)

CODE_PURPOSE = "deletion-code"
ACCOUNT_HASH_PURPOSE = "account"
# Requests started per timer run; any more are due on the next run.
_SCAN_BATCH = 100


class RequestExists(Exception):
    """The account already has an open deletion request."""

    def __init__(self, request_id: str) -> None:
        super().__init__("the account already has an open deletion request")
        self.request_id = request_id


class RequestNotFound(Exception):
    """No such request for this account (also when it belongs to someone else)."""


@dataclass(frozen=True)
class Policy:
    """The configurable rules deletion applies."""

    survey_required: bool
    grace_seconds: int
    participants: tuple[str, ...]
    reauth_max_age_seconds: int
    code: CodePolicy


@dataclass(frozen=True)
class Deps:
    """What deletion's handlers need."""

    db: Database
    clock: Clock
    topics: Topics
    policy: Policy
    hasher: CodeHasher
    cipher: FieldCipher
    account_key: bytes
    new_code: CodeGenerator


async def request_deletion(
    deps: Deps,
    *,
    account_id: str,
    authenticated_at: datetime,
    channel: Channel,
    correlation_id: str,
) -> DeletionRequest:
    """Open a deletion request; without a survey the code is sent at once."""
    now = deps.clock.now()
    require_recent_authentication(authenticated_at, now, deps.policy.reauth_max_age_seconds)
    request = DeletionRequest.open(
        request_id=str(uuid.uuid4()),
        account_id=account_id,
        channel=channel,
        correlation_id=correlation_id,
        now=now,
        survey_required=deps.policy.survey_required,
    )
    async with deps.db.transaction() as tx:
        existing = await store.open_request_of(tx, account_id)
        if existing is not None:
            raise RequestExists(existing)
        await store.insert(tx, request, now)
        survey = deps.policy.survey_required
        await _publish(
            deps, tx, request, DeletionRequested, channel=channel, survey_required=survey
        )
        if request.status is Status.AWAITING_CODE:
            request = await _send_code(deps, tx, request)
    log.info("deletion requested", extra={"request_id": request.request_id})
    return request


async def submit_survey(deps: Deps, tx: Transaction, event: SurveySubmitted) -> None:
    """The survey was answered: move on to the code and send it."""
    request = await _load_for_event(deps, tx, event.payload.request_id, event.account_id)
    try:
        request = request.survey_submitted()
    except InvalidState as exc:
        raise RejectEvent(str(exc)) from None
    await store.save(tx, request, deps.clock.now())
    await _send_code(deps, tx, request)


async def confirm_code(deps: Deps, *, account_id: str, request_id: str, code: str) -> datetime:
    """Check a typed code; when right, schedule the purge and return its deadline.

    A wrong try is counted even though the call fails, so the count is committed first.
    """
    now = deps.clock.now()
    async with deps.db.transaction() as tx:
        request = await _load_owned(deps, tx, request_id, account_id)
        stored = request.code_hash
        matches = stored is not None and deps.hasher.matches(request_id, code, stored)
        request, check = request.confirm(
            matches=matches,
            now=now,
            policy=deps.policy.code,
            grace=timedelta(seconds=deps.policy.grace_seconds),
        )
        await store.save(tx, request, now)
        if check.verdict is Verdict.ACCEPTED:
            deadline = request.purge_deadline
            await _publish(deps, tx, request, CodeVerified, purge_deadline=deadline)
            await _notify(
                deps, tx, request, NoticeRequested, notice="deletion_scheduled", deadline=deadline
            )
    error = check.error()
    if error is not None or request.purge_deadline is None:
        log.info("code not accepted: %s", check.verdict, extra={"request_id": request_id})
        raise error or InvalidState(request.status, Status.SCHEDULED)
    log.info("purge scheduled", extra={"request_id": request_id})
    return request.purge_deadline


async def get_request(deps: Deps, *, account_id: str, request_id: str) -> DeletionRequest:
    """The account's own request (also after the purge), else RequestNotFound."""
    request = await store.find_owned(deps.db, request_id, _account_keys(deps, account_id))
    if request is None:
        raise RequestNotFound
    return request


async def fire_due_purges(deps: Deps) -> int:
    """Start the purge of every request whose grace period is over; return how many.

    Each request moves to purging and queues AccountPurged in one transaction, so a crash
    at any point neither loses the purge nor announces it twice.
    """
    now = deps.clock.now()
    fired = 0
    for request_id in await store.due_request_ids(deps.db, now, _SCAN_BATCH):
        async with deps.db.transaction() as tx:
            request = await store.load(tx, request_id)
            if request is None or not request.is_due(now):
                continue
            request = request.start_purge(now, deps.policy.participants)
            await store.save(tx, request, now)
            await _publish(deps, tx, request, AccountPurged, participants=request.participants)
        fired += 1
        log.info("purge started", extra={"request_id": request_id})
    return fired


async def record_purge_completion(deps: Deps, tx: Transaction, event: PurgeCompleted) -> None:
    """A participant erased its data; when all have, the request is purged and announced."""
    request = await _load_for_event(deps, tx, event.payload.request_id, event.account_id)
    try:
        updated = request.record_completion(event.payload.participant)
    except UnknownParticipant:
        raise RejectEvent("purge completion from an unknown participant") from None
    except InvalidState as exc:
        raise RejectEvent(str(exc)) from None
    if updated == request:
        return  # this participant had already answered
    await store.save(tx, updated, deps.clock.now())
    if updated.status is Status.PURGED:
        await _publish(deps, tx, updated, DeletionCompleted)
        await _notify(deps, tx, updated, NoticeRequested, notice="deletion_completed")
        await store.forget_account(tx, updated.request_id, _account_hash(deps, updated.account_id))
        log.info("deletion completed", extra={"request_id": updated.request_id})


# --- helpers --------------------------------------------------------------------------------


async def _send_code(deps: Deps, tx: Transaction, request: DeletionRequest) -> DeletionRequest:
    code = deps.new_code()
    now = deps.clock.now()
    request = request.issue_code(deps.hasher.hash(request.request_id, code), now)
    await store.save(tx, request, now)
    await _notify(
        deps,
        tx,
        request,
        CodeDeliveryRequested,
        purpose="deletion",
        channel=request.channel,
        code_enc=deps.cipher.encrypt(code, context=request.account_id),
        valid_minutes=math.ceil(deps.policy.code.ttl_seconds / 60),
    )
    return request


async def _publish(
    deps: Deps, tx: Transaction, request: DeletionRequest, kind: type[Any], **payload: Any
) -> None:
    """Queue a fact about the request on deletion_events."""
    event = _event(deps, request, kind, request_id=request.request_id, **payload)
    await enqueue(tx, deps.topics.deletion_events, event, deps.clock)


async def _notify(
    deps: Deps, tx: Transaction, request: DeletionRequest, kind: type[Any], **payload: Any
) -> None:
    """Queue a command for the notifier, with an id of its own."""
    event = _event(deps, request, kind, notification_id=str(uuid.uuid4()), **payload)
    await enqueue(tx, deps.topics.notifications, event, deps.clock)


def _event(deps: Deps, request: DeletionRequest, kind: type[Any], **payload: Any) -> Event:
    return new_event(
        kind,
        account_id=request.account_id,
        correlation_id=request.correlation_id,
        occurred_at=deps.clock.now(),
        **payload,
    )


def _account_hash(deps: Deps, account_id: str) -> str:
    return keyed_hash(deps.account_key, ACCOUNT_HASH_PURPOSE, account_id)


def _account_keys(deps: Deps, account_id: str) -> tuple[str, str]:
    # Before the purge a request holds the raw account id; after it, only its keyed hash.
    return account_id, _account_hash(deps, account_id)


async def _load_owned(
    deps: Deps, tx: Transaction, request_id: str, account_id: str
) -> DeletionRequest:
    request = await store.load(tx, request_id)
    if request is None or request.account_id not in _account_keys(deps, account_id):
        raise RequestNotFound
    return request


async def _load_for_event(
    deps: Deps, tx: Transaction, request_id: str, account_id: str
) -> DeletionRequest:
    request = await store.load(tx, request_id)
    if request is None:
        raise RejectEvent("unknown deletion request")
    if request.account_id not in _account_keys(deps, account_id):
        raise RejectEvent("the deletion request belongs to another account")
    return request
