"""Where the two brokers differ, and what the platform does about it (docs/kafka.md).

Apache Kafka de-duplicates a producer's retried sends (the idempotent producer), which needs a
producer id from the broker; Tansu refuses to give one. So the Faust producer the services
publish through asks for idempotence on Kafka only; on Tansu delivery stays at-least-once,
covered by every consumer's dedupe.
"""

from __future__ import annotations

from pathlib import Path

from aiokafka.client import AIOKafkaClient
from aiokafka.protocol.transaction import InitProducerIdRequest

from shared.config import PlatformSettings
from shared.faust_app import create_faust_app
from tests.support.brokers import BrokerUnderTest
from tests.support.polling import eventually

_RETRIABLE = (14, 15)  # COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE


async def _producer_id_error(bootstrap: str) -> int:
    """The broker's error code for InitProducerId, as an idempotent producer sends it."""
    client = AIOKafkaClient(bootstrap_servers=bootstrap)
    await client.bootstrap()
    try:
        request = InitProducerIdRequest(transactional_id=None, transaction_timeout_ms=60000)
        response = await client.send(client.get_random_node(), request)
        code: int = response.error_code
        return code
    finally:
        await client.close()


async def test_the_producer_is_idempotent_where_the_broker_offers_it(
    broker: BrokerUnderTest, platform: PlatformSettings, tmp_path: Path
) -> None:
    asks = create_faust_app("guarantees", platform, tmp_path).producer._settings_extra()

    async def answered() -> tuple[int] | None:
        code = await _producer_id_error(broker.bootstrap)
        # Kafka answers "coordinator loading / not available" while it creates its
        # transaction-state topic on first use; a producer retries those, and so do we.
        return None if code in _RETRIABLE else (code,)

    (code,) = await eventually(answered, timeout=60, interval=0.5, what="an InitProducerId answer")
    granted = code == 0
    if broker.kind == "kafka":
        assert granted, f"Apache Kafka refused a producer id ({code})"
        assert (asks.get("enable_idempotence"), asks.get("acks")) == (True, "all")
    else:
        assert not granted, "Tansu now grants producer ids: the idempotent producer could be used"
        assert "enable_idempotence" not in asks
