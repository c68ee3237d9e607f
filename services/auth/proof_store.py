"""Which accounts have not yet proven their address (a sign-up waiting for its code).

A table of its own, not a new account status: an account without a row here is proven, so every
account made before sign-up with proof existed (and every account made by ``POST /v1/accounts``)
stays as it was, and no migration has to rebuild the accounts table.
"""

from __future__ import annotations

from datetime import datetime

from shared.db import Database, Transaction

__all__ = ["PROOF_SCHEMA", "is_unproven", "mark_proven", "mark_unproven"]

PROOF_SCHEMA = """
CREATE TABLE IF NOT EXISTS unproven_accounts (
    account_id TEXT PRIMARY KEY REFERENCES accounts (account_id) ON DELETE CASCADE,
    signed_up_at TEXT NOT NULL
) WITHOUT ROWID;
"""


async def mark_unproven(tx: Transaction, account_id: str, now: datetime) -> None:
    """The account waits for its address-proof code."""
    await tx.execute(
        "INSERT INTO unproven_accounts (account_id, signed_up_at) VALUES (?, ?)",
        (account_id, now.isoformat()),
    )


async def mark_proven(tx: Transaction, account_id: str) -> None:
    """The code was entered: the account is usable from now on."""
    await tx.execute("DELETE FROM unproven_accounts WHERE account_id = ?", (account_id,))


async def is_unproven(db: Database | Transaction, account_id: str) -> bool:
    """Whether the account still waits for its address-proof code."""
    sql = "SELECT 1 FROM unproven_accounts WHERE account_id = ?"
    if isinstance(db, Database):
        return await db.fetch_one(sql, (account_id,)) is not None
    cursor = await db.execute(sql, (account_id,))
    row = await cursor.fetchone()
    await cursor.close()
    return row is not None
