"""Which deletion process leads: a lease row in the SQLite file the processes share.

Several deletion processes may run on one host against one data directory (a rolling restart,
a second worker for the HTTP load). They share the SQLite file, so every state change is
serialised by SQLite itself (``BEGIN IMMEDIATE`` takes the write lock across processes), and
the purge is fired by the state transition scheduled → purging inside that one transaction:
a second process that scans the same request finds it purging and does nothing. On top of that
correctness guarantee, a lease decides who *does* the singleton work — the timer and the
outbox relay — so two relays never publish the same outbox row twice. The lease is renewed
well before it ends; a killed leader's lease lapses after ``ttl`` and another process takes
over. Processes on different hosts with different files are not supported: they would not see
each other's requests at all.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from services.deletion.store import stamp
from shared.clock import Clock
from shared.db import Database
from shared.ids import IdFactory, random_id
from shared.outbox import OutboxRelay, Publisher

__all__ = ["LEASE_SCHEMA", "Lease", "LeasedRelay"]

log = logging.getLogger(__name__)

LEASE_SCHEMA = """
CREATE TABLE IF NOT EXISTS leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
"""


def _stamp(clock: Clock, seconds: float = 0) -> str:
    return stamp(clock.now() + timedelta(seconds=seconds))


class Lease:
    """A named lease held by this process (a fresh holder id per process)."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        name: str,
        ttl_seconds: float,
        new_id: IdFactory = random_id,
    ) -> None:
        self._db = db
        self._clock = clock
        self.name = name
        self.holder = new_id()
        self._ttl = ttl_seconds
        self._valid_until: str | None = None

    async def held(self) -> bool:
        """Whether this process holds the lease now, taking or renewing it when due.

        Renewed only in the second half of its life, so most calls write nothing (a write
        wakes the outbox relay, which calls this again).
        """
        if self._valid_until is not None and _stamp(self._clock, self._ttl / 2) < self._valid_until:
            return True
        until = _stamp(self._clock, self._ttl)
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
                " expires_at = excluded.expires_at"
                " WHERE leases.holder = excluded.holder OR leases.expires_at < ?",
                (self.name, self.holder, until, _stamp(self._clock)),
            )
            cursor = await tx.execute("SELECT holder FROM leases WHERE name = ?", (self.name,))
            row = await cursor.fetchone()
            await cursor.close()
        mine = row is not None and row["holder"] == self.holder
        if mine and self._valid_until is None:
            log.info("this process now leads deletion", extra={"holder": self.holder})
        self._valid_until = until if mine else None
        return mine

    async def release(self) -> None:
        """Give the lease up (on a clean stop), so another process takes over at once."""
        if self._valid_until is None:
            return
        self._valid_until = None
        async with self._db.transaction() as tx:
            await tx.execute(
                "DELETE FROM leases WHERE name = ? AND holder = ?", (self.name, self.holder)
            )


class LeasedRelay(OutboxRelay):
    """The outbox relay, publishing only while this process holds the lease."""

    def __init__(
        self, db: Database, publisher: Publisher, poll_seconds: float, lease: Lease
    ) -> None:
        super().__init__(db, publisher, poll_seconds)
        self._lease = lease

    async def publish_pending(self) -> int:
        """Publish a batch if this process leads; otherwise leave the rows to the leader."""
        if not await self._lease.held():
            return 0
        return await super().publish_pending()

    async def stop(self) -> None:
        """Stop, and hand the lease over."""
        await super().stop()
        try:
            await self._lease.release()
        except Exception:  # the database may already be closing; the lease then just lapses
            log.warning("could not release the deletion lease; it will lapse")
