"""Deletion's request table and its queries.

Times are stored as fixed-width UTC ISO strings, so comparing the text compares the instants
(the timer's indexed scans rely on it). Codes are stored only as keyed hashes; after a purge
the account id is replaced by its keyed hash. The purge's own tables are in
:mod:`services.deletion.purge_store`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import aiosqlite

from services.deletion.domain import DeletionRequest, Status
from shared.db import Database, Migration, Transaction, add_columns

__all__ = [
    "REQUESTS_MIGRATIONS",
    "REQUESTS_SCHEMA",
    "due_request_ids",
    "find_owned",
    "forget_account",
    "insert",
    "lapsed_request_ids",
    "list_requests",
    "load",
    "load_by_code_notification",
    "next_purge_or_lapse_at",
    "open_request_of",
    "purge_begun",
    "save",
    "stamp",
]

REQUESTS_SCHEMA = """
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
    updated_at TEXT NOT NULL,
    expires_at TEXT,
    codes_sent INTEGER NOT NULL DEFAULT 0,
    code_notification_id TEXT,
    code_delivery_failed INTEGER NOT NULL DEFAULT 0,
    confirmed_at TEXT,
    purge_at TEXT,
    overdue INTEGER NOT NULL DEFAULT 0,
    paused_at TEXT,
    code_delayed INTEGER NOT NULL DEFAULT 0
);
-- The timer's scans: scheduled requests in start order, open requests in expiry order.
DROP INDEX IF EXISTS requests_due;
CREATE INDEX IF NOT EXISTS requests_purge_due ON requests (status, purge_at);
CREATE INDEX IF NOT EXISTS requests_lapse ON requests (status, expires_at);
CREATE INDEX IF NOT EXISTS requests_code_notification ON requests (code_notification_id)
    WHERE code_notification_id IS NOT NULL;
-- One request in progress per account; also the ownership look-up.
DROP INDEX IF EXISTS requests_open_per_account;
CREATE UNIQUE INDEX IF NOT EXISTS requests_one_in_progress ON requests (account_id)
    WHERE status IN ('awaiting_survey', 'awaiting_code', 'scheduled', 'purging');
