"""One SQLite database per service, opened the same way everywhere.

All access goes through one connection guarded by a lock, so a transaction is never
interleaved with another coroutine's statements. What may wait (``BEGIN IMMEDIATE``,
``COMMIT``, checkpoints, plain reads) runs on the connection's own thread; the statements inside
a transaction run on the event loop's thread (:mod:`shared.sql` says why). ``secure_delete``
overwrites erased rows.

Journal and durability (measured in docs/performance.md): the write-ahead log makes a commit
one append and, with ``synchronous = FULL``, one fsync of the log, where the rollback journal
took a file create, several fsyncs and an unlink (about 3x the commits per second here). Each
file says how durable a commit must be:

- :data:`FULL` (every service's own file): a commit survives power loss. Services answer a
  person (201, 202) or commit a Kafka offset after their commit, so a commit lost later would
  be a broken promise or a lost event.
- :data:`NORMAL` (a purge participant's file): the log is synced at checkpoints only, so a
  power loss (not a process crash) may drop the last commits. A participant may choose it:
  deletion asks a participant again when its answer does not come, and erasing twice is
  harmless, so a lost erasure is redone, never lost.

Old page images stay in the ``-wal`` file until a checkpoint copies them back and the log is
reset. So that an erased row does not linger there, :meth:`Database.scrub` checkpoints and
truncates the log; the runtime calls it every few seconds after writes, and closing the file
does it too (see :class:`shared.runtime.ServiceRuntime`).

Schema changes: the schema text (``CREATE ... IF NOT EXISTS``) is the current shape, and a file
created from it is stamped with the latest migration version in ``PRAGMA user_version``. An
existing file gets the migration steps above its version, each in its own transaction together
with its version stamp, and then the schema text again (new tables and indexes). A file from
before versioning (version 0 with tables) gets every step, so steps must tolerate a change that
is already there — :func:`add_columns` checks ``PRAGMA table_info`` first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

from shared.private_files import touch_private
from shared.sql import Row, Transaction, raw_connection

__all__ = [
    "FULL",
    "NORMAL",
    "SHARED_SCHEMA",
    "Database",
    "Migration",
    "MigrationError",
    "MigrationStep",
    "Transaction",
    "add_columns",
    "read_row",
    "read_rows",
]

log = logging.getLogger(__name__)

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
-- Rows the broker will never take (too large, say), moved aside by the relay with the reason.
CREATE TABLE IF NOT EXISTS outbox_parked (
    seq INTEGER PRIMARY KEY,
    topic TEXT NOT NULL,
    key BLOB NOT NULL,
    value BLOB NOT NULL,
    event_type TEXT NOT NULL,
    created_at TEXT NOT NULL,
    reason TEXT NOT NULL,
    parked_at TEXT NOT NULL
);
-- Which of the processed event ids were dead-lettered, so a DLQ replay may run them again.
CREATE TABLE IF NOT EXISTS dead_lettered_events (
    consumer TEXT NOT NULL,
    event_id TEXT NOT NULL,
    PRIMARY KEY (consumer, event_id)
) WITHOUT ROWID;
"""

# ``PRAGMA synchronous`` values a file may ask for (see the module docstring for which).
FULL = "FULL"
NORMAL = "NORMAL"
# The log is truncated back to this size when it is reset, so it does not stay large.
_WAL_SIZE_LIMIT_BYTES = 4 * 1024 * 1024
# Most transactions sharing one COMMIT (a bound on how long the first one waits for it).
_GROUP_MAX = 64

# A step runs inside its migration's transaction: it uses ``execute`` only, never commits.
MigrationStep = Callable[[Transaction], Awaitable[None]]
# (version, SQL script or step); versions are positive and increasing.
Migration = tuple[int, str | MigrationStep]


class MigrationError(RuntimeError):
    """A migration step failed (rolled back, version unchanged), or the file is too new."""


