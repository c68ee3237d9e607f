"""The ASGI middleware every service's API runs behind: correlation ids and request metrics.

Each request gets a correlation id (the caller's ``X-Correlation-ID`` if sane, else a fresh
one): it is bound to every log line written while serving the request, stored in the request
state for :func:`shared.http.correlation_id`, and echoed in the response. Requests are counted
by route *template* (``/v1/deletion-requests/{request_id}``), never by raw path, so ids do not
become label values and scans of unknown paths collapse into one ``unmatched`` series.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.ids import IdFactory, random_id
from shared.logs import bound
from shared.metrics import HTTP_DURATION, HTTP_REQUESTS

__all__ = ["CORRELATION_HEADER", "ObservabilityMiddleware", "sane_correlation_id"]

CORRELATION_HEADER = "X-Correlation-ID"


def sane_correlation_id(given: str | None, new_id: IdFactory = random_id) -> str:
    """``given`` if it is a short id of letters, digits and dashes; else a fresh one."""
    if given and 0 < len(given) <= 64 and given.replace("-", "").isalnum():
        return given
    return new_id()


class ObservabilityMiddleware:
    """Binds the correlation id and counts every answered request."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cid = sane_correlation_id(Headers(scope=scope).get(CORRELATION_HEADER))
        scope.setdefault("state", {})["correlation_id"] = cid
        status = 500  # what the caller gets if the app raises past its error handlers

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                MutableHeaders(scope=message).append(CORRELATION_HEADER, cid)
            await send(message)

        started = time.perf_counter()
        try:
            with bound(correlation_id=cid):
                await self.app(scope, receive, send_with_id)
        finally:
            self._observe(scope, status, time.perf_counter() - started)

    def _observe(self, scope: Scope, status: int, seconds: float) -> None:
        route: Any = scope.get("route")
        template = str(getattr(route, "path", "")) or "unmatched"
        method = str(scope.get("method", ""))
        labels = {"service": self.service, "method": method, "route": template}
        HTTP_REQUESTS.labels(**labels, status=str(status)).inc()
        HTTP_DURATION.labels(**labels).observe(seconds)
