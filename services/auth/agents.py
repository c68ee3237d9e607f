"""Auth's Kafka consumers: decode, dedupe, call a handler."""

from __future__ import annotations

from typing import Any

from services.auth import handlers
from services.auth.export import export_answers
from shared.consumer import IdempotentConsumer
from shared.db import Transaction
from shared.events import AccountPurged, CodeVerified
from shared.faust_app import subscribe

__all__ = ["register_agents"]


def register_agents(app: Any, deps: handlers.Deps, max_attempts: int) -> None:
    """Subscribe auth to the deletion events that change or erase an account."""

    async def on_code_verified(tx: Transaction, event: CodeVerified) -> None:
        await handlers.schedule_deletion(deps, tx, event)

    async def on_account_purged(tx: Transaction, event: AccountPurged) -> None:
        await handlers.purge_account(deps, tx, event)

    consumer = IdempotentConsumer(
        "auth",
        deps.db,
        deps.clock,
        {
            "CodeVerified": on_code_verified,
            "AccountPurged": on_account_purged,
            **export_answers(deps).handlers(),
        },
        max_attempts=max_attempts,
    )
    subscribe(app, deps.topics.deletion_events, consumer)
