"""The declarations in shared.messaging: one topic per event, routing and topics derived."""

from __future__ import annotations

from typing import get_args

from services.deletion.agents import MESSAGING as DELETION
from services.notifier.agents import MESSAGING as NOTIFIER
from shared.events import Event
from shared.messaging import CHANNELS, event_type_of
from shared.topics import Topics

TOPICS = Topics("t.")


def test_every_event_class_travels_on_exactly_one_channel() -> None:
    every = get_args(get_args(Event)[0])
    for cls in every:
        carriers = [channel.attribute for channel in CHANNELS if cls in channel.carries]
        assert len(carriers) == 1, (cls.__name__, carriers)


def test_a_service_creates_what_it_reads_and_writes_and_the_dead_letters_of_what_it_reads() -> None:
    created = set(NOTIFIER.topics_to_create(TOPICS))
    assert {"t.notifications", "t.notifications.dlq", "t.deletion.events.dlq"} <= created
    assert {"t.notifier.events", "t.purge.completions", "t.participant.answers"} <= created
    assert "t.notifier.events.dlq" not in created  # it writes there but never reads it
    assert "t.survey.events" not in created


def test_the_routing_is_the_declared_handlers_by_event_type() -> None:
    routes = DELETION.routes(deps=object())
    assert set(routes) == {event_type_of(on.event) for on in DELETION.handles}
    assert "SurveySubmitted" in routes
    assert "AccountPurged" not in routes  # deletion publishes it; it does not consume it
