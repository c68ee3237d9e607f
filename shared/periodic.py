"""Periodic and deadline-driven work that only schedules: the job is a plain async function."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from shared.tasks import cancel_and_wait

__all__ = ["DeadlineTimer", "Periodic"]

log = logging.getLogger(__name__)


class Periodic:
    """Calls ``job`` every ``interval_seconds`` until stopped; a failing run is only logged."""

    def __init__(
        self, name: str, interval_seconds: float, job: Callable[[], Awaitable[object]]
    ) -> None:
        self.name = name
        self._interval = interval_seconds
        self._job = job
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin calling the job in the background."""
        self._task = asyncio.get_running_loop().create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        """Stop after the current run."""
        await cancel_and_wait(self._task)
        self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self._job()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("periodic job %s failed", self.name)
            await asyncio.sleep(self._interval)


class DeadlineTimer:
    """Runs ``job`` again when the job says its next work is due, or at once when woken.

    ``job`` returns the seconds until its next deadline (None: it knows of none). The timer
    sleeps that long, never more than ``max_wait_seconds`` (a safety net for work it was not
    told about, such as a row written by another process), and :meth:`wake` cuts the sleep
    short: whoever schedules new work calls it after the commit. A failing run is logged and
    retried after ``max_wait_seconds``.
    """

    def __init__(
        self, name: str, max_wait_seconds: float, job: Callable[[], Awaitable[float | None]]
    ) -> None:
        self.name = name
        self._max_wait = max_wait_seconds
        self._job = job
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Run the job now (or as soon as the current run ends)."""
        self._wakeup.set()

    def start(self) -> None:
        """Begin running the job in the background."""
        self._task = asyncio.get_running_loop().create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        """Stop after the current run."""
        await cancel_and_wait(self._task)
        self._task = None

    async def _run(self) -> None:
        while True:
            # Cleared before the run: a wake-up during it makes the next run start at once.
            self._wakeup.clear()
            try:
                due_in = await self._job()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("timer job %s failed", self.name)
                due_in = None
            wait = self._max_wait if due_in is None else min(max(due_in, 0.0), self._max_wait)
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    # Not wait_for: on 3.11 it can swallow stop()'s cancel when a wake-up races it.
                    async with asyncio.timeout(wait):
                        await self._wakeup.wait()
