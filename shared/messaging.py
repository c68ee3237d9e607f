"""What travels where, and who takes part: declared once, read by the consumers and the docs.

- :data:`CHANNELS`: each topic and the event classes it carries;
- a service's :class:`Messaging`: the events it handles (event class → handler) and the events
  it publishes.

From these the consumers get their routing (:func:`register_agents`), each service the topics
it creates (:meth:`Messaging.topics_to_create`), and ``docs/asyncapi.json`` its senders and
receivers (:mod:`shared.asyncapi`), so the three cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from shared import events
from shared.clock import Clock
from shared.consumer import EventHandler, IdempotentConsumer
from shared.db import Database, Transaction
from shared.faust_app import subscribe
from shared.participant_answers import ParticipantAnswers
from shared.topics import Topics

__all__ = [
    "CHANNELS",
    "Channel",
    "Messaging",
    "On",
    "Wiring",
    "channel_of",
    "event_type_of",
    "participant_answering",
    "register_agents",
]

D = TypeVar("D")
E = TypeVar("E", bound=BaseModel)


def event_type_of(event_class: type[BaseModel]) -> str:
    """The ``event_type`` an event class writes on the wire."""
    return str(event_class.model_fields["event_type"].default)


@dataclass(frozen=True)
class Channel:
    """One topic: its attribute on :class:`Topics` and the event classes it carries."""

    attribute: str
    carries: tuple[type[BaseModel], ...]
    retention: str = "30 days"

    @property
    def events(self) -> tuple[str, ...]:
        """The event types it carries, as written on the wire."""
        return tuple(event_type_of(cls) for cls in self.carries)


CHANNELS: tuple[Channel, ...] = (
    Channel(
        "auth_events",
        (events.AccountRegistered, events.SessionsRevoked, events.IdentifierDigestsIssued),
    ),
    Channel(
        "deletion_events",
        (
            events.DeletionRequested,
            events.CodeVerified,
            events.AccountPurged,
            events.DeletionCompleted,
            events.DeletionExpired,
            events.DeletionCancelled,
            events.HoldsQueried,
            events.ExportRequested,
        ),
    ),
    Channel("survey_events", (events.SurveySubmitted,)),
    Channel("purge_completions", (events.PurgeCompleted,)),
    Channel(
        "participant_answers",
        (events.HoldsReported, events.ExportPartDelivered),
        retention="7 days",
    ),
    Channel(
        "notifications",
        (events.ContactDetailsChanged, events.CodeDeliveryRequested, events.NoticeRequested),
        retention="7 days",
    ),
    Channel(
        "notifier_events",
        (
            events.NotificationKeyIssued,
            events.NotificationDelivered,
            events.NotificationDelayed,
            events.NotificationFailed,
        ),
    ),
)


def channel_of(event_class: type[BaseModel]) -> Channel:
    """The channel that carries ``event_class`` (each event travels on exactly one)."""
    for channel in CHANNELS:
        if event_class in channel.carries:
            return channel
    raise LookupError(f"{event_class.__name__} travels on no declared topic")


@dataclass(frozen=True)
class On(Generic[D, E]):
    """Handle each ``event`` with ``handler(deps, tx, event)``, in the consumer's transaction."""

    event: type[E]
    handler: Callable[[D, Transaction, E], Awaitable[None]]


@dataclass(frozen=True)
class Messaging(Generic[D]):
    """A service's part in the event flow: what it handles and what it publishes."""

    service: str  # also its consumer's name, the key of its processed-event records
    handles: tuple[On[D, Any], ...]
    publishes: tuple[type[BaseModel], ...]

    def subscribed(self) -> tuple[Channel, ...]:
        """The channels carrying an event this service handles, in declaration order."""
        wanted = {channel_of(on.event).attribute for on in self.handles}
        return tuple(channel for channel in CHANNELS if channel.attribute in wanted)

    def published(self) -> tuple[Channel, ...]:
        """The channels this service writes to."""
        wanted = {channel_of(cls).attribute for cls in self.publishes}
        return tuple(channel for channel in CHANNELS if channel.attribute in wanted)

    def topics_to_create(self, topics: Topics) -> tuple[str, ...]:
        """Every topic it reads or writes, with the dead-letter twins of those it reads."""
        reads = [getattr(topics, channel.attribute) for channel in self.subscribed()]
        writes = [getattr(topics, channel.attribute) for channel in self.published()]
        return tuple(sorted({*reads, *writes, *(Topics.dlq(name) for name in reads)}))

    def routes(self, deps: D) -> dict[str, EventHandler]:
        """event_type → the handler, bound to ``deps``."""
        return {event_type_of(on.event): _bound(on, deps) for on in self.handles}


def _bound(on: On[D, Any], deps: D) -> EventHandler:
    async def handle(tx: Transaction, event: Any) -> None:
        await on.handler(deps, tx, event)

    return handle


def participant_answering(
    answers: Callable[[D], ParticipantAnswers],
) -> tuple[On[D, events.ExportRequested], On[D, events.HoldsQueried]]:
    """A participant's handlers for deletion's export and hold questions, by ``answers``."""

    async def export(deps: D, tx: Transaction, event: events.ExportRequested) -> None:
        await answers(deps).on_export_requested(tx, event)

    async def holds(deps: D, tx: Transaction, event: events.HoldsQueried) -> None:
        await answers(deps).on_holds_queried(tx, event)

    return On(events.ExportRequested, export), On(events.HoldsQueried, holds)


@dataclass(frozen=True)
class Wiring:
    """Where a service's consumer keeps its records and which topic names it reads."""

    db: Database
    clock: Clock
    topics: Topics
    max_attempts: int


def register_agents(
    app: Any, messaging: Messaging[D], deps: D, wiring: Wiring
) -> IdempotentConsumer:
    """Subscribe ``app`` to every channel the service reads, one idempotent consumer for all.

    One consumer name for every topic is safe: event ids are unique across the platform.
    """
    routes = messaging.routes(deps)
    consumer = IdempotentConsumer(
        messaging.service, wiring.db, wiring.clock, routes, max_attempts=wiring.max_attempts
    )
    for channel in messaging.subscribed():
        subscribe(app, getattr(wiring.topics, channel.attribute), consumer)
    return consumer
