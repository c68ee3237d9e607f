"""Operator sessions, held on the server so that signing out really ends them.

A person's session lives only in its sealed cookie, and the token inside it is revoked by auth
on logout. The operator's role has no token of its own, so the cookie alone would keep working
after logout until it ages out, for anyone who copied it. Operator sessions are therefore
listed here, by a random id the sealed cookie carries: signing out removes the id, and a
cookie whose id is not listed is no operator session. The list is in memory: a restart of the
web edge signs every operator out (fail closed), and with several web processes an operator
stays on the one they signed in to (sticky sessions) or signs in again.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from shared.clock import Clock

__all__ = ["OperatorSessions"]


class OperatorSessions:
    """The operator sessions currently open, each until its sign-out or its maximum age."""

    def __init__(self, clock: Clock, max_age_seconds: int) -> None:
        self._clock = clock
        self._max_age = timedelta(seconds=max_age_seconds)
        self._open: dict[str, datetime] = {}

    def start(self) -> str:
        """Open a session; return its id (for the sealed cookie only)."""
        self._forget_old()
        session_id = secrets.token_urlsafe(32)
        self._open[session_id] = self._clock.now() + self._max_age
        return session_id

    def is_open(self, session_id: str | None) -> bool:
        """Whether ``session_id`` names a session not signed out and not too old."""
        if not session_id:
            return False
        ends = self._open.get(session_id)
        return ends is not None and self._clock.now() < ends

    def end(self, session_id: str | None) -> None:
        """Sign the session out, here and for every copy of its cookie."""
        if session_id:
            self._open.pop(session_id, None)

    def _forget_old(self) -> None:
        now = self._clock.now()
        for session_id in [sid for sid, ends in self._open.items() if ends <= now]:
            del self._open[session_id]
