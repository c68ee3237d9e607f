"""Deletion's operator routes, guarded by ``Authorization: Bearer <DELETION_ADMIN_TOKEN>``.

No `from __future__ import annotations` here: FastAPI reads the route annotations at runtime.
They are mounted only when ``DELETION_ADMIN_TOKEN`` is set; without it they do not exist
(404), so an unconfigured service offers no operator surface at all.
"""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel

from services.deletion import purge, store
from services.deletion.api_deps import DeletionDeps, RequestId
from services.deletion.api_errors import not_found
from services.deletion.domain import DeletionRequest, Progress, Status
from shared.http import error_responses, operator_only

__all__ = ["router"]

_LIST_LIMIT = 200


class AdminRequest(BaseModel):
    request_id: str
    status: str
    overdue: bool
    created_at: datetime
    purge_deadline: datetime | None
    participants: dict[str, Progress]


class AdminList(BaseModel):
    requests: list[AdminRequest]


router = APIRouter(tags=["operator"], dependencies=[Depends(operator_only)])


@router.get("/v1/admin/requests", response_model=AdminList, responses=error_responses(401, 422))
async def list_requests(
    deps: DeletionDeps,
    status: Annotated[Status | None, Query()] = None,
    overdue: Annotated[bool | None, Query()] = None,
) -> AdminList:
    """Requests by status and overdue flag, newest first (at most 200)."""
    found = await store.list_requests(deps.db, status, overdue, _LIST_LIMIT)
    return AdminList(requests=[_admin_view(request) for request in found])


@router.get(
    "/v1/admin/requests/{request_id}",
    response_model=AdminRequest,
    responses=error_responses(401, 404, 422),
)
async def show_request(request_id: RequestId, deps: DeletionDeps) -> AdminRequest:
    """One request with each participant's answer."""
    async with deps.db.transaction() as tx:
        found = await store.load(tx, request_id)
    if found is None:
        raise not_found()
    return _admin_view(found)


@router.post(
    "/v1/admin/requests/{request_id}/participants/{name}/resend",
    status_code=202,
    responses=error_responses(401, 404, 409, 422),
)
async def resend(
    request_id: RequestId,
    name: Annotated[str, Path(min_length=1, max_length=64)],
    deps: DeletionDeps,
) -> dict[str, str]:
    """Ask one participant again to erase the account (a fresh AccountPurged)."""
    await purge.ask_participant_again(deps, request_id, name)
    return {"status": "asked", "participant": name}


def _admin_view(request: DeletionRequest) -> AdminRequest:
    return AdminRequest(
        request_id=request.request_id,
        status=request.status.value,
        overdue=request.overdue,
        created_at=request.created_at,
        purge_deadline=request.purge_deadline,
        participants=request.progress(),
    )
