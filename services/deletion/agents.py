"""Deletion's Kafka consumers: decode, dedupe, call a handler."""

from __future__ import annotations

from typing import Any

from services.deletion import handlers, purge
from shared.consumer import IdempotentConsumer
from shared.db import Transaction
from shared.events import NotificationFailed, PurgeCompleted, SurveySubmitted
from shared.faust_app import subscribe
from shared.revocation import Revocations

__all__ = ["register_agents"]


def register_agents(
    app: Any, deps: handlers.Deps, max_attempts: int, revocations: Revocations
) -> None:
    """Subscribe deletion to surveys, purge answers, failed deliveries and revoked sessions."""

    async def on_survey_submitted(tx: Transaction, event: SurveySubmitted) -> None:
        await handlers.submit_survey(deps, tx, event)

    async def on_purge_completed(tx: Transaction, event: PurgeCompleted) -> None:
        await purge.record_purge_completion(deps, tx, event)

    async def on_notification_failed(tx: Transaction, event: NotificationFailed) -> None:
        await handlers.code_delivery_failed(deps, tx, event)

    consumer = IdempotentConsumer(
        "deletion",
        deps.db,
        deps.clock,
        {
            "SurveySubmitted": on_survey_submitted,
            "PurgeCompleted": on_purge_completed,
            "NotificationFailed": on_notification_failed,
            "SessionsRevoked": revocations.record,
        },
        max_attempts=max_attempts,
    )
    subscribe(app, deps.topics.survey_events, consumer)
    subscribe(app, deps.topics.purge_completions, consumer)
    subscribe(app, deps.topics.notifier_events, consumer)
    subscribe(app, deps.topics.auth_events, consumer)