def add_columns(table: str, columns: Mapping[str, str]) -> MigrationStep:
    """A step adding each missing column (name → type and default) to ``table``.

    A column already present is left alone, and so is a table that does not exist yet (the
    schema text creates it whole), so the step is safe on a file from before versioning.
    """

    async def step(tx: Transaction) -> None:
        cursor = await tx.execute("SELECT name FROM pragma_table_info(?)", (table,))
        present = {row[0] for row in await cursor.fetchall()}
        await cursor.close()
        if not present:
            return
        for name, definition in columns.items():
            if name not in present:
                # Identifiers come from code, never from input; SQLite cannot bind them.
                await tx.execute(f'ALTER TABLE "{table}" ADD COLUMN "{name}" {definition}')

    return step


class Database:
    """A service's SQLite file: pragmas, schema, migrations and serialised transactions."""

    def __init__(
        self,
        path: Path,
        schema: str,
        migrations: Sequence[Migration] = (),
        synchronous: str = FULL,
    ) -> None:
        versions = [version for version, _ in migrations]
        if any(v <= 0 for v in versions) or versions != sorted(set(versions)):
            raise ValueError("migration versions must be positive and strictly increasing")
        if synchronous not in (FULL, NORMAL):
            raise ValueError("synchronous must be FULL or NORMAL")
        self.path = path
        self.synchronous = synchronous
        self._dirty = False
        self._schema = SHARED_SCHEMA + schema
        self._migrations = tuple(migrations)
        self._aio: aiosqlite.Connection | None = None
        self._conn: sqlite3.Connection | None = None  # the same connection, for inline statements
        self._lock = asyncio.Lock()
        self._queued = 0  # transactions waiting for the lock, who may join an open group
        self._group: _Group | None = None
        self._commit_listeners: list[Callable[[], None]] = []

    def on_commit(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every successful commit (the outbox relay wakes this way)."""
        self._commit_listeners.append(listener)

    async def open(self) -> None:
        """Create the file and its tables if missing, migrate an older file, set the pragmas.

        Raises:
            MigrationError: a step failed, or the file was written by a newer version.
        """
        # 0600 in a 0700 folder; SQLite gives its journal file the database file's mode.
        touch_private(self.path)
        # Used by aiosqlite's thread and, inside a transaction, the loop's (never at once: the
        # lock), hence check_same_thread=False.
        aio = await aiosqlite.connect(self.path, isolation_level=None, check_same_thread=False)
        conn = raw_connection(aio)
        self._aio, self._conn = aio, conn
        try:
            conn.row_factory = Row
            for pragma in (
                "secure_delete = ON",
                "journal_mode = WAL",
                # A pragma takes no bound parameters; the value is one of two constants.
                f"synchronous = {self.synchronous}",
                f"journal_size_limit = {_WAL_SIZE_LIMIT_BYTES}",
                "foreign_keys = ON",
            ):
                await self._wait("PRAGMA " + pragma)
            if not await self._create_if_fresh(Transaction(conn)):
                for version, step in self._migrations:
                    await self._migrate(Transaction(conn), version, step)
                # Tables and indexes added since the file was made; the rest already exist.
                await aio.executescript(self._schema)
        except BaseException:
            await self._shut()
            raise

    @property
    def latest_version(self) -> int:
        """The version a file has once every migration has run (0 without migrations)."""
        return self._migrations[-1][0] if self._migrations else 0

    async def _create_if_fresh(self, conn: Transaction) -> bool:
        # Decided inside one write transaction, so two processes starting together agree.
        async with self._immediate():
            version = await _user_version(conn)
            if version > self.latest_version:
                raise MigrationError(
                    f"{self.path.name} is at version {version}, newer than this code's "
                    f"{self.latest_version}"
                )
            if version > 0 or await _has_tables(conn):
                return False
            await _run_script(conn, self._schema)
            await _set_user_version(conn, self.latest_version)
            return True

    async def _migrate(self, conn: Transaction, version: int, step: str | MigrationStep) -> None:
        try:
            async with self._immediate():
                # Read again under the write lock: another process may have just applied it.
                if await _user_version(conn) >= version:
                    return
                if isinstance(step, str):
                    await _run_script(conn, step)
                else:
                    await step(conn)
                await _set_user_version(conn, version)
        except Exception as exc:
            raise MigrationError(
                f"migration {version} of {self.path.name} failed and was rolled back"
            ) from exc
        log.info("database %s migrated to version %d", self.path.name, version)

    @property
    def written_since_scrub(self) -> bool:
        """Whether a transaction committed since the last complete :meth:`scrub`."""
        return self._dirty

    async def scrub(self) -> bool:
        """Checkpoint the log into the file and truncate it to nothing.

        Returns whether that completed (a reader in another process may hold the log for
        now; the next scrub tries again). Old page images, erased rows' included, are gone.
        """
        async with self._lock:
            # A checkpoint inside a group's open transaction fails ("database table is locked").
            await self._commit_due_group()
            self._dirty = False
            row = await self._read("PRAGMA wal_checkpoint(TRUNCATE)", (), one=True)
            busy = row is not None and row[0] != 0
            self._dirty = self._dirty or busy
            return not busy

    async def close(self) -> None:
        """Scrub the log and close the connection; safe to call twice."""
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):  # closing goes on; the next open scrubs
                await self.scrub()
            await self._shut()

    async def _shut(self) -> None:
        aio = self._aio
        self._aio = self._conn = None
        if aio is not None:
            await aio.close()

    @property
    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("database is not open")
        return self._conn

    @property
    def _aiosqlite(self) -> aiosqlite.Connection:
        if self._aio is None:
            raise RuntimeError("database is not open")
        return self._aio

    async def _wait(self, sql: str) -> None:
        """A statement that may wait (a lock, an fsync), on the connection's thread."""
        await self._aiosqlite.execute(sql)

    async def _read(self, sql: str, params: Iterable[Any], *, one: bool) -> Any:
        """A plain read in one trip to the connection's thread (statement and rows together)."""
        rows = list(await self._aiosqlite.execute_fetchall(sql, tuple(params)))
        if one:
            return rows[0] if rows else None
        return rows

    @asynccontextmanager
    async def _immediate(self) -> AsyncIterator[None]:
        await self._wait("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            await self._wait("ROLLBACK")
            raise
        await self._wait("COMMIT")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Run statements atomically: commit on success, roll back on any exception.

        Group commit: transactions queued behind one another share one COMMIT (one fsync).
        Each runs in a savepoint of the open transaction, so one that fails is rolled back
        alone, and each returns only once the shared COMMIT is done (and fails if it fails).
        A plain read between them commits the group first (:meth:`_commit_due_group`).
        """
        self._queued += 1
        try:
            await self._lock.acquire()
        finally:
            self._queued -= 1
        try:
            group = await self._join_group()
            conn = self._connection
            conn.execute("SAVEPOINT member")
            failure: BaseException | None = None
            try:
                yield Transaction(conn)
            except BaseException as exc:
                failure = exc
                await self._undo_member(group)
            else:
                conn.execute("RELEASE member")
                group.members += 1
            await self._end_member(group)
        finally:
            self._lock.release()
        if failure is not None:
            raise failure
        await group.done

    async def _join_group(self) -> _Group:
        if self._group is None:
            await self._wait("BEGIN IMMEDIATE")
            self._group = _Group(asyncio.get_running_loop().create_future())
        return self._group

    async def _undo_member(self, group: _Group) -> None:
        conn = self._connection
        try:
            conn.execute("ROLLBACK TO member")
            conn.execute("RELEASE member")
        except sqlite3.Error as exc:
            await self._abandon(group, exc)
            return
        if not conn.in_transaction:  # SQLite itself rolled the whole group back
            await self._abandon(group, sqlite3.OperationalError("transaction rolled back"))

    async def _end_member(self, group: _Group) -> None:
        """Commit now if nobody is queued to join (or the group is full); else let them."""
        if self._group is not group:
            return
        if self._queued == 0 or group.members >= _GROUP_MAX:
            await self._commit(group)
        elif group.closer is None:
            # Queued behind the members waiting now, so it commits after them even if they
            # give up waiting (cancelled) and nobody else comes.
            group.closer = asyncio.get_running_loop().create_task(self._close(group))

    async def _close(self, group: _Group) -> None:
        async with self._lock:
            if self._group is group:
                await self._commit(group)

    async def _commit(self, group: _Group) -> None:
        self._group = None
        try:
            await self._wait("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error):
                await self._wait("ROLLBACK")
            _settle(group.done, exc)
            raise
        _settle(group.done, None)
        if group.members:
            self._dirty = True
            for listener in self._commit_listeners:
                listener()

    async def _abandon(self, group: _Group, exc: BaseException) -> None:
        """The open transaction is lost: every member of the group fails with ``exc``."""
        self._group = None
        with contextlib.suppress(sqlite3.Error):
            await self._wait("ROLLBACK")
        _settle(group.done, exc)

    async def fetch_one(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        """Run a read-only query and return its first row (committed rows only, see below)."""
        async with self._lock:
            await self._commit_due_group()
            row: Row | None = await self._read(sql, params, one=True)
            return row

    async def fetch_all(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        """Run a read-only query and return every row (committed rows only, see below)."""
        async with self._lock:
            await self._commit_due_group()
            rows: list[Row] = await self._read(sql, params, one=False)
            return rows

    async def _commit_due_group(self) -> None:
        """Commit a group whose members have all ended, before a plain read.

        Between the members of a group the connection holds their writes before the COMMIT, and
        a read on it would see them. A read must see only what is durable: what it returns may
        leave the process (the outbox relay's rows, an HTTP answer, a decision), and a crash
        before that COMMIT would undo the write after the world saw it (the fault suite, Apache
        Kafka, kill deletion: a second code issued to one person after the restarted deletion
        handled SurveySubmitted again). The queued members then start a group of their own.
        """
        if self._group is not None:
            await self._commit(self._group)


async def read_rows(
    source: Database | Transaction, sql: str, params: Iterable[Any] = ()
) -> list[Row]:
    """Every row of a read, on its own (a Database) or inside a caller's transaction."""
    if isinstance(source, Database):
        return await source.fetch_all(sql, params)
    cursor = await source.execute(sql, tuple(params))
    rows = await cursor.fetchall()
    await cursor.close()
    return list(rows)


async def read_row(
    source: Database | Transaction, sql: str, params: Iterable[Any] = ()
) -> Row | None:
    """The first row of a read, on its own (a Database) or inside a caller's transaction."""
    if isinstance(source, Database):
        return await source.fetch_one(sql, params)
    cursor = await source.execute(sql, tuple(params))
    row = await cursor.fetchone()
    await cursor.close()
    return row


@dataclass
class _Group:
    """Transactions sharing one open SQLite transaction, and the future of its COMMIT."""

    done: asyncio.Future[None]
    members: int = 0
    closer: asyncio.Task[None] | None = None


def _settle(done: asyncio.Future[None], exc: BaseException | None) -> None:
    if done.done():
        return
    if exc is None:
        done.set_result(None)
        return
    done.set_exception(exc)
    done.exception()  # marked retrieved: a member that stopped waiting must not log it


async def _user_version(conn: Transaction) -> int:
    cursor = await conn.execute("PRAGMA user_version")
    row = await cursor.fetchone()
    await cursor.close()
    return int(row[0]) if row is not None else 0


async def _set_user_version(conn: Transaction, version: int) -> None:
    # A pragma takes no bound parameters; int() keeps it a plain number.
    await conn.execute(f"PRAGMA user_version = {int(version)}")


async def _has_tables(conn: Transaction) -> bool:
    cursor = await conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' LIMIT 1"
    )
    row = await cursor.fetchone()
    await cursor.close()
    return row is not None


async def _run_script(conn: Transaction, script: str) -> None:
    # executescript() would commit the open transaction first, so run statement by statement.
    for statement in _statements(script):
        await conn.execute(statement)


def _statements(script: str) -> list[str]:
    """Split a script where SQLite itself sees a statement end (not at a ';' in a string)."""
    statements: list[str] = []
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \t\r\n;"):
                statements.append(pending)
            pending = ""
    if pending.strip(" \t\r\n;"):
        statements.append(pending)  # a last statement without ';', or a trailing comment
    return statements
