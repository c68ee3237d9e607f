"""The outbox keeps events while the broker is away and publishes them when it is back."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from devstack.broker import TansuBroker, free_port
from services.survey.app import bootstrap
from services.survey.config import Settings
from shared.config import PlatformSettings
from shared.events import SurveySubmitted
from tests.support.brokers import BrokerUnderTest
from tests.support.kafka import read_events
from tests.support.platform import Keys
from tests.support.polling import eventually
from tests.support.proxy import TcpProxy
from tests.support.services import bearer, serving
from tests.support.survey import open_request


@pytest.fixture
def proxy_port(broker: BrokerUnderTest) -> int:
    return broker.proxied[1] if broker.proxied else free_port()


@pytest.fixture
def target_port(broker: BrokerUnderTest, proxy_port: int) -> Iterator[int]:
    """Where the proxy forwards: a listener of the session's Kafka that advertises the proxy,
    or a Tansu of this test's own that does, so clients always go through the proxy."""
    if broker.proxied:
        yield broker.proxied[0]
        return
    tansu = TansuBroker(free_port(), advertised_port=proxy_port)
    tansu.start()
    try:
        yield tansu.port
    finally:
        tansu.stop()


@pytest.fixture
async def proxy(target_port: int, proxy_port: int) -> AsyncIterator[TcpProxy]:
    tcp = TcpProxy(proxy_port, target_port)
    await tcp.start()
    try:
        yield tcp
    finally:
        await tcp.cut()


async def test_an_event_written_while_the_broker_is_unreachable_arrives_after_it_returns(
    proxy: TcpProxy, proxy_port: int, platform: PlatformSettings, keys: Keys, tmp_path: Path
) -> None:
    via_proxy = f"127.0.0.1:{proxy_port}"
    isolated = platform.model_copy(update={"kafka_bootstrap": via_proxy})
    service = bootstrap(Settings(data_dir=tmp_path, platform=isolated))
    request_id = str(uuid.uuid4())
    async with serving(service) as client:
        await open_request(service.deps.db, "acc-1", request_id)
        await proxy.cut()
        answer = await client.post(
            "/v1/responses",
            json={"request_id": request_id, "reasons": ["privacy"]},
            headers=bearer(keys.signing_key, "acc-1"),
        )
        # The person's Send succeeds: the event waits in the outbox, not in a broker call.
        assert answer.status_code == 201
        pending = await service.deps.db.fetch_all("SELECT event_type FROM outbox")
        assert [row["event_type"] for row in pending] == ["SurveySubmitted"]

        await proxy.start()

        async def published() -> list[str] | None:
            events = await read_events(via_proxy, isolated.topics.survey_events)
            found = [e.payload.request_id for e in events if isinstance(e, SurveySubmitted)]
            return found or None

        assert await eventually(published, timeout=60, what="the event after the outage") == [
            request_id
        ]
        remaining = await eventually(
            lambda: _empty_outbox(service), timeout=15, what="an empty outbox"
        )
        assert remaining == "empty"


async def _empty_outbox(service: object) -> str | None:
    rows = await service.deps.db.fetch_all("SELECT 1 FROM outbox")  # type: ignore[attr-defined]
    return "empty" if not rows else None
