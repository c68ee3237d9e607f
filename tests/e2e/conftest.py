"""The end-to-end tests' platform: one stack per broker, shared by the journeys and the holds.

The platform as ``make run`` starts it, with the example orders service beside it as another
team would run theirs (``DELETION_PARTICIPANTS`` names it), so every purge here also waits for
a participant that is not ours. One start per broker instead of one per module keeps
``make test`` short.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from devstack.broker import free_port
from tests.support.brokers import BrokerUnderTest
from tests.support.stack import ROOT, Stack, running_stack

PARTICIPANTS = "auth,survey,notifier,orders"
_ORDERS_READY_SECONDS = 60.0


@dataclass(frozen=True)
class Shop:
    """The platform and the orders service beside it."""

    stack: Stack
    orders: str


def _wait_until_answering(url: str) -> None:
    deadline = time.monotonic() + _ORDERS_READY_SECONDS
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=2.0).status_code == 200:
                return
        except httpx.TransportError:
            pass  # still starting
        if time.monotonic() > deadline:
            raise AssertionError(f"the orders service did not answer at {url}")
        time.sleep(0.2)  # polling with a deadline, as tests/support/polling does


@pytest.fixture(scope="package")
def shop(tmp_path_factory: pytest.TempPathFactory, broker: BrokerUnderTest) -> Iterator[Shop]:
    base = tmp_path_factory.mktemp("platform")
    extra = {"DELETION_PARTICIPANTS": PARTICIPANTS}
    with running_stack(base, "e2e", broker, extra) as stack:
        port = free_port()
        env = {
            **stack.env,
            **stack.secrets(),
            "ORDERS_HTTP_PORT": str(port),
            "ORDERS_DATA_DIR": str(stack.var_dir),
            # The stack's broker: the session's Kafka, or the Tansu devstack started.
            "ADIEU_KAFKA_BOOTSTRAP": stack.env.get(
                "ADIEU_KAFKA_BOOTSTRAP", f"127.0.0.1:{stack.env['DEVSTACK_BROKER_PORT']}"
            ),
            "ADIEU_BROKER_KIND": broker.kind,
        }
        with (base / "orders.log").open("wb") as log:
            orders = subprocess.Popen(
                [sys.executable, "-m", "examples.orders_participant"],
                cwd=ROOT,
                env={**os.environ, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_until_answering(url)
            yield Shop(stack, url)
        finally:
            orders.terminate()
            orders.wait(timeout=30)
    assert "adieu ready:" in stack.log.read_text()


@pytest.fixture(scope="package")
def stack(shop: Shop) -> Stack:
    """``python -m devstack`` exactly as ``make run`` starts it; stopped with SIGTERM."""
    return shop.stack
