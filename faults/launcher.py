"""The launcher stopped (SIGTERM) and killed (SIGKILL) in the middle of journeys.

``python -m devstack`` runs as ``make run`` runs it, against the suite's broker (so the broker
outlives the launcher, as an operator's Kafka would): after the stop or the kill no child may be
left running and no port taken; the launcher is started again on the same state and ports, and
every journey must still complete.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from pathlib import Path

import httpx

from devstack.broker import port_in_use
from faults.accounting import Outcome, count, settle
from faults.journeys import Journey, Tracker, Urls, new_journey, run_journey
from faults.mail import MailIndex
from faults.platform import FAST_PLATFORM, KAFKA_FAILOVER
from faults.scenarios import ARRIVAL_SECONDS, Settings
from shared.config import BrokerKind
from shared.topics import Topics
from tests.support.stack import Launch, launch

__all__ = ["run_launcher_scenario"]

_GONE_SECONDS = 30.0


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


async def _left_behind(pids: list[int]) -> list[int]:
    deadline = time.monotonic() + _GONE_SECONDS
    while True:
        left = [p for p in pids if _alive(p)]
        if not left or time.monotonic() > deadline:
            return left
        await asyncio.sleep(0.1)


async def _hurt(launcher: Launch, signum: signal.Signals, outcome: Outcome) -> None:
    assert launcher.process is not None
    children = _children(launcher.process.pid)
    os.kill(launcher.process.pid, signum)
    await asyncio.get_running_loop().run_in_executor(None, launcher.process.wait)
    outcome.notes.append(f"{signum.name} to the launcher: exit {launcher.process.returncode}")
    left = await _left_behind(children)
    for pid in left:  # not ours to leave running, whatever the verdict
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    taken = [
        name for name, port in launcher.ports.items() if name != "broker" and port_in_use(port)
    ]
    if left or taken:
        outcome.notes.append(f"left running: {len(left)} of {len(children)}; ports taken: {taken}")
        outcome.orphans = len(left) + len(taken)
    else:
        outcome.notes.append(f"all {len(children)} children gone, every port free")


async def run_launcher_scenario(
    base: Path, settings: Settings, bootstrap: str, kind: BrokerKind, signum: signal.Signals
) -> Outcome:
    """Journeys through a launcher that gets ``signum`` at their busiest step, then restarts."""
    outcome = Outcome(f"launcher {signum.name}")
    # The launcher takes an external broker for Apache Kafka unless told otherwise.
    extra = {**FAST_PLATFORM, "ADIEU_KAFKA_BOOTSTRAP": bootstrap, "ADIEU_BROKER_KIND": kind}
    if kind == "kafka":
        extra.update(KAFKA_FAILOVER)
    launcher = launch(base, f"faults{signum.name.lower()}", extra)
    loop = asyncio.get_running_loop()
    stack = await loop.run_in_executor(None, launcher.start)
    mail = MailIndex(stack.var_dir / "mail")
    watcher = asyncio.create_task(mail.run())
    tracker = Tracker()
    urls = Urls(stack.auth, [stack.deletion], stack.survey)
    try:
        async with httpx.AsyncClient(timeout=60.0) as http:
            tasks = []
            for index in range(settings.journeys):
                if index:
                    await asyncio.sleep(ARRIVAL_SECONDS)  # arrivals spread, as in scenarios
                journey = new_journey()
                tracker.journeys.append(journey)
                tasks.append(
                    asyncio.create_task(
                        run_journey(http, lambda: urls, mail, journey, settings.journey_timeout)
                    )
                )
            await tracker.busiest("awaiting code")
            await _hurt(launcher, signum, outcome)
            await loop.run_in_executor(None, launcher.start)
            healed = time.monotonic()
            done: list[Journey] = await asyncio.gather(*tasks)
        after = [j.finished for j in done if j.finished is not None and j.finished >= healed]
        outcome.recovery_seconds = (min(after) - healed) if after else None
        await settle(outcome, stack.var_dir)
        mail.scan()
        await count(outcome, done, mail, bootstrap, Topics(stack.env["ADIEU_TOPIC_PREFIX"]))
        outcome.notes.extend(sorted({j.error for j in done if j.error})[:3])
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
        if launcher.process is not None and launcher.process.poll() is None:
            await loop.run_in_executor(None, launcher.stop)
    return outcome
