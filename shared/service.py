"""The HTTP application every service builds: common errors, health, readiness, metrics, and a
runtime lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Generic, TypeVar

from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import JSONResponse

from shared.api_document import describe_real_answers
from shared.http import install_error_handlers
from shared.metrics import CONTENT_TYPE, ScrapeCollector, outbox_backlog, render
from shared.middleware import ObservabilityMiddleware
from shared.runtime import ServiceRuntime

__all__ = ["AssembledService", "build_api", "health_router", "operations_router"]

DepsT = TypeVar("DepsT")


@dataclass
class AssembledService(Generic[DepsT]):
    """What a service's ``bootstrap()`` returns: its HTTP app, its runtime and its parts."""

    api: FastAPI
    runtime: ServiceRuntime
    deps: DepsT


def health_router() -> APIRouter:
    """``GET /healthz``: the process is up and serving."""
    router = APIRouter()

    @router.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return router


def operations_router(
    readiness: Callable[[], Awaitable[dict[str, str]]],
    collectors: Sequence[ScrapeCollector] = (),
) -> APIRouter:
    """``GET /readyz`` (``readiness`` names each dependency and whether it answers) and
    ``GET /metrics`` (Prometheus, with ``collectors`` read at scrape time)."""
    router = APIRouter()

    @router.get(
        "/readyz",
        tags=["operations"],
        responses={503: {"description": "A dependency is unavailable; the body says which"}},
    )
    async def readyz() -> JSONResponse:
        """Whether what this service depends on answers right now."""
        checks = await readiness()
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
        """Counters, histograms and gauges in the Prometheus text format."""
        return Response(await render(collectors), media_type=CONTENT_TYPE)

    return router


def build_api(
    service: str,
    runtime: ServiceRuntime,
    *routers: APIRouter,
    collectors: Sequence[ScrapeCollector] = (),
) -> FastAPI:
    """A FastAPI app whose lifespan runs ``runtime``, with the common error body, health,
    readiness and metrics; ``collectors`` add service-specific scrape-time metrics."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with runtime.running():
            yield

    # Served only where asked for (development): a deployed service does not hand out a map
    # of itself. The documents themselves are committed in docs/openapi/.
    docs = runtime.platform.api_docs
    api = FastAPI(
        title=f"Adieu {service}",
        version="1",
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
    )
    install_error_handlers(api)
    describe_real_answers(api)
    api.add_middleware(ObservabilityMiddleware, service=service)
    api.include_router(health_router())
    scraped = [outbox_backlog(service, runtime.db), *collectors]
    api.include_router(operations_router(runtime.readiness, scraped))
    for router in routers:
        api.include_router(router)
    return api
