"""Deletion's scrape-time metrics, read from a real SQLite file with deletion's own schema."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.deletion.database import DeletionDatabase
from services.deletion.metrics import deletion_collector
from shared.metrics import render

DEADLINE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[DeletionDatabase]:
    database = DeletionDatabase(tmp_path / "deletion.sqlite3")
    await database.open()
    try:
        yield database
    finally:
        await database.close()


async def _request(
    db: DeletionDatabase, request_id: str, status: str, *, overdue: bool = False
) -> None:
    stamp = DEADLINE.isoformat(timespec="microseconds")
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO requests (request_id, account_id, status, channel, correlation_id,"
            " participants, created_at, updated_at, purge_deadline, overdue)"
            " VALUES (?, ?, ?, 'email', 'c', 'auth,survey,notifier', ?, ?, ?, ?)",
            (request_id, f"acc-{request_id}", status, stamp, stamp, stamp, int(overdue)),
        )


async def _completed(db: DeletionDatabase, request_id: str, participant: str, after: int) -> None:
    at = (DEADLINE + timedelta(seconds=after)).isoformat(timespec="microseconds")
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO purge_completions (request_id, participant, completed_at)"
            " VALUES (?, ?, ?)",
            (request_id, participant, at),
        )


async def test_requests_by_status_overdue_participants_and_purge_lag(
    db: DeletionDatabase,
) -> None:
    await _request(db, "r1", "purged")
    for participant, after in (("auth", 2), ("survey", 3), ("notifier", 40)):
        await _completed(db, "r1", participant, after)
    await _request(db, "r2", "purging", overdue=True)
    await _completed(db, "r2", "auth", 1)
    await _request(db, "r3", "awaiting_code")

    text = (await render([deletion_collector(db)])).decode()

    assert 'adieu_deletion_requests{status="purged"} 1.0' in text
    assert 'adieu_deletion_requests{status="purging"} 1.0' in text
    assert 'adieu_deletion_requests{status="awaiting_code"} 1.0' in text
    assert 'adieu_deletion_overdue_participants{participant="survey"} 1.0' in text
    assert 'adieu_deletion_overdue_participants{participant="notifier"} 1.0' in text
    assert 'participant="auth"' not in text
    # r1's last confirmation came 40 s after its deadline.
    assert 'adieu_deletion_purge_lag_seconds_bucket{le="15.0"} 0.0' in text
    assert 'adieu_deletion_purge_lag_seconds_bucket{le="60.0"} 1.0' in text
    assert "adieu_deletion_purge_lag_seconds_count 1.0" in text
    assert "adieu_deletion_purge_lag_seconds_sum 40.0" in text


async def test_a_failing_collector_leaves_the_other_metrics(tmp_path: Path) -> None:
    closed = DeletionDatabase(tmp_path / "never-opened.sqlite3")
    text = (await render([deletion_collector(closed)])).decode()
    assert "adieu_http_requests_total" in text or "adieu_http_requests" in text
    assert "adieu_deletion_requests" not in text
