"""What a person sees when a page cannot go on as asked: each refusal mapped once, here.

Every answer is an HTML page in the person's language (never the framework's JSON), or a
redirect to where they can go on (sign in again, the operator's sign-in).
"""

from __future__ import annotations

import logging

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from services.web.backend import SessionEnded
from services.web.pages.common import NotSignedIn, OperatorOnly
from services.web.render import Renderer, redirect, session_of
from services.web.security import CsrfRefused

__all__ = ["error_page", "install_error_pages"]

log = logging.getLogger(__name__)

# status → (title, text) keys in services.web.texts
_PAGES = {
    404: ("not_found_title", "not_found_text"),
    405: ("method_title", "method_text"),
    500: ("server_error_title", "server_error_text"),
    503: ("unavailable_title", "unavailable"),
}


def error_page(renderer: Renderer, request: Request, status: int, message: str = "") -> Response:
    """The error page for ``status`` (404, 405, 500, 503, or any with its own ``message``)."""
    title_key, text_key = _PAGES.get(status, ("forbidden_title", "http_error"))
    texts = renderer.texts(request)
    return renderer.page(
        request,
        "error.html",
        status,
        title=texts(title_key),
        message=message or texts(text_key),
        here="/",
    )


def install_error_pages(api: FastAPI, renderer: Renderer) -> None:
    """Register one handler per refusal."""

    async def not_signed_in(request: Request, _: Exception) -> Response:
        return redirect("/login")

    async def operator_only(request: Request, _: Exception) -> Response:
        return redirect("/operator/login")

    async def session_ended(request: Request, _: Exception) -> Response:
        session = session_of(request)
        session.sign_out()
        session.update(notice="session_expired")
        return redirect("/login")

    async def csrf(request: Request, _: Exception) -> Response:
        return error_page(renderer, request, 403, renderer.texts(request).error("csrf"))

    async def unavailable(request: Request, exc: Exception) -> Response:
        log.warning("a service behind the pages did not answer: %s", type(exc).__name__)
        return error_page(renderer, request, 503)

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        return error_page(renderer, request, status if status in _PAGES else 404)

    async def bad_request(request: Request, _: Exception) -> Response:
        # Only a URL can fail validation here (forms are read by hand): a page that is not.
        return error_page(renderer, request, 404)

    for kind, handler in (
        (NotSignedIn, not_signed_in),
        (OperatorOnly, operator_only),
        (SessionEnded, session_ended),
        (CsrfRefused, csrf),
        (httpx.HTTPError, unavailable),
        (HTTPException, http_error),
        (RequestValidationError, bad_request),
    ):
        api.add_exception_handler(kind, handler)
