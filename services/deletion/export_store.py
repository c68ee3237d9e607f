"""Deletion's export tables: exports, their sealed parts, and each account's export key pair.

Parts are stored as they arrived, sealed to the account's public key; the private key is kept
wrapped (AES-GCM under a key derived from deletion's secret) and is only unwrapped to build the
archive a signed-in owner downloads. The purge deletes the key pair with the rest, which makes
every copy of every part — here, on the broker, in backups — unreadable.
"""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from services.deletion.export_domain import Export, ExportStatus, PartState
from services.deletion.store import stamp
from shared.db import Database, Transaction, read_rows

__all__ = [
    "EXPORT_SCHEMA",
    "expired_export_ids",
    "forget_account",
    "in_progress_of",
    "insert",
    "latest_of",
    "load",
    "load_key",
    "overdue_assembling_ids",
    "recent",
    "remove",
    "save",
    "save_key",
    "save_part",
    "sealed_parts",
]

EXPORT_SCHEMA = """
CREATE TABLE IF NOT EXISTS exports (
    export_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    correlation_id TEXT NOT NULL,
    lang TEXT NOT NULL,
    status TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    answer_by TEXT NOT NULL,
    ready_at TEXT,
    expires_at TEXT,
    overdue INTEGER NOT NULL DEFAULT 0
);
-- One export in progress per account.
CREATE UNIQUE INDEX IF NOT EXISTS exports_one_assembling ON exports (account_id)
    WHERE status = 'assembling';
CREATE INDEX IF NOT EXISTS exports_by_account ON exports (account_id, requested_at);
CREATE INDEX IF NOT EXISTS exports_answer_by ON exports (status, answer_by);
CREATE INDEX IF NOT EXISTS exports_expiry ON exports (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS export_parts (
    export_id TEXT NOT NULL REFERENCES exports (export_id) ON DELETE CASCADE,
    participant TEXT NOT NULL,
    state TEXT NOT NULL,
    part_enc TEXT,
    PRIMARY KEY (export_id, participant)
) WITHOUT ROWID;
-- Each account's export key pair; the private key wrapped. Destroyed by the purge.
CREATE TABLE IF NOT EXISTS export_keys (
    account_id TEXT PRIMARY KEY,
    public_key TEXT NOT NULL,
    private_key_wrapped TEXT NOT NULL,
    created_at TEXT NOT NULL
);
"""

_COLUMNS = (
    "export_id, account_id, correlation_id, lang, status, requested_at, answer_by, ready_at,"
    " expires_at, overdue"
)


def _or_none(moment: datetime | None) -> str | None:
    return None if moment is None else stamp(moment)


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


async def _rows(
    db: Database | Transaction, sql: str, params: tuple[object, ...]
) -> list[aiosqlite.Row]:
    if isinstance(db, Database):
        return await db.fetch_all(sql, params)
    cursor = await db.execute(sql, params)
    rows = list(await cursor.fetchall())
    await cursor.close()
    return rows


async def insert(tx: Transaction, export: Export) -> None:
    """Store a new export and its pending parts."""
    await tx.execute(
        f"INSERT INTO exports ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608  # fixed columns, values bound
        (
            export.export_id,
            export.account_id,
            export.correlation_id,
            export.lang,
            export.status.value,
            stamp(export.requested_at),
            stamp(export.answer_by),
            _or_none(export.ready_at),
            _or_none(export.expires_at),
            int(export.overdue),
        ),
    )
    await tx.executemany(
        "INSERT INTO export_parts (export_id, participant, state) VALUES (?, ?, ?)",
        [(export.export_id, name, state) for name, state in export.parts],
    )


async def save(tx: Transaction, export: Export) -> None:
    """Write back an export's state and its parts' states."""
    await tx.execute(
        "UPDATE exports SET status = ?, ready_at = ?, expires_at = ?, overdue = ?"
        " WHERE export_id = ?",
        (
            export.status.value,
            _or_none(export.ready_at),
            _or_none(export.expires_at),
            int(export.overdue),
            export.export_id,
        ),
    )
    await tx.executemany(
        "UPDATE export_parts SET state = ? WHERE export_id = ? AND participant = ?",
        [(state, export.export_id, name) for name, state in export.parts],
    )


async def save_part(tx: Transaction, export_id: str, participant: str, part_enc: str) -> None:
    """Keep a participant's sealed part."""
    await tx.execute(
        "UPDATE export_parts SET part_enc = ? WHERE export_id = ? AND participant = ?",
        (part_enc, export_id, participant),
    )


async def load(db: Database | Transaction, export_id: str) -> Export | None:
    """The export with this id, or None."""
    rows = await read_rows(db, f"SELECT {_COLUMNS} FROM exports WHERE export_id = ?", (export_id,))  # noqa: S608  # fixed columns
    if not rows:
        return None
    parts = await read_rows(
        db,
        "SELECT participant, state FROM export_parts WHERE export_id = ? ORDER BY participant",
        (export_id,),
    )
    return _export(rows[0], tuple((row["participant"], row["state"]) for row in parts))


