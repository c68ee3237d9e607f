"""``journey``: whole deletion journeys paced at a fixed rate (burst mode: bench.journey_burst).

Accounts are registered beforehand through auth's own handler (sign-up's argon2 is not part
of the deletion path; see :mod:`bench.seed`), and the tokens are signed with the stack's key
as auth signs them. Journeys then start at R per second for T seconds: request deletion →
survey Send → code e-mail stored → confirm → purged → confirmation e-mail stored. Reported
per rate: p50/p95/p99 of "Send → code e-mail stored" (the catcher's store time), "confirm →
purged" (DeletionCompleted's ``occurred_at``, read from the broker) and "confirm →
confirmation e-mail stored", and how many journeys started late (the driver fell behind) or
did not finish; and the CPU each process spent per journey over the rate's phase (from its
start until the last journey ended), the figure that depends least on the machine's load,
less what the processes spend idle meanwhile (their poll loops, measured for a few seconds
before the first rate and printed too; the sum with it is the row's upper bound).
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.cpu import CpuMeter, CpuSpent
from bench.events import DeletionEvents, deletion_events
from bench.http import HttpStatusError, JsonClient, Post
from bench.report import Row
from bench.roundtrip import RoundTrip, measure_round_trip, percentile
from bench.seed import seed_accounts
from bench.stack import BenchStack, bench_stack
from shared.clock import SystemClock
from shared.tokens import TokenIssuer

__all__ = [
    "Journey",
    "JourneyResult",
    "figures",
    "httpx_post",
    "run_journeys",
    "wait_for_keys",
    "walk",
]

_CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")
_PASSWORD = "bench-password-1"
_LATE_START_SECONDS = 0.1  # a journey started this much after its slot: the driver fell behind
_TARGETS_MS = {50: 100.0, 100: 250.0}
_KEYS_WAIT_SECONDS = 300.0
_IDLE_SECONDS = 5.0
_SETTLE_SECONDS = 5.0


@dataclass
class Journey:
    """One journey's figures (seconds), or the reason it did not finish."""

    code_mail: float = 0.0
    purged: float = 0.0
    confirmation_mail: float = 0.0
    started_late: bool = False
    error: str | None = None


def httpx_post(http: httpx.AsyncClient) -> Post:
    """:func:`walk`'s POST through an httpx client (the burst's, which signs up over it too)."""

    async def post(url: str, body: Mapping[str, Any], headers: Mapping[str, str]) -> Any:
        answer = await http.post(url, json=dict(body), headers=dict(headers))
        if not answer.is_success:
            after = answer.headers.get("retry-after", "")
            wait = float(after) if after.isdigit() else None
            raise HttpStatusError(answer.status_code, answer.content, wait)
        return answer.json()

    return post


async def walk(
    post: Post,
    stack: BenchStack,
    events: DeletionEvents,
    address: str,
    token: dict[str, str],
) -> Journey:
    """Request deletion → survey Send → code e-mail → confirm → purged → confirmation e-mail."""
    deletion, survey = stack.urls["deletion"], stack.urls["survey"]
    ticked = {"understood_consequences": True, "accepted_terms": True, "channel": "email"}
    created = await post(f"{deletion}/v1/deletion-requests", ticked, token)
    request_id = created["request_id"]
    code_mail = stack.mail.expect(address, "code")
    done_mail = stack.mail.expect(address, "completed")
    sent_at = time.time()
    await _send_survey(post, survey, {"request_id": request_id, "reasons": ["privacy"]}, token)
    code = await code_mail
    url = f"{deletion}/v1/deletion-requests/{request_id}"
    purged = events.completion(request_id)
    confirmed_at = time.time()
    await post(f"{url}/confirm", {"code": _CODE.findall(code.text)[0]}, token)
    purged_at = (await purged).timestamp()
    done = await done_mail
    return Journey(
        code.stored_at - sent_at, purged_at - confirmed_at, done.stored_at - confirmed_at
    )


