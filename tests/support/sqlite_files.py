"""What a SQLite database keeps on disk, for tests that look for traces in it."""

from __future__ import annotations

from pathlib import Path

__all__ = ["stored_bytes"]


def stored_bytes(path: Path) -> bytes:
    """The database file and its write-ahead log (if any): every byte SQLite keeps for it."""
    log = path.with_name(path.name + "-wal")
    return path.read_bytes() + (log.read_bytes() if log.exists() else b"")
