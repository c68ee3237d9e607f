"""The survey's use cases, as plain async functions with their dependencies passed in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.survey import store
from services.survey.domain import Answers, de_identify, validate
from services.survey.questionnaire import Lang, Questionnaire
from services.survey.reports import Summary, period_covering, summarise
from shared.clock import Clock
from shared.db import Database, Transaction
from shared.events import AccountPurged, SurveySubmitted, new_event
from shared.ids import IdFactory, random_id
from shared.outbox import enqueue
from shared.participant import acknowledge_purge
from shared.revocation import Revocations
from shared.topics import Topics

__all__ = ["PARTICIPANT", "Deps", "purge_account", "submit_response", "summary_report"]

PARTICIPANT = "survey"


@dataclass(frozen=True)
class Deps:
    """What the survey's handlers need."""

    db: Database
    clock: Clock
    topics: Topics
    revocations: Revocations
    questionnaire: Questionnaire
    new_id: IdFactory = random_id


async def submit_response(
    deps: Deps, *, account_id: str, request_id: str, answers: Answers, correlation_id: str
) -> str:
    """Validate and store an answer, then tell deletion the survey is done (the seed's *Send*).

    The stored answer carries neither ``account_id`` nor ``request_id``; only the
    SurveySubmitted event links the request to its account, and it carries no answers.
    Deletion checks that the request is really this account's before acting on it.
    """
    validate(answers, deps.questionnaire)
    stored = de_identify(answers, deps.clock.now().date(), deps.questionnaire.version)
    submitted = new_event(
        SurveySubmitted,
        account_id=account_id,
        correlation_id=correlation_id,
        occurred_at=deps.clock.now(),
        request_id=request_id,
    )
    async with deps.db.transaction() as tx:
        await store.record_submission(tx, request_id)
        response_id = deps.new_id()
        await store.insert_response(tx, response_id, stored)
        await enqueue(tx, deps.topics.survey_events, submitted, deps.clock)
    return response_id


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


async def purge_account(deps: Deps, tx: Transaction, event: AccountPurged) -> None:
    """Answers are de-identified on arrival, so there is nothing to erase; confirm the purge."""
    await acknowledge_purge(tx, event, PARTICIPANT, deps.topics, deps.clock)
