"""Cookies, CSRF and the security headers every answer carries."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from fastapi import Request
from starlette.datastructures import FormData
from starlette.responses import Response

from services.web.render import LANGUAGES, session_of
from services.web.session import SessionCodec, cookie_name

__all__ = ["CsrfRefused", "checked_form", "session_middleware"]

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}

Next = Callable[[Request], Awaitable[Response]]
log = logging.getLogger(__name__)


class CsrfRefused(Exception):
    """A form arrived without this session's CSRF token."""


def session_middleware(
    codec: SessionCodec, secure: bool, failed: Callable[[Request], Response]
) -> Callable[[Request, Next], Awaitable[Response]]:
    """Open the sealed session for the request; seal it again if it changed; add headers.

    A page that fails unexpectedly answers ``failed(request)`` (the 500 page), inside this
    layer, so even that answer carries the session and the security headers.
    """
    name = cookie_name(secure)

    async def middleware(request: Request, call_next: Next) -> Response:
        session = codec.open(request.cookies.get(name)) or codec.new()
        chosen = request.query_params.get("lang")
        if request.method == "GET" and chosen in LANGUAGES:
            session.update(lang=chosen)
        request.state.session = session
        try:
            response = await call_next(request)
        except Exception:
            log.error("a page failed", exc_info=True)
            response = failed(request)
        if session.dirty:
            response.set_cookie(
                name, codec.seal(session), httponly=True, secure=secure, samesite="lax", path="/"
            )
        for header, value in SECURITY_HEADERS.items():
            response.headers.setdefault(header, value)
        # Pages show personal data; no shared cache may keep them.
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    return middleware


async def checked_form(request: Request) -> AsyncIterator[FormData]:
    """The posted form, if it carries the session's CSRF token; else :class:`CsrfRefused`.

    Uploaded files are spooled to temporary files; they are closed once the page is answered.
    """
    form = await request.form()
    try:
        given = form.get("csrf")
        if not session_of(request).csrf_matches(given if isinstance(given, str) else None):
            raise CsrfRefused
        yield form
    finally:
        await form.close()
