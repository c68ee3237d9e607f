"""Creating the platform's topics explicitly (auto-creation would pick its own partition count)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError

__all__ = ["ensure_topics"]

log = logging.getLogger(__name__)


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
            existing = set(await admin.list_topics())
            missing = [name for name in wanted if name not in existing]
            if missing:
                # Another service may create one between our list and our create.
                with contextlib.suppress(TopicAlreadyExistsError):
                    await admin.create_topics(
                        [NewTopic(name, partitions, replication) for name in missing]
                    )
            return
        except KafkaConnectionError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            log.warning("broker not reachable yet at %s; retrying", bootstrap)
            await asyncio.sleep(1.0)
        finally:
            await admin.close()
