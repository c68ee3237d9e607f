"""The web edge as a client of the platform's APIs: one HTTP client per service.

Answers are returned as :class:`Reply` whatever their status, because most error answers
(a wrong password, a wrong code) are ordinary outcomes the pages show next to a field.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from shared.client_address import EDGE_HEADER, edge_header
from shared.clock import Clock, SystemClock

__all__ = ["Backend", "Reply", "SessionEnded"]

# A readiness probe must answer well within an orchestrator's probe timeout.
_PROBE_SECONDS = 2.0

# Answers meaning the person's token is no good any more: they have to sign in again.
_ENDED = frozenset({"invalid_token", "session_revoked", "unauthorized"})


class SessionEnded(Exception):
    """The access token was refused; the person must sign in again."""


@dataclass(frozen=True)
class Reply:
    """One API answer."""

    status: int
    data: dict[str, Any] = field(default_factory=dict)
    content: bytes = b""
    content_type: str = ""

    @property
    def ok(self) -> bool:
        """A 2xx answer."""
        return 200 <= self.status < 300

    @property
    def error(self) -> str | None:
        """The machine-readable error code of an error answer."""
        return None if self.ok else str(self.data.get("error", "http_error"))


class Backend:
    """HTTP clients for auth, deletion and survey."""

    def __init__(
        self,
        urls: Mapping[str, str],
        timeout: float,
        mounts: Mapping[str, httpx.AsyncBaseTransport] | None = None,
        *,
        edge_key: bytes | None = None,
        clock: Clock | None = None,
    ) -> None:
        # With the key shared with auth, calls vouch for the person's own client address.
        self._edge_key = edge_key
        self._clock = clock or SystemClock()
        self._clients = {
            name: httpx.AsyncClient(base_url=url, timeout=timeout, mounts=dict(mounts or {}))
            for name, url in urls.items()
        }

    async def close(self) -> None:
        """Close every connection."""
        for client in self._clients.values():
            await client.aclose()

    async def readiness(self) -> dict[str, str]:
        """Each service's ``GET /healthz``, asked at once: ``{name: "ok" | "unavailable"}``."""

        async def probe(client: httpx.AsyncClient) -> str:
            try:
                answer = await client.get("/healthz", timeout=_PROBE_SECONDS)
            except httpx.HTTPError:
                return "unavailable"
            return "ok" if answer.status_code == 200 else "unavailable"

        names = list(self._clients)
        states = await asyncio.gather(*(probe(self._clients[name]) for name in names))
        return dict(zip(names, states, strict=True))

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
        operator: bool = False,
        client: str | None = None,
    ) -> Reply:
        """Call ``service``; raise :class:`SessionEnded` when a person's token was refused.

        ``operator`` marks ``token`` as a service's admin token, whose refusal ends no session.
        ``client`` is the person's own address, sent signed (``X-Adieu-Client``) so that auth
        throttles that address and not the web edge's, which every person shares.
        """
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if client and self._edge_key is not None:
            headers[EDGE_HEADER] = edge_header(self._edge_key, client, self._clock.now())
        if content_type:
            headers["Content-Type"] = content_type
        answer = await self._clients[service].request(
            method, path, json=json, params=params, content=content, headers=headers
        )
        reply = _reply(answer)
        if token and not operator and reply.status == 401 and reply.error in _ENDED:
            raise SessionEnded(reply.error)
        return reply


def _reply(answer: httpx.Response) -> Reply:
    kind = answer.headers.get("content-type", "")
    data: dict[str, Any] = {}
    if kind.startswith("application/json") and answer.content:
        parsed = answer.json()
        data = parsed if isinstance(parsed, dict) else {"items": parsed}
    return Reply(answer.status_code, data, answer.content, kind)
