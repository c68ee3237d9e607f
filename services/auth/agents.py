"""Auth's part in the event flow: what it handles and what it publishes."""

from __future__ import annotations

from typing import Any

from services.auth import handlers, survey_digests
from services.auth.deps import Deps
from services.auth.export import export_answers
from shared.db import Transaction
from shared.events import (
    AccountPurged,
    AccountRegistered,
    CodeDeliveryRequested,
    CodeVerified,
    ContactDetailsChanged,
    DeletionRequested,
    ExportPartDelivered,
    HoldsReported,
    IdentifierDigestsIssued,
    NoticeRequested,
    NotificationKeyIssued,
    PurgeCompleted,
    SessionsRevoked,
)
from shared.messaging import Messaging, On, participant_answering
from shared.recipient_keys import record_recipient_key

__all__ = ["MESSAGING"]


async def record_key(deps: Any, tx: Transaction, event: NotificationKeyIssued) -> None:
    """Keep the key and release the events that waited for it."""
    await record_recipient_key(tx, deps.sealer, event)


MESSAGING: Messaging[Deps] = Messaging(
    service="auth",
    handles=(
        # The public half of each account's notification key, to seal fields to.
        On(NotificationKeyIssued, record_key),
        # A request asking for the questionnaire: the survey gets digests of the identifiers.
        On(DeletionRequested, survey_digests.issue_for_survey),
        On(CodeVerified, handlers.schedule_deletion),
        On(AccountPurged, handlers.purge_account),
        *participant_answering(export_answers),
    ),
    publishes=(
        AccountRegistered,
        SessionsRevoked,
        IdentifierDigestsIssued,
        ContactDetailsChanged,
        CodeDeliveryRequested,
        NoticeRequested,
        PurgeCompleted,
        HoldsReported,
        ExportPartDelivered,
    ),
)
