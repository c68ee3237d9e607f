"""Deletion's use cases for the person: request, survey, codes, confirm, cancel, read.

Every state change is written in the same transaction as the events it causes (the outbox)
and its audit record, so a crash leaves either all or none. Events of one request share the
correlation id of the HTTP call that opened it. The purge's use cases are in
:mod:`services.deletion.purge`.
"""

from __future__ import annotations

import logging
import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from services.deletion import purge_store, store
from services.deletion.domain import (
    CodePolicy,
    DeletionRequest,
    InvalidState,
    Status,
    Verdict,
    require_recent_authentication,
)
from services.deletion.receipts import ReceiptSigner
from shared.clock import Clock
from shared.codes import CodeGenerator, CodeHasher
from shared.consumer import RejectEvent
from shared.crypto import FieldCipher, keyed_hash
from shared.db import Database, Transaction
from shared.events import (
    Channel,
    CodeDeliveryRequested,
    CodeVerified,
    DeletionRequested,
    Event,
    NoticeRequested,
    NotificationFailed,
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
    "account_hash",
    "cancel_request",
    "code_delivery_failed",
    "confirm_code",
    "get_request",
    "load_for_event",
    "notify",
    "publish",
    "request_deletion",
    "resend_code",
    "save",
    "submit_survey",
]

log = logging.getLogger(__name__)

CODE_PURPOSE = "deletion-code"
ACCOUNT_HASH_PURPOSE = "account"


class RequestExists(Exception):
    """The account already has a deletion request in progress."""

    def __init__(self, request_id: str) -> None:
        super().__init__("the account already has a deletion request in progress")
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
    request_ttl_seconds: int = 86400
    purge_lead_seconds: int = 0
    participant_timeout_seconds: float = 60.0
    participant_max_asks: int = 6
    audit_retention_days: int = 731


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
    signer: ReceiptSigner | None = None


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
        ttl=timedelta(seconds=deps.policy.request_ttl_seconds),
    )
    async with deps.db.transaction() as tx:
        existing = await store.open_request_of(tx, account_id)
        if existing is not None:
            raise RequestExists(existing)
        await store.insert(tx, request, now)
        await _audit(deps, tx, request, None)
        survey = deps.policy.survey_required
        await publish(deps, tx, request, DeletionRequested, channel=channel, survey_required=survey)
        if request.status is Status.AWAITING_CODE:
            request = await _send_code(deps, tx, request)
    log.info("deletion requested", extra={"request_id": request.request_id})
    return request


async def submit_survey(deps: Deps, tx: Transaction, event: SurveySubmitted) -> None:
    """The survey was answered: move on to the code and send it."""
    before = await load_for_event(deps, tx, event.payload.request_id, event.account_id)
    try:
        request = before.survey_submitted()
    except InvalidState as exc:
        raise RejectEvent(str(exc)) from None
    await save(deps, tx, before, request)
    await _send_code(deps, tx, request)


async def resend_code(
    deps: Deps, *, account_id: str, request_id: str, channel: Channel | None
) -> DeletionRequest:
    """Send a new code (to ``channel`` if given); the old one stops working.

    Raises InvalidState, ResendCooldown or TooManyCodes when a new code may not go out now.
    """
    async with deps.db.transaction() as tx:
        request = await _load_owned(deps, tx, request_id, account_id)
        request.check_resend(deps.clock.now(), deps.policy.code)
        request = await _send_code(deps, tx, request, channel)
    log.info("code sent again", extra={"request_id": request_id})
    return request


async def code_delivery_failed(deps: Deps, tx: Transaction, event: NotificationFailed) -> None:
    """The notifier could not deliver a code: flag its request, if it is one of ours."""
    notification_id = event.payload.notification_id
    before = await store.load_by_code_notification(tx, notification_id)
    if before is None or before.account_id != event.account_id:
        return  # another service's message (a password reset, a notice): not ours
    request = before.delivery_failed(notification_id)
    if request != before:
        await save(deps, tx, before, request)
        log.warning("code delivery failed", extra={"request_id": request.request_id})


async def confirm_code(deps: Deps, *, account_id: str, request_id: str, code: str) -> datetime:
    """Check a typed code; when right, schedule the purge and return its deadline.

    A wrong try is counted even though the call fails, so the count is committed first.
    """
    now = deps.clock.now()
    async with deps.db.transaction() as tx:
        before = await _load_owned(deps, tx, request_id, account_id)
        stored = before.code_hash
        matches = stored is not None and deps.hasher.matches(request_id, code, stored)
        request, check = before.confirm(
            matches=matches,
            now=now,
            policy=deps.policy.code,
            grace=timedelta(seconds=deps.policy.grace_seconds),
            lead=timedelta(seconds=deps.policy.purge_lead_seconds),
        )
        await save(deps, tx, before, request)
        if check.verdict is Verdict.ACCEPTED:
            deadline = request.purge_deadline
            await publish(deps, tx, request, CodeVerified, purge_deadline=deadline)
            await notify(
                deps, tx, request, NoticeRequested, notice="deletion_scheduled", deadline=deadline
            )
    error = check.error()
    if error is not None or request.purge_deadline is None:
        log.info("code not accepted: %s", check.verdict, extra={"request_id": request_id})
        raise error or InvalidState(request.status, Status.SCHEDULED)
    log.info("purge scheduled", extra={"request_id": request_id})
    return request.purge_deadline


