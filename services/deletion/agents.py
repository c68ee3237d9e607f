"""Deletion's part in the event flow: what it handles and what it publishes."""

from __future__ import annotations

from typing import Any

from services.deletion import export_handlers, handlers, hold_handlers, purge
from shared.db import Transaction
from shared.events import (
    AccountPurged,
    CodeDeliveryRequested,
    CodeVerified,
    DeletionCancelled,
    DeletionCompleted,
    DeletionExpired,
    DeletionRequested,
    ExportPartDelivered,
    ExportRequested,
    HoldsQueried,
    HoldsReported,
    NoticeRequested,
    NotificationDelayed,
    NotificationDelivered,
    NotificationFailed,
    NotificationKeyIssued,
    PurgeCompleted,
    SessionsRevoked,
    SurveySubmitted,
)
from shared.messaging import Messaging, On
from shared.recipient_keys import record_recipient_key
from shared.revocation import record_revocation

__all__ = ["MESSAGING"]


async def record_key(deps: Any, tx: Transaction, event: NotificationKeyIssued) -> None:
    """Keep the key and release the events that waited for it."""
    await record_recipient_key(tx, deps.sealer, event)


MESSAGING: Messaging[handlers.Deps] = Messaging(
    service="deletion",
    handles=(
        # The public half of each account's notification key, to seal fields to.
        On(NotificationKeyIssued, record_key),
        On(SurveySubmitted, handlers.submit_survey),
        On(PurgeCompleted, purge.record_purge_completion),
        On(HoldsReported, hold_handlers.record_holds),
        On(ExportPartDelivered, export_handlers.record_part),
        On(NotificationFailed, handlers.code_delivery_failed),
        On(NotificationDelayed, handlers.code_delivery_delayed),
        On(NotificationDelivered, handlers.code_delivered),
        On(SessionsRevoked, record_revocation),
    ),
    publishes=(
        DeletionRequested,
        DeletionCancelled,
        CodeVerified,
        AccountPurged,
        DeletionCompleted,
        DeletionExpired,
        HoldsQueried,
        ExportRequested,
        CodeDeliveryRequested,
        NoticeRequested,
    ),
)
