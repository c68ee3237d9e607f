"""CPU seconds per process over a phase of a benchmark: the figure that depends least on load.

A latency under load mostly measures the queue for the cores; the CPU a process spent on a
phase's work does not grow with the number of other processes waiting. :class:`CpuMeter` reads
each process's user + system time from ``/proc`` at the start and end of a phase, and also
the benchmark's own process (the driver, with the mail catcher in its threads).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass

from bench.stack import cpu_seconds

__all__ = ["DRIVER", "CpuMeter", "CpuSpent"]

DRIVER = "driver"  # the benchmark's own process: its HTTP client and the catcher's thread


@dataclass(frozen=True)
class CpuSpent:
    """CPU seconds each process used over ``wall`` seconds."""

    wall: float
    seconds: dict[str, float]

    @property
    def total(self) -> float:
        """All processes together."""
        return sum(self.seconds.values())

    def per_unit(self, units: int, idle: CpuSpent | None = None) -> dict[str, float]:
        """Milliseconds of CPU per unit of work (a journey), by process.

        With ``idle`` (the same processes measured doing nothing), each process's idle rate
        over this phase's wall time is taken off first: a poll loop's cost is not the work's.
        """
        spent = {}
        for name, seconds in self.seconds.items():
            base = idle.seconds.get(name, 0.0) / idle.wall * self.wall if idle else 0.0
            spent[name] = max(0.0, seconds - base) * 1000 / max(units, 1)
        return spent


class CpuMeter:
    """Snapshots of the CPU time of named processes (and this one)."""

    def __init__(self, pids: Mapping[str, int]) -> None:
        self._pids = dict(pids)
        self._started = 0.0
        self._at_start: dict[str, float] = {}

    def _now(self) -> dict[str, float]:
        found = {name: cpu_seconds(pid) for name, pid in self._pids.items()}
        times = os.times()
        found[DRIVER] = times.user + times.system
        return found

    def start(self) -> None:
        """The phase begins."""
        self._started = time.monotonic()
        self._at_start = self._now()

    def stop(self) -> CpuSpent:
        """The phase ends: what each process spent since :meth:`start`."""
        now = self._now()
        spent = {name: now[name] - self._at_start.get(name, 0.0) for name in now}
        return CpuSpent(time.monotonic() - self._started, spent)
