"""Deletion's HTTP routes for the person: parse, authorise, call a handler.

The request and response bodies are in :mod:`services.deletion.api_models`; the domain errors
become HTTP answers once for the service, in :mod:`services.deletion.api_errors`.

No `from __future__ import annotations` here: FastAPI reads the route annotations at runtime.
"""

import math
from typing import Literal

from fastapi import APIRouter, Query, Request

from services.deletion import handlers
from services.deletion.api_deps import Claims, DeletionDeps, OperatorTexts, Owner, RequestId
from services.deletion.api_models import (
    Cancelled,
    CodeIn,
    ConsequencesOut,
    DeletionRequestIn,
    LostItem,
    RequestCreated,
    RequestView,
    ResendIn,
    Resent,
    Scheduled,
)
from services.deletion.code_rules import CodePolicy
from services.deletion.domain import DeletionRequest
from shared.http import correlation_id, error_responses

__all__ = ["router"]

router = APIRouter()


@router.get(
    "/v1/deletion/consequences",
    response_model=ConsequencesOut,
    responses=error_responses(422),
)
async def get_consequences(
    operator: OperatorTexts, lang: Literal["nb", "en"] = Query("nb")
) -> ConsequencesOut:
    """What deleting the account means, to show before the person decides."""
    text = operator.render(lang)
    return ConsequencesOut(
        lang=text.lang,
        shop_name=text.shop_name,
        title=text.title,
        intro=text.intro,
        lost=[LostItem(id=key, text=line) for key, line in text.lost],
        linked_services=list(text.linked_services),
        identifiers=text.identifiers,
        alternative=text.alternative,
        notification_settings_url=text.notification_settings_url,
    )


@router.post(
    "/v1/deletion-requests",
    status_code=201,
    response_model=RequestCreated,
    responses=error_responses(401, 409, 422, 429),
)
async def post_request(
    body: DeletionRequestIn, request: Request, who: Claims, deps: DeletionDeps
) -> RequestCreated:
    """Ask for the account to be deleted; needs a recently re-entered password."""
    created = await handlers.request_deletion(
        deps,
        account_id=who.account_id,
        authenticated_at=who.authenticated_at,
        channel=body.channel,
        correlation_id=correlation_id(request),
    )
    return RequestCreated(request_id=created.request_id, status=created.status.value)


@router.get(
    "/v1/deletion-requests/{request_id}",
    response_model=RequestView,
    response_model_exclude_none=True,
    responses=error_responses(401, 404, 422),
)
async def get_request(request_id: RequestId, who: Owner, deps: DeletionDeps) -> RequestView:
    """The state of one's own deletion request, also after the purge."""
    found = await handlers.get_request(deps, account_id=who.account_id, request_id=request_id)
    return _view(found, deps.policy.code)


@router.post(
    "/v1/deletion-requests/{request_id}/confirm",
    status_code=202,
    response_model=Scheduled,
    responses=error_responses(400, 401, 404, 409, 410, 422, 429),
)
async def confirm(
    request_id: RequestId, body: CodeIn, who: Claims, deps: DeletionDeps
) -> Scheduled:
    """Confirm the deletion with the code that was sent; the purge is then scheduled."""
    deadline = await handlers.confirm_code(
        deps, account_id=who.account_id, request_id=request_id, code=body.code
    )
    return Scheduled(purge_deadline=deadline)


@router.post(
    "/v1/deletion-requests/{request_id}/resend-code",
    status_code=202,
    response_model=Resent,
    responses=error_responses(401, 404, 409, 422, 429),
)
async def resend(
    request_id: RequestId, who: Claims, deps: DeletionDeps, body: ResendIn | None = None
) -> Resent:
    """Send a new code, optionally by the other channel; the previous code stops working."""
    request = await handlers.resend_code(
        deps,
        account_id=who.account_id,
        request_id=request_id,
        channel=body.channel if body else None,
    )
    return Resent(channel=request.channel)


@router.post(
    "/v1/deletion-requests/{request_id}/cancel",
    response_model=Cancelled,
    responses=error_responses(401, 404, 409, 422),
)
async def cancel(request_id: RequestId, who: Claims, deps: DeletionDeps) -> Cancelled:
    """Withdraw the request before it is scheduled; the account stays as it is."""
    await handlers.cancel_request(deps, account_id=who.account_id, request_id=request_id)
    return Cancelled()


def _view(request: DeletionRequest, code: CodePolicy) -> RequestView:
    lapses = request.status.value in ("awaiting_survey", "awaiting_code")
    issued = request.code_issued_at if request.status.value == "awaiting_code" else None
    return RequestView(
        code_expires_at=code.expires_at(issued) if issued is not None else None,
        code_valid_minutes=math.ceil(code.ttl_seconds / 60) if lapses else None,
        request_id=request.request_id,
        status=request.status.value,
        code_delivery_failed=request.code_delivery_failed,
        code_delayed=request.code_delayed,
        expires_at=request.expires_at if lapses else None,
        purge_deadline=request.purge_deadline,
        participants=request.progress() or None,
        held=True if request.paused_at is not None else None,
    )
