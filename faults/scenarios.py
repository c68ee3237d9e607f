"""The scenarios: one fault each, injected at the busiest moment of the step it hurts."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from devstack.broker import free_port
from devstack.services import ServiceSpec
from faults.accounting import Outcome, count, settle
from faults.journeys import Journey, Tracker, Urls, new_journey, run_journey
from faults.mail import MailIndex
from faults.platform import Platform
from shared.config import BrokerKind
from shared.topics import Topics
from tests.support.kafka import read_values

__all__ = ["ARRIVAL_SECONDS", "SCENARIOS", "Settings", "run_scenario"]

ARRIVAL_SECONDS = 0.5
# A fault returns the moment (monotonic) the platform was whole again, or None for no fault.
Fault = Callable[["Context"], Awaitable[float | None]]


@dataclass(frozen=True)
class Settings:
    journeys: int
    journey_timeout: float
    smtp_down_seconds: float
    broker: BrokerKind


@dataclass
class Context:
    platform: Platform
    settings: Settings
    tracker: Tracker
    outcome: Outcome

    def urls(self) -> Urls:
        p = self.platform
        return Urls(p.url("auth"), p.deletion_urls, p.url("survey"))


async def _in_thread(work: Callable[[], object]) -> None:
    await asyncio.get_running_loop().run_in_executor(None, work)


def _kill_at(service: str, phase: str) -> Fault:
    async def fault(ctx: Context) -> float:
        await ctx.tracker.busiest(phase)
        ctx.platform.kill(service)
        ctx.outcome.notes.append(f"SIGKILL {service} with {ctx.tracker.at(phase)} at '{phase}'")
        ctx.platform.start(service)  # what a process supervisor does after a crash
        await _in_thread(lambda: ctx.platform.wait_healthy([service]))
        return time.monotonic()

    return fault


async def _broker_restart(ctx: Context) -> float:
    await ctx.tracker.busiest("awaiting code")
    ctx.platform.broker_kill()
    ctx.outcome.notes.append(f"broker SIGKILL with {dict(ctx.tracker.phases())}")
    await asyncio.sleep(1.0)  # down for a moment, as a crash-and-restart would be
    if ctx.platform.kind == "kafka":
        await _in_thread(ctx.platform.broker_start)  # a JVM start and a log recovery
    else:
        # On this thread: a child's parent-death signal follows the thread that started it.
        ctx.platform.broker_start()
    return time.monotonic()


async def _smtp_down(ctx: Context) -> float:
    await ctx.tracker.busiest("requesting")
    ctx.platform.catcher.stop()
    await asyncio.sleep(ctx.settings.smtp_down_seconds)
    await _in_thread(ctx.platform.catcher.start)
    ctx.outcome.notes.append(f"SMTP down {ctx.settings.smtp_down_seconds:.0f} s")
    return time.monotonic()


def _poison_records() -> dict[str, bytes | None]:
    now = "2026-01-01T00:00:00Z"

    def envelope(**fields: object) -> bytes:
        base = {
            "event_id": str(uuid.uuid4()),
            "event_type": "AccountPurged",
            "schema_version": 1,
            "occurred_at": now,
            "correlation_id": "poison",
            "account_id": f"poison-{uuid.uuid4().hex[:6]}",
            "payload": {"request_id": "r", "participants": ["auth"]},
        }
        return json.dumps({**base, **fields}).encode()

    return {
        "not JSON": b"\xff\xfe not json",
        "JSON, not an object": b"[1, 2, 3]",
        "empty value": None,
        "wrong schema": envelope(payload={"nonsense": True}),
        "unknown type": envelope(event_type="AccountTeleported"),
        "future version": envelope(schema_version=99),
        # Its dead letter used to embed it whole: 1.2 MB, over the producer's 1 MB limit.
        "900 KB": b'{"event_type": "' + b"x" * 900_000 + b'"}',
        "over the 1 MB limit": b'{"event_type": "' + b"x" * 1_200_000 + b'"}',
    }


async def _poison(ctx: Context) -> None:
    """Every kind of poison on every topic the services consume, before the journeys."""
    topics = ctx.platform.env["ADIEU_TOPIC_PREFIX"]
    producer = AIOKafkaProducer(bootstrap_servers=ctx.platform.bootstrap, max_request_size=2**21)
    await producer.start()
    refused: set[str] = set()
    try:
        names = list(Topics(topics).all())
        for topic in names:
            for kind, value in _poison_records().items():
                try:
                    await producer.send_and_wait(topic, value, key=kind.encode())
                except KafkaError as exc:  # the broker may refuse it: then it cannot harm
                    refused.add(f"{kind}: {type(exc).__name__}")
    finally:
        await producer.stop()
    ctx.outcome.notes.append(f"{len(_poison_records())} kinds x {len(names)} topics of poison")
    ctx.outcome.notes.extend(f"broker refused {what}" for what in sorted(refused))


async def _poison_fault(ctx: Context) -> None:
    await _poison(ctx)
    return


async def _leader_killed(ctx: Context) -> float:
    await ctx.tracker.busiest("purging")
    ctx.platform.kill("deletion")  # started first, so it holds the lease
    ctx.outcome.notes.append(f"SIGKILL deletion leader with {ctx.tracker.at('purging')} purging")
    return time.monotonic()


async def _no_fault(ctx: Context) -> None:
    return None


async def _two_deletions(platform: Platform) -> None:
    port = free_port()
    platform.start(
        "deletion2", ServiceSpec("deletion", port), env={"DELETION_HTTP_PORT": str(port)}
    )
    await _in_thread(lambda: platform.wait_healthy(["deletion2"]))


async def _one_deletion(platform: Platform) -> None:
    platform.start("deletion")
    await _in_thread(lambda: platform.wait_healthy(["deletion"]))
    second = platform.children.pop("deletion2")
    second.terminate()
    await _in_thread(lambda: second.wait(time.monotonic() + 30))


@dataclass(frozen=True)
class Scenario:
    name: str
    fault: Fault
    before: Callable[[Platform], Awaitable[None]] | None = None
    after: Callable[[Platform], Awaitable[None]] | None = None
    second_wave: bool = False  # journeys started after the fault must all succeed


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("baseline", _no_fault),
        Scenario("kill auth", _kill_at("auth", "signing up")),
        Scenario("kill survey", _kill_at("survey", "requesting")),
        Scenario("kill notifier", _kill_at("notifier", "awaiting code")),
        Scenario("kill deletion", _kill_at("deletion", "purging")),
        Scenario("smtp down", _smtp_down),
        Scenario("poison records", _poison_fault),
        Scenario("leader killed", _leader_killed, _two_deletions, _one_deletion),
        Scenario("broker restart", _broker_restart, second_wave=True),
    )
}


async def _wave(
    ctx: Context, http: httpx.AsyncClient, mail: MailIndex
) -> list[asyncio.Task[Journey]]:
    tasks = []
    for index in range(ctx.settings.journeys):
        if index:
            # People arrive over a few seconds, not in one instant: 30 sign-ups at once would
            # only measure argon2id on two cores (and time out into a retry storm).
            await asyncio.sleep(ARRIVAL_SECONDS)
        journey = new_journey()
        ctx.tracker.journeys.append(journey)
        run = run_journey(http, ctx.urls, mail, journey, ctx.settings.journey_timeout)
        tasks.append(asyncio.create_task(run))
    return tasks


async def run_scenario(platform: Platform, settings: Settings, scenario: Scenario) -> Outcome:
    """Run the scenario's journeys with its fault; count what came of them."""
    outcome = Outcome(scenario.name)
    ctx = Context(platform, settings, Tracker(), outcome)
    if scenario.before is not None:
        await scenario.before(platform)
    mail = MailIndex(platform.var_dir / "mail")
    mail.scan()
    watcher = asyncio.create_task(mail.run())
    limits = httpx.Limits(max_connections=4 * settings.journeys)
    async with httpx.AsyncClient(timeout=60.0, limits=limits) as http:
        first = await _wave(ctx, http, mail)
        healed = await scenario.fault(ctx)
        second: list[asyncio.Task[Journey]] = []
        if scenario.second_wave:
            await _in_thread(lambda: platform.wait_healthy())
            second = await _wave(ctx, http, mail)
        done = await asyncio.gather(*first, *second)
    await settle(outcome, platform.var_dir)
    watcher.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await watcher
    mail.scan()
    if scenario.after is not None:
        await scenario.after(platform)
    if scenario.second_wave and settings.broker == "tansu":
        # Tansu keeps records in memory only: those in flight at its restart are gone.
        outcome.lost_allowed = sum(1 for j in done[: len(first)] if not j.completed)
        outcome.notes.append(f"{outcome.lost_allowed} in flight lost with Tansu's memory")
    if healed is not None:
        after = [j.finished for j in done if j.finished is not None and j.finished >= healed]
        outcome.recovery_seconds = (min(after) - healed) if after else None
    await count(outcome, done, mail, platform.bootstrap, _topics(platform))
    errors = sorted({j.error for j in done if j.error})
    outcome.notes.extend(errors[:3])
    await _dead_letters(outcome, platform, scenario)
    return outcome


def _topics(platform: Platform) -> Topics:
    return Topics(platform.topic_prefix)


async def _dead_letters(outcome: Outcome, platform: Platform, scenario: Scenario) -> None:
    if scenario.name != "poison records":
        return
    topics = _topics(platform)
    letters = 0
    for topic in topics.all():
        letters += len(await read_values(platform.bootstrap, topics.dlq(topic)))
    outcome.notes.append(f"{letters} dead letters")
