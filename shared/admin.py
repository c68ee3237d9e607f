"""Creating the platform's topics explicitly (auto-creation would pick its own partition count).

Not only at start: Tansu's memory storage forgets every topic when it restarts, and a
dead-letter topic would then exist again only once something is produced to it (and with the
broker's own partition count). :class:`TopicKeeper` checks the service's topics again, every few
seconds and after every failed publish, and re-creates the missing ones.

That a topic is missing does not tell a service that the broker forgot: another service may
have re-created it first, or a client's metadata request auto-created it. So a keeper may also
keep a *marker*, a topic of one partition that only it creates and nothing else names: when
the marker is missing, this broker has forgotten everything this service saw there (records,
committed offsets), and the keeper says so (:meth:`TopicKeeper.on_forgotten`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError

__all__ = ["TopicKeeper", "ensure_topics"]

log = logging.getLogger(__name__)

# How long a start waits for created topics to show in the broker's metadata (a moment, in
# practice); past it the service starts anyway, and says which topics were not seen.
_VISIBLE_WITHIN_SECONDS = 15.0


async def _create_missing(
    admin: AIOKafkaAdminClient, wanted: list[str], partitions: int, replication: int
) -> list[str]:
    existing = set(await admin.list_topics())
    missing = [name for name in wanted if name not in existing]
    if missing:
        # Another service may create one between our list and our create.
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics([NewTopic(name, partitions, replication) for name in missing])
    return missing


async def _await_visible(admin: AIOKafkaAdminClient, wanted: list[str], seconds: float) -> None:
    """Return once the broker's metadata lists every topic in ``wanted`` (or after ``seconds``).

    A topic just created (by us, or by another service at the same moment: then our create
    answers "already exists") may be missing from the broker's metadata for a moment on Apache
    Kafka. A consumer starting in that moment is told the topic does not exist, drops it from
    its subscription and would read nothing from it until its next metadata refresh, minutes
    later; so a service starts its consumers only once its topics are visible.
    """
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        missing = set(wanted) - set(await admin.list_topics())
        if not missing:
            return
        if asyncio.get_running_loop().time() > deadline:
            log.warning("topics still not in the broker's metadata: %s", ", ".join(sorted(missing)))
            return
        await asyncio.sleep(0.1)


async def ensure_topics(
    bootstrap: str,
    names: Iterable[str],
    *,
    partitions: int,
    replication: int,
    wait_seconds: float = 60.0,
) -> None:
    """Create every topic in ``names`` that does not exist yet; wait for the broker if needed."""
    wanted = sorted(set(names))
    deadline = asyncio.get_running_loop().time() + wait_seconds
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="adieu-admin")
        try:
            await admin.start()
            await _create_missing(admin, wanted, partitions, replication)
            await _await_visible(admin, wanted, _VISIBLE_WITHIN_SECONDS)
            return
        except KafkaConnectionError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            log.warning("broker not reachable yet at %s; retrying", bootstrap)
            await asyncio.sleep(1.0)
        finally:
            await admin.close()


class TopicKeeper:
    """The topics one service needs: created at start, and again whenever they go missing.

    After :meth:`start` it looks every ``interval_seconds``, and at once when :meth:`nudge`d
    (the outbox relay does after a failed publish). :meth:`stop` lets a look in progress finish
    rather than cancelling it: a connection cancelled half-way would be left open.
    """

    def __init__(
        self,
        bootstrap: str,
        names: Iterable[str],
        *,
        partitions: int,
        replication: int,
        interval_seconds: float = 5.0,
        marker: str | None = None,
    ) -> None:
        self._bootstrap = bootstrap
        self._wanted = sorted(set(names))
        self._marker = marker
        self._forgotten: list[Callable[[], Awaitable[None]]] = []
        self._partitions = partitions
        self._replication = replication
        self._interval = interval_seconds
        self._nudged = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def on_forgotten(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Await ``callback`` whenever a look finds the marker gone (the broker forgot)."""
        self._forgotten.append(callback)

    async def ensure(self, wait_seconds: float = 60.0) -> None:
        """Create every missing topic, waiting up to ``wait_seconds`` for the broker (start)."""
        await ensure_topics(
            self._bootstrap,
            self._wanted,
            partitions=self._partitions,
            replication=self._replication,
            wait_seconds=wait_seconds,
        )
        if self._marker is not None:
            await ensure_topics(self._bootstrap, [self._marker], partitions=1, replication=1)

    async def check(self) -> list[str]:
        """One look: re-create the topics that are missing now; return their names.

        Raises:
            KafkaError: the broker is not reachable (the next look tries again).
        """
        admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap, client_id="adieu-admin")
        try:
            await admin.start()
            missing = await _create_missing(
                admin, self._wanted, self._partitions, self._replication
            )
            forgot = self._marker is not None and bool(
                await _create_missing(admin, [self._marker], 1, 1)
            )
        finally:
            await admin.close()
        if missing:
            log.warning("re-created %d missing topics: %s", len(missing), ", ".join(missing))
        if forgot:
            log.warning("the broker has forgotten what this service read there")
            for callback in self._forgotten:
                await callback()
        return missing

    def nudge(self) -> None:
        """Look now rather than at the next interval."""
        self._nudged.set()

    def start(self) -> None:
        """Look in the background until :meth:`stop`."""
        self._stopping.clear()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="topic-keeper")

    async def stop(self) -> None:
        """Stop after the look in progress, if any."""
        if self._task is None:
            return
        self._stopping.set()
        self._nudged.set()
        await self._task
        self._task = None

    async def _run(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._interval):
                    await self._nudged.wait()
            self._nudged.clear()
            if self._stopping.is_set():
                return
            try:
                await self.check()
            except Exception as exc:  # the broker may be away: the next look tries again
                log.warning("topic check failed: %s", type(exc).__name__)
