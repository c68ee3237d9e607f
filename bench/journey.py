"""Throughput and latency of whole deletion journeys against a running stack.

Start the stack with no grace period, then run the bench from the repository root::

    DELETION_GRACE_SECONDS=0 make run
    python bench/journey.py --var-dir var

It runs N journeys at once (register → sign in → request deletion → survey → code by e-mail →
confirm → purged) and prints journeys/s and the p50/p99 of "survey submitted → code e-mail
stored" (the stored ``.eml`` file's mtime). Beside it, on the same broker in the same run, a raw
aiokafka produce → consume → produce round trip on fresh topics of its own: the floor that the
services' two hops (survey → deletion → notifier) are built on. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import os
import re
import secrets
import time
import uuid
from dataclasses import dataclass, field
from email.utils import getaddresses
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

_CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")
_FETCH_WAIT_MS = 50  # what the services use (ADIEU_CONSUMER_FETCH_WAIT_MS's default)


@dataclass(frozen=True)
class Config:
    """Where the stack is and how hard to push it."""

    auth: str
    deletion: str
    survey: str
    bootstrap: str
    var_dir: Path
    journeys: int
    raw_messages: int
    timeout: float


def _parse_args() -> Config:
    env = os.environ.get

    def url(name: str, port: int) -> str:
        return f"http://127.0.0.1:{env(f'{name.upper()}_HTTP_PORT', str(port))}"

    broker = env("ADIEU_KAFKA_BOOTSTRAP") or f"127.0.0.1:{env('DEVSTACK_BROKER_PORT', '9092')}"
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--auth", default=url("auth", 8001))
    parser.add_argument("--deletion", default=url("deletion", 8002))
    parser.add_argument("--survey", default=url("survey", 8003))
    parser.add_argument("--bootstrap", default=broker, help="the stack's Kafka bootstrap")
    parser.add_argument("--var-dir", type=Path, default=Path(env("DEVSTACK_VAR_DIR", "var")))
    parser.add_argument("-n", "--journeys", type=int, default=20)
    parser.add_argument("--raw-messages", type=int, default=2000)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per journey")
    args = parser.parse_args()
    return Config(**vars(args))


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (with 20 samples, p99 is the slowest one)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


# --- the mail catcher's directory, watched once for all journeys ---------------------------


@dataclass
class MailWatcher:
    """Polls ``var/mail`` and hands each journey the first e-mail to its address."""

    directory: Path
    seen: set[str] = field(default_factory=set)
    waiting: dict[str, asyncio.Future[tuple[float, str]]] = field(default_factory=dict)

    def expect(self, address: str) -> asyncio.Future[tuple[float, str]]:
        """A future resolved with (mtime, text) of the first e-mail to ``address``."""
        future: asyncio.Future[tuple[float, str]] = asyncio.get_running_loop().create_future()
        self.waiting[address] = future
        return future

    async def run(self) -> None:
        self.seen = {path.name for path in self.directory.glob("*.eml")}  # earlier runs' mail
        while True:
            for path in sorted(self.directory.glob("*.eml")):
                if path.name not in self.seen:
                    self.seen.add(path.name)
                    self._deliver(path)
            await asyncio.sleep(0.01)

    def _deliver(self, path: Path) -> None:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for _, address in getaddresses(message.get_all("To", [])):
            future = self.waiting.pop(address.lower(), None)
            if future is not None and not future.done():
                body = message.get_body(preferencelist=("plain",))
                future.set_result((path.stat().st_mtime, body.get_content() if body else ""))


# --- one journey -----------------------------------------------------------------------------


PHASES = ("sign up + sign in", "request + survey", "code e-mail stored", "confirm -> purged")


@dataclass
class Timing:
    """What one journey measured: seconds per phase; ``code_latency`` from the mail's mtime."""

    phases: dict[str, float] = field(default_factory=dict)
    code_latency: float = 0.0
    _mark: float = field(default_factory=time.monotonic)

    def lap(self, phase: str) -> None:
        """Close ``phase`` now."""
        now = time.monotonic()
        self.phases[phase] = now - self._mark
        self._mark = now

    @property
    def total(self) -> float:
        """The whole journey."""
        return sum(self.phases.values())


