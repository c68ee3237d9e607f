"""Rolling limits: at most ``limit`` events of one kind per scope in any ``window_seconds``.

A per-code or per-request limit can be reset by asking for a new code or opening a new request;
these limits count per *account* (the scope), so they hold whatever the number of codes or
requests. Each counted event is one row; the wait is until the oldest event that keeps the
scope at its limit leaves the window. Rows are written in the caller's transaction, so a count
commits (or rolls back) with the effect it limits, and ``BEGIN IMMEDIATE`` orders concurrent
callers.

Times are stored as fixed-width UTC text, so comparing the text compares the instants.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shared.db import Database, Transaction

__all__ = [
    "ROLLING_SCHEMA",
    "LimitReached",
    "RollingLimit",
    "ensure_room",
    "forget",
    "prune",
    "record",
    "wait_seconds",
]

ROLLING_SCHEMA = """
CREATE TABLE IF NOT EXISTS rolling_events (
    scope TEXT NOT NULL,
    kind TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rolling_events_scope ON rolling_events (scope, kind, at);
CREATE INDEX IF NOT EXISTS rolling_events_at ON rolling_events (at);
"""


@dataclass(frozen=True)
class RollingLimit:
    """At most ``limit`` events of ``kind`` per scope within any ``window_seconds``."""

    kind: str
    limit: int
    window_seconds: int = 86400


class LimitReached(Exception):
    """The scope had its ``limit`` of ``kind`` events; one more fits in ``retry_after`` s."""

    def __init__(self, kind: str, retry_after: int) -> None:
        super().__init__(f"{kind}: retry after {retry_after} s")
        self.kind = kind
        self.retry_after = retry_after


def _text(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _instant(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


async def wait_seconds(tx: Transaction, scope: str, rule: RollingLimit, now: datetime) -> int:
    """Seconds until one more ``rule.kind`` event fits for ``scope``; 0 means now."""
    since = _text(now - timedelta(seconds=rule.window_seconds))
    # The limit-th newest event in the window: once it leaves, the count is below the limit.
    cursor = await tx.execute(
        "SELECT at FROM rolling_events WHERE scope = ? AND kind = ? AND at > ?"
        " ORDER BY at DESC LIMIT 1 OFFSET ?",
        (scope, rule.kind, since, rule.limit - 1),
    )
    row = await cursor.fetchone()
    await cursor.close()
    if row is None:
        return 0
    frees_at = _instant(row[0]) + timedelta(seconds=rule.window_seconds)
    return max(1, math.ceil((frees_at - now).total_seconds()))


async def ensure_room(tx: Transaction, scope: str, rule: RollingLimit, now: datetime) -> None:
    """Raise :class:`LimitReached` unless one more ``rule.kind`` event fits for ``scope``."""
    wait = await wait_seconds(tx, scope, rule, now)
    if wait > 0:
        raise LimitReached(rule.kind, wait)


async def record(tx: Transaction, scope: str, rule: RollingLimit, now: datetime) -> None:
    """Count one ``rule.kind`` event for ``scope`` at ``now`` (older ones are dropped)."""
    since = _text(now - timedelta(seconds=rule.window_seconds))
    await tx.execute(
        "DELETE FROM rolling_events WHERE scope = ? AND kind = ? AND at <= ?",
        (scope, rule.kind, since),
    )
    await tx.execute(
        "INSERT INTO rolling_events (scope, kind, at) VALUES (?, ?, ?)",
        (scope, rule.kind, _text(now)),
    )


async def forget(tx: Transaction, scope: str) -> None:
    """Drop every event of ``scope`` (the account was purged)."""
    await tx.execute("DELETE FROM rolling_events WHERE scope = ?", (scope,))


async def prune(db: Database, now: datetime, window_seconds: int) -> int:
    """Drop every event older than ``window_seconds`` (periodic housekeeping); return how many."""
    async with db.transaction() as tx:
        cursor = await tx.execute(
            "DELETE FROM rolling_events WHERE at <= ?",
            (_text(now - timedelta(seconds=window_seconds)),),
        )
        return cursor.rowcount
