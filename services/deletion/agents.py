"""Deletion's part in the event flow: what it handles and what it publishes."""

from __future__ import annotations

from services.deletion import export_handlers, handlers, hold_handlers, purge
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
    NotificationFailed,
    PurgeCompleted,
    SessionsRevoked,
    SurveySubmitted,
)
from shared.messaging import Messaging, On
from shared.revocation import record_revocation

__all__ = ["MESSAGING"]

MESSAGING: Messaging[handlers.Deps] = Messaging(
    service="deletion",
    handles=(
        On(SurveySubmitted, handlers.submit_survey),
        On(PurgeCompleted, purge.record_purge_completion),
        On(HoldsReported, hold_handlers.record_holds),
        On(ExportPartDelivered, export_handlers.record_part),
        On(NotificationFailed, handlers.code_delivery_failed),
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
