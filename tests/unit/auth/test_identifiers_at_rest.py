"""E-mail addresses and phone numbers at rest: only digests and ciphertexts in auth's file."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.auth import handlers, me, store
from services.auth.domain import Identifier, IdentifierTaken, identifier_digest, registration
from services.auth.guard_store import GUARD_SCHEMA
from services.auth.migrations import migrations
from services.auth.store import SCHEMA
from services.auth.vault import IdentifierVault
from shared.crypto import DecryptionError, FieldCipher
from shared.db import SHARED_SCHEMA, Database
from shared.revocation import REVOCATION_SCHEMA
from shared.tokens import AccessClaims
from tests.support.sqlite_files import stored_bytes

PASSWORD = "correct horse battery"
EMAIL_TYPED = "Kari.Nordmann@Example.com"
PHONE_TYPED = "+47 912 34 567"
NEW_EMAIL = "Ny.Adresse@Example.org"
# Every spelling that would give the address away; long enough not to occur in random bytes.
TRACES = (
    "kari.nordmann@example.com",
    "kari.nordmann",
    "ny.adresse@example.org",
    "ny.adresse",
    "+4791234567",
    "4791234567",
    "91234567",
    "912 34 567",
)

# Auth's accounts table before identifiers were sealed (database version 0).
OLD_ACCOUNTS = """
CREATE TABLE accounts (
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
CREATE UNIQUE INDEX accounts_by_email ON accounts (email);
CREATE UNIQUE INDEX accounts_by_phone ON accounts (phone);
CREATE UNIQUE INDEX accounts_by_username ON accounts (lower(username));
"""
_OLD_REST = SCHEMA[SCHEMA.index("-- Settings beyond sign-in") :]


def _leaks(path: Path) -> list[str]:
    raw = stored_bytes(path).lower()
    return [trace for trace in TRACES if trace.encode() in raw]


def _claims(account_id: str, now: datetime) -> AccessClaims:
    return AccessClaims(account_id, "s-1", now, now, now + timedelta(minutes=15))


async def test_registration_sign_in_and_a_pending_change_keep_no_clear_address(
    deps: handlers.Deps,
) -> None:
    details = registration(
        email=EMAIL_TYPED,
        phone=PHONE_TYPED,
        password=PASSWORD,
        username="kari",
        language="en",
        region="NO",
    )
    account_id = await handlers.register(deps, details, correlation_id="c-1")
    assert _leaks(deps.db.path) == []

    await handlers.sign_in(deps, login=" KARI.nordmann@example.com", password=PASSWORD)
    await handlers.sign_in(deps, login="912 34 567", password=PASSWORD)
    claims = _claims(account_id, deps.clock.now())
    await me.request_contact_change(deps, claims, "email", NEW_EMAIL, correlation_id="c-2")
    assert _leaks(deps.db.path) == []

    found = await me.confirm_contact_change(deps, claims, "email", "123456", correlation_id="c-3")
    assert (found.account.email, found.account.phone) == ("ny.adresse@example.org", "+4791234567")
    assert _leaks(deps.db.path) == []
    await handlers.sign_in(deps, login=NEW_EMAIL, password=PASSWORD)


async def test_lookup_digests_differ_from_retired_ones_and_ciphertexts_stay_with_their_account(
    deps: handlers.Deps,
) -> None:
    email = Identifier("email", "kari@example.com")
    assert deps.vault.digest(email) != identifier_digest(deps.identifier_key, email)
    sealed = deps.vault.seal(email.value, "account-a")
    assert deps.vault.open(sealed, "account-a") == email.value
    with pytest.raises(DecryptionError):
        deps.vault.open(sealed, "account-b")
    with pytest.raises(DecryptionError):
        deps.vault.open_pending(sealed or "", "account-a")


def _old_file(path: Path) -> None:
    """An auth file as the service wrote it before identifiers were sealed."""
    conn = sqlite3.connect(path)
    conn.executescript(SHARED_SCHEMA + OLD_ACCOUNTS + _OLD_REST + GUARD_SCHEMA + REVOCATION_SCHEMA)
    now = datetime(2026, 1, 1, tzinfo=UTC).isoformat()
    conn.executemany(
        "INSERT INTO accounts VALUES (?, ?, ?, ?, ?, 'en', 'active', NULL, ?)",
        [
            ("a-1", "kari.nordmann@example.com", "+4791234567", "$argon2id$x", "kari", now),
            ("a-2", None, "+4741234567", "$argon2id$y", None, now),
        ],
    )
    conn.execute("INSERT INTO profiles (account_id, time_zone) VALUES ('a-1', 'Europe/Oslo')")
    conn.executemany(
        "INSERT INTO one_time_codes VALUES ('a-1', ?, ?, 'hash', ?, ?, 5, ?)",
        [
            ("email_change", "c-1", now, now, "old-sealed"),
            ("password_reset", "c-2", now, now, None),
        ],
    )
    conn.commit()
    conn.close()


async def test_an_old_file_is_migrated_to_digests_and_ciphertexts(
    deps: handlers.Deps, tmp_path: Path
) -> None:
    path = tmp_path / "old-auth.sqlite3"
    _old_file(path)
    assert _leaks(path) != []  # the fixture really holds clear addresses

    db = Database(path, SCHEMA + GUARD_SCHEMA + REVOCATION_SCHEMA, migrations(deps.vault))
    await db.open()
    try:
        migrated = replace(deps, db=db)
        found = await store.find_by_identifier(db, deps.vault, Identifier("phone", "+4791234567"))
        assert found is not None
        assert (found.account_id, found.email, found.username) == (
            "a-1",
            "kari.nordmann@example.com",
            "kari",
        )
        only_phone = await store.find_account(db, deps.vault, "a-2")
        assert only_phone is not None
        assert only_phone.email is None
        assert (await store.find_profile(db, "a-1")).time_zone == "Europe/Oslo"
        codes = await db.fetch_all("SELECT purpose FROM one_time_codes")
        assert [row["purpose"] for row in codes] == ["password_reset"]
        with pytest.raises(IdentifierTaken):
            async with db.transaction() as tx:
                await handlers.ensure_available(migrated, tx, (Identifier("phone", "+4741234567"),))
        version = await db.fetch_one("PRAGMA user_version")
        assert version is not None
        assert version[0] == db.latest_version == 1
    finally:
        await db.close()
    assert _leaks(path) == []


async def test_a_fresh_file_needs_no_conversion(tmp_path: Path) -> None:
    vault = IdentifierVault(lookup_key=bytes(32), cipher=FieldCipher(bytes(range(32))))
    db = Database(tmp_path / "fresh.sqlite3", SCHEMA, migrations(vault))
    await db.open()
    await db.close()
    await db.open()  # opening again runs no step: the file is at the latest version
    columns = await db.fetch_all("SELECT name FROM pragma_table_info('accounts')")
    await db.close()
    names = {row["name"] for row in columns}
    assert {"email_digest", "phone_digest", "email_enc", "phone_enc"} <= names
    assert not {"email", "phone"} & names
