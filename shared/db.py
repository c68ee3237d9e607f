"""One SQLite database per service, opened the same way everywhere.

All access goes through one aiosqlite connection guarded by a lock, so a transaction is
never interleaved with another coroutine's statements. ``secure_delete`` overwrites erased
rows, and the rollback journal (not WAL) means no side file keeps old pages after a commit.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

__all__ = ["SHARED_SCHEMA", "Database", "Transaction"]

# Tables every publishing or consuming service has; services add their own schema after it.
SHARED_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    key BLOB NOT NULL,
    value BLOB NOT NULL,
    event_type TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS processed_events (
    consumer TEXT NOT NULL,
    event_id TEXT NOT NULL,
    processed_at TEXT NOT NULL,
    PRIMARY KEY (consumer, event_id)
);
-- Which of the processed event ids were dead-lettered, so a DLQ replay may run them again.
CREATE TABLE IF NOT EXISTS dead_lettered_events (
    consumer TEXT NOT NULL,
    event_id TEXT NOT NULL,
    PRIMARY KEY (consumer, event_id)
) WITHOUT ROWID;
"""

Transaction = aiosqlite.Connection


class Database:
    """A service's SQLite file: pragmas, schema, and serialised transactions."""

    def __init__(self, path: Path, schema: str) -> None:
        self.path = path
        self._schema = SHARED_SCHEMA + schema
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._commit_listeners: list[Callable[[], None]] = []

    def on_commit(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every successful commit (the outbox relay wakes this way)."""
        self._commit_listeners.append(listener)

    async def open(self) -> None:
        """Create the file and its tables if missing, and set the pragmas."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA secure_delete = ON")
        await conn.execute("PRAGMA journal_mode = DELETE")
        await conn.execute("PRAGMA synchronous = FULL")
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.executescript(self._schema)
        self._conn = conn

    async def close(self) -> None:
        """Close the connection; safe to call twice."""
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    @property
    def _connection(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("database is not open")
        return self._conn

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Run statements atomically: commit on success, roll back on any exception."""
        async with self._lock:
            conn = self._connection
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            else:
                await conn.execute("COMMIT")
                for listener in self._commit_listeners:
                    listener()

    async def fetch_one(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        """Run a read-only query and return its first row."""
        async with self._lock:
            cursor = await self._connection.execute(sql, tuple(params))
            row = await cursor.fetchone()
            await cursor.close()
            return row

    async def fetch_all(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        """Run a read-only query and return every row."""
        async with self._lock:
            cursor = await self._connection.execute(sql, tuple(params))
            rows = await cursor.fetchall()
            await cursor.close()
            return list(rows)
