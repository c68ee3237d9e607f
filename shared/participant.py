"""The purge protocol as seen by a data owner ("participant").

When deletion publishes AccountPurged, each participant erases what it holds for the account
and answers PurgeCompleted with its name, in the same transaction as the erasure.
"""

from __future__ import annotations

from shared.clock import Clock
from shared.db import Transaction
from shared.events import AccountPurged, PurgeCompleted, new_event
from shared.outbox import enqueue
from shared.topics import Topics

__all__ = ["acknowledge_purge"]


async def acknowledge_purge(
    tx: Transaction, event: AccountPurged, participant: str, topics: Topics, clock: Clock
) -> None:
    """Queue this participant's PurgeCompleted for ``event`` inside the erasing transaction."""
    completed = new_event(
        PurgeCompleted,
        account_id=event.account_id,
        correlation_id=event.correlation_id,
        occurred_at=clock.now(),
        request_id=event.payload.request_id,
        participant=participant,
    )
    await enqueue(tx, topics.purge_completions, completed, clock)
