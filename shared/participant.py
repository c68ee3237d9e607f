"""The purge protocol as seen by a data owner ("participant").

When deletion publishes AccountPurged, each participant named in it erases what it holds for
the account and answers PurgeCompleted with its name, in the same transaction as the erasure
(through the outbox), so an erasure is never unconfirmed and a confirmation never premature.
Deletion asks a silent participant again with a fresh AccountPurged naming only it.

Another team's Faust app joins in a few lines::

    async def erase(tx: Transaction, account_id: str) -> None:
        await tx.execute("DELETE FROM orders WHERE account_id = ?", (account_id,))

    PurgeParticipant("orders", erase, db=db, topics=platform.topics).attach(faust_app)
    runtime = ServiceRuntime(platform, db, faust_app)  # runs the consumer and the outbox relay

and deletion lists it: ``DELETION_PARTICIPANTS=auth,survey,notifier,orders``.

The same object answers the data export and the hold query (:mod:`shared.participant_answers`)
when given ``export=`` and ``holds=`` hooks; see ``docs/export-and-holds.md``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from shared.clock import Clock, SystemClock
from shared.consumer import IdempotentConsumer
from shared.db import Database, Transaction
from shared.events import AccountPurged, PurgeCompleted, new_event
from shared.faust_app import subscribe
from shared.outbox import enqueue
from shared.participant_answers import ExportHook, HoldsHook, ParticipantAnswers
from shared.topics import Topics

__all__ = ["Eraser", "PurgeParticipant", "acknowledge_purge"]

log = logging.getLogger(__name__)

Eraser = Callable[[Transaction, str], Awaitable[None]]


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


class PurgeParticipant:
    """Joins a Faust app to the purge: dedupe, erase, answer — one transaction per purge.

    ``erase(tx, account_id)`` deletes the account's data with ``tx``; it must be idempotent
    (erasing twice is harmless), because deletion may ask again. ``export`` and ``holds``
    (optional) answer the data export and the hold query; :meth:`report_holds` tells deletion
    after a hold was placed or lifted.
    """

    def __init__(
        self,
        name: str,
        erase: Eraser,
        *,
        db: Database,
        topics: Topics,
        clock: Clock | None = None,
        max_attempts: int = 3,
        export: ExportHook | None = None,
        holds: HoldsHook | None = None,
    ) -> None:
        self.name = name
        self._erase = erase
        self._topics = topics
        self._clock = clock or SystemClock()
        self.answers = ParticipantAnswers(name, topics, self._clock, export=export, holds=holds)
        handlers = {"AccountPurged": self.on_purged, **self.answers.handlers()}
        self.consumer = IdempotentConsumer(f"{name}-purge", db, self._clock, handlers, max_attempts)

    def attach(self, app: Any) -> PurgeParticipant:
        """Subscribe ``app`` to deletion's events; return self."""
        subscribe(app, self._topics.deletion_events, self.consumer)
        return self

    async def report_holds(self, tx: Transaction, account_id: str) -> None:
        """Tell deletion the account's holds as they are now, inside the changing transaction."""
        await self.answers.report(tx, account_id)

    async def on_purged(self, tx: Transaction, event: AccountPurged) -> None:
        """Erase and answer, if this purge names us."""
        if self.name not in event.payload.participants:
            return
        await self._erase(tx, event.account_id)
        await acknowledge_purge(tx, event, self.name, self._topics, self._clock)
        log.info("account erased", extra={"request_id": event.payload.request_id})
