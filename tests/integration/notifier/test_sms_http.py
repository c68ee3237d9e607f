"""The HTTP SMS gateway adapter against a real HTTP server on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from devstack.broker import free_port
from services.notifier.domain import PermanentFailure, TransientFailure
from services.notifier.sms import HttpSmsGateway

TOKEN = "gateway-t0ken"


@dataclass
class FakeProvider:
    """An SMS provider's endpoint: records what it accepts, answers as told per number."""

    port: int
    received: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    answers: dict[str, int] = field(default_factory=dict)
    hang: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/messages"

    async def handle(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"error": "unauthorised"}, status=401)
        body = await request.json()
        if body["to"] == "+4700000000":
            await self.hang.wait()  # a provider that never answers in time
        status = self.answers.get(body["to"], 202)
        if 200 <= status <= 299:
            self.received.append(body)
            self.headers.append(dict(request.headers))
        # Echo the number in errors, as some providers do: the adapter must not repeat it.
        return web.json_response({"to": body["to"]}, status=status)


@pytest.fixture
async def provider() -> AsyncIterator[FakeProvider]:
    fake = FakeProvider(free_port())
    app = web.Application()
    app.router.add_post("/v1/messages", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", fake.port).start()
    try:
        yield fake
    finally:
        fake.hang.set()
        await runner.cleanup()


async def test_posts_json_with_the_bearer_token_and_an_idempotency_key(
    provider: FakeProvider,
) -> None:
    gateway = HttpSmsGateway(provider.url, TOKEN)
    await gateway.send_sms("+4791234567", "Koden din er 123456. Blåbær & søtt.", "key-1")
    assert provider.received == [
        {"to": "+4791234567", "text": "Koden din er 123456. Blåbær & søtt."}
    ]
    assert provider.headers[0]["Idempotency-Key"] == "key-1"
    assert provider.headers[0]["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("status", [400, 401, 404, 422])
async def test_a_client_error_is_permanent(provider: FakeProvider, status: int) -> None:
    provider.answers["+4791234567"] = status
    with pytest.raises(PermanentFailure) as caught:
        await HttpSmsGateway(provider.url, TOKEN).send_sms("+4791234567", "hei", "k")
    assert caught.value.reason == f"sms gateway refused the message ({status})"


@pytest.mark.parametrize("status", [429, 500, 502, 503])
async def test_a_busy_or_broken_gateway_is_transient(provider: FakeProvider, status: int) -> None:
    provider.answers["+4791234567"] = status
    with pytest.raises(TransientFailure) as caught:
        await HttpSmsGateway(provider.url, TOKEN).send_sms("+4791234567", "hei", "k")
    assert "+4791234567" not in caught.value.reason


async def test_a_wrong_token_is_permanent(provider: FakeProvider) -> None:
    with pytest.raises(PermanentFailure):
        await HttpSmsGateway(provider.url, "wrong").send_sms("+4791234567", "hei", "k")
    assert provider.received == []


async def test_a_timeout_is_transient(provider: FakeProvider) -> None:
    gateway = HttpSmsGateway(provider.url, TOKEN, timeout_seconds=0.2)
    with pytest.raises(TransientFailure) as caught:
        await gateway.send_sms("+4700000000", "hei", "k")
    assert caught.value.reason == "sms gateway unavailable (ReadTimeout)"


async def test_a_gateway_that_is_not_there_is_transient() -> None:
    gateway = HttpSmsGateway(f"http://127.0.0.1:{free_port()}/v1/messages", TOKEN)
    with pytest.raises(TransientFailure):
        await gateway.send_sms("+4791234567", "hei", "k")


async def test_a_malformed_number_is_refused_before_any_request(provider: FakeProvider) -> None:
    with pytest.raises(PermanentFailure):
        await HttpSmsGateway(provider.url, TOKEN).send_sms("91234567", "hei", "k")
    assert provider.received == []
