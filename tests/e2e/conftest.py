"""The end-to-end tests' platform: one stack per broker, shared by the journeys and the holds.

The platform as ``make run`` starts it, with the example orders service beside it as another
team would run theirs (``DELETION_PARTICIPANTS`` names it), so every purge here also waits for
a participant that is not ours. One start per broker instead of one per module keeps
``make test`` short.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.support.brokers import BrokerUnderTest
from tests.support.orders import PARTICIPANTS, orders_beside
from tests.support.stack import Stack, running_stack

__all__ = ["PARTICIPANTS", "Shop"]


@dataclass(frozen=True)
class Shop:
    """The platform and the orders service beside it."""

    stack: Stack
    orders: str


@pytest.fixture(scope="package")
def shop(tmp_path_factory: pytest.TempPathFactory, broker: BrokerUnderTest) -> Iterator[Shop]:
    base = tmp_path_factory.mktemp("platform")
    extra = {"DELETION_PARTICIPANTS": PARTICIPANTS}
    with (
        running_stack(base, "e2e", broker, extra) as stack,
        orders_beside(stack, broker, base) as orders,
    ):
        yield Shop(stack, orders)
    assert "adieu ready:" in stack.log.read_text()


@pytest.fixture(scope="package")
def stack(shop: Shop) -> Stack:
    """``python -m devstack`` exactly as ``make run`` starts it; stopped with SIGTERM."""
    return shop.stack