CREATE TABLE IF NOT EXISTS purge_completions (
    request_id TEXT NOT NULL REFERENCES requests (request_id),
    participant TEXT NOT NULL,
    completed_at TEXT NOT NULL,
    PRIMARY KEY (request_id, participant)
) WITHOUT ROWID;
"""

# Append only: a released step never changes, a new change gets the next version.
# Step 1: the columns added after the first release (files from before versioning may have some).
REQUESTS_MIGRATIONS: tuple[Migration, ...] = (
    (
        1,
        add_columns(
            "requests",
            {
                "expires_at": "TEXT",
                "codes_sent": "INTEGER NOT NULL DEFAULT 0",
                "code_notification_id": "TEXT",
                "code_delivery_failed": "INTEGER NOT NULL DEFAULT 0",
                "confirmed_at": "TEXT",
                "purge_at": "TEXT",
                "overdue": "INTEGER NOT NULL DEFAULT 0",
            },
        ),
    ),
    # Step 2: a hold pauses the timer (services.deletion.holds).
    (2, add_columns("requests", {"paused_at": "TEXT"})),
    (3, add_columns("requests", {"code_delayed": "INTEGER NOT NULL DEFAULT 0"})),
)

_MUTABLE = (
    "status, channel, code_hash, code_issued_at, code_attempts, codes_sent, code_notification_id,"
    " code_delivery_failed, expires_at, confirmed_at, purge_deadline, purge_at, participants,"
    " overdue, paused_at, code_delayed"
)
_COLUMNS = f"request_id, account_id, correlation_id, created_at, {_MUTABLE}"
_IN_PROGRESS = ("awaiting_survey", "awaiting_code", "scheduled", "purging")

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


def _or_none(moment: datetime | None) -> str | None:
    return None if moment is None else stamp(moment)


def _mutable(request: DeletionRequest) -> tuple[object, ...]:
    return (
        request.status.value,
        request.channel,
        request.code_hash,
        _or_none(request.code_issued_at),
        request.code_attempts,
        request.codes_sent,
        request.code_notification_id,
        int(request.code_delivery_failed),
        _or_none(request.expires_at),
        _or_none(request.confirmed_at),
        _or_none(request.purge_deadline),
        _or_none(request.purge_at),
        ",".join(request.participants),
        int(request.overdue),
        _or_none(request.paused_at),
        int(request.code_delayed),
    )


async def insert(tx: Transaction, request: DeletionRequest, now: datetime) -> None:
    """Store a new request."""
    fixed = (request.request_id, request.account_id, request.correlation_id)
    values = (*fixed, stamp(request.created_at), *_mutable(request), stamp(now))
    marks = ", ".join("?" for _ in values)
    await tx.execute(f"INSERT INTO requests ({_COLUMNS}, updated_at) VALUES ({marks})", values)  # noqa: S608  # fixed columns, values bound


async def save(tx: Transaction, request: DeletionRequest, now: datetime) -> None:
    """Write back a request's mutable fields and any new purge completions."""
    assignments = ", ".join(f"{name.strip()} = ?" for name in _MUTABLE.split(","))
    await tx.execute(
        f"UPDATE requests SET {assignments}, updated_at = ? WHERE request_id = ?",  # noqa: S608  # fixed columns, values bound
        (*_mutable(request), stamp(now), request.request_id),
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
    return await _one(tx, _SELECT + "request_id = ?", (request_id,))


async def load_by_code_notification(
    tx: Transaction, notification_id: str
) -> DeletionRequest | None:
    """The request whose latest code went out as ``notification_id``, if any."""
    return await _one(tx, _SELECT + "code_notification_id = ?", (notification_id,))


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
    """The id of the account's request in progress, if any."""
    cursor = await tx.execute(
        "SELECT request_id FROM requests WHERE account_id = ? AND status IN (?, ?, ?, ?)",
        (account_id, *_IN_PROGRESS),
    )
    row = await cursor.fetchone()
    await cursor.close()
    return None if row is None else str(row["request_id"])


async def purge_begun(tx: Transaction, account_keys: Sequence[str]) -> bool:
    """Whether the account's purge has started (or ended): nothing new may be kept about it."""
    marks = ", ".join("?" for _ in account_keys)
    cursor = await tx.execute(
        f"SELECT 1 FROM requests WHERE account_id IN ({marks}) AND status IN (?, ?) LIMIT 1",  # noqa: S608  # placeholders only
        (*account_keys, Status.PURGING.value, Status.PURGED.value),
    )
    row = await cursor.fetchone()
    await cursor.close()
    return row is not None


async def due_request_ids(db: Database, now: datetime, limit: int) -> list[str]:
    """Scheduled requests whose purge should have started, earliest first (indexed)."""
    rows = await db.fetch_all(
        "SELECT request_id FROM requests WHERE status = ? AND purge_at <= ?"
        " ORDER BY purge_at LIMIT ?",
        (Status.SCHEDULED.value, stamp(now), limit),
    )
    return [str(row["request_id"]) for row in rows]


async def lapsed_request_ids(db: Database, now: datetime, limit: int) -> list[str]:
    """Requests still awaiting survey or code past their ``expires_at`` (indexed per status)."""
    rows = await db.fetch_all(
        "SELECT request_id FROM requests WHERE status = ? AND expires_at <= ?"
        " UNION ALL SELECT request_id FROM requests WHERE status = ? AND expires_at <= ?"
        " LIMIT ?",
        (Status.AWAITING_SURVEY.value, stamp(now), Status.AWAITING_CODE.value, stamp(now), limit),
    )
    return [str(row["request_id"]) for row in rows]


async def next_purge_or_lapse_at(db: Database) -> datetime | None:
    """The earliest purge start or lapse still ahead, or overdue (each an index's first entry)."""
    # ORDER BY ... LIMIT 1 per status walks to the first index entry and stops: O(log n).
    first = (
        "SELECT {0} AS at FROM requests WHERE status = ? AND {0} IS NOT NULL ORDER BY {0} LIMIT 1"
    )
    row = await db.fetch_one(
        f"SELECT min(at) AS at FROM (SELECT * FROM ({first.format('purge_at')})"  # noqa: S608  # fixed SQL, values bound
        f" UNION ALL SELECT * FROM ({first.format('expires_at')})"
        f" UNION ALL SELECT * FROM ({first.format('expires_at')}))",
        (Status.SCHEDULED.value, Status.AWAITING_SURVEY.value, Status.AWAITING_CODE.value),
    )
    return None if row is None else _moment(row["at"])


async def list_requests(
    db: Database, status: Status | None, overdue: bool | None, limit: int
) -> list[DeletionRequest]:
    """Requests for operators, newest first, filtered by status and the overdue flag."""
    value = None if status is None else status.value
    rows = await db.fetch_all(
        _SELECT + "(? IS NULL OR status = ?) AND (? IS NULL OR overdue = ?)"
        " ORDER BY created_at DESC LIMIT ?",
        (value, value, overdue, overdue, limit),
    )
    return [_request(row) for row in rows]


async def _one(tx: Transaction, sql: str, params: tuple[object, ...]) -> DeletionRequest | None:
    cursor = await tx.execute(sql, params)
    row = await cursor.fetchone()
    await cursor.close()
    return None if row is None else _request(row)


def _request(row: aiosqlite.Row) -> DeletionRequest:
    return DeletionRequest(
        request_id=row["request_id"],
        account_id=row["account_id"],
        status=Status(row["status"]),
        channel=row["channel"],
        correlation_id=row["correlation_id"],
        created_at=datetime.fromisoformat(row["created_at"]),
        expires_at=_moment(row["expires_at"]),
        code_hash=row["code_hash"],
        code_issued_at=_moment(row["code_issued_at"]),
        code_attempts=row["code_attempts"],
        codes_sent=row["codes_sent"],
        code_notification_id=row["code_notification_id"],
        code_delivery_failed=bool(row["code_delivery_failed"]),
        confirmed_at=_moment(row["confirmed_at"]),
        purge_deadline=_moment(row["purge_deadline"]),
        purge_at=_moment(row["purge_at"]),
        participants=tuple(name for name in row["participants"].split(",") if name),
        completed=frozenset(name for name in (row["completed"] or "").split(",") if name),
        overdue=bool(row["overdue"]),
        paused_at=_moment(row["paused_at"]),
        code_delayed=bool(row["code_delayed"]),
    )
