"""The writer's side of crypto-shredding: seal fields to the account's key, or hold the event.

A writer (auth for addresses, deletion and auth for codes) learns each account's public key
from the reader's NotificationKeyIssued event and keeps it in ``recipient_keys``. To publish an
event with sensitive fields it calls :func:`enqueue_sealed`: with a key known, the fields are
sealed (:func:`shared.shredding.seal_field`) and the event goes to the outbox as usual. Without one
(the key is issued on registration, so this is the moment just after it, or an account from
before the upgrade), the event waits in ``awaiting_key``: its fields encrypted under the
writer's own at-rest key, never in clear, never on the wire. The key's arrival releases the
held events in order. One that waits longer than ``hold_seconds`` is erased and reported as a
dead letter on ``<topic>.dlq`` with the reason; the person can ask for a new code.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shared.clock import Clock
from shared.crypto import DecryptionError, FieldCipher
from shared.db import Database, Transaction
from shared.events import Event, NotificationKeyIssued, decode_event, encode_event
from shared.outbox import enqueue, enqueue_raw
from shared.shredding import seal_field
from shared.topics import Topics

__all__ = [
    "SEALING_SCHEMA",
    "Sealer",
    "enqueue_sealed",
    "expire_held",
    "forget_recipient",
    "record_recipient_key",
]

log = logging.getLogger(__name__)

SEALING_SCHEMA = """
CREATE TABLE IF NOT EXISTS recipient_keys (
    account_id TEXT PRIMARY KEY,
    public_key TEXT NOT NULL,
    received_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS awaiting_key (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    event TEXT NOT NULL,
    fields_enc TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS awaiting_key_by_account ON awaiting_key (account_id);
"""


@dataclass(frozen=True)
class Sealer:
    """What a writer needs to seal fields or hold them.

    ``holding`` is the writer's own at-rest key (derived from one of its secrets), used only
    for the few seconds an event waits for its account's key.
    """

    holding: FieldCipher
    clock: Clock
    hold_seconds: float = 120.0


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


async def enqueue_sealed(
    tx: Transaction,
    sealer: Sealer,
    topic: str,
    event: Event,
    fields: Mapping[str, str | None],
) -> None:
    """Queue ``event`` with each payload field in ``fields`` sealed to the account's key.

    ``event`` is built with placeholders for those fields; a None value stays None.
    """
    public_key = await _public_key(tx, event.account_id)
    if public_key is not None:
        await enqueue(tx, topic, _sealed(event, public_key, fields), sealer.clock)
        return
    secrets = sealer.holding.encrypt(json.dumps(dict(fields)), _context(event.account_id))
    expires = sealer.clock.now() + timedelta(seconds=sealer.hold_seconds)
    await tx.execute(
        "INSERT INTO awaiting_key (account_id, topic, event, fields_enc, expires_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (event.account_id, topic, encode_event(event).decode(), secrets, _ts(expires)),
    )
    log.info("%s waits for the account's key", event.event_type, extra=_ids(event))


async def record_recipient_key(
    tx: Transaction, sealer: Sealer, event: NotificationKeyIssued
) -> None:
    """Keep the account's public key and release, in order, the events waiting for it."""
    await tx.execute(
        "INSERT INTO recipient_keys (account_id, public_key, received_at) VALUES (?, ?, ?)"
        " ON CONFLICT (account_id) DO UPDATE SET public_key = excluded.public_key,"
        " received_at = excluded.received_at",
        (event.account_id, event.payload.public_key, _ts(sealer.clock.now())),
    )
    cursor = await tx.execute(
        "DELETE FROM awaiting_key WHERE account_id = ? RETURNING seq, topic, event, fields_enc",
        (event.account_id,),
    )
    rows = sorted(await cursor.fetchall(), key=lambda row: row["seq"])
    await cursor.close()
    for row in rows:
        held = decode_event(row["event"].encode())
        try:
            fields = json.loads(
                sealer.holding.decrypt(row["fields_enc"], _context(held.account_id))
            )
        except DecryptionError:
            log.error("a held %s could not be opened; dropped", held.event_type, extra=_ids(held))
            continue
        sealed = _sealed(held, event.payload.public_key, fields)
        await enqueue(tx, row["topic"], sealed, sealer.clock)
        log.info("%s released with the account's key", held.event_type, extra=_ids(held))


async def forget_recipient(tx: Transaction, account_id: str) -> None:
    """The account is purged: drop its key and anything still waiting for it."""
    await tx.execute("DELETE FROM recipient_keys WHERE account_id = ?", (account_id,))
    await tx.execute("DELETE FROM awaiting_key WHERE account_id = ?", (account_id,))


async def expire_held(db: Database, sealer: Sealer) -> int:
    """Erase events that waited too long for a key, each with a dead letter; return how many."""
    async with db.transaction() as tx:
        cursor = await tx.execute(
            "DELETE FROM awaiting_key WHERE expires_at <= ? RETURNING topic, event",
            (_ts(sealer.clock.now()),),
        )
        rows = list(await cursor.fetchall())
        await cursor.close()
        for row in rows:
            held = decode_event(row["event"].encode())
            reason = f"no key for the account arrived within {sealer.hold_seconds:g} s"
            letter = {
                "reason": reason,
                "event_id": str(held.event_id),
                "event_type": held.event_type,
            }
            await enqueue_raw(
                tx,
                Topics.dlq(row["topic"]),
                held.account_id.encode(),
                json.dumps(letter).encode(),
                "DeadLetter",
                sealer.clock,
            )
            log.warning("%s not sent: %s", held.event_type, reason, extra=_ids(held))
    return len(rows)


async def _public_key(tx: Transaction, account_id: str) -> str | None:
    cursor = await tx.execute(
        "SELECT public_key FROM recipient_keys WHERE account_id = ?", (account_id,)
    )
    row = await cursor.fetchone()
    await cursor.close()
    return None if row is None else str(row["public_key"])


def _sealed(event: Event, public_key: str, fields: Mapping[str, str | None]) -> Event:
    values = {
        name: None if value is None else seal_field(public_key, value, event.account_id)
        for name, value in fields.items()
    }
    payload = event.payload.model_copy(update=values)
    sealed: Event = event.model_copy(update={"payload": payload})
    return sealed


def _context(account_id: str) -> str:
    return f"held fields {account_id}"


def _ids(event: Event) -> dict[str, str]:
    return {"event_id": str(event.event_id), "correlation_id": event.correlation_id}