async def _send_survey(
    post: Post, survey: str, answer: Mapping[str, Any], token: Mapping[str, str]
) -> None:
    """Send, and again after Retry-After while the survey has not heard of the request yet
    (409 request_not_yet_known: its consumer is behind), as the web edge tells a person to."""
    while True:
        try:
            await post(f"{survey}/v1/responses", answer, token)
            return
        except HttpStatusError as exc:
            if exc.code != "request_not_yet_known":
                raise
            await asyncio.sleep(exc.retry_after or 1.0)


def _known_keys(path: Path) -> int:
    if not path.exists():
        return 0
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        return int(conn.execute("SELECT count(*) FROM recipient_keys").fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # its schema is not there yet
    finally:
        conn.close()


async def wait_for_keys(stack: BenchStack, n: int) -> None:
    """Until deletion knows the notification key of ``n`` accounts (the notifier issues
    one per registration); a code for an account without one waits for it."""
    path = stack.var_dir / "deletion" / "deletion.sqlite3"
    deadline = time.monotonic() + _KEYS_WAIT_SECONDS
    while await asyncio.to_thread(_known_keys, path) < n:
        if time.monotonic() > deadline:
            raise TimeoutError(f"deletion did not learn {n} accounts' keys in time")
        await asyncio.sleep(0.5)


async def _paced(
    post: Post,
    stack: BenchStack,
    events: DeletionEvents,
    accounts: Sequence[tuple[str, str]],
    rate: float,
    timeout: float,
) -> list[Journey]:
    issuer = TokenIssuer(stack.env["AUTH_TOKEN_SIGNING_KEY"], SystemClock(), 900)

    async def one(index: int, account_id: str, address: str) -> Journey:
        await asyncio.sleep(max(0.0, started + index / rate - time.monotonic()))
        late = time.monotonic() - (started + index / rate) > _LATE_START_SECONDS
        token = {"Authorization": f"Bearer {issuer.issue(account_id, authenticated_at=None)}"}
        try:
            journey = await asyncio.wait_for(walk(post, stack, events, address, token), timeout)
        except HttpStatusError as exc:
            journey = Journey(error=f"HTTP {exc.status} {exc.code}".rstrip())
        except Exception as exc:  # counted and reported, not raised: the rest go on
            journey = Journey(error=type(exc).__name__)
        journey.started_late = late
        return journey

    started = time.monotonic()
    return list(await asyncio.gather(*(one(i, *who) for i, who in enumerate(accounts))))


def figures(journeys: Sequence[Journey]) -> dict[str, list[float]]:
    """Milliseconds of each finished journey, by figure."""
    done = [j for j in journeys if j.error is None]
    return {
        "Send → code e-mail stored": [j.code_mail * 1000 for j in done],
        "confirm → purged": [j.purged * 1000 for j in done],
        "confirm → confirmation e-mail": [j.confirmation_mail * 1000 for j in done],
    }


def _spread(values: list[float]) -> str:
    p50, p95, p99 = (percentile(values, f) for f in (0.5, 0.95, 0.99))
    return f"p50 {p50:.0f} / p95 {p95:.0f} / p99 {p99:.0f} ms (n={len(values)})"


@dataclass
class JourneyResult:
    """Per rate: the journeys' figures."""

    seconds: float
    by_rate: dict[float, list[Journey]]
    round_trip: RoundTrip
    cpu_by_rate: dict[float, CpuSpent] = field(default_factory=dict)
    idle: CpuSpent | None = None

    def cpu_row(self, rate: float, journeys: int) -> Row | None:
        """Milliseconds of CPU per journey by process, less the idle rate, and their sum."""
        spent = self.cpu_by_rate.get(rate)
        if spent is None:
            return None
        per = spent.per_unit(journeys, self.idle)
        raw = sum(spent.per_unit(journeys).values())
        parts = " / ".join(f"{name} {ms:.1f}" for name, ms in per.items())
        text = (
            f"{sum(per.values()):.1f} ms: {parts}"
            f" (over {spent.wall:.0f} s; {raw:.0f} ms with the idle cost)"
        )
        return Row("journey", f"{rate:g}/s: CPU per journey by process", text)

    def idle_row(self) -> Row | None:
        """What each process spends doing nothing (poll loops), in % of a core."""
        if self.idle is None:
            return None
        shares = {name: s / self.idle.wall * 100 for name, s in self.idle.seconds.items()}
        parts = " / ".join(f"{name} {share:.0f}" for name, share in shares.items())
        text = f"{sum(shares.values()):.0f} % of a core: {parts}"
        return Row("journey", "idle CPU before the first rate, by process", text)

    def rows(self) -> list[Row]:
        """One row per rate and figure, code e-mail p99 against its target."""
        rows = []
        for rate, journeys in self.by_rate.items():
            behind = sum(1 for j in journeys if j.started_late or j.error)
            for label, values in figures(journeys).items():
                p99 = percentile(values, 0.99)
                target = _TARGETS_MS.get(int(rate)) if label.startswith("Send") else None
                rows.append(
                    Row(
                        "journey",
                        f"{rate:g}/s for {self.seconds:g} s: {label}",
                        _spread(values),
                        "" if target is None else f"p99 ≤ {target:.0f} ms, none behind",
                        None if target is None else (bool(values) and p99 <= target and not behind),
                    )
                )
            errors = Counter(j.error for j in journeys if j.error)
            detail = ", ".join(f"{k} {v}" for k, v in errors.items()) or "none failed"
            text = f"{behind} of {len(journeys)} ({detail})"
            rows.append(Row("journey", f"{rate:g}/s: fell behind or failed", text, "0", not behind))
            if (cpu := self.cpu_row(rate, len(journeys))) is not None:
                rows.append(cpu)
        if (idle := self.idle_row()) is not None:
            rows.append(idle)
        return rows


async def run_journeys(
    var_dir: Path, rates: Sequence[float], seconds: float, timeout: float = 60.0
) -> JourneyResult:
    """Start a stack with no grace period, then run each rate for ``seconds``."""
    env = {"DELETION_GRACE_SECONDS": "0", "DELETION_REAUTH_MAX_AGE_SECONDS": "3600"}
    with bench_stack(var_dir, env) as stack:
        counts = [round(rate * seconds) for rate in rates]
        addresses = [f"bench-{uuid.uuid4().hex[:12]}@example.com" for _ in range(sum(counts))]
        print(f"journey: registering {len(addresses):,} accounts through auth's handler ...")
        ids = await seed_accounts(stack.env, addresses, _PASSWORD)
        accounts = list(zip(ids, addresses, strict=True))
        stack.start(list(stack.processes), profile=False)
        round_trip = await measure_round_trip(stack.bootstrap)
        await wait_for_keys(stack, len(accounts))
        events = deletion_events(stack)
        reader = asyncio.create_task(events.run())
        result = JourneyResult(seconds, {}, round_trip)
        meter = CpuMeter(stack.pids())
        await asyncio.sleep(_SETTLE_SECONDS)  # the registrations' last events, before "idle"
        meter.start()
        await asyncio.sleep(_IDLE_SECONDS)
        result.idle = meter.stop()
        stack.profile(list(stack.processes))  # the journeys only: not start-up, not the keys
        http = JsonClient()
        try:
            offset = 0
            for rate, count in zip(rates, counts, strict=True):
                print(f"  {rate:g} journeys/s for {seconds:g} s ...", flush=True)
                chunk = accounts[offset : offset + count]
                offset += count
                meter.start()
                journeys = await _paced(http.post, stack, events, chunk, rate, timeout)
                result.cpu_by_rate[rate] = meter.stop()
                result.by_rate[rate] = journeys
        finally:
            await http.aclose()
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
        return result
