"""What counts as a partition the broker forgot: only what a fresh fetch at the position said."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from aiokafka.structs import TopicPartition

from shared.forgotten_partitions import ForgottenPartitions

TP = TopicPartition("t", 0)


def _consumer(position: int, highwater: int | None, polled: int) -> Any:
    state = SimpleNamespace(
        has_valid_position=True, position=position, highwater=highwater, timestamp=polled
    )
    assignment = SimpleNamespace(tps=frozenset({TP}), state_value=lambda tp: state)
    return SimpleNamespace(
        _subscription=SimpleNamespace(subscription=SimpleNamespace(assignment=assignment))
    )


def test_a_position_past_a_fresh_high_watermark_is_forgotten_at_the_second_look() -> None:
    guard = ForgottenPartitions()
    assert guard.look(_consumer(12, 0, polled=1)) == set()  # one look proves nothing yet
    assert guard.look(_consumer(12, 0, polled=2)) == {TP}


def test_a_stale_high_watermark_is_not_taken_for_the_broker_forgetting() -> None:
    # Sought forward (to a committed offset) since the last fetch: the high watermark is old.
    guard = ForgottenPartitions()
    guard.look(_consumer(3, 8, polled=1))
    assert guard.look(_consumer(20, 8, polled=1)) == set()
    assert guard.look(_consumer(20, 8, polled=1)) == set()  # no fetch since: still unknown


def test_a_consumer_at_the_end_or_moving_is_left_alone() -> None:
    guard = ForgottenPartitions()
    guard.look(_consumer(8, 8, polled=1))
    assert guard.look(_consumer(8, 8, polled=2)) == set()
    assert guard.look(_consumer(9, 5, polled=3)) == set()  # it moved between the looks
