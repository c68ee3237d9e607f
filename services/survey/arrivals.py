"""Waking requests that wait for an event the survey has not consumed yet.

A person may send the questionnaire a moment after deletion opened the request, before the
survey has read DeletionRequested. Rather than refuse, the answer waits (bounded) and is woken
by every commit, since a consumed event always ends in one.
"""

from __future__ import annotations

import asyncio
import contextlib

__all__ = ["Arrivals"]


class Arrivals:
    """Every waiter wakes at the next commit; a waiter checks again what it waits for."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.waiting = 0  # how many wait now; for metrics and tests

    def ring(self) -> None:
        """Wake everyone waiting now (called after every database commit)."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, at_most: float) -> None:
        """Return at the next commit, or after ``at_most`` seconds."""
        event = self._event
        self.waiting += 1
        try:
            with contextlib.suppress(TimeoutError):
                # Not wait_for: on 3.11 it can swallow a cancel that races the wake-up
                # (see shared.outbox); the request's cancellation must reach the handler.
                async with asyncio.timeout(max(at_most, 0.0)):
                    await event.wait()
        finally:
            self.waiting -= 1
