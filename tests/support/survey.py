"""Opening a deletion request for its questionnaire, as consuming DeletionRequested (and auth's
IdentifierDigestsIssued) would."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

from services.survey import store
from shared.db import Database
from shared.events import IdentifierDigestsIssued, new_event
from shared.identifier_digests import identifier_words, issue_digests

__all__ = ["digests_issued", "open_request"]


async def open_request(
    db: Database,
    account_id: str | None = None,
    request_id: str | None = None,
    *,
    words: Iterable[str] = (),
    key: bytes = b"",
) -> tuple[str, str]:
    """Record a request awaiting its survey in the survey's own database, with auth's digests
    of the person's identifier ``words`` under ``key``; return both ids.

    For tests of the answer itself; the tests of the consumer produce the real events.
    """
    account_id = account_id or str(uuid.uuid4())
    request_id = request_id or str(uuid.uuid4())
    async with db.transaction() as tx:
        await store.await_answer(tx, request_id, account_id)
        digests = issue_digests(key, words)
        await store.keep_digests(tx, request_id, account_id, digests, datetime.now(UTC))
    return account_id, request_id


def digests_issued(
    request_id: str,
    account_id: str,
    *,
    email: str | None = None,
    phone: str | None = None,
    username: str | None = None,
    key: bytes = b"",
) -> IdentifierDigestsIssued:
    """Auth's event for a request, as auth makes it from the account's identifiers."""
    words = identifier_words(email=email, phone=phone, username=username)
    issued = issue_digests(key, words)
    event = new_event(
        IdentifierDigestsIssued,
        account_id=account_id,
        correlation_id="c-1",
        occurred_at=datetime.now(UTC),
        request_id=request_id,
        salt=issued.salt,
        digests=issued.digests,
        check=issued.check,
    )
    assert isinstance(event, IdentifierDigestsIssued)
    return event
