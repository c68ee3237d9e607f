"""Deletion's handlers wired to a real SQLite file, a frozen clock and a known code."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from services.deletion import handlers
from services.deletion.database import DeletionDatabase
from services.deletion.domain import CodePolicy
from shared.clock import FrozenClock
from shared.codes import CodeHasher
from shared.crypto import FieldCipher, decode_key, new_key
from shared.topics import Topics

__all__ = ["handler_deps"]


@asynccontextmanager
async def handler_deps(
    tmp_path: Path, code: str, *, participants: tuple[str, ...], **policy: Any
) -> AsyncIterator[handlers.Deps]:
    """Deps over a fresh database; ``policy`` sets Policy fields, ``signer`` the receipt key."""
    signer = policy.pop("signer", None)
    db = DeletionDatabase(tmp_path / "deletion.sqlite3")
    await db.open()
    key = decode_key(new_key())
    try:
        yield handlers.Deps(
            db=db,
            clock=FrozenClock(),
            topics=Topics("u."),
            policy=handlers.Policy(
                **{
                    "survey_required": True,
                    "grace_seconds": 86400,
                    "participants": participants,
                    "reauth_max_age_seconds": 300,
                    "code": CodePolicy(ttl_seconds=600, max_attempts=5),
                    **policy,
                }
            ),
            hasher=CodeHasher(key, handlers.CODE_PURPOSE),
            cipher=FieldCipher(decode_key(new_key())),
            account_key=key,
            new_code=lambda: code,
            signer=signer,
        )
    finally:
        await db.close()