async def _register(http: httpx.AsyncClient, cfg: Config, address: str) -> None:
    for _ in range(5):  # a random phone number may belong to an account of an earlier run
        phone = f"+4741{secrets.randbelow(10**6):06d}"  # a Norwegian mobile number
        answer = await http.post(
            f"{cfg.auth}/v1/accounts",
            json={
                "email": address,
                "phone": phone,
                "password": "bench-password-1",
                "language": "en",
            },
        )
        if answer.status_code == 201:
            return
        if answer.status_code != 409:
            answer.raise_for_status()
    raise RuntimeError("could not find a free phone number")


async def _until_purged(http: httpx.AsyncClient, url: str, token: dict[str, str]) -> None:
    """Poll the request's status (the caller's timeout bounds the wait)."""
    while True:
        status = (await http.get(url, headers=token)).raise_for_status().json()["status"]
        if status == "purged":
            return
        await asyncio.sleep(0.05)


async def _sign_up_and_in(http: httpx.AsyncClient, cfg: Config, address: str) -> dict[str, str]:
    await _register(http, cfg, address)
    session = await http.post(
        f"{cfg.auth}/v1/sessions", json={"login": address, "password": "bench-password-1"}
    )
    return {"Authorization": f"Bearer {session.raise_for_status().json()['access_token']}"}


async def _journey(http: httpx.AsyncClient, cfg: Config, mail: MailWatcher) -> Timing:
    timing = Timing()
    address = f"bench-{uuid.uuid4().hex[:12]}@example.com"
    token = await _sign_up_and_in(http, cfg, address)
    timing.lap(PHASES[0])
    ticked = {"understood_consequences": True, "accepted_terms": True, "channel": "email"}
    created = await http.post(f"{cfg.deletion}/v1/deletion-requests", json=ticked, headers=token)
    request_id = created.raise_for_status().json()["request_id"]
    arrived = mail.expect(address)
    answer = {"request_id": request_id, "reasons": ["privacy"]}
    submitted_at = time.time()
    (await http.post(f"{cfg.survey}/v1/responses", json=answer, headers=token)).raise_for_status()
    timing.lap(PHASES[1])
    stored_at, text = await arrived
    timing.lap(PHASES[2])
    timing.code_latency = stored_at - submitted_at
    url = f"{cfg.deletion}/v1/deletion-requests/{request_id}"
    code = _CODE.findall(text)[0]
    (await http.post(f"{url}/confirm", json={"code": code}, headers=token)).raise_for_status()
    await _until_purged(http, url, token)
    timing.lap(PHASES[3])
    return timing


async def run_journeys(cfg: Config) -> None:
    """Run ``cfg.journeys`` journeys at once and print their rate and code latency."""
    (cfg.var_dir / "mail").mkdir(parents=True, exist_ok=True)
    mail = MailWatcher(cfg.var_dir / "mail")
    watcher = asyncio.create_task(mail.run())
    limits = httpx.Limits(max_connections=4 * cfg.journeys)
    async with httpx.AsyncClient(timeout=30.0, limits=limits) as http:
        started = time.monotonic()
        timings = await asyncio.wait_for(
            asyncio.gather(*(_journey(http, cfg, mail) for _ in range(cfg.journeys))),
            timeout=cfg.timeout,
        )
        elapsed = time.monotonic() - started
    watcher.cancel()
    latencies = [t.code_latency * 1000 for t in timings]
    totals = [t.total for t in timings]
    print(f"journeys: {len(timings)} concurrent, all purged in {elapsed:.2f} s")
    print(f"  -> {len(timings) / elapsed:.2f} journeys/s")
    print(f"  journey duration p50 {percentile(totals, 0.5):.2f} s, max {max(totals):.2f} s")
    for phase in PHASES:
        spent = [t.phases[phase] for t in timings]
        print(f"    {phase:<20} p50 {percentile(spent, 0.5):6.2f} s, max {max(spent):6.2f} s")
    print(
        "  survey submitted -> code e-mail stored:"
        f" p50 {percentile(latencies, 0.5):.0f} ms, p99 {percentile(latencies, 0.99):.0f} ms"
        f" (n={len(latencies)})"
    )


# --- the raw broker round trip ---------------------------------------------------------------


