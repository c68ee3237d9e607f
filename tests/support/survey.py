"""Opening a deletion request for its questionnaire, as consuming DeletionRequested would."""

from __future__ import annotations

import uuid

from services.survey import store
from shared.db import Database

__all__ = ["open_request"]


async def open_request(
    db: Database, account_id: str | None = None, request_id: str | None = None
) -> tuple[str, str]:
    """Record a request awaiting its survey in the survey's own database; return both ids.

    For tests of the answer itself; the tests of the consumer produce the real event.
    """
    account_id = account_id or str(uuid.uuid4())
    request_id = request_id or str(uuid.uuid4())
    async with db.transaction() as tx:
        await store.await_answer(tx, request_id, account_id)
    return account_id, request_id