async def latest_of(db: Database | Transaction, account_id: str) -> Export | None:
    """The account's most recent export, if any."""
    rows = await read_rows(
        db,
        "SELECT export_id FROM exports WHERE account_id = ? ORDER BY requested_at DESC LIMIT 1",
        (account_id,),
    )
    return await load(db, str(rows[0]["export_id"])) if rows else None


async def recent(db: Database, overdue: bool | None, limit: int) -> list[Export]:
    """Exports for operators, newest first, filtered by the overdue flag."""
    rows = await db.fetch_all(
        "SELECT export_id FROM exports WHERE (? IS NULL OR overdue = ?)"
        " ORDER BY requested_at DESC LIMIT ?",
        (overdue, overdue, limit),
    )
    found = [await load(db, str(row["export_id"])) for row in rows]
    return [export for export in found if export is not None]


async def in_progress_of(tx: Transaction, account_id: str) -> str | None:
    """The id of the account's export being assembled, if any."""
    rows = await read_rows(
        tx,
        "SELECT export_id FROM exports WHERE account_id = ? AND status = ?",
        (account_id, ExportStatus.ASSEMBLING.value),
    )
    return str(rows[0]["export_id"]) if rows else None


async def sealed_parts(db: Database, export_id: str) -> dict[str, str]:
    """The delivered parts of an export, still sealed."""
    rows = await db.fetch_all(
        "SELECT participant, part_enc FROM export_parts"
        " WHERE export_id = ? AND part_enc IS NOT NULL",
        (export_id,),
    )
    return {row["participant"]: row["part_enc"] for row in rows}


async def overdue_assembling_ids(db: Database, now: datetime, limit: int) -> list[str]:
    """Exports still assembling past their ``answer_by`` (indexed)."""
    rows = await db.fetch_all(
        "SELECT export_id FROM exports WHERE status = ? AND answer_by <= ? LIMIT ?",
        (ExportStatus.ASSEMBLING.value, stamp(now), limit),
    )
    return [str(row["export_id"]) for row in rows]


async def expired_export_ids(db: Database, now: datetime, limit: int) -> list[str]:
    """Ready exports past their ``expires_at`` (indexed)."""
    rows = await db.fetch_all(
        "SELECT export_id FROM exports WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT ?",
        (stamp(now), limit),
    )
    return [str(row["export_id"]) for row in rows]


async def remove(tx: Transaction, export_id: str) -> None:
    """Destroy one export and its parts."""
    await tx.execute("DELETE FROM export_parts WHERE export_id = ?", (export_id,))
    await tx.execute("DELETE FROM exports WHERE export_id = ?", (export_id,))


async def save_key(
    tx: Transaction, account_id: str, public_key: str, wrapped: str, now: datetime
) -> None:
    """Keep the account's export key pair (the private key wrapped)."""
    await tx.execute(
        "INSERT INTO export_keys (account_id, public_key, private_key_wrapped, created_at)"
        " VALUES (?, ?, ?, ?)",
        (account_id, public_key, wrapped, stamp(now)),
    )


async def load_key(db: Database | Transaction, account_id: str) -> tuple[str, str] | None:
    """The account's ``(public_key, wrapped private key)``, if it has one."""
    rows = await read_rows(
        db,
        "SELECT public_key, private_key_wrapped FROM export_keys WHERE account_id = ?",
        (account_id,),
    )
    return (rows[0]["public_key"], rows[0]["private_key_wrapped"]) if rows else None


async def forget_account(tx: Transaction, account_id: str) -> int:
    """The purge: every export of the account, its parts and its key pair go; return exports."""
    cursor = await tx.execute(
        "DELETE FROM export_parts WHERE export_id IN"
        " (SELECT export_id FROM exports WHERE account_id = ?)",
        (account_id,),
    )
    await cursor.close()
    cursor = await tx.execute("DELETE FROM exports WHERE account_id = ?", (account_id,))
    removed = int(cursor.rowcount)
    await cursor.close()
    await tx.execute("DELETE FROM export_keys WHERE account_id = ?", (account_id,))
    return removed


def _export(row: aiosqlite.Row, parts: tuple[tuple[str, PartState], ...]) -> Export:
    return Export(
        export_id=row["export_id"],
        account_id=row["account_id"],
        correlation_id=row["correlation_id"],
        lang=row["lang"],
        status=ExportStatus(row["status"]),
        requested_at=datetime.fromisoformat(row["requested_at"]),
        answer_by=datetime.fromisoformat(row["answer_by"]),
        parts=parts,
        ready_at=_moment(row["ready_at"]),
        expires_at=_moment(row["expires_at"]),
        overdue=bool(row["overdue"]),
    )
