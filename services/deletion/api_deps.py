"""What deletion's routes take from the app that bootstrap() assembled.

No `from __future__ import annotations` here: FastAPI reads these annotations at runtime.
"""

from typing import Annotated

from fastapi import Depends, Path

from services.deletion import handlers
from services.deletion.consequences import Operator
from shared.http import bearer_claims, claims_from_state, from_state
from shared.tokens import AccessClaims

__all__ = ["Claims", "DeletionDeps", "OperatorTexts", "Owner", "RequestId"]


DeletionDeps = Annotated[handlers.Deps, Depends(from_state("deps"))]
Claims = Annotated[AccessClaims, Depends(bearer_claims)]
# The token's claims, revoked sessions included (``app.state.owner_claims``): only the status
# reads take them, so a person whose sessions ended with the confirmation can still watch the
# request become purged.
Owner = Annotated[AccessClaims, Depends(claims_from_state("owner_claims"))]
OperatorTexts = Annotated[Operator, Depends(from_state("operator_texts"))]
RequestId = Annotated[str, Path(min_length=1, max_length=64)]
