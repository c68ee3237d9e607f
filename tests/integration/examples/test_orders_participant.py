"""The example orders service joins a real purge: deletion asks, orders erases and answers."""

from __future__ import annotations

import uuid
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


async def test_the_example_participant_erases_its_orders_and_completes_the_purge(
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
        confirmed = await client.post(
            f"/v1/deletion-requests/{request_id}/confirm", json={"code": CODE}, headers=headers
        )
        assert confirmed.status_code == 202, confirmed.text
        clock.advance(86400)
        headers = token(keys.signing_key, clock, account)

        async def purged() -> Any:
            status = await client.get(f"/v1/deletion-requests/{request_id}", headers=headers)
            return status.json() if status.json()["status"] == "purged" else None

        final = await eventually(purged, timeout=20, what="the purge to complete")
        assert final["participants"] == {"orders": "completed"}
        answer: Any = await one_event(
            platform, platform.topics.purge_completions, "PurgeCompleted", account
        )
        assert answer.payload.participant == "orders"
        mine = await shop.get(f"/v1/accounts/{account}/orders")
        theirs = await shop.get(f"/v1/accounts/{bystander}/orders")
    assert mine.json() == {"items": []}
    assert theirs.json() == {"items": ["hat"]}
