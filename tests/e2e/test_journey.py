"""The whole platform, started as ``make run`` starts it, driven over HTTP as a person would.

One stack (``python -m devstack`` in a subprocess, every port a free one, state in a tmp dir;
tests/e2e/conftest.py) serves every journey; codes are read where a person would find them:
the e-mail in the SMTP catcher's ``.eml`` files, the SMS in the file-sink gateway's directory.
The last test reads the broker's retained notification commands after a purge, as anyone
holding a copy could.
"""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from shared.crypto import DecryptionError, FieldCipher, decode_key
from shared.shredding import SEALED_PREFIX, KeyWrapper, open_field
from tests.support.kafka import read_events
from tests.support.polling import eventually
from tests.support.stack import Stack, emails_to, only_code, sms_to, text_of


@dataclass(frozen=True)
class Person:
    """Someone with an account to delete; the phone as typed and in E.164."""

    email: str
    phone_typed: str
    phone_e164: str
    phone_retyped: str
    password: str


async def _code_sent(stack: Stack, person: Person, channel: str) -> str:
    async def probe() -> str | None:
        if channel == "email":
            mails = emails_to(stack.var_dir, person.email)
            return only_code(text_of(mails[-1])) if mails else None
        messages = sms_to(stack.var_dir, person.phone_e164)
        return only_code(messages[-1]) if messages else None

    return await eventually(probe, timeout=30, what=f"the code by {channel}")


def _files_containing(var_dir: Path, traces: list[str]) -> list[str]:
    """Files under ``var_dir`` (outside the outboxes of mail and SMS) holding any trace."""
    needles = [trace.encode() for trace in traces]
    hits = []
    for path in var_dir.rglob("*"):
        if path.is_relative_to(var_dir / "mail") or path.is_relative_to(var_dir / "sms"):
            continue
        try:
            content = path.read_bytes() if path.is_file() else b""
        except FileNotFoundError:  # a journal file that went away while we walked
            continue
        hits += [f"{path}: {n.decode()}" for n in needles if n in content]
    return hits


# --- the journey -----------------------------------------------------------------------------


async def _login(
    http: httpx.AsyncClient, stack: Stack, login: str, password: str
) -> httpx.Response:
    return await http.post(f"{stack.auth}/v1/sessions", json={"login": login, "password": password})


async def _register_and_sign_in(
    http: httpx.AsyncClient, stack: Stack, person: Person
) -> dict[str, str]:
    registered = await http.post(
        f"{stack.auth}/v1/accounts",
        json={
            "email": person.email,
            "phone": person.phone_typed,
            "password": person.password,
            "language": "en",
        },
    )
    assert registered.status_code == 201, registered.text
    by_email = await _login(http, stack, person.email, person.password)
    assert by_email.status_code == 201, by_email.text
    assert by_email.json()["token_type"] == "bearer"
    by_phone = await _login(http, stack, person.phone_typed, person.password)
    assert by_phone.status_code == 201, by_phone.text
    return {"Authorization": f"Bearer {by_email.json()['access_token']}"}


async def _request_deletion(
    http: httpx.AsyncClient, stack: Stack, token: dict[str, str], channel: str
) -> str:
    consequences = await http.get(
        f"{stack.deletion}/v1/deletion/consequences", params={"lang": "en"}
    )
    assert consequences.status_code == 200, consequences.text
    url = f"{stack.deletion}/v1/deletion-requests"
    unticked = {"understood_consequences": False, "accepted_terms": True, "channel": channel}
    refused = await http.post(url, json=unticked, headers=token)
    assert refused.status_code == 422, refused.text
    ticked = {"understood_consequences": True, "accepted_terms": True, "channel": channel}
    created = await http.post(url, json=ticked, headers=token)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "awaiting_survey"
    request_id: str = created.json()["request_id"]
    return request_id


async def _answer_survey(
    http: httpx.AsyncClient, stack: Stack, token: dict[str, str], request_id: str
) -> None:
    survey = await http.get(f"{stack.survey}/v1/survey", params={"lang": "en"})
    assert survey.status_code == 200, survey.text
    first_reason = survey.json()["reasons"][0]["id"]
    answer = {"request_id": request_id, "reasons": [first_reason], "ratings": {"overall": 3}}
    sent = await http.post(f"{stack.survey}/v1/responses", json=answer, headers=token)
    assert sent.status_code == 201, sent.text


