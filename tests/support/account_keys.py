"""Standing in for the notifier in a writer's test: per-account keys, issued and used.

A writer (auth, deletion) seals notification fields to each account's public key, learnt from
NotificationKeyIssued. :class:`AccountKeys` makes the key pairs, hands the public halves over
(straight into the writer's database in unit tests, as an event on the broker otherwise) and
opens what the writer sealed with the private halves, as the notifier would.
"""

from __future__ import annotations

from datetime import UTC, datetime

from shared.db import Database
from shared.events import NotificationKeyIssued, new_event
from shared.recipient_keys import Sealer, record_recipient_key
from shared.sealing import AccountKeyPair
from shared.shredding import open_field
from tests.support.kafka import produce_event

__all__ = ["AccountKeys"]


class AccountKeys:
    """One key pair per account id, made on first use."""

    def __init__(self) -> None:
        self._pairs: dict[str, AccountKeyPair] = {}

    def pair(self, account_id: str) -> AccountKeyPair:
        """The account's key pair."""
        return self._pairs.setdefault(account_id, AccountKeyPair.generate())

    def issued(self, account_id: str) -> NotificationKeyIssued:
        """The event the notifier publishes for the account."""
        event = new_event(
            NotificationKeyIssued,
            account_id=account_id,
            correlation_id="test-keys",
            occurred_at=datetime.now(UTC),
            public_key=self.pair(account_id).public_key,
        )
        assert isinstance(event, NotificationKeyIssued)
        return event

    async def give(self, db: Database, sealer: Sealer, account_id: str) -> None:
        """Record the public key in a writer's own database, as its consumer would."""
        async with db.transaction() as tx:
            await record_recipient_key(tx, sealer, self.issued(account_id))

    async def announce(self, bootstrap: str, topic: str, account_id: str) -> None:
        """Publish the account's key on the notifier's topic, as the notifier would."""
        await produce_event(bootstrap, topic, self.issued(account_id))

    def decrypt(self, token: str | None, context: str) -> str:
        """:meth:`open`, spelt like :class:`shared.crypto.FieldCipher`'s ``decrypt``."""
        return self.open(token, context)

    def open(self, token: str | None, account_id: str) -> str:
        """A sealed field's plaintext (raises DecryptionError if it is not the account's)."""
        assert token is not None
        return open_field(self.pair(account_id).private_key, token, account_id)
