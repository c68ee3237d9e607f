"""One worker of a two-worker consumer group, run as its own process by test_rebalance.

``python -m tests.integration.shared.rebalance_worker TOPIC DATA_DIR`` with the platform in
``ADIEU_*`` variables: consumes ``AccountRegistered`` from TOPIC through the service Faust app
and an :class:`~shared.consumer.IdempotentConsumer`, whose ``processed_events`` rows in
``DATA_DIR/rebalance.sqlite3`` are what this worker handled. Runs until SIGTERM.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path
from typing import Any

from faust.contrib.asgi import faust_app_running

from shared.clock import SystemClock
from shared.config import PlatformSettings
from shared.consumer import IdempotentConsumer
from shared.db import Database, Transaction
from shared.faust_app import create_faust_app, subscribe

__all__ = ["CONSUMER", "SERVICE", "database_path"]

SERVICE = "rebalance"
CONSUMER = "rebalance-test"


def database_path(data_dir: Path) -> Path:
    """Where a worker started with ``data_dir`` records the events it handled."""
    return data_dir / "rebalance.sqlite3"


async def _handled(tx: Transaction, event: Any) -> None:
    """Nothing to do: the consumer records the event id in the same transaction."""


async def _run(topic: str, data_dir: Path) -> None:
    stopping = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
    db = Database(database_path(data_dir), "")
    app = create_faust_app(SERVICE, PlatformSettings(), data_dir)
    consumer = IdempotentConsumer(CONSUMER, db, SystemClock(), {"AccountRegistered": _handled})
    subscribe(app, topic, consumer)
    await db.open()
    try:
        async with faust_app_running(app, stop_timeout=15.0):
            await stopping.wait()
    finally:
        await db.close()


if __name__ == "__main__":
    asyncio.run(_run(sys.argv[1], Path(sys.argv[2])))
