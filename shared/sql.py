"""Statements of an open SQLite transaction, run on the event loop's own thread.

:class:`shared.db.Database` holds a service's one aiosqlite connection. What may wait goes
through aiosqlite to the connection's own thread: ``BEGIN IMMEDIATE`` (another process may
hold the write lock; SQLite's busy handler sleeps), ``COMMIT`` (an fsync), the log checkpoint,
and plain reads outside a transaction. The statements *inside* a transaction run inline
instead: the write lock is held, so none of them waits for another process, and they touch
the page cache, not the disk (a spill of a very large transaction writes, but never syncs).

Why (docs/performance.md, "The consumers' SQL"): aiosqlite ran every call — ``execute``, each
``fetchone``, each ``close`` — through its worker thread, and that hop (queue, thread switch,
wake-up of the loop) cost ~115 µs of CPU where a small statement itself costs ~5 µs (under
load); a purge took more than a hundred of them across the services.

The inline API is the part of aiosqlite's the services use (awaitable ``execute``, ``executemany``,
``fetchone``, ``fetchall``, ``close``, ``rowcount``), so handlers read the same either way.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from types import TracebackType
from typing import Any

import aiosqlite

__all__ = ["Cursor", "Row", "Transaction", "raw_connection"]

Row = sqlite3.Row


class Cursor:
    """The result of one statement; reading it does not leave the loop's thread."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        """Rows the statement changed (SQLite's count; -1 for a read)."""
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        """The rowid of the last row inserted."""
        return self._cursor.lastrowid

    async def fetchone(self) -> Row | None:
        """The next row, or None."""
        row: Row | None = self._cursor.fetchone()
        return row

    async def fetchall(self) -> list[Row]:
        """Every remaining row."""
        return list(self._cursor.fetchall())

    async def close(self) -> None:
        """Release the statement."""
        self._cursor.close()

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._cursor.close()


class Transaction:
    """An open transaction's statements, executed inline (see the module docstring)."""

    __slots__ = ("_conn",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, parameters: Iterable[Any] = ()) -> Cursor:
        """Run one statement."""
        return Cursor(self._conn.execute(sql, tuple(parameters)))

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> Cursor:
        """Run one statement for each parameter tuple."""
        return Cursor(self._conn.executemany(sql, (tuple(p) for p in parameters)))

    @property
    def in_transaction(self) -> bool:
        """Whether SQLite still has the transaction open (it rolls back on some errors)."""
        return self._conn.in_transaction


def raw_connection(connection: aiosqlite.Connection) -> sqlite3.Connection:
    """The sqlite3 connection under an open aiosqlite one, for the statements run inline.

    aiosqlite has no public accessor; ``_conn`` is the property its own methods use (0.20 to
    0.22, pinned in requirements.lock; tests/unit/shared/test_db_inline.py fails if it goes).
    The connection must be opened with ``check_same_thread=False``: aiosqlite's thread and,
    inside a transaction, the loop's use it, never at once (:class:`shared.db.Database`'s lock).
    """
    raw: sqlite3.Connection = connection._conn
    return raw