async def cancel_request(deps: Deps, *, account_id: str, request_id: str) -> DeletionRequest:
    """The owner withdraws a request that is not scheduled yet; the account stays."""
    async with deps.db.transaction() as tx:
        before = await _load_owned(deps, tx, request_id, account_id)
        request = before.cancel()
        await save(deps, tx, before, request)
    log.info("deletion request cancelled", extra={"request_id": request_id})
    return request


async def get_request(deps: Deps, *, account_id: str, request_id: str) -> DeletionRequest:
    """The account's own request (also after the purge), else RequestNotFound."""
    request = await store.find_owned(deps.db, request_id, _account_keys(deps, account_id))
    if request is None:
        raise RequestNotFound
    return request


# --- shared with the purge ------------------------------------------------------------------


async def save(
    deps: Deps, tx: Transaction, before: DeletionRequest, after: DeletionRequest
) -> None:
    """Write ``after`` back, with an audit record when its status changed."""
    await store.save(tx, after, deps.clock.now())
    if after.status is not before.status:
        await _audit(deps, tx, after, before.status)


async def publish(
    deps: Deps, tx: Transaction, request: DeletionRequest, kind: type[Any], **payload: Any
) -> None:
    """Queue a fact about the request on deletion_events."""
    event = _event(deps, request, kind, request_id=request.request_id, **payload)
    await enqueue(tx, deps.topics.deletion_events, event, deps.clock)


async def notify(
    deps: Deps, tx: Transaction, request: DeletionRequest, kind: type[Any], **payload: Any
) -> str:
    """Queue a command for the notifier, with an id of its own; return that id."""
    notification_id = str(uuid.uuid4())
    event = _event(deps, request, kind, notification_id=notification_id, **payload)
    await enqueue(tx, deps.topics.notifications, event, deps.clock)
    return notification_id


def account_hash(deps: Deps, account_id: str) -> str:
    """The keyed hash that stands for the account once it is purged (and in audit records)."""
    return keyed_hash(deps.account_key, ACCOUNT_HASH_PURPOSE, account_id)


async def load_for_event(
    deps: Deps, tx: Transaction, request_id: str, account_id: str
) -> DeletionRequest:
    """The request an event is about, or RejectEvent when it is unknown or someone else's."""
    request = await store.load(tx, request_id)
    if request is None:
        raise RejectEvent("unknown deletion request")
    if request.account_id not in _account_keys(deps, account_id):
        raise RejectEvent("the deletion request belongs to another account")
    return request


# --- helpers --------------------------------------------------------------------------------


async def _send_code(
    deps: Deps, tx: Transaction, request: DeletionRequest, channel: Channel | None = None
) -> DeletionRequest:
    code = deps.new_code()
    now = deps.clock.now()
    notification_id = str(uuid.uuid4())
    request = request.issue_code(
        deps.hasher.hash(request.request_id, code), now, notification_id, channel
    )
    await store.save(tx, request, now)
    event = _event(
        deps,
        request,
        CodeDeliveryRequested,
        notification_id=notification_id,
        purpose="deletion",
        channel=request.channel,
        code_enc=deps.cipher.encrypt(code, context=request.account_id),
        valid_minutes=math.ceil(deps.policy.code.ttl_seconds / 60),
    )
    await enqueue(tx, deps.topics.notifications, event, deps.clock)
    return request


async def _audit(
    deps: Deps, tx: Transaction, request: DeletionRequest, previous: Status | None
) -> None:
    hashed = account_hash(deps, request.account_id)
    change = (None if previous is None else previous.value, request.status.value)
    await purge_store.audit(tx, request.request_id, hashed, change, deps.clock.now())


def _event(deps: Deps, request: DeletionRequest, kind: type[Any], **payload: Any) -> Event:
    return new_event(
        kind,
        account_id=request.account_id,
        correlation_id=request.correlation_id,
        occurred_at=deps.clock.now(),
        **payload,
    )


def _account_keys(deps: Deps, account_id: str) -> tuple[str, str]:
    # Before the purge a request holds the raw account id; after it, only its keyed hash.
    return account_id, account_hash(deps, account_id)


async def _load_owned(
    deps: Deps, tx: Transaction, request_id: str, account_id: str
) -> DeletionRequest:
    request = await store.load(tx, request_id)
    if request is None or request.account_id not in _account_keys(deps, account_id):
        raise RequestNotFound
    return request
