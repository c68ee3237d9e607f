"""``python -m bench.consumer_path [N] [BATCH]``: CPU per record of a participant's consumer path.

No broker and no Faust: N AccountPurged records handed to a :class:`PurgeParticipant`'s
consumer in batches of BATCH (as one poll brings them), against a real SQLite file holding
one row per account. Each record is decoded, checked against the processed events, erased,
answered (PurgeCompleted into the outbox) and marked. Prints the process's CPU per record
(both threads: the event loop's and the connection's), the figure that changes when the
consumer path does, whatever the machine's load.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from bench.participant import SCHEMA, erase
from shared.consumer import Record
from shared.db import NORMAL, Database
from shared.events import AccountPurged, encode_event, new_event
from shared.participant import PurgeParticipant
from shared.topics import Topics

__all__ = ["main", "measure"]


def _record(offset: int, account: str) -> Record:
    event = new_event(
        AccountPurged,
        account_id=account,
        correlation_id=uuid.uuid4().hex,
        occurred_at=datetime.now(UTC),
        request_id=uuid.uuid4().hex,
        participants=("loyalty", "orders"),
    )
    return Record("deletion.events", 0, offset, account.encode(), encode_event(event))


async def measure(n: int, batch: int) -> float:
    """Microseconds of CPU per record over ``n`` records in batches of ``batch``."""
    with tempfile.TemporaryDirectory() as folder:
        db = Database(Path(folder) / "loyalty.sqlite3", SCHEMA, synchronous=NORMAL)
        await db.open()
        try:
            accounts = [uuid.uuid4().hex for _ in range(n)]
            async with db.transaction() as tx:
                rows = [(account,) for account in accounts]
                await tx.executemany("INSERT INTO holdings VALUES (?, 'bench detail')", rows)
            participant = PurgeParticipant("loyalty", erase, db=db, topics=Topics(""))
            records = [_record(offset, account) for offset, account in enumerate(accounts)]
            start = time.process_time()
            for first in range(0, n, batch):
                await participant.consumer.handle_batch(records[first : first + batch])
            spent = time.process_time() - start
            left = await db.fetch_one("SELECT count(*) FROM holdings")
        finally:
            await db.close()
    if left is None or left[0]:
        raise RuntimeError("records were not all applied")
    return spent / n * 1e6


def main() -> None:
    """Run once with N (4,000) and BATCH (100) from the command line; print the figure."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 4000
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    per_record = asyncio.run(measure(n, batch))
    print(f"{n:,} records in batches of {batch}: {per_record:.0f} µs CPU per record")


if __name__ == "__main__":
    main()
