"""How a service runs: its database, topics, Faust worker, outbox relay and periodic jobs start
in the FastAPI lifespan, and uvicorn serves the HTTP API on the same event loop.

uvicorn owns the process signals: SIGTERM or Ctrl-C ends the lifespan, which stops every part
in reverse order.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from faust.contrib.asgi import faust_app_running

from shared.admin import TopicKeeper
from shared.config import PlatformSettings, ServiceSettings
from shared.db import Database
from shared.faust_app import FaustPublisher, read_everything_again
from shared.logs import configure_logging
from shared.outbox import OutboxRelay
from shared.periodic import DeadlineTimer, Periodic
from shared.topics import Topics

__all__ = ["ServiceRuntime", "serve"]

log = logging.getLogger(__name__)

_READY_TIMEOUT_SECONDS = 2.0
# How long an erased row's old page may stay in the SQLite log after a write (see shared.db).
_SCRUB_SECONDS = 5.0


class ServiceRuntime:
    """The moving parts of one service, started and stopped together."""

    def __init__(
        self,
        platform: PlatformSettings,
        db: Database,
        faust_app: Any,
        periodic: Sequence[Periodic | DeadlineTimer] = (),
        relay: OutboxRelay | None = None,
        topics: Sequence[str] | None = None,
    ) -> None:
        """Assemble the parts; ``relay`` defaults to an OutboxRelay through the Faust producer.

        A service passes its own ``relay`` when publishing needs a condition (deletion's
        publishes only while its process holds the lease). ``topics`` are those it creates at
        start (its declared ones, :meth:`shared.messaging.Messaging.topics_to_create`); by
        default every topic of the platform and its dead-letter twin.
        """
        self.platform = platform
        self.db = db
        self.faust_app = faust_app
        self.relay = (
            relay
            if relay is not None
            else OutboxRelay(db, FaustPublisher(faust_app), platform.outbox_poll_seconds)
        )
        self._periodic = list(periodic)
        every = platform.topics.all()
        self.topics = tuple(topics if topics is not None else (*every, *map(Topics.dlq, every)))
        self.topic_keeper = TopicKeeper(
            platform.kafka_bootstrap,
            self.topics,
            partitions=platform.topic_partitions,
            replication=platform.topic_replication,
            interval_seconds=platform.topic_check_seconds,
            marker=_marker(platform, faust_app),
        )
        # A broker restart can forget topics (Tansu's memory storage does): look again often,
        # and at once when a publish fails. When it forgot, the consumers read from the start.
        self.relay.on_failure(self.topic_keeper.nudge)
        self.topic_keeper.on_forgotten(lambda: read_everything_again(faust_app))
        self._periodic.append(Periodic(f"{db.path.stem}-scrub", _SCRUB_SECONDS, self._scrub))

    async def _scrub(self) -> None:
        if self.db.written_since_scrub:
            await self.db.scrub()

    async def readiness(self) -> dict[str, str]:
        """``{"database": "ok"|"unavailable", "broker": ...}``: can we do our work right now?

        The database answers a ``SELECT 1``; the broker answers a metadata request on the
        producer's own connection (the one the outbox relay publishes through).
        """
        return {
            "database": await _probe("database", self._database_ok),
            "broker": await _probe("broker", self._broker_ok),
        }

    async def _database_ok(self) -> None:
        await self.db.fetch_one("SELECT 1")

    async def _broker_ok(self) -> None:
        producer = self.faust_app.producer._ensure_producer()
        await producer.client.fetch_all_metadata()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Start everything; stop it all on exit."""
        await self.topic_keeper.ensure()
        await self.db.open()
        try:
            async with faust_app_running(self.faust_app, stop_timeout=15.0):
                self.relay.start()
                self.topic_keeper.start()
                for job in self._periodic:
                    job.start()
                try:
                    yield
                finally:
                    for job in reversed(self._periodic):
                        await job.stop()
                    await self.topic_keeper.stop()
                    await self.relay.stop()
        finally:
            await self.db.close()


def _marker(platform: PlatformSettings, faust_app: Any) -> str | None:
    """This process's marker topic on Tansu (whose memory storage forgets), else none.

    One per process, not per service: of two deletion processes the one that re-created a
    shared marker first would leave the other unaware. Apache Kafka keeps its records, so
    there no marker is made.
    """
    if platform.broker_kind != "tansu":
        return None
    return f"{faust_app.conf.id}.alive-{os.getpid()}"


def serve(service: str, api: Any, settings: ServiceSettings) -> None:
    """Run ``api`` (whose lifespan starts the runtime) until SIGTERM or Ctrl-C."""
    configure_logging(service, settings.platform.log_format, settings.platform.log_level)
    config = uvicorn.Config(
        api,
        host=settings.http_host,
        port=settings.http_port,
        lifespan="on",
        log_config=None,
        access_log=False,
    )
    uvicorn.Server(config).run()


async def _probe(part: str, check: Callable[[], Awaitable[None]]) -> str:
    try:
        async with asyncio.timeout(_READY_TIMEOUT_SECONDS):
            await check()
    except Exception as exc:  # any failure means not ready; the reason goes to the log
        log.warning("readiness: %s unavailable: %s", part, type(exc).__name__)
        return "unavailable"
    return "ok"
