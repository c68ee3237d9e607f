"""The auth service against the real broker and a real SQLite file."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.auth.app import Service, bootstrap
from services.auth.config import Settings
from shared.clock import FrozenClock
from shared.config import PlatformSettings
from shared.crypto import decode_key, keyed_hash, new_key
from shared.events import (
    AccountPurged,
    AccountRegistered,
    CodeVerified,
    ContactDetailsChanged,
    Event,
    PurgeCompleted,
    new_event,
)
from shared.tokens import AccessClaims, TokenVerifier
from tests.support.account_keys import AccountKeys
from tests.support.kafka import produce_event, produce_raw, read_dead_letters, read_events
from tests.support.platform import Keys
from tests.support.polling import eventually
from tests.support.services import serving
from tests.support.sqlite_files import stored_bytes

PASSWORD = "correct horse battery"
EMAIL_TYPED = " Kari.Nordmann@Example.com "
EMAIL = "kari.nordmann@example.com"
PHONE_FORMS = ("+47 912 34 567", "91234567", "+4791234567")
PHONE = "+4791234567"
USERNAME = "kari_nordmann_77"


@dataclass
class Auth:
    service: Service
    clock: FrozenClock
    identifier_key: bytes
    verifier: TokenVerifier
    platform: PlatformSettings


@pytest.fixture
def auth(platform: PlatformSettings, keys: Keys, tmp_path: Path) -> Auth:
    # Behind the real clock: PyJWT checks `iat` against the machine's clock, not ours.
    clock = FrozenClock(datetime.now(UTC).replace(microsecond=0) - timedelta(days=1))
    identifier_key = new_key()
    settings = Settings(
        data_dir=tmp_path,
        platform=platform,
        token_signing_key=keys.signing_key,
        identifier_hmac_key=identifier_key,
    )
    return Auth(
        service=bootstrap(settings, clock=clock),
        clock=clock,
        identifier_key=decode_key(identifier_key, size=32),
        verifier=TokenVerifier(keys.public_key, clock),
        platform=platform,
    )


async def _register(client: httpx.AsyncClient, **fields: Any) -> httpx.Response:
    body = {"email": EMAIL_TYPED, "phone": PHONE_FORMS[0], "password": PASSWORD}
    body.update(fields)
    return await client.post("/v1/accounts", json={k: v for k, v in body.items() if v is not None})


async def _sign_in(
    client: httpx.AsyncClient, login: str, password: str = PASSWORD
) -> httpx.Response:
    return await client.post("/v1/sessions", json={"login": login, "password": password})


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _events_of(platform: PlatformSettings, topic: str, kind: type[Any]) -> list[Any] | None:
    events: list[Event] = await read_events(platform.kafka_bootstrap, topic)
    return [e for e in events if isinstance(e, kind)] or None


def _clear_identifiers_in(path: Path) -> list[str]:
    """Which spellings of the e-mail address or phone number the file's raw bytes contain."""
    raw = stored_bytes(path).lower()
    forms = (EMAIL, "kari.nordmann", *PHONE_FORMS, PHONE.removeprefix("+"))
    return [form for form in forms if form.encode() in raw]


async def test_registration_announces_the_account_and_every_identifier_form_signs_in(
    auth: Auth, keys: Keys
) -> None:
    topics = auth.platform.topics
    database = auth.service.deps.db.path
    async with serving(auth.service) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        created = await _register(client, username=USERNAME, language="en")
        assert created.status_code == 201, created.text
        account_id = created.json()["account_id"]
        # Stored as digests and ciphertexts only, from the first moment (not just after purge).
        assert _clear_identifiers_in(database) == []

        registered = await eventually(
            lambda: _events_of(auth.platform, topics.auth_events, AccountRegistered),
            what="AccountRegistered on auth events",
        )
        # The addresses wait for the notifier's key for the new account, then go sealed to it.
        account_keys = AccountKeys()
        bootstrap = auth.platform.kafka_bootstrap
        await account_keys.announce(bootstrap, topics.notifier_events, account_id)
        contact = await eventually(
            lambda: _events_of(auth.platform, topics.notifications, ContactDetailsChanged),
            what="ContactDetailsChanged on notifications",
        )
        claims = await _sign_in_every_way(client, auth, account_id)
        await _refusals(client)
        await _reauthenticate(client, auth, claims, account_id)
        assert _clear_identifiers_in(database) == []

    assert [(e.account_id, e.payload.model_dump()) for e in registered] == [
        (account_id, {"language": "en"})
    ]
    assert len(contact) == 1
    payload = contact[0].payload
    assert account_keys.open(payload.email_enc, account_id) == EMAIL
    assert account_keys.open(payload.phone_enc, account_id) == PHONE
    wire = contact[0].model_dump_json().lower()
    for trace in ("kari", "nordmann", "91234567", "912 34 567", USERNAME):
        assert trace not in wire


