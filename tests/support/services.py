"""Running a service in the test's own event loop, against the real broker and SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from shared.clock import SystemClock
from shared.tokens import TokenIssuer

__all__ = ["bearer", "serving"]


@asynccontextmanager
async def serving(service: Any) -> AsyncIterator[httpx.AsyncClient]:
    """Start ``service``'s runtime (database, topics, worker, relay) and give an HTTP client."""
    async with service.runtime.running():
        transport = httpx.ASGITransport(app=service.api)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            yield client


def bearer(signing_key: str, account_id: str, lifetime_seconds: int = 600) -> dict[str, str]:
    """Headers carrying a genuine access token for ``account_id``, as auth would issue it."""
    token = TokenIssuer(signing_key, SystemClock(), lifetime_seconds).issue(account_id)
    return {"Authorization": f"Bearer {token}"}
