"""Sign-up with address proof against the real broker and SQLite: the account can do nothing
but take its code until the code sent to its address is entered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from services.auth.app import bootstrap
from services.auth.config import Settings
from shared.clock import FrozenClock
from shared.config import PlatformSettings
from shared.crypto import new_key
from shared.events import CodeDeliveryRequested, Event
from tests.support.account_keys import AccountKeys
from tests.support.kafka import read_events
from tests.support.platform import Keys
from tests.support.polling import eventually
from tests.support.services import serving

PASSWORD = "correct horse battery"
EMAIL = "ola@example.com"


async def _codes(
    platform: PlatformSettings, cipher: AccountKeys, count: int
) -> list[tuple[str, str, str]]:
    """``(purpose, channel, code)`` of the first ``count`` code commands, once all are there."""

    async def probe() -> list[tuple[str, str, str]] | None:
        events: list[Event] = await read_events(
            platform.kafka_bootstrap, platform.topics.notifications
        )
        codes = [
            (e.payload.purpose, e.payload.channel, cipher.decrypt(e.payload.code_enc, e.account_id))
            for e in events
            if isinstance(e, CodeDeliveryRequested)
        ]
        return codes if len(codes) >= count else None

    return await eventually(probe, what=f"{count} code command(s)")


async def _sign_in(
    client: httpx.AsyncClient, login: str, password: str = PASSWORD
) -> httpx.Response:
    return await client.post("/v1/sessions", json={"login": login, "password": password})


async def test_an_unproven_account_only_takes_its_code_then_signs_in(
    platform: PlatformSettings, keys: Keys, tmp_path: Path
) -> None:
    clock = FrozenClock(datetime.now(UTC).replace(microsecond=0) - timedelta(days=1))
    settings = Settings(
        data_dir=tmp_path,
        platform=platform,
        token_signing_key=keys.signing_key,
        identifier_hmac_key=new_key(),
    )
    cipher = AccountKeys()  # stands in for the notifier: issues account keys, opens codes
    async with serving(bootstrap(settings, clock=clock)) as client:
        both = {"email": EMAIL, "phone": "+4791234567", "password": PASSWORD}
        refused = await client.post("/v1/sign-ups", json=both)
        assert (refused.status_code, refused.json()["field"]) == (422, "phone")
        created = await client.post(
            "/v1/sign-ups", json={"email": EMAIL, "password": PASSWORD, "language": "en"}
        )
        assert created.status_code == 201, created.text
        assert created.json()["channel"] == "email"
        assert created.json()["status"] == "unverified"
        topic = platform.topics.notifier_events
        await cipher.announce(platform.kafka_bootstrap, topic, created.json()["account_id"])
        taken = await client.post("/v1/sign-ups", json={"email": EMAIL, "password": PASSWORD})
        assert taken.json()["error"] == "identifier_taken"

        # Only the owner of the password learns the state; nobody gets a token yet.
        wrong = await _sign_in(client, EMAIL, "not the password at all")
        assert wrong.json()["error"] == "invalid_credentials"
        unproven = await _sign_in(client, EMAIL)
        assert (unproven.status_code, unproven.json()["error"]) == (403, "address_unverified")
        assert "access_token" not in unproven.json()
        # No other code goes to an unproven address: a reset quietly sends nothing.
        reset = await client.post("/v1/password-resets", json={"login": EMAIL, "channel": "email"})
        assert reset.status_code == 202
        # Within the cooldown a new code is quietly not sent; after it, one is.
        assert (await client.post("/v1/sign-ups/resend", json={"login": EMAIL})).status_code == 202
        clock.advance(61)
        assert (await client.post("/v1/sign-ups/resend", json={"login": EMAIL})).status_code == 202
        stranger = await client.post("/v1/sign-ups/resend", json={"login": "no@example.com"})
        assert stranger.status_code == 202

        codes = await _codes(platform, cipher, 2)  # one account: one partition, in order
        assert [(purpose, channel) for purpose, channel, _ in codes] == [
            ("address_proof", "email"),
            ("address_proof", "email"),
        ]
        first, latest = codes[0][2], codes[1][2]
        await _prove(client, first, latest)
        assert (await _sign_in(client, EMAIL)).status_code == 201

        by_phone = await client.post(
            "/v1/sign-ups", json={"phone": "912 34 568", "password": PASSWORD}
        )
        assert by_phone.json()["channel"] == "sms"
        await cipher.announce(platform.kafka_bootstrap, topic, by_phone.json()["account_id"])
        # Only proof codes: the reset and the unknown login sent nothing. (Two accounts may
        # sit on two partitions, so the order between them is not fixed.)
        sent = await _codes(platform, cipher, 3)
        assert sorted((purpose, channel) for purpose, channel, _ in sent) == [
            ("address_proof", "email"),
            ("address_proof", "email"),
            ("address_proof", "sms"),
        ]


async def _prove(client: httpx.AsyncClient, replaced: str, code: str) -> None:
    unknown = await client.post(
        "/v1/sign-ups/confirm", json={"login": "no@example.com", "code": code}
    )
    assert unknown.json()["error"] == "invalid_code"
    if replaced != code:  # a new code replaces the old one
        old = await client.post("/v1/sign-ups/confirm", json={"login": EMAIL, "code": replaced})
        assert (old.status_code, old.json()["error"]) == (400, "invalid_code")
    proven = await client.post("/v1/sign-ups/confirm", json={"login": EMAIL, "code": code})
    assert proven.status_code == 204, proven.text
    again = await client.post("/v1/sign-ups/confirm", json={"login": EMAIL, "code": code})
    assert again.json()["error"] == "invalid_code"
