"""When the fault suite strikes: with a journey in the step the fault is meant to hit."""

from __future__ import annotations

import asyncio

from faults.journeys import Journey, Tracker


def _tracker(*phases: str) -> Tracker:
    return Tracker([Journey(f"p{i}@example.test", phase=phase) for i, phase in enumerate(phases)])


async def test_past_the_peak_the_fault_waits_for_the_next_journey_to_reach_the_step() -> None:
    # Seven of ten are through "awaiting code", none is in it, two are still on their way.
    tracker = _tracker(*["purging"] * 7, "requesting", "requesting", "signing up")
    strike = asyncio.create_task(tracker.busiest("awaiting code", at_most=5))
    await asyncio.sleep(0.2)
    assert not strike.done()  # a kill now would hit an empty step
    tracker.journeys[7].phase = "awaiting code"
    await asyncio.wait_for(strike, timeout=1)
    assert tracker.at("awaiting code") == 1


async def test_past_the_peak_with_nobody_left_to_arrive_the_fault_strikes_at_once() -> None:
    tracker = _tracker(*["done"] * 9, "purging")
    await asyncio.wait_for(tracker.busiest("awaiting code", at_most=5), timeout=1)


async def test_before_the_peak_the_fault_waits_for_a_share_of_the_journeys() -> None:
    tracker = _tracker(*["requesting"] * 10)
    strike = asyncio.create_task(tracker.busiest("awaiting code", share=0.3, at_most=5))
    await asyncio.sleep(0.1)
    for journey in tracker.journeys[:2]:
        journey.phase = "awaiting code"
    await asyncio.sleep(0.1)
    assert not strike.done()  # two of ten is not yet the busiest
    tracker.journeys[2].phase = "awaiting code"
    await asyncio.wait_for(strike, timeout=1)
