"""A real SQLite file and cheap password hashing for auth's handler tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from services.auth import handlers
from services.auth.guard_store import GUARD_SCHEMA
from services.auth.migrations import migrations
from services.auth.passwords import Passwords
from services.auth.pictures import PictureStore
from services.auth.store import SCHEMA
from services.auth.vault import IdentifierVault
from shared.clock import FrozenClock
from shared.crypto import FieldCipher
from shared.db import Database
from shared.recipient_keys import SEALING_SCHEMA, Sealer
from shared.revocation import REVOCATION_SCHEMA, Revocations
from shared.rolling_limits import ROLLING_SCHEMA
from shared.tokens import TokenIssuer, new_signing_key
from shared.topics import Topics

# Cheap parameters keep unit tests fast; the service uses argon2-cffi's defaults.
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
async def deps(tmp_path: Path) -> AsyncIterator[handlers.Deps]:
    clock = FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))
    vault = IdentifierVault(lookup_key=bytes(range(32)), cipher=FieldCipher(bytes(range(1, 33))))
    schema = SCHEMA + GUARD_SCHEMA + REVOCATION_SCHEMA + SEALING_SCHEMA + ROLLING_SCHEMA
    db = Database(tmp_path / "auth.sqlite3", schema, migrations(vault))
    await db.open()
    yield handlers.Deps(
        db=db,
        clock=clock,
        topics=Topics("t."),
        passwords=Passwords(CHEAP),
        tokens=TokenIssuer(new_signing_key(), clock, 900),
        sealer=Sealer(holding=FieldCipher(bytes(range(2, 34))), clock=clock),
        identifier_key=bytes(range(32)),
        phone_region="NO",
        revocations=Revocations(db, clock, 3600),
        pictures=PictureStore(tmp_path / "pictures"),
        vault=vault,
        new_code=lambda: "123456",
    )
    await db.close()