async def _relay(source: str, target: str, bootstrap: str, count: int) -> None:
    """Consume ``count`` records from ``source`` and produce each to ``target`` (one hop)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=_FETCH_WAIT_MS
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await consumer.start()
    await producer.start()
    try:
        consumer.assign([TopicPartition(source, 0)])
        await consumer.seek_to_beginning()
        relayed = 0
        while relayed < count:
            batch = await consumer.getmany(timeout_ms=1000)
            for records in batch.values():
                for record in records:
                    await producer.send(target, record.value, key=record.key)
                    relayed += 1
        await producer.flush()
    finally:
        await consumer.stop()
        await producer.stop()


async def _receive(consumer: AIOKafkaConsumer, count: int) -> list[float]:
    """Read ``count`` stamped records; return each one's age in seconds."""
    trips: list[float] = []
    while len(trips) < count:
        batch = await consumer.getmany(timeout_ms=1000)
        now = time.monotonic()
        for records in batch.values():
            trips += [now - float((r.value or b"").split(b":")[1]) for r in records]
    return trips


async def _round_trips(
    bootstrap: str, source: str, target: str, count: int, *, one_at_a_time: bool
) -> list[float]:
    """Produce ``count`` records to ``source``; return each one's round trip via ``target``."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=_FETCH_WAIT_MS
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await consumer.start()
    await producer.start()
    try:
        consumer.assign([TopicPartition(target, 0)])
        await consumer.seek_to_beginning()
        trips: list[float] = []
        for index in range(count):
            stamp = f"{index}:{time.monotonic():.9f}:".encode()
            await producer.send(source, stamp + b"x" * 300, key=b"bench")
            if one_at_a_time:
                trips += await _receive(consumer, 1)
        await producer.flush()
        return trips + await _receive(consumer, count - len(trips))
    finally:
        await consumer.stop()
        await producer.stop()


async def _measure(
    cfg: Config, admin: AIOKafkaAdminClient, count: int, paced: bool
) -> tuple[float, list[float]]:
    """Elapsed seconds and round trips (ms) of ``count`` records through a relay hop."""
    names = [f"bench.{uuid.uuid4().hex[:10]}.{part}" for part in ("in", "out")]
    await admin.create_topics([NewTopic(name, 1, 1) for name in names])
    try:
        started = time.monotonic()
        relay = asyncio.create_task(_relay(names[0], names[1], cfg.bootstrap, count))
        trips = await _round_trips(cfg.bootstrap, names[0], names[1], count, one_at_a_time=paced)
        await relay
        return time.monotonic() - started, [trip * 1000 for trip in trips]
    finally:
        await admin.delete_topics(names)


async def run_raw_round_trip(cfg: Config) -> None:
    """A burst of ``cfg.raw_messages`` records, then 50 one at a time, on fresh topics."""
    admin = AIOKafkaAdminClient(bootstrap_servers=cfg.bootstrap)
    await admin.start()
    try:
        elapsed, burst = await _measure(cfg, admin, cfg.raw_messages, paced=False)
        _, single = await _measure(cfg, admin, 50, paced=True)
    finally:
        await admin.close()
    print(f"raw aiokafka produce -> consume -> produce -> consume on {cfg.bootstrap}:")
    print(f"  burst: {cfg.raw_messages} records of ~320 B in {elapsed:.2f} s (incl. start-up)")
    print(f"  -> {cfg.raw_messages / elapsed:.0f} records/s through one relay hop")
    print(
        f"  burst round trip p50 {percentile(burst, 0.5):.0f} ms,"
        f" p99 {percentile(burst, 0.99):.0f} ms"
    )
    print(
        f"  one at a time (n=50): round trip p50 {percentile(single, 0.5):.0f} ms,"
        f" p99 {percentile(single, 0.99):.0f} ms (fetch wait {_FETCH_WAIT_MS} ms, as the services)"
    )


async def main() -> None:
    """Run the journeys, then the raw round trip on the same broker."""
    cfg = _parse_args()
    print(f"stack: auth {cfg.auth}, deletion {cfg.deletion}, survey {cfg.survey}")
    print(f"mail from {cfg.var_dir / 'mail'}; kafka {cfg.bootstrap}")
    await run_journeys(cfg)
    await run_raw_round_trip(cfg)


if __name__ == "__main__":
    asyncio.run(main())
