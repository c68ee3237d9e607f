"""The data export, as use cases: request it, collect the parts, time out, expire, download.

The request fans out like the purge: ExportRequested on deletion_events naming the
participants and carrying the account's public key; each answers ExportPartDelivered with its
part sealed to that key. Silent participants are asked again (see
:mod:`services.deletion.fanout`), and at ``answer_by`` their parts count as missing. When the
export is ready the person is told (NoticeRequested ``export_ready``: a message without a
link, so it is of no use to anyone else); the archive is served only to the signed-in owner.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from services.deletion import export_store, holds_store
from services.deletion.archive import build_archive
from services.deletion.export_domain import Export, ExportStatus, NotAsked, PartState
from services.deletion.steps import Deps, fan_out, notify_account
from shared.consumer import RejectEvent
from shared.crypto import DecryptionError, FieldCipher, derive_key
from shared.db import Transaction
from shared.events import ExportPartDelivered, ExportRequested, Language, NoticeRequested, new_event
from shared.participant_answers import part_context
from shared.sealing import AccountKeyPair, open_sealed

__all__ = [
    "ExportExpired",
    "ExportInProgress",
    "ExportNotFound",
    "ExportNotReady",
    "ask_for_parts",
    "download",
    "expire_exports",
    "find_export",
    "record_part",
    "request_export",
    "time_out_exports",
]

log = logging.getLogger(__name__)

_SCAN_BATCH = 100
_KEY_WRAP_PURPOSE = "export-key-wrap"
# A sealed part is its JSON plus the ephemeral key and tag, in base64: 4/3 of it and a little.
_SEAL_OVERHEAD = 64


class ExportInProgress(Exception):
    """The account already has an export being assembled."""

    def __init__(self, export_id: str) -> None:
        super().__init__("an export is already being assembled for this account")
        self.export_id = export_id


class ExportNotFound(Exception):
    """No such export for this account (also when it belongs to someone else)."""


class ExportNotReady(Exception):
    """The export is still being assembled."""


class ExportExpired(Exception):
    """The export's download period is over."""


def _wrapper(deps: Deps) -> FieldCipher:
    return FieldCipher(derive_key(deps.account_key, _KEY_WRAP_PURPOSE))


async def _public_key(deps: Deps, tx: Transaction, account_id: str) -> str:
    """The account's export public key, made on its first export."""
    found = await export_store.load_key(tx, account_id)
    if found is not None:
        return found[0]
    pair = AccountKeyPair.generate()
    wrapped = _wrapper(deps).encrypt(pair.private_key.hex(), context=account_id)
    await export_store.save_key(tx, account_id, pair.public_key, wrapped, deps.clock.now())
    return pair.public_key


async def request_export(
    deps: Deps, *, account_id: str, lang: Language, correlation_id: str
) -> Export:
    """Start an export of the account's data; one at a time (ExportInProgress)."""
    now = deps.clock.now()
    export = Export.start(
        export_id=deps.new_id(),
        account_id=account_id,
        correlation_id=correlation_id,
        lang=lang,
        participants=deps.policy.participants,
        now=now,
        timeout=timedelta(seconds=deps.policy.export_timeout_seconds),
    )
    async with deps.db.transaction() as tx:
        existing = await export_store.in_progress_of(tx, account_id)
        if existing is not None:
            raise ExportInProgress(existing)
        previous = await export_store.latest_of(tx, account_id)
        if previous is not None:
            await export_store.remove(tx, previous.export_id)  # a new one replaces the ready one
        await export_store.insert(tx, export)
        await ask_for_parts(deps, tx, export, deps.policy.participants)
    log.info("export requested", extra={"export_id": export.export_id})
    return export


async def ask_for_parts(
    deps: Deps, tx: Transaction, export: Export, participants: tuple[str, ...], asks: int = 1
) -> None:
    """Ask ``participants`` (the ``asks``-th time) for their parts of ``export``."""
    event = new_event(
        ExportRequested,
        account_id=export.account_id,
        correlation_id=export.correlation_id,
        occurred_at=deps.clock.now(),
        export_id=export.export_id,
        participants=participants,
        public_key=await _public_key(deps, tx, export.account_id),
        max_part_bytes=deps.policy.export_part_max_bytes,
    )
    await fan_out(deps, tx, event, ("export", export.export_id), participants, asks)


