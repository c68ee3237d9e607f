"""Deletion's use cases for the person: request, survey, codes, confirm, cancel, read.

Every state change is written in the same transaction as the events it causes (the outbox)
and its audit record, so a crash leaves either all or none. Events of one request share the
correlation id of the HTTP call that opened it. The purge's use cases are in
:mod:`services.deletion.purge`; the dependencies and the steps both share are in
:mod:`services.deletion.steps` (re-exported here for the callers that import them from here).
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta

from services.deletion import hold_handlers, store
from services.deletion.domain import (
    DeletionRequest,
    InvalidState,
    Status,
    Verdict,
    require_recent_authentication,
)
from services.deletion.holds import pause
from services.deletion.steps import (
    ACCOUNT_HASH_PURPOSE,
    CODE_PURPOSE,
    Deps,
    Policy,
    account_hash,
    account_keys,
    budget_scope,
    load_for_event,
    notify,
    publish,
    save,
)
from services.deletion.unit_of_work import RequestNotFound, RequestWork, request_work
from shared import rolling_limits
from shared.consumer import RejectEvent
from shared.db import Transaction
from shared.events import (
    Channel,
    CodeDeliveryRequested,
    CodeVerified,
    DeletionCancelled,
    DeletionRequested,
    NoticeRequested,
    NotificationDelayed,
    NotificationDelivered,
    NotificationFailed,
    SurveySubmitted,
)
from shared.rolling_limits import LimitReached

__all__ = [
    "ACCOUNT_HASH_PURPOSE",
    "CODE_PURPOSE",
    "Deps",
    "Policy",
    "RequestExists",
    "RequestNotFound",
    "account_hash",
    "budget_scope",
    "cancel_request",
    "code_delivered",
    "code_delivery_delayed",
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


class RequestExists(Exception):
    """The account already has a deletion request in progress."""

    def __init__(self, request_id: str) -> None:
        super().__init__("the account already has a deletion request in progress")
        self.request_id = request_id


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
        request_id=deps.new_id(),
        account_id=account_id,
        channel=channel,
        correlation_id=correlation_id,
        now=now,
        survey_required=deps.policy.survey_required,
        ttl=timedelta(seconds=deps.policy.request_ttl_seconds),
    )
    async with request_work(deps) as work:
        existing = await store.open_request_of(work.tx, account_id)
        if existing is not None:
            raise RequestExists(existing)
        # A request that could get no code, or no guess at one, is refused before it opens.
        for rule in (deps.policy.new_codes, deps.policy.wrong_codes):
            await rolling_limits.ensure_room(work.tx, budget_scope(account_id), rule, now)
        work.opened(request)
        survey = deps.policy.survey_required
        work.publish(DeletionRequested, channel=channel, survey_required=survey)
        # The hold question goes out after DeletionRequested, as it did before the unit of work.
        await work.send_queued()
        await hold_handlers.query_holds(deps, work.tx, request, deps.policy.participants)
        if request.status is Status.AWAITING_CODE:
            await _send_code(work)
    log.info("deletion requested", extra={"request_id": work.request.request_id})
    return work.request


async def submit_survey(deps: Deps, tx: Transaction, event: SurveySubmitted) -> None:
    """The survey was answered: move on to the code and send it."""
    work = RequestWork(deps, tx)
    before = await work.for_event(event.payload.request_id, event.account_id)
    try:
        work.update(before.survey_submitted())
    except InvalidState as exc:
        raise RejectEvent(str(exc)) from None
    try:
        await _send_code(work)
    except LimitReached:
        # The account had its codes for the day; the person may ask again (resend: 429 with
        # Retry-After) once the budget allows.
        log.warning("no code sent: daily limit", extra={"request_id": before.request_id})
    await work.commit()


async def resend_code(
    deps: Deps, *, account_id: str, request_id: str, channel: Channel | None
) -> DeletionRequest:
    """Send a new code (to ``channel`` if given); the old one stops working.

    Raises InvalidState, ResendCooldown, TooManyCodes or LimitReached (the account's codes
    per rolling window) when a new code may not go out now.
    """
    async with request_work(deps) as work:
        request = await work.owned(request_id, account_id)
        request.check_resend(deps.clock.now(), deps.policy.code)
        await _send_code(work, channel)
    log.info("code sent again", extra={"request_id": request_id})
    return work.request


async def code_delivery_failed(deps: Deps, tx: Transaction, event: NotificationFailed) -> None:
    """The notifier could not deliver a code: flag its request, if it is one of ours."""
    notification_id = event.payload.notification_id
    before = await store.load_by_code_notification(tx, notification_id)
    if before is None or before.account_id != event.account_id:
        return  # another service's message (a password reset, a notice): not ours
    work = RequestWork(deps, tx)
    work.track(before)
    work.update(before.delivery_failed(notification_id))
    if work.request != before:
        log.warning("code delivery failed", extra={"request_id": before.request_id})
    await work.commit()


async def code_delivery_delayed(deps: Deps, tx: Transaction, event: NotificationDelayed) -> None:
    """The notifier keeps trying to deliver a code: the request's status says it is late."""
    await _delivery_news(deps, tx, event.account_id, event.payload.notification_id, "delayed")


