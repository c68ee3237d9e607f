"""Two workers of one service in one consumer group lose no event when the group rebalances.

Worker A consumes alone, worker B joins while events are arriving (first rebalance), then A is
stopped while they still arrive (second rebalance). Between them they must handle every event.
Each worker is a process of its own (tests/integration/shared/rebalance_worker.py), as in
production, recording what it handled in its own SQLite file.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from shared.admin import ensure_topics
from shared.clock import SystemClock
from shared.config import PlatformSettings
from shared.events import AccountRegistered, Event, new_event
from tests.integration.shared.rebalance_worker import CONSUMER, database_path
from tests.support.kafka import produce_events
from tests.support.platform import platform_environment
from tests.support.polling import eventually

ROOT = Path(__file__).resolve().parents[3]
EVENTS = 400
PARTITIONS = 4
# Paced so that both rebalances happen while events are still arriving (~12 s in all).
PACE_SECONDS = 0.03


class _Worker:
    """``python -m tests.integration.shared.rebalance_worker``, started and stopped by the test."""

    def __init__(self, env: dict[str, str], topic: str, data_dir: Path, log: IO[bytes]) -> None:
        self._env = env
        self._args = [topic, str(data_dir)]
        self._db = database_path(data_dir)
        self._log = log
        self._popen: subprocess.Popen[bytes] | None = None
        data_dir.mkdir(parents=True, exist_ok=True)

    def start(self) -> None:
        self._popen = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.shared.rebalance_worker", *self._args],
            cwd=ROOT,
            env=self._env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    async def stop(self) -> None:
        """SIGTERM, as a deployment stops a worker; it leaves the group on its way out."""
        await asyncio.to_thread(self.terminate)

    def terminate(self) -> None:
        """Stop the process (if running) and wait for it to exit."""
        popen = self._popen
        if popen is None or popen.poll() is not None:
            return
        popen.terminate()
        try:
            popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait(timeout=10)

    def handled(self) -> set[str]:
        """The event ids this worker has handled so far."""
        if not self._db.exists():
            return set()
        try:
            with sqlite3.connect(f"file:{self._db}?mode=ro", uri=True, timeout=5) as conn:
                rows = conn.execute(
                    "SELECT event_id FROM processed_events WHERE consumer = ?", (CONSUMER,)
                ).fetchall()
        except sqlite3.OperationalError:
            return set()  # the worker has not created its schema yet
        return {row[0] for row in rows}


def _environment(platform: PlatformSettings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADIEU_")}
    env.update(platform_environment(platform))
    return env


@pytest.fixture
def workers(platform: PlatformSettings, tmp_path: Path) -> Iterator[tuple[_Worker, _Worker, str]]:
    """Workers A and B of one service (one consumer group) and the topic they consume."""
    topic = f"{platform.topic_prefix}rebalance"
    env = _environment(platform.model_copy(update={"topic_partitions": PARTITIONS}))
    with (tmp_path / "workers.log").open("ab") as log:
        pair = (
            _Worker(env, topic, tmp_path / "a", log),
            _Worker(env, topic, tmp_path / "b", log),
        )
        try:
            yield (*pair, topic)
        finally:
            for worker in pair:
                worker.terminate()


def _new_events() -> list[Event]:
    clock = SystemClock()
    return [
        new_event(
            AccountRegistered,
            account_id=str(uuid.uuid4()),  # keys spread the events over every partition
            correlation_id=str(uuid.uuid4()),
            occurred_at=clock.now(),
            language="en",
        )
        for _ in range(EVENTS)
    ]


async def test_no_event_is_lost_when_a_worker_joins_and_another_leaves(
    workers: tuple[_Worker, _Worker, str], platform: PlatformSettings
) -> None:
    first, second, topic = workers
    await ensure_topics(platform.kafka_bootstrap, [topic], partitions=PARTITIONS, replication=1)
    events = _new_events()
    expected = {str(event.event_id) for event in events}

    first.start()
    producing = asyncio.create_task(
        produce_events(platform.kafka_bootstrap, topic, events, PACE_SECONDS)
    )
    try:
        await eventually(
            lambda: _some(first), timeout=30, interval=0.1, what="worker A to handle events"
        )
        second.start()  # joining the group makes it rebalance
        await eventually(
            lambda: _some(second), timeout=30, interval=0.1, what="worker B to handle events"
        )
        await first.stop()  # leaving the group makes it rebalance again
        await producing
    finally:
        producing.cancel()

    async def all_handled() -> bool:
        return expected <= first.handled() | second.handled()

    try:
        await eventually(all_handled, timeout=60, interval=0.2, what="every event handled")
    except AssertionError:
        missing = expected - first.handled() - second.handled()
        pytest.fail(f"{len(missing)} of {EVENTS} events were never handled")


async def _some(worker: _Worker) -> bool:
    return bool(worker.handled())
