"""Fixtures for the notifier's unit tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.notifier.domain import ThrottlePolicy
from services.notifier.handlers import Deps
from services.notifier.keys import KEYS_SCHEMA, Keyring
from services.notifier.mailer import SmtpMailer, SmtpOptions
from services.notifier.sms import FileSmsGateway
from services.notifier.store import SCHEMA
from shared.clock import FrozenClock
from shared.crypto import decode_key, new_key
from shared.db import Database
from shared.topics import Topics

THROTTLE_KEY = b"k" * 32


@pytest.fixture
async def deps(tmp_path: Path) -> AsyncIterator[Deps]:
    db = Database(tmp_path / "notifier.sqlite3", SCHEMA + KEYS_SCHEMA)
    await db.open()
    clock = FrozenClock()
    try:
        yield Deps(
            db=db,
            clock=clock,
            topics=Topics("t."),
            keyring=Keyring(decode_key(new_key(), size=32)),
            # Never called: handlers only record what to send.
            mailer=SmtpMailer(SmtpOptions("127.0.0.1", 1, "a@b.example", "Shop"), clock),
            sms=FileSmsGateway(tmp_path / "sms"),
            shop_name="Shop",
            throttle_key=THROTTLE_KEY,
            throttle=ThrottlePolicy(max_codes=5, window_seconds=600),
        )
    finally:
        await db.close()
