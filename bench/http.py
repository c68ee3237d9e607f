"""The paced journeys' HTTP client: JSON POSTs over kept HTTP/1.1 connections, and little else.

httpx cost the driver more CPU than the requests cost the services (py-spy on the journey
bench: its connection pool checks every pooled connection, a syscall or two each, for every
request, and httpcore tries to import a module that is not installed several times a request);
the driver is one process, so at 25 journeys/s it was itself the bottleneck. The services
answer with a Content-Length body (uvicorn), so a POST is one write and two reads here. Not a
general client: no redirects, no chunked bodies, no TLS; the bench only talks to its own stack.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

__all__ = ["HttpStatusError", "JsonClient", "Post"]

# A journey step's POST: url, JSON body, headers → the answer's JSON body (raises on non-2xx).
Post = Callable[[str, Mapping[str, Any], Mapping[str, str]], Awaitable[Any]]

# Under uvicorn's keep-alive timeout (5 s): a connection idle this long is not used again, so
# a request never races the server closing it.
_IDLE_SECONDS = 3.0

_Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]
_Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter, float]


class HttpStatusError(Exception):
    """The service answered with a status that is not 2xx (``code``: its error code)."""

    def __init__(self, status: int, body: bytes, retry_after: float | None = None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after
        try:
            self.code = str(json.loads(body).get("error", ""))
        except (ValueError, AttributeError):
            self.code = ""


class JsonClient:
    """Keeps idle connections per host and port; each request takes one or opens one."""

    def __init__(self, timeout: float = 30.0) -> None:
        self._timeout = timeout
        self._idle: dict[tuple[str, int], list[_Connection]] = {}

    async def post(self, url: str, body: Mapping[str, Any], headers: Mapping[str, str]) -> Any:
        """POST ``body`` as JSON; the answer's JSON, or HttpStatusError."""
        return await asyncio.wait_for(self._post(url, body, headers), self._timeout)

    async def _post(self, url: str, body: Mapping[str, Any], headers: Mapping[str, str]) -> Any:
        parts = urlsplit(url)
        where = (parts.hostname or "127.0.0.1", parts.port or 80)
        payload = json.dumps(body).encode()
        head = [f"POST {parts.path or '/'} HTTP/1.1", f"Host: {parts.netloc}"]
        head += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        reader, writer = await self._take(where)
        try:
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
            status, length, close, retry_after = _head(await reader.readuntil(b"\r\n\r\n"))
            answer = await reader.readexactly(length)
        except BaseException:
            writer.close()  # in an unknown state: never reused
            raise
        if close:
            writer.close()
        else:
            self._idle.setdefault(where, []).append((reader, writer, time.monotonic()))
        if not 200 <= status < 300:
            raise HttpStatusError(status, answer, retry_after)
        return json.loads(answer) if answer else None

    async def _take(
        self, where: tuple[str, int]
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        idle = self._idle.get(where, [])
        now = time.monotonic()
        while idle:
            reader, writer, since = idle.pop()
            if now - since < _IDLE_SECONDS and not reader.at_eof():
                return reader, writer
            writer.close()
        return await asyncio.open_connection(*where)

    async def aclose(self) -> None:
        """Close every idle connection."""
        for idle in self._idle.values():
            for _, writer, _ in idle:
                writer.close()
        self._idle.clear()


def _head(raw: bytes) -> tuple[int, int, bool, float | None]:
    """Status, Content-Length, whether the server closes the connection, Retry-After."""
    lines = raw.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length, close, retry_after = 0, False, None
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection" and value.strip().lower() == "close":
            close = True
        elif name == "retry-after" and value.strip().isdigit():
            retry_after = float(value)
        elif name == "transfer-encoding":
            raise ValueError("chunked answers are not supported by the bench's client")
    return status, length, close, retry_after
