"""The example orders service (examples/orders_participant) run beside a test stack, as another
team would run theirs: on the stack's broker, with the stack's secrets, until the block ends."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from devstack.broker import free_port
from tests.support.brokers import BrokerUnderTest
from tests.support.stack import ROOT, Stack

__all__ = ["PARTICIPANTS", "orders_beside"]

# What deletion must hear from once the orders service joins (DELETION_PARTICIPANTS).
PARTICIPANTS = "auth,survey,notifier,orders"
_READY_SECONDS = 60.0


def _wait_until_answering(url: str) -> None:
    deadline = time.monotonic() + _READY_SECONDS
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=2.0).status_code == 200:
                return
        except httpx.TransportError:
            pass  # still starting
        if time.monotonic() > deadline:
            raise AssertionError(f"the orders service did not answer at {url}")
        time.sleep(0.2)  # polling with a deadline, as tests/support/polling does


@contextmanager
def orders_beside(stack: Stack, broker: BrokerUnderTest, log_dir: Path) -> Iterator[str]:
    """``python -m examples.orders_participant`` on a free port; yields its URL once it answers."""
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
    with (log_dir / "orders.log").open("wb") as log:
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
        yield url
    finally:
        orders.terminate()
        orders.wait(timeout=30)
