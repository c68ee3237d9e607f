"""Deletion's Kafka consumers: decode, dedupe, call a handler."""

from __future__ import annotations

from typing import Any

from services.deletion import handlers
from shared.consumer import IdempotentConsumer
from shared.db import Transaction
from shared.events import PurgeCompleted, SurveySubmitted
from shared.faust_app import subscribe

__all__ = ["register_agents"]


def register_agents(app: Any, deps: handlers.Deps, max_attempts: int) -> None:
    """Subscribe deletion to finished surveys and to the participants' purge answers."""

    async def on_survey_submitted(tx: Transaction, event: SurveySubmitted) -> None:
        await handlers.submit_survey(deps, tx, event)

    async def on_purge_completed(tx: Transaction, event: PurgeCompleted) -> None:
        await handlers.record_purge_completion(deps, tx, event)

    consumer = IdempotentConsumer(
        "deletion",
        deps.db,
        deps.clock,
        {"SurveySubmitted": on_survey_submitted, "PurgeCompleted": on_purge_completed},
        max_attempts=max_attempts,
    )
    subscribe(app, deps.topics.survey_events, consumer)
    subscribe(app, deps.topics.purge_completions, consumer)
