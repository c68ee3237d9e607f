"""Auth's settings, resets, throttle and revocation against the real broker and SQLite."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from services.auth.app import Service, bootstrap
from services.auth.config import Settings
from shared.clock import FrozenClock
from shared.config import PlatformSettings
from shared.crypto import new_key
from shared.events import (
    CodeDeliveryRequested,
    ContactDetailsChanged,
    Event,
    NoticeRequested,
    SessionsRevoked,
)
from tests.support.account_keys import AccountKeys
from tests.support.kafka import read_events
from tests.support.platform import Keys
from tests.support.polling import eventually
from tests.support.services import serving
from tests.support.sqlite_files import stored_bytes

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a new and longer secret"
EMAIL = "kari@example.com"


@dataclass
class Auth:
    service: Service
    clock: FrozenClock
    platform: PlatformSettings
    # Stands in for the notifier: issues the account keys and opens what auth sealed to them.
    cipher: AccountKeys

    async def issue_key(self, account_id: str) -> None:
        """Announce the account's key, as the notifier does when it learns of the account."""
        topic = self.platform.topics.notifier_events
        await self.cipher.announce(self.platform.kafka_bootstrap, topic, account_id)


def _auth(platform: PlatformSettings, keys: Keys, tmp_path: Path, **extra: Any) -> Auth:
    # Behind the real clock: PyJWT checks `iat` against the machine's clock, not ours.
    clock = FrozenClock(datetime.now(UTC).replace(microsecond=0) - timedelta(days=1))
    settings = Settings(
        data_dir=tmp_path,
        platform=platform,
        token_signing_key=keys.signing_key,
        identifier_hmac_key=new_key(),
        **extra,
    )
    return Auth(bootstrap(settings, clock=clock), clock, platform, AccountKeys())


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _sign_in(client: httpx.AsyncClient, login: str, password: str = PASSWORD) -> str:
    answer = await client.post("/v1/sessions", json={"login": login, "password": password})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["access_token"])


async def _events(
    auth: Auth, kind: type[Any], count: int, account_id: str | None = None
) -> list[Any]:
    """Events of ``kind`` (of one account: the topic's partitions interleave accounts)."""

    async def probe() -> list[Any] | None:
        found: list[Event] = await read_events(
            auth.platform.kafka_bootstrap, auth.platform.topics.notifications
        )
        if kind is SessionsRevoked:
            found = await read_events(
                auth.platform.kafka_bootstrap, auth.platform.topics.auth_events
            )
        matching = [e for e in found if isinstance(e, kind) and account_id in (None, e.account_id)]
        return matching if len(matching) >= count else None

    return await eventually(probe, what=f"{count} {kind.__name__}")


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (40, 30), (10, 120, 200, 255)).save(out, format="PNG")
    return out.getvalue()


async def test_settings_change_profile_picture_address_and_password(
    platform: PlatformSettings, keys: Keys, tmp_path: Path
) -> None:
    auth = _auth(platform, keys, tmp_path)
    async with serving(auth.service) as client:
        body = {"email": EMAIL, "password": PASSWORD, "username": "kari"}
        account_id = (await client.post("/v1/accounts", json=body)).json()["account_id"]
        await auth.issue_key(account_id)
        other = {"phone": "+47 412 34 567", "password": PASSWORD, "username": "Ola"}
        assert (await client.post("/v1/accounts", json=other)).status_code == 201
        token = await _sign_in(client, EMAIL)
        await _profile(client, auth, token, account_id)
        await _picture(client, token, tmp_path)
        await _email_change(client, auth, token, account_id)
        await _password_change(client, auth, token)


async def _profile(client: httpx.AsyncClient, auth: Auth, token: str, account_id: str) -> None:
    change = {"language": "en", "time_zone": "Europe/Oslo", "username": "kari.n"}
    patched = await client.patch("/v1/me", json=change, headers=_bearer(token))
    assert patched.status_code == 200, patched.text
    assert {k: patched.json()[k] for k in change} == change
    contact = (await _events(auth, ContactDetailsChanged, 2, account_id))[-1]
    assert contact.payload.language == "en"
    assert contact.payload.time_zone == "Europe/Oslo"

    for bad, error in (
        ({"username": "OLA"}, "username_taken"),
        ({"time_zone": "Europe/Atlantis"}, "validation_error"),
        ({"username": "a b"}, "validation_error"),
        ({"language": "de"}, "validation_error"),
    ):
        refused = await client.patch("/v1/me", json=bad, headers=_bearer(token))
        assert refused.json()["error"] == error, bad

    wanted = {"email": True, "sms": False, "push": False, "marketing": False, "ads": False}
    put = await client.put("/v1/me/notifications", json=wanted, headers=_bearer(token))
    assert put.json() == wanted
    assert (await client.get("/v1/me/notifications", headers=_bearer(token))).json() == wanted
    half = await client.put("/v1/me/notifications", json={"email": 1}, headers=_bearer(token))
    assert half.status_code == 422


