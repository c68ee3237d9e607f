"""The example orders service joins a real purge, export and hold, over the real broker."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from examples.orders_participant.app import Settings as OrdersSettings
from examples.orders_participant.app import bootstrap as orders_bootstrap
from services.deletion.app import bootstrap as deletion_bootstrap
from services.deletion.config import Settings as DeletionSettings
from shared.clock import FrozenClock
from shared.config import PlatformSettings
from shared.crypto import new_key
from shared.events import AccountPurged, new_event
from tests.integration.deletion.support import one_event, token
from tests.support.kafka import produce_event
from tests.support.platform import Keys
from tests.support.polling import eventually
from tests.support.services import serving

CODE = "246810"


async def test_orders_holds_the_deletion_until_delivered_exports_its_orders_and_is_purged(
    platform: PlatformSettings, keys: Keys, tmp_path: Path
) -> None:
    clock = FrozenClock(datetime.now(UTC))
    account, bystander = str(uuid.uuid4()), str(uuid.uuid4())
    deletion = deletion_bootstrap(
        DeletionSettings(
            hmac_key=SecretStr(new_key()),
            data_dir=tmp_path,
            platform=platform,
            scan_interval_seconds=0.1,
            survey_required=False,
            participants=("orders",),
        ),
        clock=clock,
        new_code=lambda: CODE,
    )
    orders = orders_bootstrap(OrdersSettings(data_dir=tmp_path, platform=platform))
    async with serving(orders) as shop, serving(deletion) as client:
        for who, item in ((account, "boots"), (account, "scarf"), (bystander, "hat")):
            placed = await shop.post("/v1/orders", json={"account_id": who, "item": item})
            assert placed.status_code == 201
        # A purge naming someone else is not for orders: nothing is erased, nothing answered.
        foreign = new_event(
            AccountPurged,
            account_id=bystander,
            correlation_id="test",
            occurred_at=clock.now(),
            request_id="someone-elses",
            participants=("billing",),
        )
        await produce_event(platform.kafka_bootstrap, platform.topics.deletion_events, foreign)

        headers = token(keys.signing_key, clock, account)
        body = {"understood_consequences": True, "accepted_terms": True, "channel": "email"}
        request_id = (
            await client.post("/v1/deletion-requests", json=body, headers=headers)
        ).json()["request_id"]

        async def held() -> Any:
            holds = (await client.get("/v1/holds?lang=en", headers=headers)).json()["holds"]
            return holds or None

        (hold,) = await eventually(held, timeout=15, what="the open_order hold")
        assert (hold["participant"], hold["reason"]) == ("orders", "open_order")
        assert "2 order(s) on the way" in hold["text"]

        await _download_checked(client, headers, token(keys.signing_key, clock, bystander))

        confirmed = await client.post(
            f"/v1/deletion-requests/{request_id}/confirm", json={"code": CODE}, headers=headers
        )
        assert confirmed.status_code == 202, confirmed.text
        for order_id in await _order_ids(orders, account):
            assert (await shop.post(f"/v1/orders/{order_id}/deliver")).status_code == 200

        async def lifted() -> Any:
            holds = (await client.get("/v1/holds", headers=headers)).json()["holds"]
            return holds == [] or None

        await eventually(lifted, timeout=15, what="the hold to lift")
        clock.advance(2 * 86400)
        headers = token(keys.signing_key, clock, account)

        async def purged() -> Any:
            status = await client.get(f"/v1/deletion-requests/{request_id}", headers=headers)
            return status.json() if status.json()["status"] == "purged" else None

        final = await eventually(purged, timeout=20, what="the purge to complete")
        assert final["participants"] == {"orders": "completed"}
        gone = await client.get("/v1/exports/latest", headers=headers)
        assert gone.status_code == 404
        answer: Any = await one_event(
            platform, platform.topics.purge_completions, "PurgeCompleted", account
        )
        assert answer.payload.participant == "orders"
        mine = await shop.get(f"/v1/accounts/{account}/orders")
        theirs = await shop.get(f"/v1/accounts/{bystander}/orders")
    assert mine.json() == {"items": []}
    assert theirs.json() == {"items": ["hat"]}


async def _order_ids(orders: Any, account: str) -> list[str]:
    rows = await orders.db.fetch_all("SELECT order_id FROM orders WHERE account_id = ?", (account,))
    return [str(row["order_id"]) for row in rows]


async def _download_checked(client: Any, headers: Any, stranger: Any) -> None:
    """Export the account's data and check the archive: its orders, and a README in English."""
    started = await client.post("/v1/exports", json={"lang": "en"}, headers=headers)
    assert started.status_code == 202, started.text
    export_id = started.json()["export_id"]

    async def ready() -> Any:
        shown = (await client.get(f"/v1/exports/{export_id}", headers=headers)).json()
        return shown if shown["status"] == "ready" else None

    shown = await eventually(ready, timeout=15, what="the export to be ready")
    assert shown["parts"] == {"orders": "delivered"}
    url = f"/v1/exports/{export_id}/archive"
    assert (await client.get(url, headers=stranger)).status_code == 404
    archive = await client.get(url, headers=headers)
    assert archive.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.content)) as opened:
        assert sorted(opened.namelist()) == ["README.txt", "orders.json"]
        orders = json.loads(opened.read("orders.json"))["orders"]
        assert "orders.json: what orders holds about you" in opened.read("README.txt").decode()
    assert sorted(order["item"] for order in orders) == ["boots", "scarf"]
    assert not any(order["delivered"] for order in orders)
