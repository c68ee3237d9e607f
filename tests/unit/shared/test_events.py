"""The event envelope as a consuming service sees it on the wire."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from shared.events import (
    AccountPurged,
    CodeVerified,
    EventDecodeError,
    decode_event,
    encode_event,
    new_event,
)


def _purged() -> AccountPurged:
    event = new_event(
        AccountPurged,
        account_id="acc-1",
        correlation_id="corr-1",
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        request_id="req-1",
        participants=("auth", "survey"),
    )
    assert isinstance(event, AccountPurged)
    return event


def test_an_event_round_trips_through_the_wire() -> None:
    event = _purged()
    wire = json.loads(encode_event(event))
    assert wire["event_type"] == "AccountPurged"
    assert wire["schema_version"] == 1
    assert wire["account_id"] == "acc-1"
    assert wire["payload"] == {"request_id": "req-1", "participants": ["auth", "survey"]}
    assert decode_event(encode_event(event)) == event


def test_unknown_fields_are_ignored() -> None:
    wire = json.loads(encode_event(_purged()))
    wire["added_later"] = 1
    wire["payload"]["also_new"] = "x"
    assert decode_event(json.dumps(wire).encode()).event_type == "AccountPurged"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (None, "record has no value"),
        (b"not json", "record is not JSON"),
        (b"[1, 2]", "record is not a JSON object"),
        (b'{"event_type": "Nope", "schema_version": 1}', "invalid event"),
        (b'{"event_type": "AccountPurged", "schema_version": 7}', "unsupported schema_version 7"),
    ],
)
def test_bad_records_are_refused_with_a_reason(raw: bytes | None, reason: str) -> None:
    with pytest.raises(EventDecodeError) as caught:
        decode_event(raw)
    assert caught.value.reason.startswith(reason)


def test_the_reason_names_fields_but_never_echoes_values() -> None:
    wire = json.loads(encode_event(_purged()))
    wire["event_type"] = "CodeVerified"
    wire["payload"] = {"request_id": "req-1", "purge_deadline": "kari@example.com"}
    with pytest.raises(EventDecodeError) as caught:
        decode_event(json.dumps(wire).encode())
    assert "payload.purge_deadline" in caught.value.reason
    assert "kari" not in caught.value.reason


def test_events_are_immutable() -> None:
    event = new_event(
        CodeVerified,
        account_id="a",
        correlation_id="c",
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        request_id="r",
        purge_deadline=datetime(2026, 1, 2, tzinfo=UTC),
    )
    with pytest.raises(ValueError, match="frozen"):
        event.account_id = "b"  # type: ignore[misc]
