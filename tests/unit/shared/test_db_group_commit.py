"""Group commit: transactions queued behind each other share one COMMIT, each fails alone."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from shared.db import Database

SCHEMA = "CREATE TABLE IF NOT EXISTS items (name TEXT NOT NULL UNIQUE);"


async def test_queued_transactions_share_a_commit_and_a_failing_one_is_undone_alone(
    tmp_path: Path,
) -> None:
    db = Database(tmp_path / "svc.sqlite3", SCHEMA)
    await db.open()
    commits: list[bool] = []
    db.on_commit(lambda: commits.append(True))
    try:

        async def add(name: str) -> None:
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO items (name) VALUES (?)", (name,))

        names = ["a", "b", "a", "c", "d"]  # the second "a" breaks the unique index
        outcomes = await asyncio.gather(*(add(name) for name in names), return_exceptions=True)
        failed = [name for name, outcome in zip(names, outcomes, strict=True) if outcome]
        assert failed == ["a"]
        rows = await db.fetch_all("SELECT name FROM items ORDER BY name")
        assert [row["name"] for row in rows] == ["a", "b", "c", "d"]
        assert len(commits) < len(names) - 1  # fewer commits than successful transactions
    finally:
        await db.close()
    reopened = Database(tmp_path / "svc.sqlite3", SCHEMA)
    await reopened.open()
    try:  # what was committed is really on disk, not only in the connection
        rows = await reopened.fetch_all("SELECT count(*) AS n FROM items")
        assert rows[0]["n"] == 4
    finally:
        await reopened.close()


async def test_a_transaction_that_raises_still_raises_and_leaves_nothing(tmp_path: Path) -> None:
    db = Database(tmp_path / "svc.sqlite3", SCHEMA)
    await db.open()

    async def change_mind() -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO items (name) VALUES ('x')")
            raise RuntimeError("changed its mind")

    try:
        with pytest.raises(RuntimeError, match="changed its mind"):
            await change_mind()
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO items (name) VALUES ('y')")
        rows = await db.fetch_all("SELECT name FROM items")
        assert [row["name"] for row in rows] == ["y"]
    finally:
        await db.close()


async def test_a_read_between_group_members_sees_only_what_is_committed(
    tmp_path: Path,
) -> None:
    db = Database(tmp_path / "svc.sqlite3", SCHEMA)
    await db.open()
    elsewhere = sqlite3.connect(tmp_path / "svc.sqlite3")  # what a restart would find

    async def add(name: str) -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO items (name) VALUES (?)", (name,))

    async def read() -> tuple[set[str], set[str]]:
        seen = {row["name"] for row in await db.fetch_all("SELECT name FROM items")}
        durable = {row[0] for row in elsewhere.execute("SELECT name FROM items")}
        return seen, durable

    try:
        # "a" ends while "b" is queued to join its group, so its COMMIT waits; the read is
        # queued between them.
        first = asyncio.create_task(add("a"))
        reading = asyncio.create_task(read())
        second = asyncio.create_task(add("b"))
        await asyncio.gather(first, second)
        seen, durable = await reading
        assert seen <= durable
    finally:
        elsewhere.close()
        await db.close()
