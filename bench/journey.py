"""``journey``: whole deletion journeys, paced at a fixed rate and as one burst.

Paced: accounts are registered beforehand through auth's own handler (sign-up's argon2 is not
part of the deletion path; see :mod:`bench.seed`), and the tokens are signed with the stack's
key as auth signs them. Journeys then start at R per second for T seconds: request deletion →
survey Send → code e-mail stored → confirm → purged → confirmation e-mail stored. Reported
per rate: p50/p95/p99 of "Send → code e-mail stored" (the ``.eml`` file's mtime), "confirm →
purged" (the status, polled) and "confirm → confirmation e-mail stored", and how many journeys
started late (the driver fell behind) or did not finish.

Burst: N journeys at once, each registering and signing in over HTTP as a person would.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.utils import getaddresses
from pathlib import Path

import httpx

from bench.report import Row
from bench.roundtrip import RoundTrip, measure_round_trip, percentile
from bench.seed import seed_accounts
from bench.stack import BenchStack, bench_stack
from shared.clock import SystemClock
from shared.tokens import TokenIssuer

__all__ = ["JourneyResult", "run_journeys"]

_CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")
_PASSWORD = "bench-password-1"
_LATE_START_SECONDS = 0.1  # a journey started this much after its slot: the driver fell behind
_TARGETS_MS = {50: 100.0, 100: 250.0}
_SUBJECTS = {"code": "Confirm the deletion", "completed": "has been deleted"}


@dataclass
class MailWatcher:
    """Polls the catcher's directory; hands out each address's e-mails by kind (subject)."""

    directory: Path
    seen: set[str] = field(default_factory=set)
    waiting: dict[tuple[str, str], asyncio.Future[tuple[float, str]]] = field(default_factory=dict)

    def expect(self, address: str, kind: str) -> asyncio.Future[tuple[float, str]]:
        """A future of (mtime, body) of the first e-mail of ``kind`` to ``address``."""
        future: asyncio.Future[tuple[float, str]] = asyncio.get_running_loop().create_future()
        self.waiting[(address.lower(), kind)] = future
        return future

    async def run(self) -> None:
        """Watch until cancelled."""
        self.seen = {path.name for path in self.directory.glob("*.eml")}
        while True:
            for path in sorted(self.directory.glob("*.eml")):
                if path.name not in self.seen:
                    self.seen.add(path.name)
                    self._deliver(path)
            await asyncio.sleep(0.01)

    def _deliver(self, path: Path) -> None:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        subject = str(message.get("Subject", ""))
        kind = next((k for k, words in _SUBJECTS.items() if words in subject), None)
        if kind is None:
            return
        for _, address in getaddresses(message.get_all("To", [])):
            future = self.waiting.pop((address.lower(), kind), None)
            if future is not None and not future.done():
                body = message.get_body(preferencelist=("plain",))
                future.set_result((path.stat().st_mtime, body.get_content() if body else ""))


@dataclass
class Journey:
    """One journey's figures (seconds), or the reason it did not finish."""

    code_mail: float = 0.0
    purged: float = 0.0
    confirmation_mail: float = 0.0
    started_late: bool = False
    error: str | None = None


async def _until_purged(http: httpx.AsyncClient, url: str, token: dict[str, str]) -> float:
    while True:
        answer = (await http.get(url, headers=token)).raise_for_status().json()
        if answer["status"] == "purged":
            return time.time()
        await asyncio.sleep(0.1)


async def _journey(
    http: httpx.AsyncClient, stack: BenchStack, mail: MailWatcher, who: tuple[str, str]
) -> Journey:
    account_id, address = who
    issuer = TokenIssuer(stack.env["AUTH_TOKEN_SIGNING_KEY"], SystemClock(), 900)
    token = {"Authorization": f"Bearer {issuer.issue(account_id, authenticated_at=None)}"}
    deletion, survey = stack.urls["deletion"], stack.urls["survey"]
    ticked = {"understood_consequences": True, "accepted_terms": True, "channel": "email"}
    created = await http.post(f"{deletion}/v1/deletion-requests", json=ticked, headers=token)
    request_id = created.raise_for_status().json()["request_id"]
    code_mail, done_mail = mail.expect(address, "code"), mail.expect(address, "completed")
    sent_at = time.time()
    answer = {"request_id": request_id, "reasons": ["privacy"]}
    (await http.post(f"{survey}/v1/responses", json=answer, headers=token)).raise_for_status()
    stored_at, text = await code_mail
    url = f"{deletion}/v1/deletion-requests/{request_id}"
    confirmed_at = time.time()
    code = {"code": _CODE.findall(text)[0]}
    (await http.post(f"{url}/confirm", json=code, headers=token)).raise_for_status()
    purged_at = await _until_purged(http, url, token)
    done_at, _ = await done_mail
    return Journey(stored_at - sent_at, purged_at - confirmed_at, done_at - confirmed_at)