async def _confirm(
    http: httpx.AsyncClient, stack: Stack, token: dict[str, str], request_id: str, code: str
) -> None:
    url = f"{stack.deletion}/v1/deletion-requests/{request_id}/confirm"
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    refused = await http.post(url, json={"code": wrong}, headers=token)
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"] == "invalid_code"
    assert isinstance(refused.json()["attempts_left"], int)
    confirmed = await http.post(url, json={"code": code}, headers=token)
    assert confirmed.status_code == 202, confirmed.text
    assert confirmed.json()["status"] == "scheduled"
    assert confirmed.json()["purge_deadline"]


async def _wait_for_purge(
    http: httpx.AsyncClient, stack: Stack, token: dict[str, str], person: Person, request_id: str
) -> None:
    async def login_refused_as_pending() -> dict[str, Any] | None:
        answer = await _login(http, stack, person.email, person.password)
        return answer.json() if answer.status_code == 423 else None

    pending = await eventually(login_refused_as_pending, what="login answering 423")
    assert pending["error"] == "deletion_pending"
    assert pending["purge_deadline"]

    async def purged() -> bool:
        status = await http.get(
            f"{stack.deletion}/v1/deletion-requests/{request_id}", headers=token
        )
        assert status.status_code == 200, status.text
        return bool(status.json()["status"] == "purged")

    await eventually(purged, timeout=30, what="the request to become purged")
    gone = await _login(http, stack, person.email, person.password)
    assert gone.status_code == 404, gone.text
    assert gone.json()["error"] == "account_not_found"


async def _identifiers_are_retired(http: httpx.AsyncClient, stack: Stack, person: Person) -> None:
    for field, value in (("email", person.email.upper()), ("phone", person.phone_retyped)):
        again = await http.post(
            f"{stack.auth}/v1/accounts",
            json={field: value, "password": "another-long-password", "language": "en"},
        )
        assert again.status_code == 409, again.text
        assert again.json()["error"] == "identifier_retired"


async def _confirmation_arrived(stack: Stack, person: Person) -> None:
    async def confirmation() -> bool:
        subjects = [mail["Subject"] for mail in emails_to(stack.var_dir, person.email)]
        return "Your account has been deleted" in subjects

    await eventually(confirmation, timeout=30, what="the confirmation e-mail")


async def _journey(stack: Stack, person: Person, channel: str) -> None:
    async with httpx.AsyncClient(timeout=10.0) as http:
        token = await _register_and_sign_in(http, stack, person)
        request_id = await _request_deletion(http, stack, token, channel)
        await _answer_survey(http, stack, token, request_id)
        code = await _code_sent(stack, person, channel)
        await _confirm(http, stack, token, request_id, code)
        await _wait_for_purge(http, stack, token, person, request_id)
        await _identifiers_are_retired(http, stack, person)
    await _confirmation_arrived(stack, person)
    traces = [person.email, person.phone_e164, person.phone_typed, person.password]
    assert _files_containing(stack.var_dir, traces) == []
    logged = [trace for trace in traces if trace in stack.log.read_text(errors="replace")]
    assert logged == [], "personal data in the services' logs"


async def test_deletion_with_the_code_by_email(stack: Stack) -> None:
    person = Person(
        email="kari.nordmann@example.com",
        phone_typed="+47 412 34 567",
        phone_e164="+4741234567",
        phone_retyped="0047 41234567",
        password="correct horse battery",
    )
    await _journey(stack, person, "email")


async def test_deletion_with_the_code_by_sms(stack: Stack) -> None:
    person = Person(
        email="ola.hansen@example.org",
        phone_typed="934 56 789",
        phone_e164="+4793456789",
        phone_retyped="+47 93 45 67 89",
        password="staple paper clip 42",
    )
    await _journey(stack, person, "sms")


# --- crypto-shredding: the broker's retained records after a purge ---------------------------


def _every_key(stack: Stack) -> list[bytes]:
    """Every 32-byte secret the platform has, the notifier's wrapping key included."""
    found = []
    for value in stack.secrets().values():
        try:
            found.append(decode_key(value, size=32))
        except ValueError:
            continue
    return found


