"""Operator routes for holds and exports: what waits, for whom, and who stays silent.

Mounted beside :mod:`services.deletion.admin_api`, under the same ``DELETION_ADMIN_TOKEN``.
No `from __future__ import annotations`: FastAPI reads the route annotations at runtime.
"""

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from services.deletion import export_store, holds_store, store
from services.deletion.api_deps import DeletionDeps
from services.deletion.export_domain import PartState
from services.deletion.holds import is_overdue
from services.deletion.steps import Deps, account_hash
from shared.http import error_responses, operator_only

__all__ = ["router"]

_LIST_LIMIT = 200


class AdminHold(BaseModel):
    account_hash: str
    request_id: str | None
    participant: str
    hold_id: str
    reason: str
    text_nb: str
    text_en: str
    placed_at: datetime
    until: datetime | None
    overdue: bool


class AdminHolds(BaseModel):
    holds: list[AdminHold]


class AdminExport(BaseModel):
    export_id: str
    account_hash: str
    status: str
    requested_at: datetime
    overdue: bool
    parts: dict[str, PartState]


class AdminExports(BaseModel):
    exports: list[AdminExport]


router = APIRouter(tags=["operator"], dependencies=[Depends(operator_only)])


@router.get("/v1/admin/holds", response_model=AdminHolds, responses=error_responses(401, 422))
async def list_holds(
    deps: DeletionDeps, overdue: Annotated[bool | None, Query()] = None
) -> AdminHolds:
    """Holds on deletions, oldest first (at most 200); ``overdue`` past the maximum age."""
    return AdminHolds(holds=[h for h in await _holds(deps) if overdue in (None, h.overdue)])


@router.get("/v1/admin/exports", response_model=AdminExports, responses=error_responses(401, 422))
async def list_exports(
    deps: DeletionDeps, overdue: Annotated[bool | None, Query()] = None
) -> AdminExports:
    """Exports, newest first (at most 200); ``overdue`` where a participant was asked again."""
    found = await export_store.recent(deps.db, overdue, _LIST_LIMIT)
    return AdminExports(
        exports=[
            AdminExport(
                export_id=export.export_id,
                account_hash=account_hash(deps, export.account_id),
                status=export.status.value,
                requested_at=export.requested_at,
                overdue=export.overdue,
                parts=export.states(),
            )
            for export in found
        ]
    )


async def _holds(deps: Deps) -> list[AdminHold]:
    now = deps.clock.now()
    max_age = timedelta(seconds=deps.policy.hold_max_seconds)
    found = []
    for account_id, hold in await holds_store.list_holds(deps.db, _LIST_LIMIT):
        async with deps.db.transaction() as tx:
            request_id = await store.open_request_of(tx, account_id)
        found.append(
            AdminHold(
                account_hash=account_hash(deps, account_id),
                request_id=request_id,
                participant=hold.participant,
                hold_id=hold.hold_id,
                reason=hold.reason,
                text_nb=hold.text_nb,
                text_en=hold.text_en,
                placed_at=hold.placed_at,
                until=hold.until,
                overdue=is_overdue(hold, now, max_age),
            )
        )
    return found
