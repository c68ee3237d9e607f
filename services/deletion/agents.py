"""Deletion's Kafka consumers: decode, dedupe, call a handler."""

from __future__ import annotations

from typing import Any

from services.deletion import export_handlers, handlers, hold_handlers, purge
from shared.consumer import IdempotentConsumer
from shared.db import Transaction
from shared.events import (
    ExportPartDelivered,
    HoldsReported,
    NotificationFailed,
    PurgeCompleted,
    SurveySubmitted,
)
from shared.faust_app import subscribe
from shared.revocation import Revocations

__all__ = ["register_agents"]


def register_agents(
    app: Any, deps: handlers.Deps, max_attempts: int, revocations: Revocations
) -> None:
    """Subscribe deletion to surveys, participants' answers, failed deliveries, revocations."""

    async def on_survey_submitted(tx: Transaction, event: SurveySubmitted) -> None:
        await handlers.submit_survey(deps, tx, event)

    async def on_purge_completed(tx: Transaction, event: PurgeCompleted) -> None:
        await purge.record_purge_completion(deps, tx, event)

    async def on_holds_reported(tx: Transaction, event: HoldsReported) -> None:
        await hold_handlers.record_holds(deps, tx, event)

    async def on_export_part(tx: Transaction, event: ExportPartDelivered) -> None:
        await export_handlers.record_part(deps, tx, event)

    async def on_notification_failed(tx: Transaction, event: NotificationFailed) -> None:
        await handlers.code_delivery_failed(deps, tx, event)

    consumer = IdempotentConsumer(
        "deletion",
        deps.db,
        deps.clock,
        {
            "SurveySubmitted": on_survey_submitted,
            "PurgeCompleted": on_purge_completed,
            "HoldsReported": on_holds_reported,
            "ExportPartDelivered": on_export_part,
            "NotificationFailed": on_notification_failed,
            "SessionsRevoked": revocations.record,
        },
        max_attempts=max_attempts,
    )
    subscribe(app, deps.topics.survey_events, consumer)
    subscribe(app, deps.topics.purge_completions, consumer)
    subscribe(app, deps.topics.participant_answers, consumer)
    subscribe(app, deps.topics.notifier_events, consumer)
    subscribe(app, deps.topics.auth_events, consumer)
