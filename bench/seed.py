"""Backlogs for the benchmarks, made through the services' own domain and store code.

A scheduled request is walked through deletion's state machine (open → code issued → code
confirmed with the grace that puts its purge at the wanted moment) and written with
``store.insert``; a contact goes through the notifier's ``upsert_contact`` with its address
encrypted as auth's event would carry it. Rows go in transactions of a few thousand, which is
how a long-running shop's file would look after its own (single) transactions.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from services.auth import handlers as auth_handlers
from services.auth.app import bootstrap as bootstrap_auth
from services.auth.config import Settings as AuthSettings
from services.auth.domain import Registration
from services.auth.passwords import Passwords
from services.deletion import store
from services.deletion.code_rules import CodePolicy
from services.deletion.database import DeletionDatabase
from services.deletion.domain import DeletionRequest
from services.notifier import keys as notifier_keys
from services.notifier import store as notifier_store
from services.notifier.domain import Contact
from services.notifier.keys import Keyring
from shared.clock import SystemClock
from shared.db import Database
from shared.shredding import seal_field
from shared.topics import Topics

__all__ = ["address_of", "seed_accounts", "seed_contacts", "seed_rows", "seed_scheduled"]

_CHUNK = 5000
_POLICY = CodePolicy(ttl_seconds=600, max_attempts=5)


def address_of(account_id: str) -> str:
    """The e-mail address the bench gives an account."""
    return f"bench-{account_id[:16]}@example.com"


def _scheduled(account_id: str, purge_at: datetime) -> DeletionRequest:
    opened_at = purge_at - timedelta(minutes=2)
    request = DeletionRequest.open(
        request_id=str(uuid.uuid4()),
        account_id=account_id,
        channel="email",
        correlation_id=str(uuid.uuid4()),
        now=opened_at,
        survey_required=False,
    )
    request = request.issue_code("bench-code-hash", opened_at)
    # Confirmed at the purge moment with no grace: purge_at is exactly that moment.
    scheduled, _ = request.confirm(matches=True, now=purge_at, policy=_POLICY, grace=timedelta())
    return scheduled


async def seed_scheduled(path: Path, plan: Iterable[tuple[str, datetime]]) -> int:
    """Write a scheduled request per ``(account_id, purge_at)``; return how many."""
    db = DeletionDatabase(path)
    await db.open()
    written = 0
    try:
        batch: list[tuple[str, datetime]] = []
        for item in plan:
            batch.append(item)
            if len(batch) == _CHUNK:
                written += await _insert(db, batch)
                batch = []
        written += await _insert(db, batch)
    finally:
        await db.close()
    return written


async def _insert(db: Database, batch: Sequence[tuple[str, datetime]]) -> int:
    now = datetime.now(UTC)
    async with db.transaction() as tx:
        for account_id, purge_at in batch:
            await store.insert(tx, _scheduled(account_id, purge_at), now)
    return len(batch)


async def seed_contacts(db: Database, wrapping_key: bytes, accounts: Sequence[str]) -> None:
    """Give the notifier a key and an English e-mail contact (sealed to it) for each account,
    as its own AccountRegistered handling and auth's event would."""
    keyring, clock, topics = Keyring(wrapping_key), SystemClock(), Topics("bench.")
    now = datetime.now(UTC)
    for start in range(0, len(accounts), _CHUNK):
        async with db.transaction() as tx:
            for account_id in accounts[start : start + _CHUNK]:
                await notifier_keys.ensure_key(tx, keyring, topics, clock, account_id, "seed")
                cursor = await tx.execute(
                    "SELECT public_key FROM account_keys WHERE account_id = ?", (account_id,)
                )
                row = await cursor.fetchone()
                await cursor.close()
                assert row is not None
                sealed = seal_field(row["public_key"], address_of(account_id), account_id)
                contact = Contact(account_id, "en", sealed, None)
                await notifier_store.upsert_contact(tx, contact, now)
            # The keys were announced (NotificationKeyIssued) long before these accounts'
            # purges came due: what the backlog's notifier has is an empty outbox.
            await tx.execute("DELETE FROM outbox")


async def seed_rows(db: Database, sql: str, rows: Sequence[tuple[object, ...]]) -> None:
    """A participant's own data: ``sql`` (its insert) once per row, in chunks."""
    for start in range(0, len(rows), _CHUNK):
        async with db.transaction() as tx:
            await tx.executemany(sql, rows[start : start + _CHUNK])


class _OneHash(Passwords):
    """One real argon2 hash for every account: sign-up's cost is not on the deletion path."""

    def __init__(self, stored: str) -> None:
        super().__init__()
        self._stored = stored

    async def hash(self, password: str) -> str:
        return self._stored


@contextmanager
def _environment(env: Mapping[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


async def seed_accounts(
    env: Mapping[str, str], addresses: Sequence[str], password: str
) -> list[str]:
    """Register accounts through auth's own handler (its outbox announces each contact).

    Run before auth starts: its relay then publishes the AccountRegistered and encrypted
    ContactDetailsChanged events, and the notifier learns every address as it would.
    """
    with _environment(env):
        settings = AuthSettings()
    stored = await Passwords().hash(password)
    service = bootstrap_auth(settings, passwords=_OneHash(stored))
    deps = service.deps
    await deps.db.open()
    try:
        return [
            await auth_handlers.register(
                deps,
                Registration(
                    email=address, phone=None, password=password, username=None, language="en"
                ),
                correlation_id=str(uuid.uuid4()),
            )
            for address in addresses
        ]
    finally:
        await deps.db.close()
