"""Rolling limits on a real SQLite file, with a frozen clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from shared import rolling_limits
from shared.clock import FrozenClock
from shared.db import Database
from shared.rolling_limits import LimitReached, RollingLimit

RULE = RollingLimit("wrong_code", limit=3, window_seconds=100)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(tmp_path / "x.sqlite3", rolling_limits.ROLLING_SCHEMA)
    await database.open()
    yield database
    await database.close()


async def _try(db: Database, clock: FrozenClock, scope: str = "acc-1") -> None:
    async with db.transaction() as tx:
        await rolling_limits.ensure_room(tx, scope, RULE, clock.now())
        await rolling_limits.record(tx, scope, RULE, clock.now())


async def test_the_limit_holds_over_the_window_and_frees_with_its_oldest_event(
    db: Database,
) -> None:
    clock = FrozenClock()
    for _ in range(3):
        await _try(db, clock)
        clock.advance(10)
    with pytest.raises(LimitReached) as caught:
        await _try(db, clock)
    assert caught.value.retry_after == 70  # the first event (t=0) leaves at t=100; now t=30
    await _try(db, clock, "acc-2")  # another scope has its own budget
    clock.advance(70)
    await _try(db, clock)
    with pytest.raises(LimitReached) as again:
        await _try(db, clock)
    assert again.value.retry_after == 10


async def test_forget_and_prune_drop_the_counts(db: Database) -> None:
    clock = FrozenClock()
    for _ in range(3):
        await _try(db, clock)
    async with db.transaction() as tx:
        await rolling_limits.forget(tx, "acc-1")
    await _try(db, clock)
    clock.advance(100)
    assert await rolling_limits.prune(db, clock.now(), 100) == 1
    assert await db.fetch_all("SELECT * FROM rolling_events") == []
