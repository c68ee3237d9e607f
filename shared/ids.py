"""Fresh ids, injected like the clock, so a test can make them predictable."""

from __future__ import annotations

import uuid
from collections.abc import Callable

__all__ = ["IdFactory", "random_id"]

IdFactory = Callable[[], str]
"""Returns a new opaque id on every call."""


def random_id() -> str:
    """A random (version 4) UUID as text: the ids of accounts, requests and notifications."""
    return str(uuid.uuid4())
