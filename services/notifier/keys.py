"""The notifier's per-account keys: issued when it learns of an account, destroyed at its purge.

Each account gets an X25519 key pair (:mod:`shared.shredding`). The private key is kept only
in ``account_keys``, wrapped by the notifier's platform key; the public key is announced in
NotificationKeyIssued so auth and deletion can seal addresses and codes to it. At the purge the
row is deleted (``secure_delete`` is on), and every sealed field about the person, on every
topic and in every copy, can no longer be opened by anyone.

The one address kept after the purge for the final confirmation is re-encrypted first under a
local key of the notifier's own (``r1.`` prefix): it never leaves this database and is erased
once the confirmation has gone or been given up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.clock import Clock
from shared.crypto import DecryptionError, FieldCipher, derive_key
from shared.db import Database, Transaction, read_row
from shared.events import NotificationKeyIssued, new_event
from shared.outbox import enqueue
from shared.sealing import AccountKeyPair
from shared.shredding import KeyWrapper, is_sealed, open_field
from shared.topics import Topics

__all__ = [
    "KEYS_SCHEMA",
    "RETAINED_PREFIX",
    "Keyring",
    "Opener",
    "accounts_without_key",
    "destroy_key",
    "ensure_key",
]

log = logging.getLogger(__name__)

KEYS_SCHEMA = """
CREATE TABLE IF NOT EXISTS account_keys (
    account_id TEXT PRIMARY KEY,
    public_key TEXT NOT NULL,
    private_wrapped TEXT NOT NULL,
    issued_at TEXT NOT NULL
) WITHOUT ROWID;
"""

RETAINED_PREFIX = "r1."


class Opener:
    """Opens one account's fields, whichever scheme sealed them; raises DecryptionError."""

    def __init__(
        self,
        account_id: str,
        private_key: bytes | None,
        retained: FieldCipher,
        legacy: FieldCipher | None,
    ) -> None:
        self._account_id = account_id
        self._private_key = private_key
        self._retained = retained
        self._legacy = legacy

    def open(self, token: str) -> str:
        """The plaintext of an address or code ciphertext, in memory only."""
        if is_sealed(token):
            if self._private_key is None:
                raise DecryptionError("the account's key is gone")
            return open_field(self._private_key, token, self._account_id)
        if token.startswith(RETAINED_PREFIX):
            return self._retained.decrypt(token[len(RETAINED_PREFIX) :], self._account_id)
        if self._legacy is None:
            raise DecryptionError("a version 1 field, and no legacy key is configured")
        return self._legacy.decrypt(token, context=self._account_id)


@dataclass(frozen=True)
class Keyring:
    """The notifier's keys: the wrapping key, and the legacy platform key if still configured.

    ``legacy`` opens version 1 commands written before the upgrade; leave it unset once none
    are left to consume (see docs/crypto-shredding.md).
    """

    wrapping_key: bytes
    legacy: FieldCipher | None = None

    @property
    def _wrapper(self) -> KeyWrapper:
        return KeyWrapper(self.wrapping_key)

    @property
    def _retained(self) -> FieldCipher:
        return FieldCipher(derive_key(self.wrapping_key, "notifier retained address v1"))

    async def opener(self, conn: Transaction | Database, account_id: str) -> Opener:
        """An opener for the account, with its private key if it still exists."""
        sql = "SELECT private_wrapped FROM account_keys WHERE account_id = ?"
        row = await read_row(conn, sql, (account_id,))
        private = None
        if row is not None:
            private = self._wrapper.unwrap(row["private_wrapped"], account_id)
        return Opener(account_id, private, self._retained, self.legacy)

    def retain(self, plaintext: str, account_id: str) -> str:
        """Re-encrypt an address under the local key, to outlive the account's key."""
        return RETAINED_PREFIX + self._retained.encrypt(plaintext, context=account_id)

    def wrap(self, private_key: bytes, account_id: str) -> str:
        """The private key as stored."""
        return self._wrapper.wrap(private_key, account_id)


async def ensure_key(
    tx: Transaction,
    keyring: Keyring,
    topics: Topics,
    clock: Clock,
    account_id: str,
    correlation_id: str,
) -> bool:
    """Issue the account's key pair and announce its public key, unless it has one already."""
    cursor = await tx.execute("SELECT 1 FROM account_keys WHERE account_id = ?", (account_id,))
    known = await cursor.fetchone()
    await cursor.close()
    if known is not None:
        return False
    pair = AccountKeyPair.generate()
    now = clock.now()
    await tx.execute(
        "INSERT INTO account_keys (account_id, public_key, private_wrapped, issued_at)"
        " VALUES (?, ?, ?, ?)",
        (account_id, pair.public_key, keyring.wrap(pair.private_key, account_id), _ts(now)),
    )
    issued = new_event(
        NotificationKeyIssued,
        account_id=account_id,
        correlation_id=correlation_id,
        occurred_at=now,
        public_key=pair.public_key,
    )
    await enqueue(tx, topics.notifier_events, issued, clock)
    log.info("notification key issued", extra={"correlation_id": correlation_id})
    return True


async def destroy_key(tx: Transaction, account_id: str) -> None:
    """Shred the account: its private key is deleted, so nothing sealed to it opens again."""
    await tx.execute("DELETE FROM account_keys WHERE account_id = ?", (account_id,))


async def accounts_without_key(db: Database, limit: int) -> list[str]:
    """Accounts the notifier knows from before the upgrade that have no key yet."""
    rows = await db.fetch_all(
        "SELECT account_id FROM contacts WHERE retained_for_confirmation = 0"
        " AND account_id NOT IN (SELECT account_id FROM account_keys) LIMIT ?",
        (limit,),
    )
    return [str(row["account_id"]) for row in rows]


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
