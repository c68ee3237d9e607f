"""Deletion's receipt routes and its operator routes.

No `from __future__ import annotations` here: FastAPI reads the route annotations at runtime.
Operator routes are mounted only when ``DELETION_ADMIN_TOKEN`` is set; without it they do not
exist (404), so an unconfigured service offers no operator surface at all.
"""

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel

from services.deletion import handlers, purge, purge_store, store
from services.deletion.api import RequestId, invalid_state, not_found
from services.deletion.domain import DeletionRequest, InvalidState, Progress, Status
from services.deletion.receipts import ReceiptSigner
from shared.http import ApiError, error_responses, operator_dependency
from shared.tokens import AccessClaims

__all__ = ["build_admin_router", "build_receipt_router", "operator_router"]

_LIST_LIMIT = 200


class PublicKey(BaseModel):
    public_key: str
    key_id: str


class SignedReceipt(BaseModel):
    receipt: dict[str, Any]
    signature: str
    key_id: str


class AdminRequest(BaseModel):
    request_id: str
    status: str
    overdue: bool
    created_at: datetime
    purge_deadline: datetime | None
    participants: dict[str, Progress]


class AdminList(BaseModel):
    requests: list[AdminRequest]


def build_receipt_router(
    deps: handlers.Deps, signer: ReceiptSigner, owner_claims: object
) -> APIRouter:
    """``GET /v1/receipts/public-key`` and the owner's ``GET /v1/receipts/{request_id}``."""
    router = APIRouter(tags=["receipts"])
    Owner = Annotated[AccessClaims, Depends(owner_claims)]  # noqa: N806  # a type alias

    @router.get("/v1/receipts/public-key", response_model=PublicKey)
    async def public_key() -> PublicKey:
        """The Ed25519 key that signs receipts (URL-safe base64 of the raw 32 bytes)."""
        return PublicKey(public_key=signer.public_key, key_id=signer.key_id)

    @router.get(
        "/v1/receipts/{request_id}",
        response_model=SignedReceipt,
        responses=error_responses(401, 404, 422),
    )
    async def get_receipt(request_id: RequestId, who: Owner) -> SignedReceipt:
        """The signed proof that the account was erased; only once the request is purged."""
        try:
            await handlers.get_request(deps, account_id=who.account_id, request_id=request_id)
        except handlers.RequestNotFound:
            raise not_found() from None
        found = await purge_store.load_receipt(deps.db, request_id)
        if found is None:
            raise ApiError(404, "receipt_not_found", "There is no receipt until the purge ends.")
        return SignedReceipt(
            receipt=json.loads(found.document), signature=found.signature, key_id=found.key_id
        )

    return router


def operator_router(admin_token: str) -> APIRouter:
    """A router whose every route needs ``Authorization: Bearer <DELETION_ADMIN_TOKEN>``."""
    operator = operator_dependency(
        admin_token,
        missing_error="invalid_admin_token",
        wrong_error="invalid_admin_token",
        description="The DELETION_ADMIN_TOKEN",
    )
    return APIRouter(tags=["operator"], dependencies=[Depends(operator)])


def build_admin_router(deps: handlers.Deps, admin_token: str) -> APIRouter:
    """The operator's routes, guarded by ``Authorization: Bearer <DELETION_ADMIN_TOKEN>``."""
    router = operator_router(admin_token)

    @router.get("/v1/admin/requests", response_model=AdminList, responses=error_responses(401, 422))
    async def list_requests(
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
    async def show_request(request_id: RequestId) -> AdminRequest:
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
        request_id: RequestId, name: Annotated[str, Path(min_length=1, max_length=64)]
    ) -> dict[str, str]:
        """Ask one participant again to erase the account (a fresh AccountPurged)."""
        try:
            await purge.ask_participant_again(deps, request_id, name)
        except handlers.RequestNotFound:
            raise not_found() from None
        except purge.ParticipantNotFound:
            raise ApiError(
                404, "participant_not_found", "The purge did not ask this participant."
            ) from None
        except InvalidState as exc:
            raise invalid_state(exc, "Only a purge in progress can be sent again.") from None
        return {"status": "asked", "participant": name}

    return router


def _admin_view(request: DeletionRequest) -> AdminRequest:
    return AdminRequest(
        request_id=request.request_id,
        status=request.status.value,
        overdue=request.overdue,
        created_at=request.created_at,
        purge_deadline=request.purge_deadline,
        participants=request.progress(),
    )
