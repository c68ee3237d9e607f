"""Wiring: the web edge's pages, its API clients and its security layer. Connects nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import RedirectResponse, Response

from services.web.backend import Backend
from services.web.config import Settings
from services.web.errors import error_page, install_error_pages
from services.web.operator_sessions import OperatorSessions
from services.web.pages import (
    account,
    code,
    deletion,
    export,
    login,
    operator,
    questionnaire,
    signup,
    terms,
)
from services.web.pages.common import Deps
from services.web.render import Renderer
from services.web.security import session_middleware
from services.web.session import SessionCodec
from shared.client_address import ClientAddresses
from shared.clock import Clock, SystemClock
from shared.middleware import ObservabilityMiddleware
from shared.service import health_router, operations_router

__all__ = ["Service", "bootstrap"]

_STATIC = Path(__file__).parent / "static"
_PAGES = (login, signup, account, deletion, export, questionnaire, code, terms, operator)


@dataclass
class Service:
    """The web edge, assembled."""

    api: FastAPI
    deps: Deps


# Longer than most functions: a list of named assignments, read top to bottom (see
# docs/structure.md).
def bootstrap(
    settings: Settings,
    clock: Clock | None = None,
    mounts: Mapping[str, httpx.AsyncBaseTransport] | None = None,
) -> Service:
    """Assemble the web edge; ``mounts`` lets tests route its API calls to in-process services."""
    clock = clock or SystemClock()
    urls = {
        "auth": settings.auth_url,
        "deletion": settings.deletion_url,
        "survey": settings.survey_url,
    }
    backend = Backend(
        urls,
        settings.upstream_timeout_seconds,
        mounts,
        edge_key=settings.edge_key_bytes(),
        clock=clock,
    )
    renderer = Renderer(settings.shop_name, settings.default_language)
    deps = Deps(
        settings=settings,
        backend=backend,
        renderer=renderer,
        clock=clock,
        addresses=ClientAddresses(settings.proxies(), clock),
        operators=OperatorSessions(clock, settings.session_max_age_seconds),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await backend.close()

    api = FastAPI(
        title="Adieu web",
        version="1",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    api.state.deps = deps  # what the pages' dependencies read
    _layers(api, settings, clock, renderer)
    install_error_pages(api, renderer)
    api.include_router(health_router())
    # Ready when the services behind the pages answer; no database or broker of its own.
    api.include_router(operations_router(backend.readiness))
    api.mount("/static", StaticFiles(directory=_STATIC), name="static")
    _brand_routes(api, settings)
    for module in _PAGES:
        api.include_router(module.router)
    return Service(api=api, deps=deps)


def _layers(api: FastAPI, settings: Settings, clock: Clock, renderer: Renderer) -> None:
    codec = SessionCodec(settings.session_key_bytes(), clock, settings.session_max_age_seconds)

    def failed(request: Request) -> Response:
        return error_page(renderer, request, 500)

    api.middleware("http")(session_middleware(codec, settings.cookie_secure, failed))
    # Added last, so outermost: it counts every answer, the session layer's included.
    api.add_middleware(ObservabilityMiddleware, service="web")


def _brand_routes(api: FastAPI, settings: Settings) -> None:
    @api.get("/brand.css", include_in_schema=False)
    async def brand() -> Response:
        # The configured colour as a stylesheet: inline styles are forbidden by our CSP.
        css = f":root {{ --brand: {settings.brand_color}; }}\n"
        return Response(css, media_type="text/css", headers={"Cache-Control": "max-age=300"})

    @api.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        # Browsers ask for this path whatever the page says; the icon itself is an SVG.
        return RedirectResponse("/static/favicon.svg", status_code=301)
