"""Deletion's database: every table, and the migrations that bring an older file up to date."""

from __future__ import annotations

from pathlib import Path

from services.deletion.export_store import EXPORT_SCHEMA
from services.deletion.holds_store import HOLDS_SCHEMA
from services.deletion.lease import LEASE_SCHEMA
from services.deletion.purge_store import PURGE_SCHEMA
from services.deletion.store import REQUESTS_MIGRATIONS, REQUESTS_SCHEMA
from shared.db import Database, Migration
from shared.recipient_keys import SEALING_SCHEMA
from shared.revocation import REVOCATION_SCHEMA
from shared.rolling_limits import ROLLING_SCHEMA

__all__ = ["MIGRATIONS", "SCHEMA", "DeletionDatabase"]

SCHEMA = (
    REQUESTS_SCHEMA
    + PURGE_SCHEMA
    + LEASE_SCHEMA
    + REVOCATION_SCHEMA
    + HOLDS_SCHEMA
    + EXPORT_SCHEMA
    + SEALING_SCHEMA
    + ROLLING_SCHEMA
)
# Versions are one sequence for the whole file, whichever table a step touches.
MIGRATIONS: tuple[Migration, ...] = REQUESTS_MIGRATIONS


class DeletionDatabase(Database):
    """The shared :class:`Database` with deletion's schema and migrations."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, SCHEMA, MIGRATIONS)
