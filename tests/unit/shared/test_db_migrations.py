"""Versioned migrations with real SQLite files: fresh, older, pre-versioning, failing, repeated."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.deletion.database import DeletionDatabase
from services.notifier import store as notifier_store
from services.notifier.domain import Contact
from shared.db import (
    Database,
    Migration,
    MigrationError,
    MigrationStep,
    Transaction,
    add_columns,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)

# The notifier's contacts table as released before ``time_zone`` existed.
OLD_NOTIFIER_CONTACTS = """
CREATE TABLE contacts (
    account_id TEXT PRIMARY KEY,
    language TEXT NOT NULL,
    email_enc TEXT,
    phone_enc TEXT,
    retained_for_confirmation INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO contacts (account_id, language, email_enc, updated_at)
    VALUES ('acc-1', 'nb', 'cipher-1', '2025-12-01T00:00:00.000000+00:00');
"""

# Deletion's first released requests table, before the ad-hoc column upgrade.
OLD_DELETION_REQUESTS = """
CREATE TABLE requests (
    request_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    status TEXT NOT NULL,
    channel TEXT NOT NULL,
    correlation_id TEXT NOT NULL,
    code_hash TEXT,
    code_issued_at TEXT,
    code_attempts INTEGER NOT NULL DEFAULT 0,
    purge_deadline TEXT,
    participants TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX requests_due ON requests (status, purge_deadline);
INSERT INTO requests (request_id, account_id, status, channel, correlation_id, created_at,
    updated_at) VALUES ('req-1', 'acc-1', 'awaiting_survey', 'email', 'c', 'x', 'x');
"""


def _make_file(path: Path, script: str, version: int = 0) -> None:
    with sqlite3.connect(path) as conn:
        conn.executescript(script)
        conn.execute(f"PRAGMA user_version = {version}")
    conn.close()


def _inspect(path: Path, table: str) -> tuple[int, list[str]]:
    """The file's version and the table's column names, read with a separate connection."""
    conn = sqlite3.connect(path)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
    finally:
        conn.close()
    return version, columns


async def _open_close(path: Path, schema: str, migrations: Sequence[Migration] = ()) -> None:
    db = Database(path, schema, migrations)
    await db.open()
    await db.close()


async def test_a_fresh_file_gets_the_current_schema_and_the_latest_version(tmp_path: Path) -> None:
    path = tmp_path / "notifier.sqlite3"
    await _open_close(path, notifier_store.SCHEMA, notifier_store.MIGRATIONS)
    version, columns = _inspect(path, "contacts")
    assert version == notifier_store.MIGRATIONS[-1][0]
    assert "time_zone" in columns


async def test_an_old_notifier_file_gains_time_zone_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "notifier.sqlite3"
    _make_file(path, OLD_NOTIFIER_CONTACTS)
    db = Database(path, notifier_store.SCHEMA, notifier_store.MIGRATIONS)
    await db.open()
    try:
        kept = await notifier_store.load_contact(db, "acc-1")
        assert kept is not None
        assert (kept.language, kept.email_enc, kept.time_zone) == ("nb", "cipher-1", None)
        async with db.transaction() as tx:
            changed = Contact("acc-1", "en", "cipher-2", None, time_zone="Europe/Oslo")
            await notifier_store.upsert_contact(tx, changed, NOW)
        reloaded = await notifier_store.load_contact(db, "acc-1")
        assert reloaded is not None
        assert reloaded.time_zone == "Europe/Oslo"
    finally:
        await db.close()
    assert _inspect(path, "contacts")[0] == notifier_store.MIGRATIONS[-1][0]


async def test_an_old_deletion_file_gains_its_later_columns(tmp_path: Path) -> None:
    path = tmp_path / "deletion.sqlite3"
    _make_file(path, OLD_DELETION_REQUESTS)
    db = DeletionDatabase(path)
    await db.open()
    try:
        row = await db.fetch_one("SELECT request_id, codes_sent, overdue, purge_at FROM requests")
        assert row is not None
        assert tuple(row) == ("req-1", 0, 0, None)
    finally:
        await db.close()
    version, columns = _inspect(path, "requests")
    assert version == db.latest_version
    assert {"expires_at", "code_notification_id", "confirmed_at", "purge_at"} <= set(columns)


async def _add_then_fail(tx: Transaction) -> None:
    await tx.execute("ALTER TABLE items ADD COLUMN colour TEXT")
    raise RuntimeError("step 2 is broken")


@pytest.mark.parametrize(
    "broken_step",
    [
        pytest.param(_add_then_fail, id="callable"),
        pytest.param(
            "ALTER TABLE items ADD COLUMN colour TEXT; INSERT INTO missing VALUES (1);", id="sql"
        ),
    ],
)
async def test_a_failing_step_rolls_back_and_keeps_the_version(
    tmp_path: Path, broken_step: str | MigrationStep
) -> None:
    path = tmp_path / "svc.sqlite3"
    first: Migration = (1, "INSERT INTO items (name) VALUES ('kept')")
    _make_file(path, "CREATE TABLE items (name TEXT NOT NULL);", version=0)
    await _open_close(path, "CREATE TABLE IF NOT EXISTS items (name TEXT NOT NULL);", [first])
    assert _inspect(path, "items") == (1, ["name"])

    broken: Migration = (2, broken_step)
    with pytest.raises(MigrationError, match="migration 2"):
        await _open_close(path, "", [first, broken])
    assert _inspect(path, "items") == (1, ["name"])

    # Once the step is fixed, the same file moves on from where it stopped.
    fixed: Migration = (2, add_columns("items", {"colour": "TEXT"}))
    await _open_close(path, "", [first, fixed])
    assert _inspect(path, "items") == (2, ["name", "colour"])
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT name FROM items").fetchall() == [("kept",)]
    conn.close()


async def test_opening_twice_runs_no_step_again(tmp_path: Path) -> None:
    path = tmp_path / "svc.sqlite3"
    runs: list[int] = []

    async def count(tx: Transaction) -> None:
        runs.append(1)
        await tx.execute("UPDATE items SET n = n + 1")

    _make_file(path, "CREATE TABLE items (n INTEGER NOT NULL); INSERT INTO items VALUES (0);")
    schema = "CREATE TABLE IF NOT EXISTS items (n INTEGER NOT NULL);"
    await _open_close(path, schema, [(1, count)])
    with sqlite3.connect(path) as conn:
        before = conn.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    conn.close()
    await _open_close(path, schema, [(1, count)])
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall() == before
        assert conn.execute("SELECT n FROM items").fetchall() == [(1,)]
    conn.close()
    assert runs == [1]
    assert _inspect(path, "items")[0] == 1


async def test_a_fresh_file_runs_no_step_and_a_script_may_hold_semicolons(tmp_path: Path) -> None:
    path = tmp_path / "svc.sqlite3"
    runs: list[int] = []

    async def record(tx: Transaction) -> None:
        runs.append(1)

    schema = """
    CREATE TABLE IF NOT EXISTS items (label TEXT NOT NULL DEFAULT 'a;b');
    CREATE TABLE IF NOT EXISTS log (label TEXT);
    CREATE TRIGGER IF NOT EXISTS items_logged AFTER INSERT ON items BEGIN
        INSERT INTO log VALUES (new.label);
    END;
    -- a trailing comment; with a semicolon
    """
    await _open_close(path, schema, [(3, record)])
    assert runs == []
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO items DEFAULT VALUES")
        assert conn.execute("SELECT label FROM log").fetchall() == [("a;b",)]
    conn.close()
    assert _inspect(path, "items")[0] == 3


async def test_a_file_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "svc.sqlite3"
    _make_file(path, "CREATE TABLE items (name TEXT);", version=5)
    with pytest.raises(MigrationError, match="newer"):
        await _open_close(path, "", [(1, "SELECT 1")])
    assert _inspect(path, "items")[0] == 5


@pytest.mark.parametrize("versions", [[0], [2, 1], [1, 1]])
def test_versions_must_be_positive_and_increasing(tmp_path: Path, versions: list[int]) -> None:
    with pytest.raises(ValueError, match="strictly increasing"):
        Database(tmp_path / "x.sqlite3", "", [(v, "SELECT 1") for v in versions])
