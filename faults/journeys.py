"""One person's deletion journey over HTTP, carried on through faults as a person would.

A person whose page does not load tries again: every call is retried on a connection error or
a 5xx until the journey's deadline, and an answer that says the earlier try did land (409:
account exists, request exists, questionnaire already sent) counts as that try's success. A
code that failed for good is asked for again, as the page's "send a new code" would.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from faults.mail import MailIndex
from tests.support.stack import only_code

__all__ = ["PHASES", "Journey", "Tracker", "run_journey"]

PASSWORD = "fault-suite-password-1"  # noqa: S105  # the made-up people's, in a test run
PHASES = ("signing up", "requesting", "awaiting code", "purging", "awaiting confirmation", "done")
_RETRY_PAUSE = 0.3
# How long a person waits for a code before pressing "send a new code" (allowed after 60 s).
_PATIENCE_SECONDS = 75.0


class JourneyLost(Exception):
    """The journey's deadline passed before it was done."""


@dataclass
class Journey:
    """What one journey did and saw."""

    address: str
    account_id: str | None = None
    phase: str = PHASES[0]
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    saw_delayed: bool = False
    resends: int = 0
    survey_retries: int = 0
    error: str | None = None

    @property
    def completed(self) -> bool:
        return self.phase == "done"


@dataclass
class Tracker:
    """Every journey of a scenario, so a fault can wait for the busiest moment of a step."""

    journeys: list[Journey] = field(default_factory=list)

    def at(self, phase: str) -> int:
        return sum(1 for j in self.journeys if j.phase == phase)

    def phases(self) -> Counter[str]:
        return Counter(j.phase for j in self.journeys)

    async def busiest(self, phase: str, share: float = 0.3, at_most: float = 120.0) -> None:
        """Wait until ``share`` of the journeys are at ``phase``, or, once most have gone
        past it, until one is at it while others are still on their way there.

        On a quiet machine a step takes milliseconds: by the time most journeys are past it,
        the step is often empty, and a kill then proves a restart but not a kill in the
        middle of the work ("SIGKILL notifier with 0 at 'awaiting code'", 2 December).
        """
        deadline = time.monotonic() + at_most
        earlier = PHASES[: PHASES.index(phase)]
        later = PHASES[PHASES.index(phase) + 1 :]
        pause = 0.05
        while time.monotonic() < deadline:
            if self.at(phase) >= max(1, int(share * len(self.journeys))):
                return
            if sum(self.at(p) for p in later) > len(self.journeys) / 2:
                if self.at(phase) >= 1 or not any(self.at(p) for p in earlier):
                    return  # as busy as it gets now, or nobody is left to arrive
                pause = 0.005  # past the peak: catch the next one in the step
            await asyncio.sleep(pause)


@dataclass(frozen=True)
class Urls:
    """Where the people's calls go; several deletion URLs are tried in turn (a balancer)."""

    auth: str
    deletion: Sequence[str]
    survey: str


class _Caller:
    """Retries a call until an answer other than a connection error or 5xx, or the deadline."""

    def __init__(self, http: httpx.AsyncClient, deadline: float) -> None:
        self._http = http
        self.deadline = deadline

    async def __call__(
        self, method: str, bases: str | Sequence[str], path: str, **kwargs: Any
    ) -> httpx.Response:
        choices = [bases] if isinstance(bases, str) else list(bases)
        attempt = 0
        while True:
            base = choices[attempt % len(choices)]
            attempt += 1
            try:
                answer = await self._http.request(method, base + path, **kwargs)
                if answer.status_code < 500:
                    return answer
            except httpx.TransportError:
                pass
            if time.monotonic() > self.deadline:
                raise JourneyLost(f"{method} {path}: no answer before the deadline")
            await asyncio.sleep(_RETRY_PAUSE)


async def _sign_up(call: _Caller, urls: Urls, journey: Journey) -> dict[str, str]:
    phone = f"+4741{secrets.randbelow(10**6):06d}"
    body = {"email": journey.address, "phone": phone, "password": PASSWORD, "language": "en"}
    registered = await call("POST", urls.auth, "/v1/accounts", json=body)
    if registered.status_code == 409 and registered.json().get("field") == "phone":
        body.pop("phone")  # a random number someone else has: register by e-mail only
        registered = await call("POST", urls.auth, "/v1/accounts", json=body)
    if registered.status_code not in (201, 409):  # 409: an earlier try did register it
        raise JourneyLost(f"sign-up answered {registered.status_code}")
    login = {"login": journey.address, "password": PASSWORD}
    session = await call("POST", urls.auth, "/v1/sessions", json=login)
    if session.status_code != 201:
        raise JourneyLost(f"sign-in answered {session.status_code}")
    token = {"Authorization": f"Bearer {session.json()['access_token']}"}
    me = await call("GET", urls.auth, "/v1/me", headers=token)
    journey.account_id = str(me.json()["account_id"])
    return token


