"""Wiring: the web edge's pages, its API clients and its security layer. Connects nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response

from services.web.backend import Backend, SessionEnded
from services.web.config import Settings
from services.web.pages import account, deletion, login, operator
from services.web.pages.common import Deps, NotSignedIn, OperatorOnly
from services.web.render import Renderer, redirect, session_of
from services.web.security import CsrfRefused, session_middleware
from services.web.session import SessionCodec
from shared.clock import Clock, SystemClock
from shared.middleware import ObservabilityMiddleware
from shared.service import health_router, operations_router

__all__ = ["Service", "bootstrap"]

_STATIC = Path(__file__).parent / "static"


@dataclass
class Service:
    """The web edge, assembled."""

    api: FastAPI
    deps: Deps


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
    backend = Backend(urls, settings.upstream_timeout_seconds, mounts)
    renderer = Renderer(settings.shop_name, settings.default_language)
    deps = Deps(settings=settings, backend=backend, renderer=renderer, clock=clock)

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
    codec = SessionCodec(settings.session_key_bytes(), clock, settings.session_max_age_seconds)
    api.middleware("http")(session_middleware(codec, settings.cookie_secure))
    # Added last, so outermost: it counts every answer, the session layer's included.
    api.add_middleware(ObservabilityMiddleware, service="web")
    _install_handlers(api, renderer)
    api.include_router(health_router())
    # Ready when the services behind the pages answer; no database or broker of its own.
    api.include_router(operations_router(backend.readiness))
    api.mount("/static", StaticFiles(directory=_STATIC), name="static")

    @api.get("/brand.css", include_in_schema=False)
    async def brand() -> Response:
        # The configured colour as a stylesheet: inline styles are forbidden by our CSP.
        css = f":root {{ --brand: {settings.brand_color}; }}\n"
        return Response(css, media_type="text/css", headers={"Cache-Control": "max-age=300"})

    for module in (login, account, deletion, operator):
        api.include_router(module.build_router(deps))
    return Service(api=api, deps=deps)


def _install_handlers(api: FastAPI, renderer: Renderer) -> None:
    """What a person sees when a page cannot go on as asked."""

    @api.exception_handler(NotSignedIn)
    async def _not_signed_in(request: Request, _: Exception) -> Response:
        return redirect("/login")

    @api.exception_handler(OperatorOnly)
    async def _operator_only(request: Request, _: Exception) -> Response:
        return redirect("/operator/login")

    @api.exception_handler(SessionEnded)
    async def _session_ended(request: Request, _: Exception) -> Response:
        session = session_of(request)
        session.sign_out()
        session.update(notice="session_expired")
        return redirect("/login")

    @api.exception_handler(CsrfRefused)
    async def _csrf(request: Request, _: Exception) -> Response:
        message = renderer.texts(request).error("csrf")
        return renderer.page(request, "error.html", 403, message=message, here="/")

    @api.exception_handler(httpx.HTTPError)
    async def _unavailable(request: Request, _: Exception) -> Response:
        texts = renderer.texts(request)
        message = texts("unavailable")
        return renderer.page(
            request, "error.html", 503, message=message, here="/", title=texts("unavailable_title")
        )
