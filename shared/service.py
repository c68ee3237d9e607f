"""The HTTP application every service builds: common errors, health, and a runtime lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from shared.http import install_error_handlers
from shared.runtime import ServiceRuntime

__all__ = ["build_api", "health_router"]


def health_router() -> APIRouter:
    """``GET /healthz``: the process is up and serving."""
    router = APIRouter()

    @router.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return router


def build_api(service: str, runtime: ServiceRuntime, *routers: APIRouter) -> FastAPI:
    """A FastAPI app whose lifespan runs ``runtime``, with the common error body and health."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with runtime.running():
            yield

    api = FastAPI(title=f"Adieu {service}", version="1", lifespan=lifespan)
    install_error_handlers(api)
    api.include_router(health_router())
    for router in routers:
        api.include_router(router)
    return api
