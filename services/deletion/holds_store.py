"""Deletion's table of holds, and the per-participant asks of its fan-outs (holds, export).

Holds carry reason codes and the participant's texts, never personal data; an account's rows
go at the purge. The ask table is the fan-out bookkeeping the purge has in ``purge_asks``, for
the two other questions deletion asks participants.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, NamedTuple

import aiosqlite

from services.deletion.holds import Hold
from services.deletion.store import stamp
from shared.db import Database, Transaction, read_rows

__all__ = [
    "HOLDS_SCHEMA",
    "FanoutAsk",
    "Kind",
    "accounts_with_lapsed_holds",
    "asks_for",
    "drop_lapsed",
    "due_fanout_asks",
    "forget_account",
    "holds_answered",
    "holds_of",
    "list_holds",
    "record_asks",
    "record_fanout_ask",
    "replace_holds",
    "stop_fanout",
]

Kind = Literal["holds", "export"]

HOLDS_SCHEMA = """
CREATE TABLE IF NOT EXISTS holds (
    account_id TEXT NOT NULL,
    participant TEXT NOT NULL,
    hold_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    text_nb TEXT NOT NULL,
    text_en TEXT NOT NULL,
    placed_at TEXT NOT NULL,
    until TEXT,
    PRIMARY KEY (account_id, participant, hold_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS holds_until ON holds (until) WHERE until IS NOT NULL;
CREATE INDEX IF NOT EXISTS holds_placed ON holds (placed_at);
-- Each participant asked a fan-out question (the hold query of a request, an export).
CREATE TABLE IF NOT EXISTS fanout_asks (
    kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    participant TEXT NOT NULL,
    asks INTEGER NOT NULL,
    next_ask_at TEXT,
    answered INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (kind, subject_id, participant)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS fanout_asks_due ON fanout_asks (next_ask_at)
    WHERE next_ask_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS fanout_asks_account ON fanout_asks (account_id);
"""

_HOLD_COLUMNS = "participant, hold_id, reason, text_nb, text_en, placed_at, until"


class FanoutAsk(NamedTuple):
    """One participant asked one question, and how often."""

    kind: Kind
    subject_id: str
    account_id: str
    participant: str
    asks: int


def _hold(row: aiosqlite.Row) -> Hold:
    until = row["until"]
    return Hold(
        participant=row["participant"],
        hold_id=row["hold_id"],
        reason=row["reason"],
        text_nb=row["text_nb"],
        text_en=row["text_en"],
        placed_at=datetime.fromisoformat(row["placed_at"]),
        until=None if until is None else datetime.fromisoformat(until),
    )


async def replace_holds(
    tx: Transaction, account_id: str, participant: str, holds: list[Hold]
) -> list[Hold]:
    """Make ``holds`` the participant's holds on the account; a known hold keeps its age.

    Returns the holds as stored (with the original ``placed_at`` of those already known).
    """
    cursor = await tx.execute(
        f"SELECT {_HOLD_COLUMNS} FROM holds WHERE account_id = ? AND participant = ?",  # noqa: S608  # fixed columns, values bound
        (account_id, participant),
    )
    known = {row["hold_id"]: _hold(row) for row in await cursor.fetchall()}
    await cursor.close()
    await tx.execute(
        "DELETE FROM holds WHERE account_id = ? AND participant = ?", (account_id, participant)
    )
    stored = []
    for hold in holds:
        previous = known.get(hold.hold_id)
        placed = previous.placed_at if previous is not None else hold.placed_at
        stored.append(
            Hold(
                participant,
                hold.hold_id,
                hold.reason,
                hold.text_nb,
                hold.text_en,
                placed,
                hold.until,
            )
        )
    await tx.executemany(
        f"INSERT INTO holds (account_id, {_HOLD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608  # fixed columns, values bound
        [(account_id, *_hold_values(h)) for h in stored],
    )
    return stored


def _hold_values(h: Hold) -> tuple[object, ...]:
    until = None if h.until is None else stamp(h.until)
    return (h.participant, h.hold_id, h.reason, h.text_nb, h.text_en, stamp(h.placed_at), until)


async def holds_of(db: Database | Transaction, account_id: str) -> list[Hold]:
    """Every stored hold of the account (active or lapsed by ``until``)."""
    sql = f"SELECT {_HOLD_COLUMNS} FROM holds WHERE account_id = ?"  # noqa: S608  # fixed columns
    rows = await read_rows(db, sql, (account_id,))
    return [_hold(row) for row in rows]


async def list_holds(db: Database, limit: int) -> list[tuple[str, Hold]]:
    """``(account_id, hold)`` for operators, oldest first."""
    rows = await db.fetch_all(
        f"SELECT account_id, {_HOLD_COLUMNS} FROM holds ORDER BY placed_at LIMIT ?",  # noqa: S608  # fixed columns, values bound
        (limit,),
    )
    return [(row["account_id"], _hold(row)) for row in rows]


async def accounts_with_lapsed_holds(db: Database, now: datetime, limit: int) -> list[str]:
    """Accounts with a hold whose ``until`` has passed (indexed)."""
    rows = await db.fetch_all(
        "SELECT DISTINCT account_id FROM holds WHERE until IS NOT NULL AND until <= ? LIMIT ?",
        (stamp(now), limit),
    )
    return [str(row["account_id"]) for row in rows]


async def drop_lapsed(tx: Transaction, account_id: str, now: datetime) -> None:
    """Delete the account's holds whose ``until`` has passed."""
    await tx.execute(
        "DELETE FROM holds WHERE account_id = ? AND until IS NOT NULL AND until <= ?",
        (account_id, stamp(now)),
    )


async def record_fanout_ask(tx: Transaction, ask: FanoutAsk, next_ask_at: datetime | None) -> None:
    """Note that a participant was asked (``ask.asks`` times in all) and when to ask again."""
    await tx.execute(
        "INSERT INTO fanout_asks (kind, subject_id, account_id, participant, asks, next_ask_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (kind, subject_id, participant) DO UPDATE SET"
        " asks = excluded.asks, next_ask_at = excluded.next_ask_at",
        (*ask, None if next_ask_at is None else stamp(next_ask_at)),
    )


async def record_asks(
    tx: Transaction,
    question: tuple[Kind, str, str],
    participants: tuple[str, ...],
    asks: int,
    next_ask_at: datetime,
) -> None:
    """:func:`record_fanout_ask` for each of ``participants`` of ``(kind, subject, account)``."""
    for name in participants:
        await record_fanout_ask(tx, FanoutAsk(*question, name, asks), next_ask_at)


async def stop_fanout(
    tx: Transaction, kind: Kind, subject_id: str, participant: str, *, answered: bool
) -> None:
    """The participant is not asked again: it answered, or it was asked often enough."""
    await tx.execute(
        "UPDATE fanout_asks SET next_ask_at = NULL, answered = MAX(answered, ?)"
        " WHERE kind = ? AND subject_id = ? AND participant = ?",
        (int(answered), kind, subject_id, participant),
    )


async def holds_answered(tx: Transaction, account_id: str, participant: str) -> None:
    """Any report of a participant's holds answers every hold query about the account."""
    await tx.execute(
        "UPDATE fanout_asks SET next_ask_at = NULL, answered = 1"
        " WHERE kind = 'holds' AND account_id = ? AND participant = ?",
        (account_id, participant),
    )


async def due_fanout_asks(db: Database, now: datetime, limit: int) -> list[FanoutAsk]:
    """Participants still silent whose next ask is due, earliest first (indexed)."""
    rows = await db.fetch_all(
        "SELECT kind, subject_id, account_id, participant, asks FROM fanout_asks"
        " WHERE next_ask_at IS NOT NULL AND next_ask_at <= ? ORDER BY next_ask_at LIMIT ?",
        (stamp(now), limit),
    )
    return [FanoutAsk(*(row[name] for name in FanoutAsk._fields)) for row in rows]


async def asks_for(db: Database, kind: Kind, subject_id: str) -> dict[str, tuple[int, bool]]:
    """Each participant's ``(asks, answered)`` for one question."""
    rows = await db.fetch_all(
        "SELECT participant, asks, answered FROM fanout_asks WHERE kind = ? AND subject_id = ?",
        (kind, subject_id),
    )
    return {row["participant"]: (row["asks"], bool(row["answered"])) for row in rows}


async def forget_account(tx: Transaction, account_id: str) -> None:
    """The purge: the account's holds and asks go."""
    await tx.execute("DELETE FROM holds WHERE account_id = ?", (account_id,))
    await tx.execute("DELETE FROM fanout_asks WHERE account_id = ?", (account_id,))
