"""Auth's SQLite tables and queries.

``accounts`` holds the only clear-text copies of a person's e-mail address and phone number on
the platform. ``retired_identifiers`` holds keyed digests of the identifiers of purged accounts,
never the identifiers themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from services.auth.domain import Account, Identifier
from shared.db import Database, Transaction

__all__ = [
    "SCHEMA",
    "delete_account",
    "find_account",
    "find_by_identifier",
    "identifier_in_use",
    "insert_account",
    "mark_deletion_pending",
    "retire",
    "retired",
    "update_password_hash",
]

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    account_id TEXT PRIMARY KEY,
    email TEXT,
    phone TEXT,
    password_hash TEXT NOT NULL,
    username TEXT,
    language TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'deletion_pending')),
    purge_deadline TEXT,
    created_at TEXT NOT NULL,
    CHECK (email IS NOT NULL OR phone IS NOT NULL),
    CHECK ((status = 'deletion_pending') = (purge_deadline IS NOT NULL))
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS accounts_by_email ON accounts (email);
CREATE UNIQUE INDEX IF NOT EXISTS accounts_by_phone ON accounts (phone);
CREATE TABLE IF NOT EXISTS retired_identifiers (
    digest TEXT PRIMARY KEY
) WITHOUT ROWID;
"""

_COLUMNS = "account_id, email, phone, password_hash, username, language, status, purge_deadline"
# The column is chosen from a fixed pair, never from input.
_LOOKUP = {
    "email": f"SELECT {_COLUMNS} FROM accounts WHERE email = ?",  # noqa: S608  # constant
    "phone": f"SELECT {_COLUMNS} FROM accounts WHERE phone = ?",  # noqa: S608  # constant
}


def _account(row: Any) -> Account:
    deadline = row["purge_deadline"]
    return Account(
        account_id=row["account_id"],
        email=row["email"],
        phone=row["phone"],
        password_hash=row["password_hash"],
        username=row["username"],
        language=row["language"],
        status=row["status"],
        purge_deadline=datetime.fromisoformat(deadline) if deadline else None,
    )


async def insert_account(tx: Transaction, account: Account, created_at: datetime) -> None:
    """Store a new account."""
    await tx.execute(
        f"INSERT INTO accounts ({_COLUMNS}, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608  # constant columns
        (
            account.account_id,
            account.email,
            account.phone,
            account.password_hash,
            account.username,
            account.language,
            account.status,
            account.purge_deadline.isoformat() if account.purge_deadline else None,
            created_at.isoformat(),
        ),
    )


async def identifier_in_use(tx: Transaction, identifier: Identifier) -> bool:
    """Whether an account already has ``identifier``."""
    cursor = await tx.execute(_LOOKUP[identifier.kind], (identifier.value,))
    row = await cursor.fetchone()
    await cursor.close()
    return row is not None


async def retired(tx: Transaction, digest: str) -> bool:
    """Whether ``digest`` is the digest of a purged account's identifier."""
    cursor = await tx.execute("SELECT 1 FROM retired_identifiers WHERE digest = ?", (digest,))
    row = await cursor.fetchone()
    await cursor.close()
    return row is not None


async def retire(tx: Transaction, digests: Iterable[str]) -> None:
    """Remember identifiers of a purged account by digest."""
    await tx.executemany(
        "INSERT INTO retired_identifiers (digest) VALUES (?) ON CONFLICT DO NOTHING",
        [(digest,) for digest in digests],
    )


async def find_by_identifier(db: Database, identifier: Identifier) -> Account | None:
    """The account signing in with ``identifier``, if any."""
    row = await db.fetch_one(_LOOKUP[identifier.kind], (identifier.value,))
    return _account(row) if row is not None else None


async def find_account(db: Database, account_id: str) -> Account | None:
    """The account with ``account_id``, if it still exists."""
    row = await db.fetch_one(
        f"SELECT {_COLUMNS} FROM accounts WHERE account_id = ?",  # noqa: S608  # constant columns
        (account_id,),
    )
    return _account(row) if row is not None else None


async def update_password_hash(db: Database, account_id: str, password_hash: str) -> None:
    """Replace an account's password hash (after a rehash with current parameters)."""
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE accounts SET password_hash = ? WHERE account_id = ?",
            (password_hash, account_id),
        )


async def mark_deletion_pending(tx: Transaction, account_id: str, purge_deadline: datetime) -> bool:
    """Put the account in ``deletion_pending`` until ``purge_deadline``; False if it is gone."""
    cursor = await tx.execute(
        "UPDATE accounts SET status = 'deletion_pending', purge_deadline = ? WHERE account_id = ?",
        (purge_deadline.isoformat(), account_id),
    )
    updated = cursor.rowcount
    await cursor.close()
    return updated > 0


async def delete_account(tx: Transaction, account_id: str) -> Account | None:
    """Delete the account row and return what it held (for its digests); None if it was gone."""
    cursor = await tx.execute(
        f"DELETE FROM accounts WHERE account_id = ? RETURNING {_COLUMNS}",  # noqa: S608  # constant columns
        (account_id,),
    )
    row = await cursor.fetchone()
    await cursor.close()
    return _account(row) if row is not None else None
