"""The delivery worker on a real SQLite file with the file-sink SMS gateway: length limits."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.notifier import handlers
from services.notifier.delivery import DeliveryWorker, Doorbell
from services.notifier.handlers import Deps
from services.notifier.sms_length import Overflow, measure
from shared.events import CodeDeliveryRequested, ContactDetailsChanged, new_event
from tests.support.polling import eventually
from tests.unit.notifier.support import seal_for

LONG_SHOP = "Blåbær og Søtt " * 40  # a shop name that makes any text run over


@contextlib.asynccontextmanager
async def _working(deps: Deps) -> AsyncIterator[None]:
    task = asyncio.create_task(DeliveryWorker(deps, Doorbell(), 0.01).run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _sms_code(deps: Deps, code: str) -> str:
    account, notification_id = str(uuid.uuid4()), str(uuid.uuid4())
    contact = new_event(
        ContactDetailsChanged,
        account_id=account,
        correlation_id="c",
        occurred_at=deps.clock.now(),
        language="nb",
        phone_enc=await seal_for(deps, account, "+4791234567"),
    )
    command = new_event(
        CodeDeliveryRequested,
        account_id=account,
        correlation_id="c",
        occurred_at=deps.clock.now(),
        notification_id=notification_id,
        purpose="deletion",
        channel="sms",
        code_enc=await seal_for(deps, account, code),
        valid_minutes=10,
    )
    assert isinstance(contact, ContactDetailsChanged)
    assert isinstance(command, CodeDeliveryRequested)
    async with deps.db.transaction() as tx:
        await handlers.record_contact(deps, tx, contact)
        await handlers.request_code(deps, tx, command)
    return notification_id


async def _outcome(deps: Deps, notification_id: str) -> tuple[str, str | None] | None:
    row = await deps.db.fetch_one(
        "SELECT status, last_reason FROM deliveries WHERE notification_id = ?",
        (notification_id,),
    )
    assert row is not None
    return None if row["status"] == "pending" else (row["status"], row["last_reason"])


@pytest.mark.parametrize("overflow", ["truncate", "refuse"])
async def test_a_text_beyond_the_segment_limit_is_cut_or_refused(
    deps: Deps,
    tmp_path: Path,
    overflow: Overflow,
) -> None:
    deps = dataclasses.replace(deps, shop_name=LONG_SHOP, sms_max_segments=2, sms_overflow=overflow)
    notification_id = await _sms_code(deps, "097531")
    async with _working(deps):
        outcome = await eventually(lambda: _outcome(deps, notification_id), what="an outcome")
    if overflow == "refuse":
        assert outcome == ("failed", "the text message needs 5 segments, at most 2 allowed")
        assert not (tmp_path / "sms").exists()
        return
    assert outcome == ("sent", None)
    (message,) = (tmp_path / "sms").iterdir()
    text = message.read_text(encoding="utf-8").split("\n\n", 1)[1].rstrip("\n")
    assert text.startswith("097531 er koden")
    assert text.endswith("...")
    assert measure(text).segments == 2
