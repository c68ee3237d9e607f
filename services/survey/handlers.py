"""The survey's use cases, as plain async functions with their dependencies passed in."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from services.survey import store
from services.survey.arrivals import Arrivals
from services.survey.domain import Answers, de_identify, has_free_text, validate
from services.survey.questionnaire import Lang, Questionnaire
from services.survey.reports import Summary, period_covering, summarise
from shared.clock import Clock
from shared.db import Database, Transaction
from shared.events import (
    AccountPurged,
    DeletionCancelled,
    DeletionExpired,
    DeletionRequested,
    IdentifierDigestsIssued,
    SurveySubmitted,
    new_event,
)
from shared.identifier_digests import DigestSet
from shared.ids import IdFactory, random_id
from shared.outbox import enqueue
from shared.participant import acknowledge_purge
from shared.revocation import Revocations
from shared.topics import Topics

__all__ = [
    "PARTICIPANT",
    "Deps",
    "RequestNotKnown",
    "await_answer",
    "close_request",
    "keep_digests",
    "prune_digests",
    "purge_account",
    "submit_response",
    "summary_report",
]

PARTICIPANT = "survey"
# Auth's digests of a request's identifier words outlive no request (deletion's lapse: 24 h).
DIGESTS_KEPT = timedelta(days=2)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Deps:
    """What the survey's handlers need."""

    db: Database
    clock: Clock
    topics: Topics
    revocations: Revocations
    questionnaire: Questionnaire
    # Shared with auth only: recognises auth's digests (shared.identifier_digests).
    redaction_key: bytes = b""
    new_id: IdFactory = random_id
    # How long an answer waits for deletion's DeletionRequested to arrive before it is refused.
    answer_wait_seconds: float = 5.0
    arrivals: Arrivals = field(default_factory=Arrivals)


class RequestNotKnown(Exception):
    """Survey holds no request of this account waiting for a questionnaire under that id.

    Not yet, or not at all: survey cannot tell. It learns of a request only from deletion's
    DeletionRequested, which can reach it seconds after deletion answered the person (more
    after a broker restart), and an id it never heard of may be one that is on its way or one
    that never was. Telling the two apart would take knowing other people's requests, which is
    deletion's business: whoever holds the person's session asks deletion (the web edge does).
    """


async def submit_response(
    deps: Deps, *, account_id: str, request_id: str, answers: Answers, correlation_id: str
) -> str:
    """Validate and store an answer, then tell deletion the survey is done (the seed's *Send*).

    Only the owner of a request that waits for its questionnaire may answer. An unknown id,
    another account's request and one in another state all wait out ``answer_wait_seconds``
    and raise :class:`RequestNotKnown` alike, so the answer tells nothing about other requests
    (and, for an id not heard of, cannot tell "not yet" from "never": see there).
    An answer with free text also waits (as long) for auth's digests of the person's
    identifier words, to remove them from it; without them no free text is kept.
    The stored answer carries neither ``account_id`` nor ``request_id``; only the
    SurveySubmitted event links the request to its account, and it carries no answers.

    Raises:
        InvalidAnswer: the answers break a rule of the questionnaire.
        AlreadySubmitted: the owner already answered this request.
        RequestNotKnown: as above.
    """
    validate(answers, deps.questionnaire)
    # A monotonic deadline: the injected clock is for dates, this bounds a real wait.
    deadline = time.monotonic() + deps.answer_wait_seconds
    while True:
        left = deadline - time.monotonic()
        response_id = await _store_answer(
            deps, account_id, request_id, answers, correlation_id, last_try=left <= 0
        )
        if response_id is not None:
            return response_id
        if left <= 0:
            raise RequestNotKnown
        await deps.arrivals.wait(left)


async def _store_answer(  # the answer, whose it is, and how long to wait
    deps: Deps,
    account_id: str,
    request_id: str,
    answers: Answers,
    correlation_id: str,
    *,
    last_try: bool,
) -> str | None:
    """Store the answer if the request is the account's and open; None if it is unknown, or
    if auth's digests have not come yet and this is not the ``last_try``."""
    submitted = new_event(
        SurveySubmitted,
        account_id=account_id,
        correlation_id=correlation_id,
        occurred_at=deps.clock.now(),
        request_id=request_id,
    )
    async with deps.db.transaction() as tx:
        digests = await store.digests_for(tx, request_id)
        # Only free text needs auth's digests; an answer of ticks and ratings goes on at once.
        needs_digests = has_free_text(answers)
        if digests is None and needs_digests and not last_try:
            return None
        claimed = await store.claim(tx, request_id, account_id)
        if claimed == "unknown":
            return None
        if claimed == "answered":
            raise store.AlreadySubmitted
        theirs = _recogniser(deps, digests) if needs_digests else None
        stored = de_identify(answers, deps.clock.now().date(), deps.questionnaire.version, theirs)
        await store.drop_digests(tx, request_id)  # served: not kept a moment longer
        await store.record_submission(tx, request_id)
        response_id = deps.new_id()
        await store.insert_response(tx, response_id, stored)
        await enqueue(tx, deps.topics.survey_events, submitted, deps.clock)
    return response_id


def _recogniser(deps: Deps, digests: DigestSet | None) -> Callable[[str], bool] | None:
    if digests is None:
        log.warning("an answer came without its identifier digests: its free text is not kept")
        return None
    theirs = digests.matcher(deps.redaction_key)
    if theirs is None:
        log.warning("identifier digests made with another ADIEU_REDACTION_KEY: free text dropped")
    return theirs


async def keep_digests(deps: Deps, tx: Transaction, event: IdentifierDigestsIssued) -> None:
    """Auth's digests of the request's identifier words, kept until its answer is stored."""
    payload = event.payload
    digests = DigestSet(payload.salt, payload.digests, payload.check)
    await store.keep_digests(tx, payload.request_id, event.account_id, digests, deps.clock.now())


async def prune_digests(deps: Deps) -> int:
    """Housekeeping: drop digests of requests long over (never answered, or out of order)."""
    return await store.prune_digests(deps.db, deps.clock.now() - DIGESTS_KEPT)


async def summary_report(
    deps: Deps, *, first: date | None, last: date | None, lang: Lang
) -> Summary:
    """The operator's report over the whole ISO weeks from ``first`` to ``last``.

    Raises:
        InvalidPeriod: the period is upside down or too long.
    """
    period = period_covering(first, last, deps.clock.now().date())
    responses = await store.responses_between(deps.db, period.first, period.last)
    return summarise(responses, deps.questionnaire, period, lang)


async def await_answer(deps: Deps, tx: Transaction, event: DeletionRequested) -> None:
    """Deletion opened a request; if it asks for the questionnaire, its owner may answer."""
    if event.payload.survey_required:
        await store.await_answer(tx, event.payload.request_id, event.account_id)


async def close_request(
    deps: Deps, tx: Transaction, event: DeletionCancelled | DeletionExpired
) -> None:
    """The request was withdrawn or lapsed: its questionnaire can no longer be answered."""
    await store.close_request(tx, event.payload.request_id)


async def purge_account(deps: Deps, tx: Transaction, event: AccountPurged) -> None:
    """Answers are de-identified on arrival; only the account's open requests are erased."""
    await store.forget_owner(tx, event.account_id)
    await acknowledge_purge(tx, event, PARTICIPANT, deps.topics, deps.clock)