async def _request(call: _Caller, urls: Urls, token: dict[str, str], journey: Journey) -> str:
    ticked = {"understood_consequences": True, "accepted_terms": True, "channel": "email"}
    created = await call("POST", urls.deletion, "/v1/deletion-requests", json=ticked, headers=token)
    if created.status_code not in (201, 409):
        raise JourneyLost(f"deletion request answered {created.status_code}")
    request_id = str(created.json()["request_id"])
    answer = {"request_id": request_id, "reasons": ["privacy"]}
    while True:
        sent = await call("POST", urls.survey, "/v1/responses", json=answer, headers=token)
        # request_not_yet_known: survey has not yet read DeletionRequested (its consumer lags
        # after a fault); the page says "one moment" and the person presses Send again, for as
        # long as the page says so (up to the journey's deadline: an Apache Kafka restart under
        # load kept survey behind for over the 60 s this once gave up after, 12 of 60 lost).
        if _error(sent) != "request_not_yet_known" or time.monotonic() > call.deadline:
            break
        journey.survey_retries += 1
        await asyncio.sleep(1.0)
    # 409 already_submitted: an earlier try landed.
    if sent.status_code != 201 and _error(sent) != "already_submitted":
        raise JourneyLost(f"survey answered {sent.status_code} {_error(sent)}")
    return request_id


def _error(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("error", ""))
    except ValueError:
        return ""


async def _status(call: _Caller, urls: Urls, path: str, token: dict[str, str]) -> dict[str, Any]:
    answer = await call("GET", urls.deletion, path, headers=token)
    body: dict[str, Any] = answer.json() if answer.status_code == 200 else {}
    return body


async def _code(
    call: _Caller, urls: Urls, path: str, token: dict[str, str], mail: MailIndex, journey: Journey
) -> None:
    """Wait for the code e-mail and confirm with it; ask for a new code, as the page offers,
    when it failed for good or when nothing came for a minute and the page says nothing of a
    delay."""
    confirmed_with: set[str] = set()
    asked_at = time.monotonic()
    while True:
        codes = [only_code(m.text) for m in mail.of(journey.address, "code")]
        fresh = [c for c in codes if c not in confirmed_with]
        if fresh:
            code = fresh[-1]
            confirmed_with.add(code)
            answer = await call(
                "POST", urls.deletion, f"{path}/confirm", json={"code": code}, headers=token
            )
            if answer.status_code in (200, 201, 202):
                return
            if answer.json().get("error") == "invalid_state":
                return  # an earlier try confirmed it already
        if time.monotonic() > call.deadline:
            raise JourneyLost("no code that confirmed before the deadline")
        status = await _status(call, urls, path, token)
        journey.saw_delayed |= bool(status.get("code_delayed"))
        if status.get("status") not in (None, "awaiting_survey", "awaiting_code"):
            return
        waited = time.monotonic() - asked_at
        silent = waited > _PATIENCE_SECONDS and not status.get("code_delayed")
        if status.get("code_delivery_failed") or silent:
            resent = await call(
                "POST", urls.deletion, f"{path}/resend-code", json={}, headers=token
            )
            if resent.status_code == 202:
                journey.resends += 1
                asked_at = time.monotonic()
        await mail.changed(at_most=1.0)


async def run_journey(
    http: httpx.AsyncClient,
    urls: Callable[[], Urls],
    mail: MailIndex,
    journey: Journey,
    seconds: float,
) -> Journey:
    """Take ``journey`` from sign-up to the "account deleted" e-mail; never raises."""
    deadline = journey.started + seconds
    call = _Caller(http, deadline)
    try:
        token = await _sign_up(call, urls(), journey)
        journey.phase = "requesting"
        request_id = await _request(call, urls(), token, journey)
        path = f"/v1/deletion-requests/{request_id}"
        journey.phase = "awaiting code"
        await _code(call, urls(), path, token, mail, journey)
        journey.phase = "purging"
        while (await _status(call, urls(), path, token)).get("status") != "purged":
            if time.monotonic() > deadline:
                raise JourneyLost("not purged before the deadline")
            await asyncio.sleep(0.5)
        journey.phase = "awaiting confirmation"
        while not mail.of(journey.address, "completed"):
            if time.monotonic() > deadline:
                raise JourneyLost("no 'account deleted' e-mail before the deadline")
            await mail.changed(at_most=1.0)
        journey.phase = "done"
        journey.finished = time.monotonic()
    except JourneyLost as lost:
        journey.error = f"{journey.phase}: {lost}"
    except (httpx.HTTPError, ValueError, KeyError, AssertionError) as exc:
        journey.error = f"{journey.phase}: {type(exc).__name__}: {exc}"
    return journey


def new_journey() -> Journey:
    return Journey(address=f"fault-{uuid.uuid4().hex[:12]}@example.com")
