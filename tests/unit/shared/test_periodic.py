"""The deadline timer: it sleeps as long as its job says, and a wake-up cuts the sleep short."""

from __future__ import annotations

from shared.periodic import DeadlineTimer
from tests.support.polling import eventually


async def test_a_wake_up_runs_the_job_again_long_before_its_deadline() -> None:
    runs: list[int] = []

    async def job() -> float:
        runs.append(len(runs))
        return 3600.0  # the next work is an hour away

    timer = DeadlineTimer("t", max_wait_seconds=3600.0, job=job)
    timer.start()
    try:
        await eventually(lambda: _at_least(runs, 1), what="the first run")
        assert len(runs) == 1  # asleep towards its hour, not polling
        timer.wake()
        await eventually(lambda: _at_least(runs, 2), what="the run the wake-up asked for")
    finally:
        await timer.stop()


async def test_a_failing_job_is_retried_and_work_already_due_runs_at_once() -> None:
    outcomes: list[str] = []

    async def job() -> float | None:
        outcomes.append("ran")
        if len(outcomes) == 1:
            raise RuntimeError("the database was busy")
        return 0.0 if len(outcomes) < 4 else 3600.0  # due now: no sleep in between

    timer = DeadlineTimer("t", max_wait_seconds=0.05, job=job)
    timer.start()
    try:
        await eventually(lambda: _at_least(outcomes, 4), what="runs after the failure")
    finally:
        await timer.stop()


async def _at_least(items: list[object], count: int) -> bool:
    return len(items) >= count
