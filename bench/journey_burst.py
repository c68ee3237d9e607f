"""``journey`` burst mode: N whole journeys at once, each signing up and in over HTTP.

The first version of the journey bench (the issue's first table): N people at the same moment
register (``POST /v1/accounts``, a real argon2 hash each), sign in, request deletion, answer
the survey, read the code from their e-mail, confirm and wait for the purge. Reported: how
long until all were purged (journeys/s), "Send → code e-mail stored" p50/p99 and "confirm →
purged" p50 — what a crowd arriving together sees, where the paced mode is a steady load.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.events import DeletionEvents, deletion_events
from bench.http import HttpStatusError
from bench.journey import Journey, figures, httpx_post, walk
from bench.report import Row
from bench.roundtrip import RoundTrip, measure_round_trip, percentile
from bench.stack import BenchStack, bench_stack
from devstack.services import CROWD_BEHIND_ONE_ADDRESS

__all__ = ["BurstJourneys", "run_burst"]

_PASSWORD = "bench-password-1"


@dataclass
class BurstJourneys:
    """N journeys started together: the wall time until the last finished, and each one."""

    n: int
    elapsed: float
    journeys: list[Journey]
    round_trip: RoundTrip

    def rows(self) -> list[Row]:
        """Journeys/s and the latencies (no target: the targets are about the paced mode)."""
        values = figures(self.journeys)
        done = sum(1 for j in self.journeys if j.error is None)
        errors = Counter(j.error for j in self.journeys if j.error is not None)
        failed = "".join(f"; {error}: {count}" for error, count in errors.most_common())
        rate = done / self.elapsed
        code, purged = values["Send → code e-mail stored"], values["confirm → purged"]
        return [
            Row(
                "journey",
                f"burst of {self.n} at once: all purged",
                f"{self.elapsed:.1f} s, {rate:.1f} journeys/s ({done} finished{failed})",
            ),
            Row(
                "journey",
                f"burst of {self.n}: Send → code e-mail stored",
                f"p50 {percentile(code, 0.5):.0f} / p99 {percentile(code, 0.99):.0f} ms",
            ),
            Row(
                "journey",
                f"burst of {self.n}: confirm → purged",
                f"p50 {percentile(purged, 0.5):.0f} ms",
            ),
        ]


async def _sign_up_and_in(http: httpx.AsyncClient, auth: str, address: str) -> dict[str, str]:
    for _ in range(5):  # a random phone number may be taken already
        phone = f"+4741{secrets.randbelow(10**6):06d}"  # a Norwegian mobile number
        body = {"email": address, "phone": phone, "password": _PASSWORD, "language": "en"}
        answer = await http.post(f"{auth}/v1/accounts", json=body)
        if answer.status_code == 201:
            break
        if answer.status_code != 409:
            answer.raise_for_status()
    else:
        raise RuntimeError("could not find a free phone number")
    login = {"login": address, "password": _PASSWORD}
    session = await _until_signed_in(http, auth, login)
    return {"Authorization": f"Bearer {session['access_token']}"}


async def _until_signed_in(
    http: httpx.AsyncClient, auth: str, login: dict[str, str]
) -> dict[str, str]:
    while True:
        answer = await http.post(f"{auth}/v1/sessions", json=login)
        if answer.status_code == 201:
            return dict(answer.json())
        if answer.status_code != 403:
            answer.raise_for_status()
        await asyncio.sleep(0.2)  # 403: not signable yet; the caller's timeout bounds this


async def _one(
    http: httpx.AsyncClient, stack: BenchStack, events: DeletionEvents, timeout: float
) -> Journey:
    address = f"bench-{uuid.uuid4().hex[:12]}@example.com"

    async def whole() -> Journey:
        token = await _sign_up_and_in(http, stack.urls["auth"], address)
        return await walk(httpx_post(http), stack, events, address, token)

    try:
        return await asyncio.wait_for(whole(), timeout)
    except httpx.HTTPStatusError as exc:  # the answer's own code says why
        return Journey(error=f"HTTP {exc.response.status_code} {_error_code(exc.response)}")
    except HttpStatusError as exc:  # the same, from a step of walk()
        return Journey(error=f"HTTP {exc.status} {exc.code}")
    except Exception as exc:  # counted and reported, not raised: the rest go on
        return Journey(error=type(exc).__name__)


def _error_code(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("error", ""))
    except ValueError:
        return ""


async def run_burst(var_dir: Path, n: int, timeout: float = 180.0) -> BurstJourneys:
    """Start a stack with no grace period and run ``n`` journeys at once."""
    # Every journey signs up and in from 127.0.0.1; with one address's budgets the bench
    # would measure auth's throttle instead of the pipeline.
    env = {"DELETION_GRACE_SECONDS": "0", **CROWD_BEHIND_ONE_ADDRESS}
    with bench_stack(var_dir, env) as stack:
        stack.start(list(stack.processes))
        round_trip = await measure_round_trip(stack.bootstrap)
        events = deletion_events(stack)
        reader = asyncio.create_task(events.run())
        print(f"journey: a burst of {n} at once ...", flush=True)
        limits = httpx.Limits(max_connections=4 * n)
        try:
            async with httpx.AsyncClient(timeout=60.0, limits=limits) as http:
                started = time.monotonic()
                journeys = await asyncio.gather(
                    *(_one(http, stack, events, timeout) for _ in range(n))
                )
                elapsed = time.monotonic() - started
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
        return BurstJourneys(n, elapsed, list(journeys), round_trip)
