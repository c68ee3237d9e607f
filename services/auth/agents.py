"""Auth's part in the event flow: what it handles and what it publishes."""

from __future__ import annotations

from services.auth import handlers
from services.auth.deps import Deps
from services.auth.export import export_answers
from shared.events import (
    AccountPurged,
    AccountRegistered,
    CodeDeliveryRequested,
    CodeVerified,
    ContactDetailsChanged,
    ExportPartDelivered,
    HoldsReported,
    NoticeRequested,
    PurgeCompleted,
    SessionsRevoked,
)
from shared.messaging import Messaging, On, participant_answering

__all__ = ["MESSAGING"]

MESSAGING: Messaging[Deps] = Messaging(
    service="auth",
    handles=(
        On(CodeVerified, handlers.schedule_deletion),
        On(AccountPurged, handlers.purge_account),
        *participant_answering(export_answers),
    ),
    publishes=(
        AccountRegistered,
        SessionsRevoked,
        ContactDetailsChanged,
        CodeDeliveryRequested,
        NoticeRequested,
        PurgeCompleted,
        HoldsReported,
        ExportPartDelivered,
    ),
)
