"""Deletion's database: every table, and the columns added since the first release."""

from __future__ import annotations

from pathlib import Path

import aiosqlite

from services.deletion.lease import LEASE_SCHEMA
from services.deletion.purge_store import PURGE_SCHEMA
from services.deletion.store import ADDED_COLUMNS, REQUESTS_SCHEMA
from shared.db import Database
from shared.revocation import REVOCATION_SCHEMA

__all__ = ["SCHEMA", "DeletionDatabase"]

SCHEMA = REQUESTS_SCHEMA + PURGE_SCHEMA + LEASE_SCHEMA + REVOCATION_SCHEMA


class DeletionDatabase(Database):
    """The shared :class:`Database`, adding missing columns to an older file before use."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, SCHEMA)

    async def open(self) -> None:
        """Bring an existing file up to date, then open it as usual."""
        if self.path.exists():
            await _add_missing_columns(self.path)
        await super().open()


async def _add_missing_columns(path: Path) -> None:
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        cursor = await conn.execute("PRAGMA table_info(requests)")
        present = {row[1] for row in await cursor.fetchall()}
        await cursor.close()
        if not present:
            return
        for name, kind in ADDED_COLUMNS.items():
            if name not in present:
                await conn.execute(f"ALTER TABLE requests ADD COLUMN {name} {kind}")
