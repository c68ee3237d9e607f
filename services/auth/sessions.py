"""Ending sessions: the revocation every service honours, and the bearer's own logout."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.db import Transaction
from shared.events import RevocationReason, SessionsRevoked, new_event
from shared.outbox import enqueue
from shared.tokens import AccessClaims

if TYPE_CHECKING:
    from services.auth.deps import Deps

__all__ = ["logout", "revoke_sessions"]


async def revoke_sessions(
    deps: Deps,
    tx: Transaction,
    account_id: str,
    reason: RevocationReason,
    *,
    correlation_id: str,
    session_id: str | None = None,
) -> None:
    """End every session of the account (or just ``session_id``), here and everywhere.

    Auth records the revocation in its own table in the same transaction that enqueues
    SessionsRevoked, rather than consuming its own event: its bearer check refuses the
    token the moment the change commits, with no window while the event travels.
    """
    now = deps.clock.now()
    event: SessionsRevoked = new_event(  # type: ignore[assignment]  # new_event returns Event
        SessionsRevoked,
        account_id=account_id,
        correlation_id=correlation_id,
        occurred_at=now,
        revoked_before=now,
        reason=reason,
        session_id=session_id,
    )
    await deps.revocations.record(tx, event)
    await enqueue(tx, deps.topics.auth_events, event, deps.clock)


async def logout(deps: Deps, claims: AccessClaims, *, correlation_id: str) -> None:
    """End the bearer's session (this token and its re-authenticated successors)."""
    async with deps.db.transaction() as tx:
        await revoke_sessions(
            deps,
            tx,
            claims.account_id,
            "logout",
            correlation_id=correlation_id,
            session_id=claims.session_id,
        )