async def _sign_in_every_way(
    client: httpx.AsyncClient, auth: Auth, account_id: str
) -> AccessClaims:
    claims = []
    for login in ("KARI.nordmann@EXAMPLE.com", *PHONE_FORMS):
        answer = await _sign_in(client, login)
        assert answer.status_code == 201, (login, answer.text)
        body = answer.json()
        assert (body["token_type"], body["expires_in"]) == ("bearer", 900)
        claims.append(auth.verifier.verify(body["access_token"]))
    assert {c.account_id for c in claims} == {account_id}
    assert len({c.session_id for c in claims}) == len(claims)

    token = (await _sign_in(client, EMAIL)).json()["access_token"]
    me = await client.get("/v1/me", headers=_bearer(token))
    assert me.status_code == 200
    assert me.json() == {
        "account_id": account_id,
        "email": EMAIL,
        "phone": PHONE,
        "username": USERNAME,
        "language": "en",
        "time_zone": None,
        "status": "active",
        "purge_deadline": None,
        "notifications": {
            "email": True,
            "sms": True,
            "push": True,
            "marketing": False,
            "ads": False,
        },
        "has_picture": False,
    }
    return auth.verifier.verify(token)


async def _refusals(client: httpx.AsyncClient) -> None:
    wrong = await _sign_in(client, EMAIL, password="wrong password")
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_credentials")
    for unknown in ("nobody@example.com", "+47 412 34 567"):
        missing = await _sign_in(client, unknown)
        assert (missing.status_code, missing.json()["error"]) == (404, "account_not_found")

    same_email = await _register(client, email="KARI.NORDMANN@example.COM", phone=None)
    same_phone = await _register(client, email="someone.else@example.com", phone=PHONE_FORMS[1])
    for answer, field in ((same_email, "email"), (same_phone, "phone")):
        assert answer.status_code == 409
        assert (answer.json()["error"], answer.json()["field"]) == ("identifier_taken", field)


async def _reauthenticate(
    client: httpx.AsyncClient, auth: Auth, first: AccessClaims, account_id: str
) -> None:
    token = (await _sign_in(client, EMAIL)).json()["access_token"]
    auth.clock.advance(600)
    path = "/v1/sessions/reauthenticate"
    wrong = await client.post(path, json={"password": "nope nope"}, headers=_bearer(token))
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_credentials")
    fresh = await client.post(path, json={"password": PASSWORD}, headers=_bearer(token))
    assert fresh.status_code == 201, fresh.text
    claims = auth.verifier.verify(fresh.json()["access_token"])
    old = auth.verifier.verify(token)
    assert claims.account_id == account_id
    assert claims.session_id == old.session_id
    assert claims.authenticated_at == auth.clock.now()
    assert claims.authenticated_at - old.authenticated_at == timedelta(seconds=600)

    auth.clock.advance(900)
    expired = await client.get("/v1/me", headers=_bearer(token))
    assert (expired.status_code, expired.json()["error"]) == (401, "invalid_token")
    anonymous = await client.post(path, json={"password": PASSWORD})
    assert anonymous.status_code == 401


async def test_invalid_requests_are_refused_naming_the_field(auth: Auth) -> None:
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("/v1/accounts", {"email": "kari@", "password": PASSWORD}, "email"),
        ("/v1/accounts", {"email": "kari@example", "password": PASSWORD}, "email"),
        ("/v1/accounts", {"email": "kari@example.com", "password": "short7!"}, "password"),
        ("/v1/accounts", {"email": "kari@example.com", "password": "x" * 129}, "password"),
        ("/v1/accounts", {"password": PASSWORD}, "email"),
        ("/v1/accounts", {"email": " ", "phone": "", "password": PASSWORD}, "email"),
        ("/v1/accounts", {"phone": "12", "password": PASSWORD}, "phone"),
        ("/v1/accounts", {"phone": PHONE, "password": PASSWORD, "language": "de"}, "language"),
        ("/v1/accounts", {"email": "kari@example.com"}, "password"),
        ("/v1/sessions", {"login": "hello there", "password": PASSWORD}, "login"),
        ("/v1/sessions", {"login": "kari@", "password": PASSWORD}, "login"),
    ]
    async with serving(auth.service) as client:
        for path, body, field in cases:
            answer = await client.post(path, json=body)
            assert answer.status_code == 422, (body, answer.text)
            assert answer.json()["error"] == "validation_error"
            assert answer.json()["field"] == field, body
            assert PASSWORD not in answer.text
        assert (await _sign_in(client, EMAIL)).status_code == 404  # nothing was created


