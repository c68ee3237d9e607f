"""The write-ahead log: each file's durability, and erased rows scrubbed out of the log."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.db import NORMAL, Database
from tests.support.sqlite_files import stored_bytes

SCHEMA = "CREATE TABLE IF NOT EXISTS people (address TEXT NOT NULL);"
ADDRESS = b"kari.nordmann@example.com"


async def test_an_erased_row_leaves_the_log_once_it_is_scrubbed(tmp_path: Path) -> None:
    db = Database(tmp_path / "svc.sqlite3", SCHEMA)
    await db.open()
    try:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO people (address) VALUES (?)", (ADDRESS.decode(),))
        async with db.transaction() as tx:
            await tx.execute("DELETE FROM people")
        # secure_delete zeroed the live page, but the insert's page image is still in the log.
        assert ADDRESS in stored_bytes(db.path)
        assert db.written_since_scrub
        assert await db.scrub()
        assert ADDRESS not in stored_bytes(db.path)
        assert not db.written_since_scrub
    finally:
        await db.close()


@pytest.mark.parametrize(("synchronous", "level"), [("FULL", 2), (NORMAL, 1)])
async def test_each_file_gets_the_log_and_the_durability_it_asks_for(
    tmp_path: Path, synchronous: str, level: int
) -> None:
    db = Database(tmp_path / "svc.sqlite3", SCHEMA, synchronous=synchronous)
    await db.open()
    try:
        mode = await db.fetch_one("PRAGMA journal_mode")
        sync = await db.fetch_one("PRAGMA synchronous")
        assert (tuple(mode or ()), tuple(sync or ())) == (("wal",), (level,))
    finally:
        await db.close()


def test_an_unknown_durability_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="FULL or NORMAL"):
        Database(tmp_path / "svc.sqlite3", SCHEMA, synchronous="OFF")
