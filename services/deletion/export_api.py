"""The person's routes for "Download my data" and for the holds on their deletion.

Every route is the signed-in owner's only: another account's export answers the same 404 as
one that does not exist. No `from __future__ import annotations`: FastAPI reads annotations.
"""

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from services.deletion import export_handlers as exports
from services.deletion import hold_handlers
from services.deletion.api_deps import Claims, DeletionDeps, OperatorTexts, Owner
from services.deletion.export_domain import Export, PartState
from shared.events import Language
from shared.http import correlation_id, error_responses

__all__ = ["ExportView", "HoldView", "router"]

ExportId = Annotated[str, Path(min_length=1, max_length=64)]


class ExportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lang: Language = Field(default="nb", description="The language of the archive's README")


class ExportView(BaseModel):
    export_id: str
    status: Literal["assembling", "ready"]
    requested_at: datetime
    expires_at: datetime | None = Field(default=None, description="Download possible until")
    parts: dict[str, PartState]


class HoldView(BaseModel):
    participant: str
    reason: str
    text: str
    until: datetime | None = None


class HoldsOut(BaseModel):
    holds: list[HoldView]


def _view(export: Export) -> ExportView:
    return ExportView(
        export_id=export.export_id,
        status=export.status.value,
        requested_at=export.requested_at,
        expires_at=export.expires_at,
        parts=export.states(),
    )


router = APIRouter(tags=["export"])


@router.post(
    "/v1/exports",
    status_code=202,
    response_model=ExportView,
    responses=error_responses(401, 409, 422),
)
async def post_export(
    request: Request, who: Claims, deps: DeletionDeps, body: ExportIn | None = None
) -> ExportView:
    """Ask every service for the account's data; the person is told when it is ready."""
    export = await exports.request_export(
        deps,
        account_id=who.account_id,
        lang=body.lang if body else "nb",
        correlation_id=correlation_id(request),
    )
    return _view(export)


@router.get("/v1/exports/latest", response_model=ExportView, responses=error_responses(401, 404))
async def latest(who: Claims, deps: DeletionDeps) -> ExportView:
    """The account's most recent export."""
    return _view(await exports.find_export(deps, who.account_id))


@router.get(
    "/v1/exports/{export_id}",
    response_model=ExportView,
    responses=error_responses(401, 404, 422),
)
async def show(export_id: ExportId, who: Claims, deps: DeletionDeps) -> ExportView:
    """One of the account's exports."""
    return _view(await exports.find_export(deps, who.account_id, export_id))


@router.get(
    "/v1/exports/{export_id}/archive",
    response_class=Response,
    responses={
        200: {"content": {"application/zip": {}}, "description": "The archive"},
        **error_responses(401, 404, 409, 410, 422),
    },
)
async def archive(
    export_id: ExportId, who: Claims, deps: DeletionDeps, operator: OperatorTexts
) -> Response:
    """The zip: one JSON file per service and a README listing what is inside."""
    content = await exports.download(
        deps, account_id=who.account_id, export_id=export_id, shop_name=operator.shop_name
    )
    disposition = f'attachment; filename="data-{export_id[:8]}.zip"'
    return Response(
        content,
        media_type="application/zip",
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )


@router.get("/v1/holds", response_model=HoldsOut, responses=error_responses(401, 422))
async def holds(
    who: Owner, deps: DeletionDeps, lang: Annotated[Language, Query()] = "nb"
) -> HoldsOut:
    """What makes the account's deletion wait, in the person's language."""
    # Owner: readable to a session revoked by the confirmation (like the request's status),
    # so the person can still see what their deletion waits for.
    found = await hold_handlers.account_holds(deps, who.account_id)
    return HoldsOut(
        holds=[
            HoldView(participant=h.participant, reason=h.reason, text=h.text(lang), until=h.until)
            for h in found
        ]
    )
