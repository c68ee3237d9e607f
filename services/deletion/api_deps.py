"""What deletion's routes take from the app that bootstrap() assembled.

No `from __future__ import annotations` here: FastAPI reads these annotations at runtime.
"""

from typing import Annotated

from fastapi import Depends, Path, Request

from services.deletion import handlers
from services.deletion.consequences import Operator
from shared.http import bearer_claims, from_state
from shared.tokens import AccessClaims

__all__ = ["Claims", "DeletionDeps", "OperatorTexts", "Owner", "RequestId", "ShopName"]


async def owner_claims(request: Request) -> AccessClaims:
    """The token's claims, revoked sessions included: by ``app.state.owner_claims``.

    Only the status reads use it, so a person whose sessions ended with the confirmation can
    still watch the request become purged.
    """
    check = request.app.state.owner_claims
    claims: AccessClaims = await check(request)
    return claims


DeletionDeps = Annotated[handlers.Deps, Depends(from_state("deps"))]
Claims = Annotated[AccessClaims, Depends(bearer_claims)]
Owner = Annotated[AccessClaims, Depends(owner_claims)]
OperatorTexts = Annotated[Operator, Depends(from_state("operator_texts"))]
ShopName = Annotated[str, Depends(from_state("shop_name"))]
RequestId = Annotated[str, Path(min_length=1, max_length=64)]
