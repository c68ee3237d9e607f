"""The purge's own tables: asks to participants, receipts, audit records and the leader lease."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from services.deletion.store import stamp
from shared.db import Database, Transaction

__all__ = [
    "PURGE_SCHEMA",
    "Ask",
    "Receipt",
    "asks_of",
    "asks_of_request",
    "audit",
    "completion_times",
    "due_asks",
    "load_receipt",
    "next_ask_at",
    "prune_audit",
    "record_ask",
    "save_receipt",
    "stop_asking",
]

PURGE_SCHEMA = """
-- Each participant asked to erase: how often, and when it is asked again if still silent.
CREATE TABLE IF NOT EXISTS purge_asks (
    request_id TEXT NOT NULL REFERENCES requests (request_id),
    participant TEXT NOT NULL,
    asks INTEGER NOT NULL,
    next_ask_at TEXT,
    PRIMARY KEY (request_id, participant)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS purge_asks_due ON purge_asks (next_ask_at)
    WHERE next_ask_at IS NOT NULL;
-- The signed proof of erasure (no personal data in it).
CREATE TABLE IF NOT EXISTS receipts (
    request_id TEXT PRIMARY KEY REFERENCES requests (request_id),
    document TEXT NOT NULL,
    signature TEXT NOT NULL,
    key_id TEXT NOT NULL
);
-- State changes by keyed account hash, kept for the configured retention, then pruned.
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT NOT NULL,
    account_hash TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_at ON audit (at);
"""


class Ask(NamedTuple):
    """One participant of one request, and how often it was asked."""

    request_id: str
    participant: str
    asks: int


class Receipt(NamedTuple):
    """A stored receipt: the canonical document, its signature and the key's id."""

    document: str
    signature: str
    key_id: str


async def record_ask(
    tx: Transaction, request_id: str, participant: str, asks: int, next_ask_at: datetime | None
) -> None:
    """Note that ``participant`` was asked (``asks`` times in all) and when to ask again."""
    await tx.execute(
        "INSERT INTO purge_asks (request_id, participant, asks, next_ask_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (request_id, participant) DO UPDATE SET asks = excluded.asks,"
        " next_ask_at = excluded.next_ask_at",
        (request_id, participant, asks, None if next_ask_at is None else stamp(next_ask_at)),
    )


async def stop_asking(tx: Transaction, request_id: str, participant: str) -> None:
    """``participant`` answered: it is not asked again."""
    await tx.execute(
        "UPDATE purge_asks SET next_ask_at = NULL WHERE request_id = ? AND participant = ?",
        (request_id, participant),
    )


async def due_asks(db: Database, now: datetime, limit: int) -> list[Ask]:
    """Participants still silent whose next ask is due, earliest first (indexed)."""
    rows = await db.fetch_all(
        "SELECT request_id, participant, asks FROM purge_asks"
        " WHERE next_ask_at IS NOT NULL AND next_ask_at <= ? ORDER BY next_ask_at LIMIT ?",
        (stamp(now), limit),
    )
    return [Ask(row["request_id"], row["participant"], row["asks"]) for row in rows]


async def next_ask_at(db: Database) -> datetime | None:
    """When the earliest silent participant is due to be asked again (the index's first)."""
    row = await db.fetch_one(
        "SELECT next_ask_at AS at FROM purge_asks WHERE next_ask_at IS NOT NULL"
        " ORDER BY next_ask_at LIMIT 1"
    )
    return None if row is None or row["at"] is None else datetime.fromisoformat(row["at"])


async def asks_of(tx: Transaction, request_id: str) -> dict[str, int]:
    """How often each participant of ``request_id`` was asked."""
    cursor = await tx.execute(
        "SELECT participant, asks FROM purge_asks WHERE request_id = ?", (request_id,)
    )
    rows = await cursor.fetchall()
    await cursor.close()
    return {row["participant"]: row["asks"] for row in rows}


async def asks_of_request(db: Database, request_id: str) -> dict[str, int]:
    """How often each participant of ``request_id`` was asked (a plain read)."""
    rows = await db.fetch_all(
        "SELECT participant, asks FROM purge_asks WHERE request_id = ?", (request_id,)
    )
    return {row["participant"]: row["asks"] for row in rows}


async def completion_times(tx: Transaction, request_id: str) -> dict[str, str]:
    """When each participant's answer arrived, as stored."""
    cursor = await tx.execute(
        "SELECT participant, completed_at FROM purge_completions WHERE request_id = ?",
        (request_id,),
    )
    rows = await cursor.fetchall()
    await cursor.close()
    return {row["participant"]: row["completed_at"] for row in rows}


async def save_receipt(tx: Transaction, request_id: str, receipt: Receipt) -> None:
    """Keep the signed receipt of a purged request."""
    await tx.execute(
        "INSERT INTO receipts (request_id, document, signature, key_id) VALUES (?, ?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        (request_id, *receipt),
    )


async def load_receipt(db: Database, request_id: str) -> Receipt | None:
    """The signed receipt of ``request_id``, if it is purged."""
    row = await db.fetch_one(
        "SELECT document, signature, key_id FROM receipts WHERE request_id = ?", (request_id,)
    )
    return None if row is None else Receipt(row["document"], row["signature"], row["key_id"])


async def audit(
    tx: Transaction,
    request_id: str,
    account_hash: str,
    change: tuple[str | None, str],
    at: datetime,
) -> None:
    """Record one state change ``(from, to)`` of a request, by keyed account hash."""
    await tx.execute(
        "INSERT INTO audit (request_id, account_hash, from_status, to_status, at)"
        " VALUES (?, ?, ?, ?, ?)",
        (request_id, account_hash, change[0], change[1], stamp(at)),
    )


async def prune_audit(db: Database, before: datetime) -> int:
    """Delete audit records older than ``before``; return how many went."""
    async with db.transaction() as tx:
        cursor = await tx.execute("DELETE FROM audit WHERE at < ?", (stamp(before),))
        return int(cursor.rowcount)
