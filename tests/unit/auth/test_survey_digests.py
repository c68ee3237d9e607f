"""Auth tells the survey the digests of a requester's identifier words, and nothing else."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import cast

from services.auth import handlers, survey_digests
from services.auth.domain import registration
from shared.events import DeletionRequested, IdentifierDigestsIssued, decode_event, new_event
from shared.identifier_digests import DigestSet, redact_words

KEY = bytes(range(32))
WHEN = datetime(2026, 1, 1, tzinfo=UTC)


def _requested(account_id: str, *, survey: bool) -> DeletionRequested:
    event = new_event(
        DeletionRequested,
        account_id=account_id,
        correlation_id="c",
        occurred_at=WHEN,
        request_id="r-1",
        channel="email",
        survey_required=survey,
    )
    return cast(DeletionRequested, event)


async def _published(deps: handlers.Deps) -> list[bytes]:
    rows = await deps.db.fetch_all(
        "SELECT value FROM outbox WHERE event_type = 'IdentifierDigestsIssued'"
    )
    return [bytes(row["value"]) for row in rows]


async def test_a_request_with_the_questionnaire_gets_digests_only(deps: handlers.Deps) -> None:
    deps = replace(deps, redaction_key=KEY)
    details = registration(
        email="Kari@Example.com",
        phone="41234567",
        password="correct horse battery",
        username="Kari_N-85",
        language="nb",
        region="NO",
    )
    account_id = await handlers.register(deps, details, correlation_id="c")
    async with deps.db.transaction() as tx:
        await survey_digests.issue_for_survey(deps, tx, _requested(account_id, survey=False))
    assert await _published(deps) == []
    async with deps.db.transaction() as tx:
        await survey_digests.issue_for_survey(deps, tx, _requested(account_id, survey=True))
    (raw,) = await _published(deps)
    for trace in (b"kari", b"Kari", b"41234567", b"example"):
        assert trace not in raw
    event = decode_event(raw)
    assert isinstance(event, IdentifierDigestsIssued)
    assert (event.account_id, event.payload.request_id) == (account_id, "r-1")
    # What the survey can do with them: recognise the words, with the shared key only.
    digests = DigestSet(event.payload.salt, event.payload.digests, event.payload.check)
    theirs = digests.matcher(KEY)
    assert theirs is not None
    assert redact_words("hei, kari n 85 her, 412 34 567", theirs, "-") == "hei, - her, -"
    assert digests.matcher(bytes(32)) is None


async def test_an_unknown_account_gets_no_digests(deps: handlers.Deps) -> None:
    async with deps.db.transaction() as tx:
        await survey_digests.issue_for_survey(deps, tx, _requested("gone", survey=True))
    assert await _published(deps) == []