def _opens_with_any(token: str, account_id: str, keys: list[bytes]) -> bool:
    """Whether any key opens ``token``: as the old single platform key, or as a private key."""
    return any(_opens(key, token, account_id) for key in keys)


def _opens(key: bytes, token: str, account_id: str) -> bool:
    raw = token.removeprefix(SEALED_PREFIX)
    for ciphertext in (raw, token):
        try:
            FieldCipher(key).decrypt(ciphertext, context=account_id)
        except DecryptionError:
            continue
        return True
    try:
        open_field(key, token, account_id)
    except (DecryptionError, ValueError):
        return False
    return True


def _sealed_fields(events: list[Any], account_id: str) -> list[str]:
    fields = []
    for event in events:
        if event.account_id == account_id and event.event_type in _SEALED_EVENTS:
            payload = event.payload.model_dump()
            fields += [v for k, v in payload.items() if k.endswith("_enc") and v]
    return fields


_SEALED_EVENTS = ("ContactDetailsChanged", "CodeDeliveryRequested")


def _private_key(stack: Stack, account_id: str) -> bytes | None:
    """The notifier's key for the account, from its own database, unwrapped."""
    database = stack.var_dir / "notifier" / "notifier.sqlite3"
    with contextlib.closing(sqlite3.connect(database)) as conn:
        row = conn.execute(
            "SELECT private_wrapped FROM account_keys WHERE account_id = ?", (account_id,)
        ).fetchone()
    if row is None:
        return None
    wrapping = decode_key(stack.secrets()["NOTIFIER_KEY_WRAPPING_KEY"], size=32)
    return KeyWrapper(wrapping).unwrap(row[0], account_id)


async def test_after_a_purge_no_key_opens_the_persons_fields_on_the_broker(stack: Stack) -> None:
    purged = Person(
        email="siri.berg@example.net",
        phone_typed="+47 456 78 901",
        phone_e164="+4745678901",
        phone_retyped="0047 45678901",
        password="a long secret phrase",
    )
    await _journey(stack, purged, "email")
    survivor = "per.lund@example.net"
    async with httpx.AsyncClient(timeout=10.0) as http:
        body = {"email": survivor, "password": "another secret phrase", "language": "nb"}
        registered = await http.post(f"{stack.auth}/v1/accounts", json=body)
        assert registered.status_code == 201, registered.text
        survivor_id = registered.json()["account_id"]
        reset = {"login": survivor, "channel": "email"}
        await http.post(f"{stack.auth}/v1/password-resets", json=reset)
    code = await eventually(
        lambda: _reset_code(stack, survivor), timeout=30, what="the survivor's reset code"
    )
    bootstrap = stack.env["ADIEU_KAFKA_BOOTSTRAP"]
    topic = f"{stack.env['ADIEU_TOPIC_PREFIX']}notifications"

    async def both_on_the_topic() -> list[Any] | None:
        events = await read_events(bootstrap, topic)  # a plain consumer, from the beginning
        have = {e.account_id for e in events if e.event_type in _SEALED_EVENTS}
        return events if survivor_id in have else None

    events = await eventually(both_on_the_topic, what="the survivor's commands on the topic")
    purged_ids = {e.account_id for e in events if e.event_type == "CodeDeliveryRequested"}
    purged_ids.discard(survivor_id)
    keys = _every_key(stack)
    assert len(keys) >= 5  # the wrapping key, auth's, deletion's, the web's … all tried
    for account_id in purged_ids:
        fields = _sealed_fields(events, account_id)
        assert fields
        assert all(field.startswith(SEALED_PREFIX) for field in fields)
        assert _private_key(stack, account_id) is None  # destroyed at the purge
        assert not any(_opens_with_any(field, account_id, keys) for field in fields)
    # The other account's fields: no platform key opens them either, but its own key does.
    mine = _sealed_fields(events, survivor_id)
    assert not any(_opens_with_any(field, survivor_id, keys) for field in mine)
    private = _private_key(stack, survivor_id)
    assert private is not None
    opened = {open_field(private, field, survivor_id) for field in mine}
    assert {survivor, code} <= opened


async def _reset_code(stack: Stack, address: str) -> str | None:
    mails = emails_to(stack.var_dir, address)
    return only_code(text_of(mails[-1])) if mails else None