async def record_part(deps: Deps, tx: Transaction, event: ExportPartDelivered) -> None:
    """A participant's part arrived: keep it sealed; announce the export once it is ready."""
    answer = event.payload
    before = await export_store.load(tx, answer.export_id)
    if before is None:
        log.info("part of an export that is gone", extra={"export_id": answer.export_id})
        return  # expired or purged meanwhile: nothing to keep, and the key is gone too
    if before.account_id != event.account_id:
        raise RejectEvent("the export belongs to another account")
    state = _state_of(deps, answer.part_enc, answer.error)
    try:
        export = before.record_part(answer.participant, state, deps.clock.now(), _keep(deps))
    except NotAsked:
        raise RejectEvent("export part from a participant that was not asked") from None
    await holds_store.stop_fanout(tx, "export", answer.export_id, answer.participant, answered=True)
    if export == before:
        return  # a repeated answer
    if state == "delivered" and answer.part_enc is not None:
        await export_store.save_part(tx, answer.export_id, answer.participant, answer.part_enc)
    else:
        log.warning("export part not delivered: %s", state, extra={"export_id": answer.export_id})
    await _save(deps, tx, before, export)


def _state_of(deps: Deps, part_enc: str | None, error: str | None) -> PartState:
    if error == "too_large":
        return "too_large"
    if error is not None or part_enc is None:
        return "failed"
    limit = deps.policy.export_part_max_bytes * 4 // 3 + _SEAL_OVERHEAD
    return "too_large" if len(part_enc) > limit else "delivered"


def _keep(deps: Deps) -> timedelta:
    return timedelta(seconds=deps.policy.export_keep_seconds)


async def _save(deps: Deps, tx: Transaction, before: Export, export: Export) -> None:
    await export_store.save(tx, export)
    if export.status is ExportStatus.READY and before.status is not ExportStatus.READY:
        await notify_account(
            deps,
            tx,
            export.account_id,
            export.correlation_id,
            NoticeRequested,
            notice="export_ready",
            deadline=export.expires_at,
        )
        log.info("export ready", extra={"export_id": export.export_id})


async def time_out_exports(deps: Deps) -> int:
    """Exports past ``answer_by`` become ready with their silent parts missing."""
    now = deps.clock.now()
    done = 0
    for export_id in await export_store.overdue_assembling_ids(deps.db, now, _SCAN_BATCH):
        async with deps.db.transaction() as tx:
            before = await export_store.load(tx, export_id)
            if before is None:
                continue
            export = before.time_out(now, _keep(deps))
            for name in before.pending():
                await holds_store.stop_fanout(tx, "export", export_id, name, answered=False)
            await _save(deps, tx, before, export)
        done += 1
    return done


async def expire_exports(deps: Deps) -> int:
    """Destroy exports whose download period is over; return how many."""
    expired = await export_store.expired_export_ids(deps.db, deps.clock.now(), _SCAN_BATCH)
    for export_id in expired:
        async with deps.db.transaction() as tx:
            await export_store.remove(tx, export_id)
    return len(expired)


async def find_export(deps: Deps, account_id: str, export_id: str | None = None) -> Export:
    """The account's export (its latest when ``export_id`` is None), else ExportNotFound."""
    if export_id is None:
        export = await export_store.latest_of(deps.db, account_id)
    else:
        export = await export_store.load(deps.db, export_id)
    if export is None or export.account_id != account_id:
        raise ExportNotFound
    return export


async def download(deps: Deps, *, account_id: str, export_id: str, shop_name: str) -> bytes:
    """The zip of the owner's ready export, opened now; raise when there is none to give."""
    export = await find_export(deps, account_id, export_id)
    if export.status is not ExportStatus.READY:
        raise ExportNotReady
    if export.is_expired(deps.clock.now()):
        raise ExportExpired
    key = await export_store.load_key(deps.db, account_id)
    if key is None:
        raise ExportNotFound
    private = bytes.fromhex(_wrapper(deps).decrypt(key[1], context=account_id))
    parts = {}
    for name, sealed in (await export_store.sealed_parts(deps.db, export_id)).items():
        try:
            parts[name] = open_sealed(private, sealed, part_context(account_id, export_id, name))
        except DecryptionError:
            log.error("export part could not be opened", extra={"export_id": export_id})
    return build_archive(export, parts, shop_name)
