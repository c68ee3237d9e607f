"""The survey's Kafka consumers: decode, dedupe, call a handler."""

from __future__ import annotations

from typing import Any

from services.survey import handlers
from shared.consumer import IdempotentConsumer
from shared.db import Transaction
from shared.events import AccountPurged
from shared.faust_app import subscribe
from shared.participant_answers import ParticipantAnswers

__all__ = ["register_agents"]


def register_agents(app: Any, deps: handlers.Deps, max_attempts: int) -> None:
    """Subscribe the survey to the purge protocol and to revoked sessions."""

    async def on_account_purged(tx: Transaction, event: AccountPurged) -> None:
        await handlers.purge_account(deps, tx, event)

    # Answers are de-identified on arrival: the survey's export part is empty, it never holds.
    answers = ParticipantAnswers(handlers.PARTICIPANT, deps.topics, deps.clock)
    consumer = IdempotentConsumer(
        "survey",
        deps.db,
        deps.clock,
        {
            "AccountPurged": on_account_purged,
            "SessionsRevoked": deps.revocations.record,
            **answers.handlers(),
        },
        max_attempts=max_attempts,
    )
    subscribe(app, deps.topics.deletion_events, consumer)
    subscribe(app, deps.topics.auth_events, consumer)
