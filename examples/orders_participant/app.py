"""An orders service with its own SQLite, joining the purge, the data export and the holds.

Everything deletion-related is three small functions — ``erase``, ``export`` and ``holds`` —
and the one ``PurgeParticipant`` line; placing and delivering an order report the holds again
(an undelivered order holds the account's deletion, ``open_order``). Run it with ``ORDERS_*``
and ``ADIEU_*`` settings, and add ``orders`` to ``DELETION_PARTICIPANTS``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, Field
from pydantic_settings import SettingsConfigDict

from shared.config import ServiceSettings
from shared.db import NORMAL, Database, Migration, Transaction, add_columns
from shared.events import ReportedHold
from shared.faust_app import create_faust_app
from shared.http import ApiError
from shared.participant import PurgeParticipant
from shared.runtime import ServiceRuntime
from shared.service import build_api

__all__ = ["SCHEMA", "Service", "Settings", "bootstrap", "erase", "export", "holds"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    order_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    item TEXT NOT NULL,
    delivered INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS orders_by_account ON orders (account_id);
"""
# Orders from before delivery tracking count as delivered.
MIGRATIONS: tuple[Migration, ...] = (
    (1, add_columns("orders", {"delivered": "INTEGER NOT NULL DEFAULT 1"})),
)


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


async def export(tx: Transaction, account_id: str) -> dict[str, Any]:
    """The account's orders, for its data export."""
    cursor = await tx.execute(
        "SELECT order_id, item, delivered FROM orders WHERE account_id = ? ORDER BY order_id",
        (account_id,),
    )
    rows = await cursor.fetchall()
    await cursor.close()
    orders = [{"order_id": r[0], "item": r[1], "delivered": bool(r[2])} for r in rows]
    return {"orders": orders}


async def holds(tx: Transaction, account_id: str) -> list[ReportedHold]:
    """An undelivered order holds the deletion until it is delivered."""
    cursor = await tx.execute(
        "SELECT count(*) FROM orders WHERE account_id = ? AND delivered = 0", (account_id,)
    )
    row = await cursor.fetchone()
    await cursor.close()
    waiting = int(row[0]) if row else 0
    if not waiting:
        return []
    return [
        ReportedHold(
            hold_id="undelivered-orders",
            reason="open_order",
            text_nb=f"Du har {waiting} bestilling(er) på vei; kontoen slettes når de er levert.",
            text_en=f"You have {waiting} order(s) on the way; your account will be deleted"
            " once they have been delivered.",
        )
    ]


def bootstrap(settings: Settings) -> Service:
    """Assemble the orders service; connects nothing."""
    platform = settings.platform
    # NORMAL: a commit lost to a power cut is redone, since deletion asks a silent participant
    # again and erasing twice is harmless (see shared.db on the choice).
    db = Database(settings.database_path("orders"), SCHEMA, MIGRATIONS, synchronous=NORMAL)
    app = create_faust_app("orders", platform, settings.data_dir)
    participant = PurgeParticipant(
        "orders", erase, db=db, topics=platform.topics, export=export, holds=holds
    ).attach(app)
    runtime = ServiceRuntime(platform, db, app)
    api = build_api("orders", runtime, _router(db, participant))
    return Service(api=api, runtime=runtime, db=db)


def _router(db: Database, participant: PurgeParticipant) -> APIRouter:
    router = APIRouter()

    @router.post("/v1/orders", status_code=201)
    async def place(order: OrderIn) -> dict[str, Any]:
        order_id = str(uuid.uuid4())
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO orders (order_id, account_id, item) VALUES (?, ?, ?)",
                (order_id, order.account_id, order.item),
            )
            await participant.report_holds(tx, order.account_id)
        return {"order_id": order_id}

    @router.post("/v1/orders/{order_id}/deliver")
    async def deliver(order_id: str) -> dict[str, Any]:
        async with db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE orders SET delivered = 1 WHERE order_id = ? RETURNING account_id",
                (order_id,),
            )
            row = await cursor.fetchone()
            await cursor.close()
            if row is None:
                raise ApiError(404, "order_not_found", "No such order.")
            await participant.report_holds(tx, str(row[0]))
        return {"order_id": order_id, "delivered": True}

    @router.get("/v1/accounts/{account_id}/orders")
    async def orders_of(account_id: str) -> dict[str, Any]:
        rows = await db.fetch_all("SELECT item FROM orders WHERE account_id = ?", (account_id,))
        return {"items": [row["item"] for row in rows]}

    return router
