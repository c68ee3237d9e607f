"""One use case's unit of work on one deletion request: load once, save once, events on commit.

A use case loads its request through the unit, moves it through the domain as often as it
likes (answer the survey, then issue a code), and queues the events it causes. When the
``async with`` block ends without an error, the unit writes the request's final state once
(with its audit record), then puts the events in the outbox, all in the same transaction.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from services.deletion import store
from services.deletion.domain import DeletionRequest
from services.deletion.steps import Deps, account_keys, audit, event_about, load_for_event, save
from shared.db import Transaction
from shared.events import Event
from shared.outbox import enqueue
from shared.recipient_keys import enqueue_sealed

__all__ = ["RequestNotFound", "RequestWork", "request_work"]


class RequestNotFound(Exception):
    """No request with that id belongs to the account."""


class RequestWork:
    """The request a use case works on, its state at load, and the events it will publish."""

    def __init__(self, deps: Deps, tx: Transaction) -> None:
        self.deps = deps
        self.tx = tx
        self._loaded: DeletionRequest | None = None  # None: a request opened by this unit
        self._current: DeletionRequest | None = None
        # (topic, event, fields to seal to the account's notification key, if any)
        self._events: list[tuple[str, Event, Mapping[str, str | None] | None]] = []

    @property
    def request(self) -> DeletionRequest:
        """The request as the use case has left it so far."""
        if self._current is None:
            raise LookupError("no request loaded or opened in this unit of work")
        return self._current

    def track(self, loaded: DeletionRequest) -> DeletionRequest:
        """Work on ``loaded`` (found by a query of the caller's own); return it."""
        self._loaded = self._current = loaded
        return loaded

    async def owned(self, request_id: str, account_id: str) -> DeletionRequest:
        """The account's request, or RequestNotFound."""
        found = await store.load(self.tx, request_id)
        if found is None or found.account_id not in account_keys(self.deps, account_id):
            raise RequestNotFound
        return self.track(found)

    async def for_event(self, request_id: str, account_id: str) -> DeletionRequest:
        """The request an event names, or RejectEvent when it is unknown or someone else's."""
        return self.track(await load_for_event(self.deps, self.tx, request_id, account_id))

    def opened(self, request: DeletionRequest) -> None:
        """A request this unit creates: inserted on commit."""
        self._loaded, self._current = None, request

    def update(self, request: DeletionRequest) -> None:
        """The request's new state, written on commit."""
        self._current = request

    def publish(self, kind: type[Any], **payload: Any) -> None:
        """Queue a fact about the request on deletion_events."""
        request = self.request
        event = event_about(self.deps, request, kind, request_id=request.request_id, **payload)
        self._events.append((self.deps.topics.deletion_events, event, None))

    def notify(
        self,
        kind: type[Any],
        *,
        notification_id: str | None = None,
        sealed: Mapping[str, str | None] | None = None,
        **payload: Any,
    ) -> str:
        """Queue a command for the notifier under its own id (fresh unless given); return it.

        ``sealed`` fields (placeholders in ``payload``) are sealed to the account's key.
        """
        notification_id = notification_id or self.deps.new_id()
        event = event_about(
            self.deps, self.request, kind, notification_id=notification_id, **payload
        )
        self._events.append((self.deps.topics.notifications, event, sealed))
        return notification_id

    async def send_queued(self) -> None:
        """Put the events queued so far in the outbox now, ahead of a step that adds its own."""
        for topic, event, sealed in self._events:
            if sealed is None:
                await enqueue(self.tx, topic, event, self.deps.clock)
            else:
                await enqueue_sealed(self.tx, self.deps.sealer, topic, event, sealed)
        self._events.clear()

    async def commit(self) -> None:
        """Write the request once, with its audit record, then the events to the outbox."""
        if self._current is not None:
            now = self.deps.clock.now()
            if self._loaded is None:
                await store.insert(self.tx, self._current, now)
                await audit(self.deps, self.tx, self._current, None)
            elif self._current != self._loaded:
                await save(self.deps, self.tx, self._loaded, self._current)
        await self.send_queued()


@asynccontextmanager
async def request_work(deps: Deps) -> AsyncIterator[RequestWork]:
    """A unit of work in one ``BEGIN IMMEDIATE`` transaction, committed when the block ends."""
    async with deps.db.transaction() as tx:
        work = RequestWork(deps, tx)
        yield work
        await work.commit()