async def _paced(
    http: httpx.AsyncClient,
    stack: BenchStack,
    mail: MailWatcher,
    accounts: Sequence[tuple[str, str]],
    rate: float,
    timeout: float,
) -> list[Journey]:
    async def one(index: int, who: tuple[str, str]) -> Journey:
        await asyncio.sleep(max(0.0, started + index / rate - time.monotonic()))
        late = time.monotonic() - (started + index / rate) > _LATE_START_SECONDS
        try:
            journey = await asyncio.wait_for(_journey(http, stack, mail, who), timeout)
        except Exception as exc:  # counted and reported, not raised: the rest go on
            journey = Journey(error=type(exc).__name__)
        journey.started_late = late
        return journey

    started = time.monotonic()
    return list(await asyncio.gather(*(one(i, who) for i, who in enumerate(accounts))))


@dataclass
class JourneyResult:
    """Per rate: the journeys' figures."""

    seconds: float
    by_rate: dict[float, list[Journey]]
    round_trip: RoundTrip

    def rows(self) -> list[Row]:
        """One row per rate and figure, code e-mail p99 against its target."""
        rows = []
        for rate, journeys in self.by_rate.items():
            done = [j for j in journeys if j.error is None]
            behind = sum(1 for j in journeys if j.started_late or j.error)
            for label, values in (
                ("Send → code e-mail stored", [j.code_mail * 1000 for j in done]),
                ("confirm → purged", [j.purged * 1000 for j in done]),
                ("confirm → confirmation e-mail", [j.confirmation_mail * 1000 for j in done]),
            ):
                p99 = percentile(values, 0.99)
                text = (
                    f"p50 {percentile(values, 0.5):.0f} / p95 {percentile(values, 0.95):.0f}"
                    f" / p99 {p99:.0f} ms"
                )
                target = _TARGETS_MS.get(int(rate)) if label.startswith("Send") else None
                rows.append(
                    Row(
                        "journey",
                        f"{rate:g}/s for {self.seconds:g} s: {label}",
                        text,
                        "" if target is None else f"p99 ≤ {target:.0f} ms, none behind",
                        None if target is None else (p99 <= target and behind == 0),
                    )
                )
            errors: defaultdict[str, int] = defaultdict(int)
            for j in journeys:
                if j.error:
                    errors[j.error] += 1
            detail = ", ".join(f"{k} {v}" for k, v in errors.items()) or "none failed"
            rows.append(
                Row(
                    "journey",
                    f"{rate:g}/s: fell behind or failed",
                    f"{behind} ({detail})",
                    "0",
                    behind == 0,
                )
            )
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
        stack.start(list(stack.processes))
        round_trip = await measure_round_trip(stack.bootstrap)
        await asyncio.sleep(5.0)  # let the notifier take in the registrations' contacts
        mail = MailWatcher(stack.var_dir / "mail")
        watcher = asyncio.create_task(mail.run())
        by_rate: dict[float, list[Journey]] = {}
        limits = httpx.Limits(max_connections=400, max_keepalive_connections=200)
        async with httpx.AsyncClient(timeout=30.0, limits=limits) as http:
            offset = 0
            for rate, count in zip(rates, counts, strict=True):
                print(f"  {rate:g} journeys/s for {seconds:g} s ...")
                chunk = accounts[offset : offset + count]
                offset += count
                by_rate[rate] = await _paced(http, stack, mail, chunk, rate, timeout)
        watcher.cancel()
        return JourneyResult(seconds, by_rate, round_trip)
