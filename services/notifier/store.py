"""The notifier's SQLite tables and queries.

``contacts`` holds addresses only as the ciphertexts the commands carried; ``deliveries`` is the
ledger of what to send, keyed by the command's ``notification_id`` so a repeated command cannot
make a second row. A delivery's code ciphertext is erased when it is sent or given up.
``previous_addresses`` keeps a replaced address (ciphertext) until the address-changed notice
has taken it; ``code_throttle`` counts codes per recipient under a keyed hash, never the address.
``SCHEMA`` is the current shape; ``MIGRATIONS`` brings a file made by an earlier release up to it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from services.notifier.domain import Contact, Delivery, PreviousAddresses
from shared.db import Database, Migration, Transaction, add_columns, read_row

__all__ = [
    "MIGRATIONS",
    "SCHEMA",
    "due_deliveries",
    "finish",
    "forget_account",
    "insert_delivery",
    "load_contact",
    "pending_for_account",
    "purge_account",
    "recent_codes",
    "record_code",
    "remember_previous",
    "schedule_retry",
    "take_previous",
    "upsert_contact",
    "wait_for_contact",
    "wake_contact_waiters",
]

SCHEMA = """
CREATE TABLE IF NOT EXISTS contacts (
    account_id TEXT PRIMARY KEY,
    language TEXT NOT NULL,
    email_enc TEXT,
    phone_enc TEXT,
    retained_for_confirmation INTEGER NOT NULL DEFAULT 0,
    time_zone TEXT,
    updated_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS previous_addresses (
    account_id TEXT PRIMARY KEY,
    email_enc TEXT,
    phone_enc TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS code_throttle (
    recipient_key TEXT NOT NULL,
    account_id TEXT NOT NULL,
    sent_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS code_throttle_by_recipient ON code_throttle (recipient_key, sent_at);
CREATE TABLE IF NOT EXISTS deliveries (
    notification_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    correlation_id TEXT NOT NULL,
    command TEXT NOT NULL,
    template TEXT NOT NULL,
    channel TEXT,
    code_enc TEXT,
    destination_enc TEXT,
    valid_minutes INTEGER,
    deadline TEXT,
    requested_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_reason TEXT,
    finished_at TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS deliveries_by_account ON deliveries (account_id);
"""

# Append only: a released step never changes, a new change gets the next version.
MIGRATIONS: tuple[Migration, ...] = ((1, add_columns("contacts", {"time_zone": "TEXT"})),)

_DELIVERY_COLUMNS = (
    "notification_id, account_id, correlation_id, command, template, channel, code_enc,"
    " destination_enc, valid_minutes, deadline, requested_at, attempts"
)


def _ts(moment: datetime) -> str:
    # One fixed width in UTC, so comparing the text compares the times.
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


async def upsert_contact(tx: Transaction, contact: Contact, now: datetime) -> None:
    """Store the latest addresses; an account kept only for its confirmation is not revived."""
    await tx.execute(
        "INSERT INTO contacts (account_id, language, email_enc, phone_enc, time_zone, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (account_id) DO UPDATE SET language = excluded.language,"
        " email_enc = excluded.email_enc, phone_enc = excluded.phone_enc,"
        " time_zone = excluded.time_zone, updated_at = excluded.updated_at"
        " WHERE contacts.retained_for_confirmation = 0",
        (
            contact.account_id,
            contact.language,
            contact.email_enc,
            contact.phone_enc,
            contact.time_zone,
            _ts(now),
        ),
    )


async def load_contact(conn: Transaction | Database, account_id: str) -> Contact | None:
    """The account's contact row, read in a transaction or on its own."""
    sql = (
        "SELECT account_id, language, email_enc, phone_enc, retained_for_confirmation, time_zone"
        " FROM contacts WHERE account_id = ?"
    )
    row = await read_row(conn, sql, (account_id,))
    if row is None:
        return None
    return Contact(
        account_id=row["account_id"],
        language=row["language"],
        email_enc=row["email_enc"],
        phone_enc=row["phone_enc"],
        retained_for_confirmation=bool(row["retained_for_confirmation"]),
        time_zone=row["time_zone"],
    )


async def remember_previous(tx: Transaction, account_id: str, previous: PreviousAddresses) -> None:
    """Keep the addresses a change replaced (a newer replacement of the same kind wins)."""
    await tx.execute(
        "INSERT INTO previous_addresses (account_id, email_enc, phone_enc) VALUES (?, ?, ?)"
        " ON CONFLICT (account_id) DO UPDATE SET"
        " email_enc = coalesce(excluded.email_enc, previous_addresses.email_enc),"
        " phone_enc = coalesce(excluded.phone_enc, previous_addresses.phone_enc)",
        (account_id, previous.email_enc, previous.phone_enc),
    )


async def take_previous(tx: Transaction, account_id: str) -> PreviousAddresses:
    """The replaced addresses, erased as they are handed over (the notice needs them once)."""
    cursor = await tx.execute(
        "DELETE FROM previous_addresses WHERE account_id = ? RETURNING email_enc, phone_enc",
        (account_id,),
    )
    row = await cursor.fetchone()
    await cursor.close()
    if row is None:
        return PreviousAddresses()
    return PreviousAddresses(email_enc=row["email_enc"], phone_enc=row["phone_enc"])


async def recent_codes(tx: Transaction, recipient_key: str, since: datetime) -> int:
    """How many codes went to the recipient since ``since``; older counts are dropped."""
    await tx.execute("DELETE FROM code_throttle WHERE sent_at < ?", (_ts(since),))
    cursor = await tx.execute(
        "SELECT count(*) FROM code_throttle WHERE recipient_key = ? AND sent_at >= ?",
        (recipient_key, _ts(since)),
    )
    row = await cursor.fetchone()
    await cursor.close()
    return int(row[0]) if row is not None else 0


async def record_code(tx: Transaction, recipient_key: str, account_id: str, now: datetime) -> None:
    """Count one code to the recipient (the account id lets a purge erase the count)."""
    await tx.execute(
        "INSERT INTO code_throttle (recipient_key, account_id, sent_at) VALUES (?, ?, ?)",
        (recipient_key, account_id, _ts(now)),
    )


async def insert_delivery(tx: Transaction, delivery: Delivery, now: datetime) -> bool:
    """Record a pending delivery, due now; False if its notification id is known already."""
    cursor = await tx.execute(
        f"INSERT INTO deliveries ({_DELIVERY_COLUMNS}, status, next_attempt_at)"  # noqa: S608  # a constant column list, no input
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 'pending', ?)"
        " ON CONFLICT (notification_id) DO NOTHING",
        (
            delivery.notification_id,
            delivery.account_id,
            delivery.correlation_id,
            delivery.command,
            delivery.template,
            delivery.channel,
            delivery.code_enc,
            delivery.destination_enc,
            delivery.valid_minutes,
            _ts(delivery.deadline) if delivery.deadline else None,
            _ts(delivery.requested_at),
            _ts(now),
        ),
    )
    inserted = cursor.rowcount == 1
    await cursor.close()
    return inserted


async def due_deliveries(db: Database, now: datetime, limit: int) -> list[Delivery]:
    """Pending deliveries whose next attempt is due, oldest first."""
    rows = await db.fetch_all(
        f"SELECT {_DELIVERY_COLUMNS} FROM deliveries"  # noqa: S608  # a constant column list, no input
        " WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?",
        (_ts(now), limit),
    )
    return [_delivery(row) for row in rows]


def _delivery(row: Any) -> Delivery:
    deadline = row["deadline"]
    return Delivery(
        notification_id=row["notification_id"],
        account_id=row["account_id"],
        correlation_id=row["correlation_id"],
        command=row["command"],
        template=row["template"],
        channel=row["channel"],
        code_enc=row["code_enc"],
        destination_enc=row["destination_enc"],
        valid_minutes=row["valid_minutes"],
        deadline=datetime.fromisoformat(deadline) if deadline else None,
        requested_at=datetime.fromisoformat(row["requested_at"]),
        attempts=row["attempts"],
    )


async def finish(
    tx: Transaction, notification_id: str, status: str, now: datetime, reason: str | None = None
) -> bool:
    """Close a pending delivery as sent or failed, erasing its ciphertexts; False if not pending."""
    cursor = await tx.execute(
        "UPDATE deliveries SET status = ?, attempts = attempts + 1, code_enc = NULL,"
        " destination_enc = NULL, last_reason = ?, finished_at = ?"
        " WHERE notification_id = ? AND status = 'pending'",
        (status, reason, _ts(now), notification_id),
    )
    changed = cursor.rowcount == 1
    await cursor.close()
    return changed


async def schedule_retry(
    tx: Transaction, notification_id: str, next_attempt_at: datetime, reason: str
) -> None:
    """Count a failed attempt and set when to try again."""
    await tx.execute(
        "UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ?, last_reason = ?"
        " WHERE notification_id = ? AND status = 'pending'",
        (_ts(next_attempt_at), reason, notification_id),
    )


async def wait_for_contact(
    tx: Transaction, notification_id: str, next_look_at: datetime, reason: str
) -> None:
    """Park a delivery until its contact arrives (not counted as a failed attempt)."""
    await tx.execute(
        "UPDATE deliveries SET next_attempt_at = ?, last_reason = ?"
        " WHERE notification_id = ? AND status = 'pending'",
        (_ts(next_look_at), reason, notification_id),
    )


async def wake_contact_waiters(tx: Transaction, account_id: str, now: datetime, reason: str) -> int:
    """Make the account's deliveries that wait for its contact due now; return how many."""
    cursor = await tx.execute(
        "UPDATE deliveries SET next_attempt_at = ?"
        " WHERE account_id = ? AND status = 'pending' AND last_reason = ?",
        (_ts(now), account_id, reason),
    )
    woken = cursor.rowcount
    await cursor.close()
    return woken


async def pending_for_account(tx: Transaction, account_id: str) -> list[Delivery]:
    """The account's deliveries still waiting to be sent, oldest first."""
    cursor = await tx.execute(
        f"SELECT {_DELIVERY_COLUMNS} FROM deliveries"  # noqa: S608  # a constant column list, no input
        " WHERE account_id = ? AND status = 'pending' ORDER BY requested_at",
        (account_id,),
    )
    rows = await cursor.fetchall()
    await cursor.close()
    return [_delivery(row) for row in rows]


async def purge_account(tx: Transaction, account_id: str, retained: Contact | None) -> None:
    """Erase the account's deliveries and reduce its contact row to ``retained`` (if any)."""
    # A final confirmation already queued stays: the retained address is kept for it.
    await tx.execute(
        "DELETE FROM deliveries WHERE account_id = ?"
        " AND NOT (status = 'pending' AND template = 'deletion_completed')",
        (account_id,),
    )
    await tx.execute("DELETE FROM previous_addresses WHERE account_id = ?", (account_id,))
    await tx.execute("DELETE FROM code_throttle WHERE account_id = ?", (account_id,))
    if retained is None:
        return
    await tx.execute(
        "UPDATE contacts SET email_enc = ?, phone_enc = ?, time_zone = ?,"
        " retained_for_confirmation = 1 WHERE account_id = ?",
        (retained.email_enc, retained.phone_enc, retained.time_zone, account_id),
    )


async def forget_account(tx: Transaction, account_id: str) -> None:
    """After the final confirmation: drop the contact and unlink the deliveries from the account.

    The delivery rows stay, without account or correlation id, so a repeated command with the
    same notification id is still recognised and not sent twice.
    """
    await tx.execute("DELETE FROM contacts WHERE account_id = ?", (account_id,))
    await tx.execute("DELETE FROM previous_addresses WHERE account_id = ?", (account_id,))
    await tx.execute("DELETE FROM code_throttle WHERE account_id = ?", (account_id,))
    await tx.execute(
        "UPDATE deliveries SET account_id = '', correlation_id = '' WHERE account_id = ?",
        (account_id,),
    )
