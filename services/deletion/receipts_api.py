"""Deletion's receipt routes: the signing key, and the owner's signed proof of the erasure.

No `from __future__ import annotations` here: FastAPI reads the route annotations at runtime.
"""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from services.deletion import handlers, purge_store
from services.deletion.api_deps import DeletionDeps, Owner, RequestId
from services.deletion.receipts import ReceiptSigner
from shared.http import ApiError, error_responses, from_state

__all__ = ["router"]

router = APIRouter(tags=["receipts"])
Signer = Annotated[ReceiptSigner, Depends(from_state("receipt_signer"))]


class PublicKey(BaseModel):
    public_key: str
    key_id: str


class SignedReceipt(BaseModel):
    receipt: dict[str, Any]
    signature: str
    key_id: str


@router.get("/v1/receipts/public-key", response_model=PublicKey)
async def public_key(signer: Signer) -> PublicKey:
    """The Ed25519 key that signs receipts (URL-safe base64 of the raw 32 bytes)."""
    return PublicKey(public_key=signer.public_key, key_id=signer.key_id)


@router.get(
    "/v1/receipts/{request_id}",
    response_model=SignedReceipt,
    responses=error_responses(401, 404, 422),
)
async def get_receipt(request_id: RequestId, who: Owner, deps: DeletionDeps) -> SignedReceipt:
    """The signed proof that the account was erased; only once the request is purged."""
    await handlers.get_request(deps, account_id=who.account_id, request_id=request_id)
    found = await purge_store.load_receipt(deps.db, request_id)
    if found is None:
        raise ApiError(404, "receipt_not_found", "There is no receipt until the purge ends.")
    return SignedReceipt(
        receipt=json.loads(found.document), signature=found.signature, key_id=found.key_id
    )
