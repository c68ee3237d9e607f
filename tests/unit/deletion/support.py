"""Deletion's handlers wired to a real SQLite file, a frozen clock and a known code."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from services.deletion import handlers
from services.deletion.database import DeletionDatabase
from services.deletion.domain import CodePolicy, DeletionRequest
from shared.clock import FrozenClock
from shared.codes import CodeHasher
from shared.crypto import FieldCipher, decode_key, new_key
from shared.events import Event, decode_event
from shared.recipient_keys import Sealer
from shared.revocation import Revocations
from shared.topics import Topics
from tests.support.account_keys import AccountKeys

__all__ = ["KEYS", "frozen_clock", "handler_deps", "open_request", "outbox_events"]


@asynccontextmanager
async def handler_deps(
    tmp_path: Path, code: str, *, participants: tuple[str, ...], **policy: Any
) -> AsyncIterator[handlers.Deps]:
    """Deps over a fresh database; ``policy`` sets Policy fields, ``signer`` the receipt key."""
    signer = policy.pop("signer", None)
    db = DeletionDatabase(tmp_path / "deletion.sqlite3")
    await db.open()
    key = decode_key(new_key())
    clock = FrozenClock()
    try:
        yield handlers.Deps(
            db=db,
            clock=clock,
            topics=Topics("u."),
            policy=handlers.Policy(
                **{
                    "survey_required": True,
                    "grace_seconds": 86400,
                    "participants": participants,
                    "reauth_max_age_seconds": 300,
                    "code": CodePolicy(ttl_seconds=600, max_attempts=5),
                    **policy,
                }
            ),
            hasher=CodeHasher(key, handlers.CODE_PURPOSE),
            sealer=Sealer(holding=FieldCipher(decode_key(new_key())), clock=clock),
            account_key=key,
            new_code=lambda: code,
            revocations=Revocations(db, FrozenClock(), 3600),
            signer=signer,
        )
    finally:
        await db.close()


def frozen_clock(deps: handlers.Deps) -> FrozenClock:
    """The test's clock, to move."""
    assert isinstance(deps.clock, FrozenClock)
    return deps.clock


async def outbox_events(deps: handlers.Deps, event_type: str) -> list[Event]:
    """The ``event_type`` events queued so far, in order."""
    rows = await deps.db.fetch_all("SELECT value FROM outbox ORDER BY seq")
    return [e for e in (decode_event(r["value"]) for r in rows) if e.event_type == event_type]


# Stands in for the notifier: the account keys deletion seals codes to, and opens them with.
KEYS = AccountKeys()


async def open_request(deps: handlers.Deps, account_id: str) -> DeletionRequest:
    """A request of ``account_id`` (whose notification key deletion knows), opened now."""
    await KEYS.give(deps.db, deps.sealer, account_id)
    return await handlers.request_deletion(
        deps,
        account_id=account_id,
        authenticated_at=deps.clock.now(),
        channel="email",
        correlation_id="c",
    )
