"""``purge_burst``: N purges all due at once, drained by real participants and the notifier.

N scheduled requests, due now, are written into deletion's file through its own domain and
store code (see :mod:`bench.seed`), each account with a notifier contact and a row in every
extra participant. Then the platform starts: auth, survey and notifier (participants too), the
orders example and two more participant processes, and last deletion, whose timer finds all N
due. Drained means every request purged (all six participants answered) and every
confirmation e-mail stored by the catcher. Resident memory of every process is sampled each
second through the run.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import seed
from bench.participant import SCHEMA as HOLDINGS
from bench.report import Row
from bench.roundtrip import RoundTrip, measure_round_trip
from bench.stack import BenchStack, bench_stack, cpu_seconds, rss_mb
from examples.orders_participant.app import SCHEMA as ORDERS_SCHEMA
from services.notifier.keys import KEYS_SCHEMA
from services.notifier.store import MIGRATIONS as NOTIFIER_MIGRATIONS
from services.notifier.store import SCHEMA as NOTIFIER_SCHEMA
from shared.crypto import decode_key
from shared.db import Database

__all__ = ["BurstResult", "run_purge_burst"]

EXTRA = ("loyalty", "reviews")
PARTICIPANTS = ("auth", "survey", "notifier", "orders", *EXTRA)
_TARGET_SECONDS = 300.0
_TARGET_PER_SECOND = 333.0


@dataclass
class BurstResult:
    """What the drain took, and what every process's memory did meanwhile."""

    n: int
    drain_seconds: float
    purged: int
    mails: int
    last_answer_seconds: dict[str, float]
    rss: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    round_trip: RoundTrip | None = None

    def rows(self) -> list[Row]:
        """The figures, beside the targets (scaled to N when N is not 100,000)."""
        rate = self.purged / self.drain_seconds if self.drain_seconds else 0.0
        target = _TARGET_SECONDS * self.n / 100_000
        slowest = max(self.last_answer_seconds.items(), key=lambda kv: kv[1], default=("-", 0))
        rows = [
            Row(
                "purge_burst",
                f"{self.n:,} due purges, 6 participants + confirmation e-mails: drain",
                f"{self.drain_seconds:.1f} s ({self.purged:,} purged, {self.mails:,} e-mails)",
                f"≤ {target:.0f} s",
                self.drain_seconds <= target and self.mails >= self.n,
            ),
            Row("purge_burst", "purges/s", f"{rate:.0f}", "≥ 333", rate >= _TARGET_PER_SECOND),
            Row(
                "purge_burst",
                "slowest participant (last answer after start)",
                f"{slowest[0]} {slowest[1]:.1f} s",
            ),
        ]
        for name, samples in self.rss.items():
            if samples:
                first, peak, last = samples[0], max(samples), samples[-1]
                flat = peak <= first * 1.5 + 20
                text = (
                    f"start {first:.0f} / peak {peak:.0f} / end {last:.0f} MiB;"
                    f" CPU {self.cpu.get(name, 0):.0f} s"
                )
                rows.append(
                    Row("purge_burst", f"RSS {name}; CPU during the drain", text, "flat", flat)
                )
        return rows


def _extra_processes(stack: BenchStack) -> None:
    var = str(stack.var_dir)
    stack.process(
        "orders", "examples.orders_participant", "ORDERS_HTTP_PORT", {"ORDERS_DATA_DIR": var}
    )
    for name in EXTRA:
        stack.process(
            name,
            "bench.participant",
            "BENCH_PARTICIPANT_HTTP_PORT",
            {"BENCH_PARTICIPANT_NAME": name, "BENCH_PARTICIPANT_DATA_DIR": var},
        )


