"""Auth's SQLite tables and queries.

No table holds an e-mail address or phone number in clear: ``accounts`` keeps a keyed digest of
each (unique, for lookups) and a ciphertext (for reading), see :mod:`services.auth.vault`.
``retired_identifiers`` holds keyed digests of the identifiers of purged accounts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.auth.domain import Account, Identifier
from services.auth.policies import Notifications
from services.auth.proof_store import PROOF_SCHEMA
from services.auth.vault import IdentifierVault
from shared.db import Database, Transaction, read_rows

__all__ = [
    "SCHEMA",
    "Profile",
    "account_shape",
    "delete_account",
    "find_account",
    "find_by_identifier",
    "find_profile",
    "identifier_in_use",
    "insert_account",
    "mark_deletion_pending",
    "retire",
    "retired",
    "save_profile",
    "update_account",
    "update_password_hash",
    "username_taken",
]


def account_shape(table: str) -> str:
    """The ``CREATE TABLE`` of accounts under ``table`` (a migration builds a copy by it)."""
    return f"""CREATE TABLE IF NOT EXISTS {table} (
    account_id TEXT PRIMARY KEY,
    email_digest TEXT,
    phone_digest TEXT,
    email_enc TEXT,
    phone_enc TEXT,
    password_hash TEXT NOT NULL,
    username TEXT,
    language TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'deletion_pending')),
    purge_deadline TEXT,
    created_at TEXT NOT NULL,
    CHECK (email_digest IS NOT NULL OR phone_digest IS NOT NULL),
    CHECK ((email_digest IS NULL) = (email_enc IS NULL)),
    CHECK ((phone_digest IS NULL) = (phone_enc IS NULL)),
    CHECK ((status = 'deletion_pending') = (purge_deadline IS NOT NULL))
) WITHOUT ROWID;"""


SCHEMA = (
    """
{ACCOUNTS}
CREATE UNIQUE INDEX IF NOT EXISTS accounts_by_email_digest ON accounts (email_digest);
CREATE UNIQUE INDEX IF NOT EXISTS accounts_by_phone_digest ON accounts (phone_digest);
CREATE UNIQUE INDEX IF NOT EXISTS accounts_by_username ON accounts (lower(username));
-- Settings beyond sign-in, kept apart so older databases need no migration of ``accounts``.
CREATE TABLE IF NOT EXISTS profiles (
    account_id TEXT PRIMARY KEY REFERENCES accounts (account_id) ON DELETE CASCADE,
    time_zone TEXT,
    picture TEXT,
    notify_email INTEGER NOT NULL DEFAULT 1,
    notify_sms INTEGER NOT NULL DEFAULT 1,
    notify_push INTEGER NOT NULL DEFAULT 1,
    notify_marketing INTEGER NOT NULL DEFAULT 0,
    notify_ads INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS retired_identifiers (
    digest TEXT PRIMARY KEY
) WITHOUT ROWID;
""".replace("{ACCOUNTS}", account_shape("accounts"))
    + PROOF_SCHEMA
)

_COLUMNS = (
    "account_id, email_enc, phone_enc, password_hash, username, language, status, purge_deadline"
)
# The column is chosen from a fixed pair, never from input.
_LOOKUP = {
    "email": f"SELECT {_COLUMNS} FROM accounts WHERE email_digest = ?",  # noqa: S608  # constant
    "phone": f"SELECT {_COLUMNS} FROM accounts WHERE phone_digest = ?",  # noqa: S608  # constant
}


def _account(row: Any, vault: IdentifierVault) -> Account:
    account_id, deadline = row["account_id"], row["purge_deadline"]
    return Account(
        account_id=account_id,
        email=vault.open(row["email_enc"], account_id),
        phone=vault.open(row["phone_enc"], account_id),
        password_hash=row["password_hash"],
        username=row["username"],
        language=row["language"],
        status=row["status"],
        purge_deadline=datetime.fromisoformat(deadline) if deadline else None,
    )


def _sealed(vault: IdentifierVault, account: Account) -> tuple[str | None, ...]:
    """``email_digest, phone_digest, email_enc, phone_enc`` of the account, in that order."""
    return (
        vault.digest_of(account.email),
        vault.digest_of(account.phone),
        vault.seal(account.email, account.account_id),
        vault.seal(account.phone, account.account_id),
    )


async def insert_account(
    tx: Transaction, vault: IdentifierVault, account: Account, created_at: datetime
) -> None:
    """Store a new account, its identifiers as digests and ciphertexts only."""
    await tx.execute(
        "INSERT INTO accounts (account_id, email_digest, phone_digest, email_enc, phone_enc,"
        " password_hash, username, language, status, purge_deadline, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            account.account_id,
            *_sealed(vault, account),
            account.password_hash,
            account.username,
            account.language,
            account.status,
            account.purge_deadline.isoformat() if account.purge_deadline else None,
            created_at.isoformat(),
        ),
    )


async def identifier_in_use(
    tx: Transaction, vault: IdentifierVault, identifier: Identifier
) -> bool:
    """Whether an account already has ``identifier``."""
    cursor = await tx.execute(_LOOKUP[identifier.kind], (vault.digest(identifier),))
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


async def find_by_identifier(
    db: Database, vault: IdentifierVault, identifier: Identifier
) -> Account | None:
    """The account signing in with ``identifier``, if any."""
    row = await db.fetch_one(_LOOKUP[identifier.kind], (vault.digest(identifier),))
    return _account(row, vault) if row is not None else None


async def find_account(
    db: Database | Transaction, vault: IdentifierVault, account_id: str
) -> Account | None:
    """The account with ``account_id``, if it still exists (on its own or in a transaction)."""
    rows = await read_rows(
        db,
        f"SELECT {_COLUMNS} FROM accounts WHERE account_id = ?",  # noqa: S608  # constant columns
        (account_id,),
    )
    return _account(rows[0], vault) if rows else None


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


async def delete_account(
    tx: Transaction, vault: IdentifierVault, account_id: str
) -> Account | None:
    """Delete the account row and return what it held (for its digests); None if it was gone."""
    cursor = await tx.execute(
        f"DELETE FROM accounts WHERE account_id = ? RETURNING {_COLUMNS}",  # noqa: S608  # constant columns
        (account_id,),
    )
    row = await cursor.fetchone()
    await cursor.close()
    return _account(row, vault) if row is not None else None


async def update_account(tx: Transaction, vault: IdentifierVault, account: Account) -> None:
    """Store an account's changed identifiers, password hash, username and language."""
    await tx.execute(
        "UPDATE accounts SET email_digest = ?, phone_digest = ?, email_enc = ?, phone_enc = ?,"
        " password_hash = ?, username = ?, language = ? WHERE account_id = ?",
        (
            *_sealed(vault, account),
            account.password_hash,
            account.username,
            account.language,
            account.account_id,
        ),
    )


async def username_taken(tx: Transaction, username: str, account_id: str) -> bool:
    """Whether another account has ``username`` (compared case-insensitively)."""
    cursor = await tx.execute(
        "SELECT 1 FROM accounts WHERE lower(username) = lower(?) AND account_id != ?",
        (username, account_id),
    )
    row = await cursor.fetchone()
    await cursor.close()
    return row is not None


@dataclass(frozen=True)
class Profile:
    """Settings beyond sign-in; defaults until the person changes one."""

    time_zone: str | None = None
    picture: str | None = None
    notifications: Notifications = field(default_factory=Notifications)


_PROFILE = (
    "SELECT time_zone, picture, notify_email, notify_sms, notify_push, notify_marketing,"
    " notify_ads FROM profiles WHERE account_id = ?"
)


async def find_profile(db: Database | Transaction, account_id: str) -> Profile:
    """The account's settings (defaults if never changed)."""
    if isinstance(db, Database):
        row = await db.fetch_one(_PROFILE, (account_id,))
    else:
        cursor = await db.execute(_PROFILE, (account_id,))
        row = await cursor.fetchone()
        await cursor.close()
    if row is None:
        return Profile()
    return Profile(
        time_zone=row["time_zone"],
        picture=row["picture"],
        notifications=Notifications(
            email=bool(row["notify_email"]),
            sms=bool(row["notify_sms"]),
            push=bool(row["notify_push"]),
            marketing=bool(row["notify_marketing"]),
            ads=bool(row["notify_ads"]),
        ),
    )


async def save_profile(tx: Transaction, account_id: str, profile: Profile) -> None:
    """Store the account's settings."""
    n = profile.notifications
    await tx.execute(
        "INSERT INTO profiles (account_id, time_zone, picture, notify_email, notify_sms,"
        " notify_push, notify_marketing, notify_ads) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (account_id) DO UPDATE SET time_zone = excluded.time_zone,"
        " picture = excluded.picture, notify_email = excluded.notify_email,"
        " notify_sms = excluded.notify_sms, notify_push = excluded.notify_push,"
        " notify_marketing = excluded.notify_marketing, notify_ads = excluded.notify_ads",
        (
            account_id,
            profile.time_zone,
            profile.picture,
            *(n.email, n.sms, n.push, n.marketing, n.ads),
        ),
    )
