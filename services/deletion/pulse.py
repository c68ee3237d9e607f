"""Which participants are alive: when each last answered a purge, as this process saw it.

A burst of purges (a shop's backlog coming due at once) takes a participant longer than its
timeout to work through. Asking it again then only doubles its queue, so a participant that
answered any purge within the timeout is left to carry on: its silent requests wait another
timeout instead of being asked again. A participant that answers nothing is asked as before.
"""

from __future__ import annotations

from datetime import datetime, timedelta

__all__ = ["ParticipantPulse"]


class ParticipantPulse:
    """The latest answer of each participant (kept in memory; a restart starts afresh)."""

    def __init__(self) -> None:
        self._last: dict[str, datetime] = {}

    def heard(self, participant: str, at: datetime) -> None:
        """``participant`` answered a purge at ``at``."""
        previous = self._last.get(participant)
        if previous is None or at > previous:
            self._last[participant] = at

    def busy(self, participant: str, now: datetime, within: timedelta) -> bool:
        """Whether ``participant`` answered anything in the ``within`` before ``now``."""
        last = self._last.get(participant)
        return last is not None and now - last < within
