"""Auth's schema migrations, run by :class:`shared.db.Database` on an older file.

Version 1 takes the clear e-mail addresses and phone numbers out of ``accounts``: each becomes a
lookup digest and a ciphertext (see :mod:`services.auth.vault`).
"""

from __future__ import annotations

from services.auth.store import account_shape
from services.auth.vault import IdentifierVault
from shared.db import Migration, MigrationStep, Transaction

__all__ = ["migrations"]

_OLD_COLUMNS = (
    "account_id, email, phone, password_hash, username, language, status, purge_deadline,"
    " created_at"
)
# Pending address changes held the new address under the notification key; they last minutes,
# so they are dropped rather than re-encrypted (the person asks for a new code).
_PENDING_PURPOSES = ("email_change", "phone_change")


def migrations(vault: IdentifierVault) -> list[Migration]:
    """Every migration of auth's database, in order; steps that need keys get them here."""
    return [(1, _seal_identifiers(vault))]


async def _columns(tx: Transaction, table: str) -> set[str]:
    cursor = await tx.execute("SELECT name FROM pragma_table_info(?)", (table,))
    names = {row[0] for row in await cursor.fetchall()}
    await cursor.close()
    return names


def _seal_identifiers(vault: IdentifierVault) -> MigrationStep:
    """Rebuild ``accounts`` with digests and ciphertexts in place of the clear columns.

    The table is rebuilt rather than altered: the old columns carry UNIQUE indexes and a CHECK
    that one of them is set, so they could neither be dropped nor emptied. ``secure_delete`` is
    on, so the dropped table's pages are overwritten with zeros, not just unlinked.
    """

    async def step(tx: Transaction) -> None:
        if "email" not in await _columns(tx, "accounts"):
            return  # no accounts table yet (the schema makes it) or already converted
        await tx.execute(account_shape("accounts_sealed"))
        await _copy_sealed(tx, vault)
        has_profiles = bool(await _columns(tx, "profiles"))
        if has_profiles:
            # With foreign keys on (they cannot be switched off inside the migration's
            # transaction), dropping accounts cascades to profiles: keep them aside meanwhile.
            await tx.execute("CREATE TEMP TABLE saved_profiles AS SELECT * FROM main.profiles")
        await tx.execute("DROP TABLE accounts")  # its indexes go with it
        await tx.execute("ALTER TABLE accounts_sealed RENAME TO accounts")
        if has_profiles:
            await tx.execute("INSERT INTO main.profiles SELECT * FROM temp.saved_profiles")
            await tx.execute("DROP TABLE temp.saved_profiles")
        if await _columns(tx, "one_time_codes"):
            await tx.execute(
                "DELETE FROM one_time_codes WHERE purpose IN (?, ?)", _PENDING_PURPOSES
            )

    return step


async def _copy_sealed(tx: Transaction, vault: IdentifierVault) -> None:
    cursor = await tx.execute(f"SELECT {_OLD_COLUMNS} FROM accounts")  # noqa: S608  # constant
    rows = await cursor.fetchall()
    await cursor.close()
    for row in rows:
        account_id, email, phone = row["account_id"], row["email"], row["phone"]
        await tx.execute(
            "INSERT INTO accounts_sealed (account_id, email_digest, phone_digest, email_enc,"
            " phone_enc, password_hash, username, language, status, purge_deadline, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                account_id,
                vault.digest_of(email),
                vault.digest_of(phone),
                vault.seal(email, account_id),
                vault.seal(phone, account_id),
                row["password_hash"],
                row["username"],
                row["language"],
                row["status"],
                row["purge_deadline"],
                row["created_at"],
            ),
        )
