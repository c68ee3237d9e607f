"""Batches of a Faust stream's events that cost nothing while no record comes.

Faust's ``Stream.take_events(max_, within)`` wakes every ``within`` seconds whether or not a
record came: with our 5 ms batch wait that is 200 wake-ups a second per subscribed topic, in
every service, all day, which was most of an idle service's CPU (docs/performance.md). This is
the same algorithm with one change: it first waits, without a timeout, for a batch's first
event, and only then gives the batch ``within`` seconds (or until it is full) to grow. So a
record is still handled at most ``within`` after it arrived, and an idle stream sleeps.

What it keeps from Faust's: events are acknowledged (so their offsets may be committed) only
after the code consuming the batch has returned, never more than ``max_`` events are buffered,
and the buffering processor is removed and ``enable_acks`` restored when the generator closes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

__all__ = ["take_batches"]


async def take_batches(stream: Any, max_: int, within: float) -> AsyncIterator[list[Any]]:
    """Yield lists of up to ``max_`` events; each list is acknowledged after the caller's turn."""
    events: list[Any] = []
    first = asyncio.Event()  # the batch has an event: start its ``within`` clock
    full = asyncio.Event()
    consumed = asyncio.Event()
    consuming: asyncio.Future[None] | None = None

    async def add_to_buffer(value: Any) -> Any:
        # Runs in Faust's passive consumption of the channel, once per record.
        nonlocal consuming
        if consuming is not None:  # the batch is being handled: this event joins the next
            try:
                await consuming
            finally:
                consuming = None
        event = stream.current_event
        if event is None:
            raise RuntimeError("a buffered value without its event")
        events.append(event)
        first.set()
        if len(events) >= max_:
            full.set()
            consumed.clear()
            await stream.wait(consumed)  # never more than max_ buffered
        return value

    enable_acks = stream.enable_acks
    stream.enable_acks = False  # acknowledged below, after the batch was handled
    stream.add_processor(add_to_buffer)
    stream._enable_passive(aiter(stream.channel))  # as Faust's take_events does
    try:
        while not stream.should_stop:
            if await stream.wait_for_stopped(first):
                break
            if not full.is_set():
                await stream.wait_for_stopped(full, timeout=within)
            if not events:
                first.clear()
                continue
            consuming = asyncio.get_running_loop().create_future()
            try:
                yield list(events)
            finally:
                for event in events:
                    await stream.ack(event)
                events.clear()
                first.clear()
                full.clear()
                if not consuming.done():
                    consuming.set_result(None)
                consumed.set()
    finally:
        stream.enable_acks = enable_acks
        stream._processors.remove(add_to_buffer)