async def _seed(stack: BenchStack, n: int) -> None:
    var = stack.var_dir
    accounts = [uuid.uuid4().hex for _ in range(n)]
    due = datetime.now(UTC) - timedelta(seconds=1)
    await seed.seed_scheduled(var / "deletion" / "deletion.sqlite3", ((a, due) for a in accounts))
    notifier = Database(
        var / "notifier" / "notifier.sqlite3", NOTIFIER_SCHEMA + KEYS_SCHEMA, NOTIFIER_MIGRATIONS
    )
    key = decode_key(stack.env["NOTIFIER_KEY_WRAPPING_KEY"], size=32)
    owners: list[tuple[Database, str, list[tuple[object, ...]]]] = [
        (
            Database(var / "orders" / "orders.sqlite3", ORDERS_SCHEMA),
            "INSERT INTO orders (order_id, account_id, item) VALUES (?, ?, 'bench item')",
            [(uuid.uuid4().hex, a) for a in accounts],
        ),
    ]
    for name in EXTRA:
        owners.append(
            (
                Database(var / name / f"{name}.sqlite3", HOLDINGS),
                "INSERT INTO holdings (account_id, detail) VALUES (?, 'bench detail')",
                [(a,) for a in accounts],
            )
        )
    await notifier.open()
    try:
        await seed.seed_contacts(notifier, key, accounts)
    finally:
        await notifier.close()
    for db, sql, rows in owners:
        await db.open()
        try:
            await seed.seed_rows(db, sql, rows)
        finally:
            await db.close()


def _progress(path: Path) -> tuple[dict[str, int], dict[str, str]]:
    """Requests by status, and each participant's latest answer (stored times), read-only."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        counts = conn.execute("SELECT status, count(*) FROM requests GROUP BY status").fetchall()
        last = conn.execute(
            "SELECT participant, max(completed_at) FROM purge_completions GROUP BY participant"
        ).fetchall()
    finally:
        conn.close()
    return {str(status): int(n) for status, n in counts}, dict(last)


async def run_purge_burst(var_dir: Path, n: int, timeout: float) -> BurstResult:
    """Seed ``n`` due purges, start the platform, and time the drain."""
    env = {"DELETION_GRACE_SECONDS": "0", "DELETION_PARTICIPANTS": ",".join(PARTICIPANTS)}
    with bench_stack(var_dir, env) as stack:
        _extra_processes(stack)
        print(f"purge_burst: seeding {n:,} due requests, contacts and participant rows ...")
        await _seed(stack, n)
        others = [name for name in stack.processes if name != "deletion"]
        stack.start(others)
        round_trip = await measure_round_trip(stack.bootstrap)
        wall_start = datetime.now(UTC)
        started = time.monotonic()
        stack.start(["deletion"])
        result = await _watch(stack, n, started, timeout)
        result.round_trip = round_trip
        _, last = _progress(stack.var_dir / "deletion" / "deletion.sqlite3")
        result.last_answer_seconds = {
            name: (datetime.fromisoformat(at) - wall_start).total_seconds()
            for name, at in last.items()
        }
        return result


async def _watch(stack: BenchStack, n: int, started: float, timeout: float) -> BurstResult:
    db_path = stack.var_dir / "deletion" / "deletion.sqlite3"
    rss: dict[str, list[float]] = {name: [] for name in stack.processes}
    cpu = {name: cpu_seconds(proc.pid) for name, proc in stack.processes.items()}
    purged = mails = 0
    while time.monotonic() - started < timeout:
        await asyncio.sleep(1.0)
        for name, proc in stack.processes.items():
            rss[name].append(rss_mb(proc.pid))
        counts, _ = await asyncio.to_thread(_progress, db_path)
        purged, purging = counts.get("purged", 0), counts.get("purging", 0)
        mails = stack.mail.count
        elapsed = time.monotonic() - started
        if int(elapsed) % 10 == 0:
            print(
                f"  {elapsed:5.0f} s: {purging:,} purging, {purged:,} purged,"
                f" {mails:,} confirmation e-mails",
                flush=True,
            )
        if purged >= n and mails >= n:
            break
    used = {name: cpu_seconds(proc.pid) - cpu[name] for name, proc in stack.processes.items()}
    return BurstResult(n, time.monotonic() - started, purged, mails, {}, rss, used)
