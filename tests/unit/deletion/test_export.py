"""The data export: its states, the sealed parts, the size cap, the timeout and the purge."""

from __future__ import annotations

import io
import json
import logging
import zipfile
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.deletion import export_handlers, export_store, handlers, purge
from services.deletion.export_domain import Export, ExportStatus, NotAsked
from shared.crypto import DecryptionError
from shared.events import ExportRequested
from shared.participant_answers import ParticipantAnswers
from shared.sealing import AccountKeyPair, open_sealed, seal
from shared.topics import Topics
from tests.unit.deletion.support import frozen_clock as _clock
from tests.unit.deletion.support import handler_deps, open_request
from tests.unit.deletion.support import outbox_events as _outbox

CODE = "135790"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


def _export(*participants: str) -> Export:
    return Export.start(
        export_id="e",
        account_id="a",
        correlation_id="c",
        lang="en",
        participants=participants,
        now=T0,
        timeout=timedelta(minutes=10),
    )


def test_an_export_is_ready_when_every_part_is_in_and_the_first_answer_counts() -> None:
    export = _export("auth", "orders").record_part("auth", "delivered", T0, WEEK)
    assert export.status is ExportStatus.ASSEMBLING
    assert export.record_part("auth", "failed", T0, WEEK) == export
    ready = export.record_part("orders", "too_large", T0 + timedelta(minutes=1), WEEK)
    assert ready.status is ExportStatus.READY
    assert ready.states() == {"auth": "delivered", "orders": "too_large"}
    assert ready.expires_at == T0 + timedelta(minutes=1) + WEEK
    assert not ready.is_expired(T0 + WEEK)
    assert ready.is_expired(T0 + timedelta(minutes=1) + WEEK)
    with pytest.raises(NotAsked):
        export.record_part("billing", "delivered", T0, WEEK)


def test_a_silent_participant_is_missing_after_the_timeout_never_before() -> None:
    export = _export("auth", "orders").record_part("auth", "delivered", T0, WEEK)
    assert export.time_out(T0 + timedelta(minutes=9), WEEK) == export
    done = export.time_out(T0 + timedelta(minutes=10), WEEK)
    assert done.status is ExportStatus.READY
    assert done.states() == {"auth": "delivered", "orders": "missing"}


def test_a_sealed_part_opens_only_with_its_key_and_its_context() -> None:
    pair, other = AccountKeyPair.generate(), AccountKeyPair.generate()
    sealed = seal(pair.public_key, b'{"orders": []}', "ctx")
    assert open_sealed(pair.private_key, sealed, "ctx") == b'{"orders": []}'
    assert b"orders" not in sealed.encode()
    with pytest.raises(DecryptionError):
        open_sealed(other.private_key, sealed, "ctx")
    with pytest.raises(DecryptionError):
        open_sealed(pair.private_key, sealed, "another account's")


@pytest.fixture
async def deps(tmp_path: Path) -> AsyncIterator[handlers.Deps]:
    async with handler_deps(
        tmp_path,
        CODE,
        participants=("auth", "orders"),
        survey_required=False,
        purge_lead_seconds=0,
        export_timeout_seconds=600,
        export_part_max_bytes=2048,
    ) as made:
        yield made


async def _answer(deps: handlers.Deps, name: str, part: Mapping[str, Any]) -> None:
    """Participant ``name`` answers deletion's ExportRequested the way every participant does."""

    async def export(_tx: object, _account_id: str) -> Mapping[str, Any]:
        return part

    (request,) = await _outbox(deps, "ExportRequested")
    assert isinstance(request, ExportRequested)
    answers = ParticipantAnswers(name, deps.topics, deps.clock, export=export)  # type: ignore[arg-type]
    async with deps.db.transaction() as tx:
        await answers.on_export_requested(tx, request)
    (*_, delivered) = await _outbox(deps, "ExportPartDelivered")
    async with deps.db.transaction() as tx:
        await export_handlers.record_part(deps, tx, delivered)  # type: ignore[arg-type]


async def test_parts_are_sealed_on_the_wire_too_large_is_named_and_the_archive_opens(
    deps: handlers.Deps, caplog: pytest.LogCaptureFixture
) -> None:
    export = await export_handlers.request_export(
        deps, account_id="acc", lang="en", correlation_id="c"
    )
    with pytest.raises(export_handlers.ExportInProgress):
        await export_handlers.request_export(deps, account_id="acc", lang="en", correlation_id="c")
    await _answer(deps, "auth", {"email": "kari@example.com"})
    with caplog.at_level(logging.ERROR, logger="shared.participant_answers"):
        await _answer(deps, "orders", {"orders": ["x" * 4096]})
    # The participant's own log says why its part was not sent: its size and the limit.
    (refused,) = [r.getMessage() for r in caplog.records if r.name == "shared.participant_answers"]
    limit = deps.policy.export_part_max_bytes
    assert f"exceeds the limit of {limit} bytes; not sent" in refused
    wire = b"".join(r["value"] for r in await deps.db.fetch_all("SELECT value FROM outbox"))
    assert b"kari@example.com" not in wire
    (_, too_large) = await _outbox(deps, "ExportPartDelivered")
    assert too_large.payload.error == "too_large"  # type: ignore[union-attr]
    assert [e.payload.notice for e in await _outbox(deps, "NoticeRequested")] == ["export_ready"]  # type: ignore[union-attr]

    content = await export_handlers.download(
        deps, account_id="acc", export_id=export.export_id, shop_name="Shop"
    )
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert sorted(archive.namelist()) == ["README.txt", "auth.json"]
        assert json.loads(archive.read("auth.json")) == {"email": "kari@example.com"}
        assert "orders: the part was too large to send" in archive.read("README.txt").decode()
    with pytest.raises(export_handlers.ExportNotFound):
        await export_handlers.download(
            deps, account_id="someone", export_id=export.export_id, shop_name="Shop"
        )


async def test_a_silent_participant_does_not_block_and_an_old_export_expires(
    deps: handlers.Deps,
) -> None:
    export = await export_handlers.request_export(
        deps, account_id="acc", lang="nb", correlation_id="c"
    )
    await _answer(deps, "auth", {"username": "kari"})
    with pytest.raises(export_handlers.ExportNotReady):
        await export_handlers.download(
            deps, account_id="acc", export_id=export.export_id, shop_name="Shop"
        )
    _clock(deps).advance(600)
    assert await export_handlers.time_out_exports(deps) == 1
    found = await export_handlers.find_export(deps, "acc")
    assert found.states() == {"auth": "delivered", "orders": "missing"}
    _clock(deps).advance(7 * 86400)
    assert await export_handlers.expire_exports(deps) == 1
    with pytest.raises(export_handlers.ExportNotFound):
        await export_handlers.find_export(deps, "acc")


async def test_the_purge_destroys_the_export_and_the_accounts_key(deps: handlers.Deps) -> None:
    await export_handlers.request_export(deps, account_id="acc", lang="en", correlation_id="c")
    await _answer(deps, "auth", {"username": "kari"})
    request = await open_request(deps, "acc")
    await handlers.confirm_code(deps, account_id="acc", request_id=request.request_id, code=CODE)
    _clock(deps).advance(86400)
    assert await purge.fire_due_purges(deps) == 1
    assert await export_store.latest_of(deps.db, "acc") is None
    assert await export_store.load_key(deps.db, "acc") is None
    assert await deps.db.fetch_all("SELECT * FROM export_parts") == []


def test_topics_name_the_answers_topic() -> None:
    assert Topics("p.").participant_answers == "p.participant.answers"
