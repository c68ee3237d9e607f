"""Deletion's SQLite tables and queries.

Times are stored as fixed-width UTC ISO strings, so comparing the text compares the instants
(the due scan relies on it). Codes are stored only as keyed hashes; after a purge the account
id is replaced by its keyed hash.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import aiosqlite

from services.deletion.domain import DeletionRequest, Status
from shared.db import Database, Transaction

__all__ = [
    "SCHEMA",
    "due_request_ids",
    "find_owned",
    "forget_account",
    "insert",
    "load",
    "open_request_of",
    "save",
    "stamp",
]

SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
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
-- The timer's scan: scheduled requests in deadline order.
CREATE INDEX IF NOT EXISTS requests_due ON requests (status, purge_deadline);
-- One open request per account; also the ownership look-up.
CREATE UNIQUE INDEX IF NOT EXISTS requests_open_per_account
    ON requests (account_id) WHERE status <> 'purged';
CREATE TABLE IF NOT EXISTS purge_completions (
    request_id TEXT NOT NULL REFERENCES requests (request_id),
    participant TEXT NOT NULL,
    completed_at TEXT NOT NULL,
    PRIMARY KEY (request_id, participant)
) WITHOUT ROWID;
"""

_COLUMNS = (
    "request_id, account_id, status, channel, correlation_id, code_hash, code_issued_at,"
    " code_attempts, purge_deadline, participants, created_at"
)

_INSERT = (
    f"INSERT INTO requests ({_COLUMNS}, updated_at)"  # noqa: S608  # fixed columns, values bound
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)

# One statement, so the request and its completions are read as of the same moment.
_SELECT = (
    f"SELECT {_COLUMNS}, (SELECT group_concat(participant) FROM purge_completions AS done"  # noqa: S608  # fixed SQL, values bound
    " WHERE done.request_id = requests.request_id) AS completed FROM requests WHERE "
)


def stamp(moment: datetime) -> str:
    """A timestamp as stored: UTC, microseconds always present, so text order is time order."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


async def insert(tx: Transaction, request: DeletionRequest, now: datetime) -> None:
    """Store a new request."""
    await tx.execute(_INSERT, (*_values(request), stamp(now)))


async def save(tx: Transaction, request: DeletionRequest, now: datetime) -> None:
    """Write back a request's mutable fields and any new purge completions."""
    await tx.execute(
        "UPDATE requests SET status = ?, code_hash = ?, code_issued_at = ?, code_attempts = ?,"
        " purge_deadline = ?, participants = ?, updated_at = ? WHERE request_id = ?",
        (
            request.status.value,
            request.code_hash,
            _stamp_or_none(request.code_issued_at),
            request.code_attempts,
            _stamp_or_none(request.purge_deadline),
            ",".join(request.participants),
            stamp(now),
            request.request_id,
        ),
    )
    await tx.executemany(
        "INSERT INTO purge_completions (request_id, participant, completed_at) VALUES (?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        [(request.request_id, name, stamp(now)) for name in sorted(request.completed)],
    )


async def forget_account(tx: Transaction, request_id: str, account_hash: str) -> None:
    """Replace the account id of a purged request by its keyed hash."""
    await tx.execute(
        "UPDATE requests SET account_id = ? WHERE request_id = ?", (account_hash, request_id)
    )


async def load(tx: Transaction, request_id: str) -> DeletionRequest | None:
    """The request with this id, or None (inside a transaction that will change it)."""
    cursor = await tx.execute(_SELECT + "request_id = ?", (request_id,))
    row = await cursor.fetchone()
    await cursor.close()
    return None if row is None else _request(row)


async def find_owned(
    db: Database, request_id: str, account_keys: Sequence[str]
) -> DeletionRequest | None:
    """The request if its account id is one of ``account_keys`` (raw or hashed), else None.

    A plain read, outside any transaction: looking at a request commits nothing.
    """
    marks = ", ".join("?" for _ in account_keys)
    row = await db.fetch_one(
        _SELECT + f"request_id = ? AND account_id IN ({marks})", (request_id, *account_keys)
    )
    return None if row is None else _request(row)


async def open_request_of(tx: Transaction, account_id: str) -> str | None:
    """The id of the account's request that is not purged yet, if any."""
    cursor = await tx.execute(
        "SELECT request_id FROM requests WHERE account_id = ? AND status <> 'purged'",
        (account_id,),
    )
    row = await cursor.fetchone()
    await cursor.close()
    return None if row is None else str(row["request_id"])


async def due_request_ids(db: Database, now: datetime, limit: int) -> list[str]:
    """Scheduled requests whose deadline has passed, earliest first."""
    rows = await db.fetch_all(
        "SELECT request_id FROM requests WHERE status = ? AND purge_deadline <= ?"
        " ORDER BY purge_deadline LIMIT ?",
        (Status.SCHEDULED.value, stamp(now), limit),
    )
    return [str(row["request_id"]) for row in rows]


def _request(row: aiosqlite.Row) -> DeletionRequest:
    return DeletionRequest(
        request_id=row["request_id"],
        account_id=row["account_id"],
        status=Status(row["status"]),
        channel=row["channel"],
        correlation_id=row["correlation_id"],
        created_at=datetime.fromisoformat(row["created_at"]),
        code_hash=row["code_hash"],
        code_issued_at=_moment(row["code_issued_at"]),
        code_attempts=row["code_attempts"],
        purge_deadline=_moment(row["purge_deadline"]),
        participants=tuple(name for name in row["participants"].split(",") if name),
        completed=frozenset(name for name in (row["completed"] or "").split(",") if name),
    )


def _values(request: DeletionRequest) -> tuple[object, ...]:
    return (
        request.request_id,
        request.account_id,
        request.status.value,
        request.channel,
        request.correlation_id,
        request.code_hash,
        _stamp_or_none(request.code_issued_at),
        request.code_attempts,
        _stamp_or_none(request.purge_deadline),
        ",".join(request.participants),
        stamp(request.created_at),
    )


def _stamp_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else stamp(moment)
