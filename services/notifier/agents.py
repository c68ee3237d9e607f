"""The notifier's part in the event flow: its commands, the purge, and what it publishes."""

from __future__ import annotations

from services.notifier import handlers
from services.notifier.export import export_answers
from shared.events import (
    AccountPurged,
    AccountRegistered,
    CodeDeliveryRequested,
    ContactDetailsChanged,
    ExportPartDelivered,
    HoldsReported,
    NoticeRequested,
    NotificationDelayed,
    NotificationDelivered,
    NotificationFailed,
    NotificationKeyIssued,
    PurgeCompleted,
)
from shared.messaging import Messaging, On, participant_answering

__all__ = ["MESSAGING"]

MESSAGING: Messaging[handlers.Deps] = Messaging(
    service="notifier",
    handles=(
        # A new account gets its notification key before its addresses arrive.
        On(AccountRegistered, handlers.issue_key),
        On(ContactDetailsChanged, handlers.record_contact),
        On(CodeDeliveryRequested, handlers.request_code),
        On(NoticeRequested, handlers.request_notice),
        On(AccountPurged, handlers.purge_account),
        *participant_answering(export_answers),
    ),
    publishes=(
        NotificationKeyIssued,
        NotificationDelivered,
        NotificationDelayed,
        NotificationFailed,
        PurgeCompleted,
        HoldsReported,
        ExportPartDelivered,
    ),
)
