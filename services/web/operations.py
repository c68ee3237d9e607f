"""The web edge's operations routes: readiness of the APIs it calls, and Prometheus metrics.

The web edge has no database or broker of its own, so it is ready when the services behind
it answer; its metrics are the shared process counters (requests by route, from the shared
middleware).
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from services.web.backend import Backend
from shared.metrics import CONTENT_TYPE, render

__all__ = ["operations_router"]


def operations_router(backend: Backend) -> APIRouter:
    """``GET /readyz`` (auth, deletion and survey answer) and ``GET /metrics``."""
    router = APIRouter()

    @router.get(
        "/readyz",
        tags=["operations"],
        responses={503: {"description": "A service behind the pages does not answer"}},
    )
    async def readyz() -> JSONResponse:
        """Whether auth, deletion and survey answer their ``/healthz`` right now."""
        checks = await backend.readiness()
        ready = all(state == "ok" for state in checks.values())
        body = {"status": "ready" if ready else "unavailable", "checks": checks}
        return JSONResponse(body, status_code=200 if ready else 503)

    @router.get(
        "/metrics",
        tags=["operations"],
        response_class=Response,
        responses={200: {"content": {"text/plain": {}}, "description": "Prometheus exposition"}},
    )
    async def metrics() -> Response:
        """Counters and histograms in the Prometheus text format."""
        return Response(await render(()), media_type=CONTENT_TYPE)

    return router
