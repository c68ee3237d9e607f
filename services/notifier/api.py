"""The notifier's HTTP routes: only ``GET /healthz``. Everything else arrives as events.

No `from __future__ import annotations` here: FastAPI reads the route annotations at runtime.
"""

from fastapi import APIRouter

from shared.service import health_router

__all__ = ["build_router"]


def build_router() -> APIRouter:
    """The notifier's routes: the health check every service has, and nothing more."""
    return health_router()
