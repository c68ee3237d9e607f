"""The timer's work for holds and exports: lapse holds, time out and expire exports, ask again.

Like the purge's own timer step, each unit is one transaction, so a crash neither loses nor
repeats a step; only the process holding the lease runs it (see :mod:`services.deletion.app`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from services.deletion import export_store, holds_store, store
from services.deletion.domain import OPEN_STATES, Status
from services.deletion.export_handlers import ask_for_parts, expire_exports, time_out_exports
from services.deletion.hold_handlers import query_holds, release_lapsed_holds
from services.deletion.holds_store import FanoutAsk
from services.deletion.steps import Deps
from shared.db import Transaction

__all__ = ["FanoutRun", "reask_fanout", "run_fanout_timer"]

log = logging.getLogger(__name__)

_SCAN_BATCH = 100
_ASKABLE = OPEN_STATES | {Status.SCHEDULED}


@dataclass(frozen=True)
class FanoutRun:
    """What one run did."""

    holds_lapsed: int
    exports_timed_out: int
    exports_expired: int
    asked_again: int


async def run_fanout_timer(deps: Deps) -> FanoutRun:
    """One run: lapse holds, finish silent exports, destroy expired ones, ask again."""
    return FanoutRun(
        await release_lapsed_holds(deps),
        await time_out_exports(deps),
        await expire_exports(deps),
        await reask_fanout(deps),
    )


async def reask_fanout(deps: Deps) -> int:
    """Ask each participant silent past its timeout again (a fresh event naming only it)."""
    asked = 0
    for ask in await holds_store.due_fanout_asks(deps.db, deps.clock.now(), _SCAN_BATCH):
        async with deps.db.transaction() as tx:
            if ask.asks >= deps.policy.participant_max_asks:
                await _give_up(tx, ask)
                continue
            if not await _ask_again(deps, tx, ask):
                await holds_store.stop_fanout(
                    tx, ask.kind, ask.subject_id, ask.participant, answered=False
                )
                continue
        asked += 1
        log.warning(
            "participant asked again (%s, ask %d)",
            ask.kind,
            ask.asks + 1,
            extra={"subject_id": ask.subject_id, "participant": ask.participant},
        )
    return asked


async def _ask_again(deps: Deps, tx: Transaction, ask: FanoutAsk) -> bool:
    """Ask again if the question still stands; False when it no longer does."""
    if ask.kind == "holds":
        request = await store.load(tx, ask.subject_id)
        if request is None or request.status not in _ASKABLE:
            return False
        await query_holds(deps, tx, request, (ask.participant,), ask.asks + 1)
        return True
    export = await export_store.load(tx, ask.subject_id)
    if export is None or ask.participant not in export.pending():
        return False
    await ask_for_parts(deps, tx, export, (ask.participant,), ask.asks + 1)
    if not export.overdue:
        await export_store.save(tx, export.flag_overdue())
    return True


async def _give_up(tx: Transaction, ask: FanoutAsk) -> None:
    await holds_store.stop_fanout(tx, ask.kind, ask.subject_id, ask.participant, answered=False)
    log.error(
        "participant never answered (%s); an operator must look",
        ask.kind,
        extra={"subject_id": ask.subject_id, "participant": ask.participant},
    )
