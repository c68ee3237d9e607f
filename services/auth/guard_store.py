"""Auth's tables for one-time codes and failed sign-ins.

Codes are kept only as keyed hashes. Throttle scopes are keyed hashes of a login or a client
address, or an opaque account id, so this table names no person either.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.auth.policies import StoredCode
from shared.db import Database, Transaction

__all__ = [
    "GUARD_SCHEMA",
    "delete_code",
    "delete_codes_of",
    "failure_record",
    "find_code",
    "forget_failures",
    "forget_failures_of",
    "lapse_reservations",
    "prune_expired_codes",
    "put_code",
    "put_reservation",
    "record_failure",
    "refund_failure",
    "settle_reservation",
    "spend_attempt",
]

GUARD_SCHEMA = """
CREATE TABLE IF NOT EXISTS one_time_codes (
    account_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    code_id TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    attempts_left INTEGER NOT NULL,
    pending_enc TEXT,
    PRIMARY KEY (account_id, purpose)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS login_failures (
    scope TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_failure TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS login_reservations (
    reservation_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    reserved_at TEXT NOT NULL,
    PRIMARY KEY (reservation_id, scope)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS login_reservations_by_scope ON login_reservations (scope, reserved_at);
"""


async def _one(tx: Transaction, sql: str, params: tuple[Any, ...]) -> Any:
    cursor = await tx.execute(sql, params)
    row = await cursor.fetchone()
    await cursor.close()
    return row


async def find_code(tx: Transaction, account_id: str, purpose: str) -> StoredCode | None:
    """The waiting code of ``purpose`` for the account, if any."""
    row = await _one(
        tx,
        "SELECT code_id, code_hash, sent_at, expires_at, attempts_left, pending_enc"
        " FROM one_time_codes WHERE account_id = ? AND purpose = ?",
        (account_id, purpose),
    )
    if row is None:
        return None
    return StoredCode(
        account_id=account_id,
        purpose=purpose,
        code_id=row["code_id"],
        code_hash=row["code_hash"],
        sent_at=datetime.fromisoformat(row["sent_at"]),
        expires_at=datetime.fromisoformat(row["expires_at"]),
        attempts_left=row["attempts_left"],
        pending_enc=row["pending_enc"],
    )


async def put_code(tx: Transaction, code: StoredCode) -> None:
    """Store a new code, replacing any earlier one of the same purpose."""
    await tx.execute(
        "INSERT OR REPLACE INTO one_time_codes (account_id, purpose, code_id, code_hash,"
        " sent_at, expires_at, attempts_left, pending_enc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            code.account_id,
            code.purpose,
            code.code_id,
            code.code_hash,
            code.sent_at.isoformat(),
            code.expires_at.isoformat(),
            code.attempts_left,
            code.pending_enc,
        ),
    )


async def spend_attempt(tx: Transaction, account_id: str, purpose: str) -> None:
    """Count one wrong try against the waiting code."""
    await tx.execute(
        "UPDATE one_time_codes SET attempts_left = attempts_left - 1"
        " WHERE account_id = ? AND purpose = ?",
        (account_id, purpose),
    )


async def delete_code(tx: Transaction, account_id: str, purpose: str) -> None:
    """Remove the code (used, expired or burned)."""
    await tx.execute(
        "DELETE FROM one_time_codes WHERE account_id = ? AND purpose = ?", (account_id, purpose)
    )


async def delete_codes_of(tx: Transaction, account_id: str) -> None:
    """Remove every code of the account (at purge)."""
    await tx.execute("DELETE FROM one_time_codes WHERE account_id = ?", (account_id,))


async def failure_record(tx: Transaction, scope: str) -> tuple[int, datetime | None]:
    """Failures counted for ``scope`` and when the last one was."""
    row = await _one(
        tx, "SELECT failures, last_failure FROM login_failures WHERE scope = ?", (scope,)
    )
    if row is None:
        return 0, None
    return int(row["failures"]), datetime.fromisoformat(row["last_failure"])


async def record_failure(tx: Transaction, scope: str, failures: int, at: datetime) -> None:
    """Set the scope's count of failures (already including this one) and its time."""
    await tx.execute(
        "INSERT INTO login_failures (scope, failures, last_failure) VALUES (?, ?, ?)"
        " ON CONFLICT (scope) DO UPDATE SET failures = excluded.failures,"
        " last_failure = excluded.last_failure",
        (scope, failures, at.isoformat()),
    )


async def forget_failures(tx: Transaction, scope: str) -> None:
    """Clear the scope's failures (after a successful sign-in, or at purge)."""
    await tx.execute("DELETE FROM login_failures WHERE scope = ?", (scope,))


async def refund_failure(tx: Transaction, scope: str) -> None:
    """Give back one reserved attempt (the password turned out right)."""
    await tx.execute(
        "UPDATE login_failures SET failures = MAX(failures - 1, 0) WHERE scope = ?", (scope,)
    )


async def put_reservation(
    tx: Transaction, reservation_id: str, scopes: list[str], at: datetime
) -> None:
    """Remember that ``reservation_id`` counted one attempt against each of ``scopes``."""
    for scope in scopes:
        await tx.execute(
            "INSERT INTO login_reservations (reservation_id, scope, reserved_at) VALUES (?, ?, ?)",
            (reservation_id, scope, at.isoformat()),
        )


async def settle_reservation(tx: Transaction, reservation_id: str) -> bool:
    """Forget the reservation (its check ended); False if it had lapsed already."""
    cursor = await tx.execute(
        "DELETE FROM login_reservations WHERE reservation_id = ?", (reservation_id,)
    )
    return cursor.rowcount > 0


async def lapse_reservations(tx: Transaction, scope: str, reserved_before: datetime) -> int:
    """Give back the attempts of ``scope``'s reservations older than ``reserved_before``."""
    cursor = await tx.execute(
        "DELETE FROM login_reservations WHERE scope = ? AND reserved_at < ?",
        (scope, reserved_before.isoformat()),
    )
    lapsed = max(cursor.rowcount, 0)
    if lapsed:
        await tx.execute(
            "UPDATE login_failures SET failures = MAX(failures - ?, 0) WHERE scope = ?",
            (lapsed, scope),
        )
    return lapsed


async def forget_failures_of(tx: Transaction, account_scope: str) -> None:
    """Clear ``account_scope`` and every scope of that account from one address or all."""
    prefix = account_scope + "|"
    await tx.execute(
        "DELETE FROM login_failures WHERE scope = ? OR substr(scope, 1, ?) = ?",
        (account_scope, len(prefix), prefix),
    )


async def prune_expired_codes(db: Database, expired_before: datetime) -> int:
    """Remove every code that expired before ``expired_before``; return how many."""
    async with db.transaction() as tx:
        cursor = await tx.execute(
            "DELETE FROM one_time_codes WHERE expires_at < ?", (expired_before.isoformat(),)
        )
        return cursor.rowcount
