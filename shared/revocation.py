"""Revoked sessions, as every token-verifying service learns them from SessionsRevoked events.

Tokens are verified locally, so a logout, a password change or a confirmed deletion reaches the
other services as an event; each keeps this small table and refuses the revoked tokens. Rows
are pruned once every token they could match has expired anyway, so no account id lingers.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from shared.clock import Clock
from shared.db import Database, Transaction
from shared.events import SessionsRevoked
from shared.tokens import AccessClaims

__all__ = ["REVOCATION_SCHEMA", "Revocations", "WithRevocations", "record_revocation"]

REVOCATION_SCHEMA = """
CREATE TABLE IF NOT EXISTS revoked_accounts (
    account_id TEXT PRIMARY KEY,
    revoked_before TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS revoked_sessions (
    session_id TEXT PRIMARY KEY,
    revoked_at TEXT NOT NULL
);
"""


def _stamp(moment: datetime) -> str:
    # Fixed-width UTC text, so comparing the strings compares the times.
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


class Revocations:
    """Records revocations and answers whether a verified token is still good."""

    def __init__(self, db: Database, clock: Clock, token_lifetime_seconds: int) -> None:
        self._db = db
        self._clock = clock
        self._lifetime = timedelta(seconds=token_lifetime_seconds)

    async def record(self, tx: Transaction, event: SessionsRevoked) -> None:
        """Apply a SessionsRevoked event inside the consumer's transaction."""
        payload = event.payload
        if payload.session_id is not None:
            await tx.execute(
                "INSERT INTO revoked_sessions (session_id, revoked_at) VALUES (?, ?)"
                " ON CONFLICT DO NOTHING",
                (payload.session_id, _stamp(payload.revoked_before)),
            )
            return
        await tx.execute(
            "INSERT INTO revoked_accounts (account_id, revoked_before) VALUES (?, ?)"
            " ON CONFLICT (account_id) DO UPDATE SET revoked_before ="
            " max(revoked_before, excluded.revoked_before)",
            # Tokens carry whole-second iat; a token minted later in the same second as the
            # revocation (the new session after a password change) must stay valid.
            (event.account_id, _stamp(payload.revoked_before.replace(microsecond=0))),
        )

    async def is_revoked(self, claims: AccessClaims) -> bool:
        """Whether the token behind ``claims`` was revoked after it was issued."""
        row = await self._db.fetch_one(
            "SELECT 1 FROM revoked_sessions WHERE session_id = ?"
            " UNION ALL SELECT 1 FROM revoked_accounts WHERE account_id = ? AND revoked_before > ?",
            (claims.session_id, claims.account_id, _stamp(claims.issued_at)),
        )
        return row is not None

    async def prune(self) -> int:
        """Forget revocations older than any token still alive; return how many went."""
        horizon = _stamp(self._clock.now() - self._lifetime - timedelta(minutes=5))
        async with self._db.transaction() as tx:
            first = await tx.execute(
                "DELETE FROM revoked_accounts WHERE revoked_before < ?", (horizon,)
            )
            second = await tx.execute(
                "DELETE FROM revoked_sessions WHERE revoked_at < ?", (horizon,)
            )
            return int(first.rowcount + second.rowcount)


class WithRevocations(Protocol):
    """The dependencies of a service that honours revocations."""

    @property
    def revocations(self) -> Revocations:
        """The service's revocation table."""
        ...


async def record_revocation(deps: WithRevocations, tx: Transaction, event: SessionsRevoked) -> None:
    """The consumer's handler for SessionsRevoked: remember it in the service's table."""
    await deps.revocations.record(tx, event)