async def code_delivered(deps: Deps, tx: Transaction, event: NotificationDelivered) -> None:
    """A code got through: a request that said it is late says so no more."""
    await _delivery_news(deps, tx, event.account_id, event.payload.notification_id, "delivered")


async def _delivery_news(
    deps: Deps, tx: Transaction, account_id: str, notification_id: str, news: str
) -> None:
    before = await store.load_by_code_notification(tx, notification_id)
    if before is None or before.account_id != account_id:
        return  # another service's message: not ours
    work = RequestWork(deps, tx)
    work.track(before)
    if news == "delayed":
        work.update(before.delivery_delayed(notification_id))
    else:
        work.update(before.delivered(notification_id))
    if work.request != before:
        log.info("code delivery %s", news, extra={"request_id": before.request_id})
    await work.commit()


# One transaction's steps in their order; split, the order would no longer be seen in one place.
async def confirm_code(deps: Deps, *, account_id: str, request_id: str, code: str) -> datetime:
    """Check a typed code; when right, schedule the purge and return its deadline.

    A wrong try is counted even though the call fails, so the count is committed first. It is
    also counted against the account's wrong codes per rolling window; past that budget the
    call raises LimitReached without judging the code. A code the notifier could not deliver
    takes no tries (CodeUndelivered).
    """
    now = deps.clock.now()
    async with request_work(deps) as work:
        before = await work.owned(request_id, account_id)
        scope = budget_scope(before.account_id)
        # Before the code is even compared: past the budget, no guess is judged.
        await rolling_limits.ensure_room(work.tx, scope, deps.policy.wrong_codes, now)
        stored = before.code_hash
        matches = stored is not None and deps.hasher.matches(request_id, code, stored)
        request, check = before.confirm(
            matches=matches,
            now=now,
            policy=deps.policy.code,
            grace=timedelta(seconds=deps.policy.grace_seconds),
            lead=timedelta(seconds=deps.policy.purge_lead_seconds),
        )
        work.update(request)
        if check.attempts > before.code_attempts:  # a wrong try was counted
            await rolling_limits.record(work.tx, scope, deps.policy.wrong_codes, now)
        if check.verdict is Verdict.ACCEPTED:
            deadline = request.purge_deadline
            work.publish(CodeVerified, purge_deadline=deadline)
            if await hold_handlers.account_holds_in(deps, work.tx, account_id):
                # Held at once: the request is saved paused (once), and the person told why.
                request = pause(request, now)
                work.update(request)
                work.notify(NoticeRequested, notice="deletion_held")
                log.info("deletion held by a participant", extra={"request_id": request_id})
            else:
                work.notify(NoticeRequested, notice="deletion_scheduled", deadline=deadline)
    error = check.error()
    if error is not None or request.purge_deadline is None:
        log.info("code not accepted: %s", check.verdict, extra={"request_id": request_id})
        raise error or InvalidState(request.status, Status.SCHEDULED)
    deps.wake_timer()  # its deadline may be sooner than what the timer sleeps towards
    log.info("purge scheduled", extra={"request_id": request_id})
    return request.purge_deadline


async def cancel_request(deps: Deps, *, account_id: str, request_id: str) -> DeletionRequest:
    """The owner withdraws a request that is not scheduled yet; the account stays."""
    async with request_work(deps) as work:
        work.update((await work.owned(request_id, account_id)).cancel())
        work.publish(DeletionCancelled)
    log.info("deletion request cancelled", extra={"request_id": request_id})
    return work.request


async def get_request(deps: Deps, *, account_id: str, request_id: str) -> DeletionRequest:
    """The account's own request (also after the purge), else RequestNotFound."""
    request = await store.find_owned(deps.db, request_id, account_keys(deps, account_id))
    if request is None:
        raise RequestNotFound
    return request


# --- helpers --------------------------------------------------------------------------------


async def _send_code(work: RequestWork, channel: Channel | None = None) -> None:
    """Issue a fresh code to the request and queue its delivery (the code only sealed).

    Raises LimitReached when the account had its new codes for the rolling window.
    """
    deps, now = work.deps, work.deps.clock.now()
    scope = budget_scope(work.request.account_id)
    await rolling_limits.ensure_room(work.tx, scope, deps.policy.new_codes, now)
    await rolling_limits.record(work.tx, scope, deps.policy.new_codes, now)
    code, notification_id = deps.new_code(), deps.new_id()
    request = work.request.issue_code(
        deps.hasher.hash(work.request.request_id, code), now, notification_id, channel
    )
    work.update(request)
    work.notify(
        CodeDeliveryRequested,
        notification_id=notification_id,
        sealed={"code_enc": code},
        purpose="deletion",
        channel=request.channel,
        code_enc="",
        valid_minutes=math.ceil(deps.policy.code.ttl_seconds / 60),
    )
