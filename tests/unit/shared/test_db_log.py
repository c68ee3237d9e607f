"""The write-ahead log: each file's durability, and erased rows scrubbed out of the log."""

from __future__ import annotations

import asyncio
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


async def test_a_scrub_between_grouped_transactions_commits_them_and_scrubs(
    tmp_path: Path,
) -> None:
    # The scrub takes the lock after the first transaction and before the one that joins its
    # group: the group's COMMIT is still due then, and a checkpoint inside it would fail.
    db = Database(tmp_path / "svc.sqlite3", SCHEMA)
    await db.open()
    try:
        started = asyncio.Event()

        async def write(address: str, hold: asyncio.Event | None = None) -> None:
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO people (address) VALUES (?)", (address,))
                if hold is not None:
                    started.set()
                    await hold.wait()

        release = asyncio.Event()
        first = asyncio.create_task(write("a@example.com", release))
        await started.wait()
        scrub = asyncio.create_task(db.scrub())
        await asyncio.sleep(0)  # the scrub queues for the lock before the second write
        second = asyncio.create_task(write("b@example.com"))
        await asyncio.sleep(0)
        release.set()
        await asyncio.gather(first, second)
        assert await scrub
        rows = await db.fetch_all("SELECT address FROM people ORDER BY address")
        assert [row["address"] for row in rows] == ["a@example.com", "b@example.com"]
    finally:
        await db.close()