async def test_deletion_locks_then_erases_the_account_and_retires_its_identifiers(
    auth: Auth, tmp_path: Path
) -> None:
    bootstrap_servers, topics = auth.platform.kafka_bootstrap, auth.platform.topics
    deadline = auth.clock.now() + timedelta(days=30)
    async with serving(auth.service) as client:
        account_id = (await _register(client, username=USERNAME)).json()["account_id"]
        token = (await _sign_in(client, PHONE_FORMS[2])).json()["access_token"]
        auth.clock.advance(1)  # revocation covers tokens issued before it, to the second
        for target in (str(uuid.uuid4()), account_id):  # an unknown account is just ignored
            await produce_event(
                bootstrap_servers, topics.deletion_events, _verified(target, deadline)
            )

        async def locked() -> httpx.Response | None:
            answer = await _sign_in(client, EMAIL)
            return answer if answer.status_code == 423 else None

        pending = await eventually(locked, what="sign-in refused as deletion pending")
        assert pending.json()["error"] == "deletion_pending"
        assert datetime.fromisoformat(pending.json()["purge_deadline"]) == deadline
        await _while_pending(client, token)

        purge = _purged(account_id)
        await produce_event(bootstrap_servers, topics.deletion_events, purge)
        await produce_event(bootstrap_servers, topics.deletion_events, purge)
        # Same key, so same partition: once this is dead-lettered, both copies were handled.
        await produce_raw(bootstrap_servers, topics.deletion_events, account_id.encode(), b"{")
        letters = await eventually(
            lambda: _dead_letters(bootstrap_servers, topics.deletion_events),
            what="the marker record in the DLQ",
        )
        completions = await _events_of(auth.platform, topics.purge_completions, PurgeCompleted)
        await _after_purge(client, token)

    assert [letter["reason"] for letter in letters] == ["record is not JSON"]
    assert [(c.account_id, c.payload.model_dump()) for c in completions or []] == [
        (account_id, {"request_id": "r-1", "participant": "auth"})
    ]
    raw = stored_bytes(tmp_path / "auth" / "auth.sqlite3")
    assert keyed_hash(auth.identifier_key, "identifier", EMAIL).encode() in raw
    assert keyed_hash(auth.identifier_key, "identifier", PHONE).encode() in raw
    for trace in (EMAIL, "Kari.Nordmann", PHONE, "91234567", "912 34 567", USERNAME, "$argon2"):
        assert trace.encode() not in raw, trace


async def _while_pending(client: httpx.AsyncClient, token: str) -> None:
    wrong = await _sign_in(client, PHONE_FORMS[0], password="wrong password")
    assert wrong.status_code == 401  # a pending deletion is told only to the password's owner
    # Existing tokens stopped working when the deletion was confirmed.
    again = await client.post(
        "/v1/sessions/reauthenticate", json={"password": PASSWORD}, headers=_bearer(token)
    )
    assert (again.status_code, again.json()["error"]) == (401, "session_revoked")
    me = await client.get("/v1/me", headers=_bearer(token))
    assert (me.status_code, me.json()["error"]) == (401, "session_revoked")


async def _after_purge(client: httpx.AsyncClient, token: str) -> None:
    for login in (EMAIL, *PHONE_FORMS):
        answer = await _sign_in(client, login)
        assert (answer.status_code, answer.json()["error"]) == (404, "account_not_found")
    assert (await client.get("/v1/me", headers=_bearer(token))).status_code == 401

    by_email = await _register(client, email=EMAIL.upper(), phone=None)
    by_phone = await _register(client, email="new.person@example.com", phone=PHONE_FORMS[1])
    for answer, field in ((by_email, "email"), (by_phone, "phone")):
        assert answer.status_code == 409, answer.text
        assert (answer.json()["error"], answer.json()["field"]) == ("identifier_retired", field)
        assert "deleted account can never be used again" in answer.json()["detail"]


async def _dead_letters(bootstrap_servers: str, topic: str) -> list[dict[str, Any]] | None:
    return await read_dead_letters(bootstrap_servers, topic) or None


def _verified(account_id: str, deadline: datetime) -> Event:
    return new_event(
        CodeVerified,
        account_id=account_id,
        correlation_id="c-1",
        occurred_at=deadline - timedelta(days=30),
        request_id="r-1",
        purge_deadline=deadline,
    )


def _purged(account_id: str) -> Event:
    return new_event(
        AccountPurged,
        account_id=account_id,
        correlation_id="c-1",
        occurred_at=datetime.now(UTC),
        request_id="r-1",
        participants=("auth", "survey", "notifier"),
    )
