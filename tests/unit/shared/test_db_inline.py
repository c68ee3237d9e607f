"""Where a service's SQL runs: inside a transaction on the loop's thread, waits on aiosqlite's."""

from __future__ import annotations

import threading
from pathlib import Path

from shared.db import Database

SCHEMA = "CREATE TABLE IF NOT EXISTS items (name TEXT NOT NULL);"


async def test_statements_of_a_transaction_run_inline_and_plain_reads_on_aiosqlites_thread(
    tmp_path: Path,
) -> None:
    db = Database(tmp_path / "svc.sqlite3", SCHEMA)
    await db.open()
    seen: list[int] = []
    try:
        async with db.transaction() as tx:
            # One connection for both: a function registered inline is callable from either.
            connection = tx._conn
            connection.create_function("thread_id", 0, lambda: seen.append(threading.get_ident()))
            await tx.execute("SELECT thread_id()")
            await tx.execute("INSERT INTO items (name) VALUES ('inline')")
        row = await db.fetch_one("SELECT thread_id() AS t, (SELECT name FROM items) AS name")
        assert row is not None
        assert row["name"] == "inline"
        loop_thread, read_thread = seen
        assert loop_thread == threading.get_ident()
        # A plain read went to aiosqlite's connection thread (the raw connection it holds is
        # the one the transaction used: shared.sql.raw_connection still finds it).
        assert read_thread != loop_thread
        assert read_thread in {thread.ident for thread in threading.enumerate()}
    finally:
        await db.close()
