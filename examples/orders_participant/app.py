"""An orders service with its own SQLite, erasing an account's orders when deletion asks.

Everything purge-related is the ``erase`` function and the one ``PurgeParticipant`` line.
Run it with ``ORDERS_*`` and ``ADIEU_*`` settings, and add ``orders`` to
``DELETION_PARTICIPANTS``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, Field
from pydantic_settings import SettingsConfigDict

from shared.config import ServiceSettings
from shared.db import Database, Transaction
from shared.faust_app import create_faust_app
from shared.participant import PurgeParticipant
from shared.runtime import ServiceRuntime
from shared.service import build_api

__all__ = ["SCHEMA", "Service", "Settings", "bootstrap"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    order_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    item TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_by_account ON orders (account_id);
"""


class Settings(ServiceSettings):
    """The example's settings (``ORDERS_*``)."""

    model_config = SettingsConfigDict(env_prefix="ORDERS_", extra="ignore")

    http_port: int = 8010


@dataclass
class Service:
    """The orders service, assembled."""

    api: FastAPI
    runtime: ServiceRuntime
    db: Database


class OrderIn(BaseModel):
    account_id: str = Field(min_length=1, max_length=64)
    item: str = Field(min_length=1, max_length=200)


async def erase(tx: Transaction, account_id: str) -> None:
    """Delete every order of the account (doing it twice is harmless)."""
    await tx.execute("DELETE FROM orders WHERE account_id = ?", (account_id,))


def bootstrap(settings: Settings) -> Service:
    """Assemble the orders service; connects nothing."""
    platform = settings.platform
    db = Database(settings.database_path("orders"), SCHEMA)
    app = create_faust_app("orders", platform, settings.data_dir)
    PurgeParticipant("orders", erase, db=db, topics=platform.topics).attach(app)
    runtime = ServiceRuntime(platform, db, app)
    return Service(api=build_api("orders", runtime, _router(db)), runtime=runtime, db=db)


def _router(db: Database) -> APIRouter:
    router = APIRouter()

    @router.post("/v1/orders", status_code=201)
    async def place(order: OrderIn) -> dict[str, Any]:
        order_id = str(uuid.uuid4())
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO orders (order_id, account_id, item) VALUES (?, ?, ?)",
                (order_id, order.account_id, order.item),
            )
        return {"order_id": order_id}

    @router.get("/v1/accounts/{account_id}/orders")
    async def orders_of(account_id: str) -> dict[str, Any]:
        rows = await db.fetch_all("SELECT item FROM orders WHERE account_id = ?", (account_id,))
        return {"items": [row["item"] for row in rows]}

    return router
