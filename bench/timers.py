"""``timers``: a million scheduled requests, a slice due now, and probes due during the run.

The backlog (deadlines spread over the next day, plus a slice already due) is written through
deletion's own code (:mod:`bench.seed`). Probe requests fall due one by one while the deletion
service runs; every AccountPurged on the broker is read back, so a firing's lateness is its
``occurred_at`` minus the request's ``purge_at``. Halfway through, deletion is SIGKILLed and
started again: the figure is the time from the kill to the first firing of the new process
(its lease must lapse first). Afterwards the timer's own scan, run on the same file with
nothing due, gives the cost of one tick.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import seed
from bench.events import deletion_events
from bench.report import Row
from bench.roundtrip import RoundTrip, measure_round_trip, percentile
from bench.stack import bench_stack
from services.deletion import handlers, purge
from services.deletion.code_rules import CodePolicy
from services.deletion.database import DeletionDatabase
from shared.clock import SystemClock
from shared.codes import CodeHasher
from shared.crypto import FieldCipher, decode_key, new_key
from shared.recipient_keys import Sealer
from shared.revocation import Revocations
from shared.topics import Topics

__all__ = ["TimerResult", "run_timers"]

_PROBES = 120
_PROBE_START = 20.0  # seconds after deletion is healthy
_PROBE_SPREAD = 30.0
_KILL_AFTER = _PROBE_START + _PROBE_SPREAD + 5.0
_AFTER_KILL_PROBES = 30


@dataclass
class TimerResult:
    """Per-tick scan cost, firing lateness, file size and recovery after a SIGKILL."""

    n: int
    scan_ms: list[float]
    late_ms: list[float]
    file_mb: float
    kill_to_first_fire_s: float | None
    round_trip: RoundTrip

    def rows(self) -> list[Row]:
        """The figures beside the targets."""
        scan = percentile(self.scan_ms, 0.5)
        p99 = percentile(self.late_ms, 0.99)
        late = (
            f"p50 {percentile(self.late_ms, 0.5):.0f} / p99 {p99:.0f}"
            f" / max {max(self.late_ms, default=0):.0f} ms (n={len(self.late_ms)})"
        )
        kill = self.kill_to_first_fire_s
        return [
            Row(
                "timers",
                f"{self.n:,} timers: due-scan per tick (p50, max)",
                f"{scan:.2f} / {max(self.scan_ms, default=0):.2f} ms",
                "≤ 5 ms",
                scan <= 5,
            ),
            Row("timers", "firing lateness", late, "p99 ≤ 2 s", bool(self.late_ms) and p99 <= 2000),
            Row("timers", "SQLite file", f"{self.file_mb:.0f} MiB"),
            Row(
                "timers",
                "SIGKILL → first firing after restart",
                "none" if kill is None else f"{kill:.1f} s",
                "≤ 30 s",
                kill is not None and kill <= 30,
            ),
        ]


def _plan(n: int, due_now: int) -> list[tuple[str, datetime]]:
    now = datetime.now(UTC)
    rng = random.Random(13)
    plan = [(uuid.uuid4().hex, now + timedelta(seconds=rng.uniform(600, 86400))) for _ in range(n)]
    plan += [
        (uuid.uuid4().hex, now - timedelta(seconds=rng.uniform(0, 60))) for _ in range(due_now)
    ]
    return plan


def _probe_plan(start: float, count: int, spread: float) -> list[tuple[str, datetime]]:
    base = datetime.now(UTC) + timedelta(seconds=start)
    step = spread / count
    return [(uuid.uuid4().hex, base + timedelta(seconds=i * step)) for i in range(count)]


def _purge_at(path: Path, request_ids: list[str]) -> dict[str, datetime]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        found: dict[str, datetime] = {}
        for start in range(0, len(request_ids), 500):
            chunk = request_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT request_id, purge_at FROM requests WHERE request_id IN ({marks})"  # noqa: S608  # placeholders only
            for request_id, at in conn.execute(sql, chunk):
                found[request_id] = datetime.fromisoformat(at)
        return found
    finally:
        conn.close()


async def _tick_cost(path: Path, ticks: int = 50) -> list[float]:
    """Milliseconds of one timer run (nothing due) on the file, as the service does it:
    the three due scans and the look-up of the next deadline."""
    db = DeletionDatabase(path)
    await db.open()
    key = decode_key(new_key())
    deps = handlers.Deps(
        db=db,
        clock=SystemClock(),
        topics=Topics("bench."),
        policy=handlers.Policy(
            survey_required=True,
            grace_seconds=86400,
            participants=("orders",),
            reauth_max_age_seconds=300,
            code=CodePolicy(ttl_seconds=600, max_attempts=5),
            participant_timeout_seconds=3600,
        ),
        hasher=CodeHasher(key, handlers.CODE_PURPOSE),
        sealer=Sealer(holding=FieldCipher(decode_key(new_key())), clock=SystemClock()),
        account_key=key,
        new_code=lambda: "000000",
        revocations=Revocations(db, SystemClock(), 3600),
    )
    costs = []
    try:
        for _ in range(ticks):
            started = time.perf_counter()
            await purge.seconds_to_next(deps, await purge.run_timer(deps))
            costs.append((time.perf_counter() - started) * 1000)
    finally:
        await db.close()
    return costs


async def run_timers(var_dir: Path, n: int, due_now: int) -> TimerResult:
    """Seed ``n`` timers, run deletion with probes falling due, kill it, measure."""
    env = {
        "DELETION_PARTICIPANTS": "orders",  # nobody answers; the bench watches the firings
        "DELETION_PARTICIPANT_TIMEOUT_SECONDS": "3600",
        "DELETION_GRACE_SECONDS": "0",
    }
    path = var_dir.resolve() / "deletion" / "deletion.sqlite3"
    with bench_stack(var_dir, env) as stack:
        print(f"timers: seeding {n:,} scheduled requests and {due_now:,} due now ...")
        started = time.monotonic()
        await seed.seed_scheduled(path, _plan(n, due_now))
        print(f"  seeded in {time.monotonic() - started:.0f} s")
        round_trip = await measure_round_trip(stack.bootstrap)
        firings = deletion_events(stack)
        reader = asyncio.create_task(firings.run())
        probes = _probe_plan(_PROBE_START + 15, _PROBES, _PROBE_SPREAD)
        late_probes = _probe_plan(_KILL_AFTER + 15 + 3, _AFTER_KILL_PROBES, 20.0)
        await seed.seed_scheduled(path, probes + late_probes)
        stack.start(["deletion"])
        healthy_at = datetime.now(UTC)
        await asyncio.sleep(_KILL_AFTER)
        deletion = stack.processes["deletion"]
        killed_at = datetime.now(UTC)
        deletion.kill()
        deletion.start()
        await asyncio.sleep(45.0)
        deletion.stop()
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
    fired = dict(firings.fired)
    due = _purge_at(path, list(fired))
    # Steady state: requests that fell due while the first process ran (not the backlog due
    # before it started, nor those due while it was down).
    late_ms = [
        (occurred - due[rid]).total_seconds() * 1000
        for rid, occurred in fired.items()
        if rid in due and healthy_at < due[rid] < killed_at
    ]
    after = [occurred for occurred in fired.values() if occurred > killed_at]
    kill_to_first = (min(after) - killed_at).total_seconds() if after else None
    size = sum(p.stat().st_size for p in path.parent.glob("deletion.sqlite3*")) / 2**20
    return TimerResult(n, await _tick_cost(path), late_ms, size, kill_to_first, round_trip)
