"""HTTP routes every service has."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["health_router"]


def health_router() -> APIRouter:
    """``GET /healthz``: the process is up and serving."""
    router = APIRouter()

    @router.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return router