async def _picture(client: httpx.AsyncClient, token: str, tmp_path: Path) -> None:
    headers = _bearer(token)
    fake = await client.put(
        "/v1/me/picture",
        content=b"\x89PNG\r\n\x1a\n<?php system($_GET['c']);",
        headers={**headers, "Content-Type": "image/png"},
    )
    assert (fake.status_code, fake.json()["error"]) == (422, "invalid_picture")
    gif = await client.put(
        "/v1/me/picture", content=b"GIF89a", headers={**headers, "Content-Type": "image/gif"}
    )
    assert (gif.status_code, gif.json()["error"]) == (415, "unsupported_media_type")
    assert (await client.get("/v1/me/picture", headers=headers)).status_code == 404

    stored = await client.put(
        "/v1/me/picture", content=_png(), headers={**headers, "Content-Type": "image/png"}
    )
    assert stored.status_code == 204, stored.text
    served = await client.get("/v1/me/picture", headers=headers)
    assert served.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(served.content)) as image:
        assert (image.format, image.size) == ("PNG", (40, 30))
    assert (await client.get("/v1/me", headers=headers)).json()["has_picture"] is True
    assert len(list((tmp_path / "auth" / "pictures").glob("*.png"))) == 1
    assert (await client.delete("/v1/me/picture", headers=headers)).status_code == 204
    assert not list((tmp_path / "auth" / "pictures").glob("*.png"))


async def _email_change(client: httpx.AsyncClient, auth: Auth, token: str, account_id: str) -> None:
    headers = _bearer(token)
    taken = await client.post("/v1/me/email", json={"email": "KARI@example.com"}, headers=headers)
    assert taken.json()["error"] == "identifier_taken"
    asked = await client.post(
        "/v1/me/email", json={"email": " Kari.New@Example.com"}, headers=headers
    )
    assert asked.status_code == 202, asked.text
    again = await client.post(
        "/v1/me/email", json={"email": "kari.new@example.com"}, headers=headers
    )
    assert (again.status_code, again.json()["error"]) == (429, "resend_cooldown")
    assert int(again.headers["Retry-After"]) == 60
    # The address waiting for its code is stored encrypted, like the account's own.
    raw = stored_bytes(auth.service.deps.db.path).lower()
    assert b"kari.new@example.com" not in raw
    assert EMAIL.encode() not in raw

    sent = (await _events(auth, CodeDeliveryRequested, 1))[0].payload
    assert (sent.purpose, sent.channel, sent.valid_minutes) == ("contact_change", "email", 10)
    assert auth.cipher.decrypt(sent.destination_enc, context=account_id) == "kari.new@example.com"
    code = auth.cipher.decrypt(sent.code_enc, context=account_id)
    wrong = "000000" if code != "000000" else "111111"
    refused = await client.post("/v1/me/email/confirm", json={"code": wrong}, headers=headers)
    assert (refused.status_code, refused.json()["attempts_left"]) == (400, 4)
    assert (await client.get("/v1/me", headers=headers)).json()["email"] == EMAIL  # not yet

    confirmed = await client.post("/v1/me/email/confirm", json={"code": code}, headers=headers)
    assert confirmed.json()["email"] == "kari.new@example.com"

    async def after_the_change() -> list[Any] | None:
        # The relay publishes after the answer; wait until the change's two events are out.
        topic = auth.platform.topics.notifications
        events = await read_events(auth.platform.kafka_bootstrap, topic)
        mine = [e for e in events if e.account_id == account_id]
        return mine if isinstance(mine[-1], ContactDetailsChanged) else None

    mine = await eventually(after_the_change, what="the address change on the topic")
    kinds = [type(e).__name__ for e in mine]
    # The notice goes first, while the notifier still has the old address.
    assert kinds[-2:] == ["NoticeRequested", "ContactDetailsChanged"]
    notice, contact = mine[-2], mine[-1]
    assert isinstance(notice, NoticeRequested)
    assert notice.payload.notice == "address_changed"
    assert isinstance(contact, ContactDetailsChanged)
    new_contact = contact.payload
    assert new_contact.email_enc is not None
    assert auth.cipher.decrypt(new_contact.email_enc, context=account_id) == "kari.new@example.com"
    assert (new_contact.language, new_contact.time_zone) == ("en", "Europe/Oslo")


