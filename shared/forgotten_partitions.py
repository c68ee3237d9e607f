"""Reading again from the start a partition the broker forgot (patch 5 of shared.faust_app).

Tansu keeps records in memory: after a restart every partition starts again at offset 0, and
a consumer can be left at its old position, past the end of the re-created partition (for
instance when the committed offset it seeks back to around the rejoin is the old one). Tansu
answers a fetch beyond the end with no records and no OFFSET_OUT_OF_RANGE (Apache Kafka would
reset the consumer to ``auto_offset_reset``), so that consumer waited there for good: in the
fault suite deletion's ``purge.completions`` consumer, and the journeys after the restart.

:class:`ForgottenPartitions` tells such a partition by what the broker said of it: every fetch
response carries the partition's high watermark (correct on Tansu, unlike its ListOffsets), and
aiokafka keeps it only from a fetch made at the current position. A partition whose position
has not moved between two looks while a fresh fetch at that position reported a high watermark
below it lies past the broker's end. :func:`rewind` then seeks it to the beginning and makes
Faust forget what it read and committed there, or Faust would drop the re-read records as seen
(the same care as patch 3). Consumers are idempotent, so reading the partition again is safe.
"""

from __future__ import annotations

import logging
from typing import Any

from aiokafka.structs import TopicPartition

__all__ = ["ForgottenPartitions", "forget_read_state"]

log = logging.getLogger(__name__)


class ForgottenPartitions:
    """Notices, look by look, assigned partitions that lie past the broker's end."""

    def __init__(self) -> None:
        # Partition → (position, time of the fetch response that last reported on it).
        self._seen: dict[TopicPartition, tuple[int, int | None]] = {}

    def look(self, consumer: Any) -> set[TopicPartition]:
        """One look at the aiokafka ``consumer`` (on its own thread); the partitions forgotten."""
        assignment = _assignment(consumer)
        if assignment is None:
            self._seen = {}
            return set()
        seen: dict[TopicPartition, tuple[int, int | None]] = {}
        forgotten: set[TopicPartition] = set()
        for tp in assignment.tps:
            state = assignment.state_value(tp)
            if state is None or not state.has_valid_position or state.highwater is None:
                continue
            now = (state.position, state.timestamp)
            before = self._seen.get(tp)
            seen[tp] = now
            fresh = before is not None and before[0] == now[0] and before[1] != now[1]
            if fresh and _past_the_end(state):
                forgotten.add(tp)
        self._seen = seen
        return forgotten

    async def rewind(self, consumer: Any, partitions: set[TopicPartition]) -> set[TopicPartition]:
        """Seek those of ``partitions`` still past the end to their beginning; return them."""
        assignment = _assignment(consumer)
        if assignment is None:
            return set()
        still = {tp for tp in partitions if _past_the_end(assignment.state_value(tp))}
        if still:
            await consumer.seek_to_beginning(*still)
            for tp in still:
                self._seen.pop(tp, None)
        return still


def forget_read_state(faust_consumer: Any, partitions: set[TopicPartition]) -> None:
    """Make Faust forget its read, acknowledged and committed offsets of ``partitions``.

    What Faust does for a revoked partition (``Consumer.on_partitions_revoked``): without it
    Faust would drop the re-read records as already seen and ignore their acknowledgements.
    """
    for tp in partitions:
        faust_consumer._read_offset[tp] = None
        faust_consumer._committed_offset[tp] = None
        faust_consumer._gap.pop(tp, None)
        faust_consumer._acked.pop(tp, None)
        faust_consumer._acked_index.pop(tp, None)


def _past_the_end(state: Any) -> bool:
    if state is None or not state.has_valid_position or state.highwater is None:
        return False
    return bool(state.highwater < state.position)


def _assignment(consumer: Any) -> Any:
    subscription = consumer._subscription.subscription
    return None if subscription is None else subscription.assignment
