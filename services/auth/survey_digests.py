"""What auth tells the survey so that it can remove the person's identifiers from their
comments without ever holding them: keyed digests of the identifiers' words, per request.

Sent when deletion opens a request that asks for the questionnaire, so the survey holds them
only while that request waits for its answer (it drops them when the answer is stored, the
request ends, or the account is purged). See :mod:`shared.identifier_digests`.
"""

from __future__ import annotations

import logging

from services.auth import store
from services.auth.deps import Deps
from shared.db import Transaction
from shared.events import DeletionRequested, IdentifierDigestsIssued, new_event
from shared.identifier_digests import identifier_words, issue_digests
from shared.outbox import enqueue

__all__ = ["issue_for_survey"]

log = logging.getLogger(__name__)


async def issue_for_survey(deps: Deps, tx: Transaction, event: DeletionRequested) -> None:
    """Send the survey the digests of the requesting account's identifier words."""
    if not event.payload.survey_required:
        return
    account = await store.find_account(tx, deps.vault, event.account_id)
    if account is None:
        # The survey then keeps none of that request's free text (it fails closed).
        log.info("DeletionRequested for an account auth does not hold", extra=_ids(event))
        return
    words = identifier_words(email=account.email, phone=account.phone, username=account.username)
    issued = issue_digests(deps.redaction_key, words)
    digests = new_event(
        IdentifierDigestsIssued,
        account_id=event.account_id,
        correlation_id=event.correlation_id,
        occurred_at=deps.clock.now(),
        request_id=event.payload.request_id,
        salt=issued.salt,
        digests=issued.digests,
        check=issued.check,
    )
    await enqueue(tx, deps.topics.auth_events, digests, deps.clock)


def _ids(event: DeletionRequested) -> dict[str, str]:
    return {"event_id": str(event.event_id), "correlation_id": event.correlation_id}