async def _password_change(client: httpx.AsyncClient, auth: Auth, token: str) -> None:
    wrong = {"current_password": "not my password", "new_password": NEW_PASSWORD}
    refused = await client.put("/v1/me/password", json=wrong, headers=_bearer(token))
    assert (refused.status_code, refused.json()["error"]) == (401, "invalid_credentials")
    auth.clock.advance(1)  # revocation covers tokens issued before it, to the second
    right = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert (
        await client.put("/v1/me/password", json=right, headers=_bearer(token))
    ).status_code == 204
    old = await client.get("/v1/me", headers=_bearer(token))
    assert (old.status_code, old.json()["error"]) == (401, "session_revoked")
    revoked = (await _events(auth, SessionsRevoked, 1))[0]
    assert (revoked.payload.reason, revoked.payload.session_id) == ("password_changed", None)

    fresh = await _sign_in(client, "kari.new@example.com", NEW_PASSWORD)
    assert (await client.delete("/v1/sessions/current", headers=_bearer(fresh))).status_code == 204
    after = await client.get("/v1/me", headers=_bearer(fresh))
    assert after.json()["error"] == "session_revoked"
    other = await _sign_in(client, "kari.new@example.com", NEW_PASSWORD)
    assert (await client.get("/v1/me", headers=_bearer(other))).status_code == 200


async def test_throttle_hidden_accounts_and_password_reset(
    platform: PlatformSettings, keys: Keys, tmp_path: Path
) -> None:
    auth = _auth(platform, keys, tmp_path, hide_unknown_accounts=True)
    async with serving(auth.service) as client:
        body = {"email": EMAIL, "phone": "91234567", "password": PASSWORD}
        account_id = (await client.post("/v1/accounts", json=body)).json()["account_id"]
        await auth.issue_key(account_id)
        unknown = await client.post(
            "/v1/sessions", json={"login": "no@example.com", "password": PASSWORD}
        )
        assert (unknown.status_code, unknown.json()["error"]) == (401, "invalid_credentials")
        await _throttle(client, auth)
        await _reset(client, auth, account_id)


async def _attempt(client: httpx.AsyncClient, password: str) -> httpx.Response:
    return await client.post("/v1/sessions", json={"login": "+47 912 34 567", "password": password})


async def _throttle(client: httpx.AsyncClient, auth: Auth) -> None:
    for _ in range(3):  # free failures
        assert (await _attempt(client, "wrong password")).status_code == 401
    slowed = await _attempt(client, PASSWORD)  # even the right password must wait
    assert (slowed.status_code, slowed.json()["error"]) == (429, "too_many_attempts")
    assert slowed.headers["Retry-After"] == "1"
    for _ in range(7):  # each wait doubles, until the lock at ten failures
        auth.clock.advance(int(slowed.headers.get("Retry-After", "0")))
        assert (await _attempt(client, "wrong password")).status_code == 401
        slowed = await _attempt(client, PASSWORD)
    assert slowed.headers["Retry-After"] == "900"
    auth.clock.advance(899)
    assert (await _attempt(client, PASSWORD)).status_code == 429
    auth.clock.advance(1)
    assert (await _attempt(client, PASSWORD)).status_code == 201


async def _reset(client: httpx.AsyncClient, auth: Auth, account_id: str) -> None:
    token = await _sign_in(client, EMAIL)
    for login in ("kari@EXAMPLE.com", "nobody@example.com"):
        answer = await client.post("/v1/password-resets", json={"login": login, "channel": "sms"})
        assert answer.status_code == 202
    sent = (await _events(auth, CodeDeliveryRequested, 1))[0]
    assert (sent.account_id, sent.payload.purpose, sent.payload.channel) == (
        account_id,
        "password_reset",
        "sms",
    )
    code = auth.cipher.decrypt(sent.payload.code_enc, context=account_id)
    confirm = {"login": "91234567", "code": code, "new_password": "short"}
    weak = await client.post("/v1/password-resets/confirm", json=confirm)
    assert (weak.status_code, weak.json()["field"]) == (422, "new_password")
    auth.clock.advance(1)
    done = await client.post(
        "/v1/password-resets/confirm", json={**confirm, "new_password": NEW_PASSWORD}
    )
    assert done.status_code == 204, done.text
    reused = await client.post(
        "/v1/password-resets/confirm", json={**confirm, "new_password": NEW_PASSWORD}
    )
    assert (reused.status_code, reused.json()["error"]) == (400, "invalid_code")
    assert (await client.get("/v1/me", headers=_bearer(token))).json()["error"] == "session_revoked"
    await _sign_in(client, EMAIL, NEW_PASSWORD)
    auth.clock.advance(601)
    await client.post("/v1/password-resets", json={"login": EMAIL, "channel": "email"})
    late = (await _events(auth, CodeDeliveryRequested, 2))[-1]
    auth.clock.advance(600)
    code = auth.cipher.decrypt(late.payload.code_enc, context=account_id)
    expired = await client.post(
        "/v1/password-resets/confirm", json={"login": EMAIL, "code": code, "new_password": PASSWORD}
    )
    assert (expired.status_code, expired.json()["error"]) == (410, "code_expired")
