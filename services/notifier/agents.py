"""The notifier's Kafka consumers: decode, dedupe, call a handler."""

from __future__ import annotations

from typing import Any

from services.notifier import handlers
from services.notifier.export import export_answers
from shared.consumer import IdempotentConsumer
from shared.db import Transaction
from shared.events import (
    AccountPurged,
    CodeDeliveryRequested,
    ContactDetailsChanged,
    NoticeRequested,
)
from shared.faust_app import subscribe

__all__ = ["register_agents"]


def register_agents(app: Any, deps: handlers.Deps, max_attempts: int) -> None:
    """Subscribe the notifier to its commands and to the purge it takes part in."""

    async def on_contact(tx: Transaction, event: ContactDetailsChanged) -> None:
        await handlers.record_contact(deps, tx, event)

    async def on_code(tx: Transaction, event: CodeDeliveryRequested) -> None:
        await handlers.request_code(deps, tx, event)

    async def on_notice(tx: Transaction, event: NoticeRequested) -> None:
        await handlers.request_notice(deps, tx, event)

    async def on_account_purged(tx: Transaction, event: AccountPurged) -> None:
        await handlers.purge_account(deps, tx, event)

    # One consumer name for both topics: event ids are unique across the platform.
    consumer = IdempotentConsumer(
        "notifier",
        deps.db,
        deps.clock,
        {
            "ContactDetailsChanged": on_contact,
            "CodeDeliveryRequested": on_code,
            "NoticeRequested": on_notice,
            "AccountPurged": on_account_purged,
            **export_answers(deps).handlers(),
        },
        max_attempts=max_attempts,
    )
    subscribe(app, deps.topics.notifications, consumer)
    subscribe(app, deps.topics.deletion_events, consumer)
