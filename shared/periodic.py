"""Periodic work that only schedules: the job itself is a plain async function."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from shared.tasks import cancel_and_wait

__all__ = ["Periodic"]

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
