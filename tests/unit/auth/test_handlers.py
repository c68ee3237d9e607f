"""Auth's use cases against a real SQLite file (no broker: the outbox is only written)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from services.auth import handlers, store
from services.auth.domain import (
    AccountNotFound,
    DeletionPending,
    IdentifierRetired,
    IdentifierTaken,
    InvalidCredentials,
    Registration,
    registration,
)
from services.auth.passwords import Passwords
from shared.events import (
    AccountPurged,
    CodeVerified,
    ContactDetailsChanged,
    decode_event,
    new_event,
)
from tests.support.account_keys import AccountKeys

PASSWORD = "correct horse battery"
# Cheap parameters keep unit tests fast; the service uses argon2-cffi's defaults.
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def _details(
    email: str | None = "Kari@Example.com", phone: str | None = "91234567"
) -> Registration:
    return registration(
        email=email, phone=phone, password=PASSWORD, username="kari", language="en", region="NO"
    )


async def _outbox(deps: handlers.Deps) -> list[tuple[str, str]]:
    rows = await deps.db.fetch_all("SELECT topic, event_type FROM outbox ORDER BY seq")
    return [(row["topic"], row["event_type"]) for row in rows]


async def test_register_writes_account_and_both_events_together(deps: handlers.Deps) -> None:
    account_id = await handlers.register(deps, _details(), correlation_id="c-1")
    account = await store.find_account(deps.db, deps.vault, account_id)
    assert account is not None
    assert (account.email, account.phone, account.status) == (
        "kari@example.com",
        "+4791234567",
        "active",
    )
    assert account.password_hash.startswith("$argon2id$")
    # The addresses wait, never in clear, for the notifier's key for this new account...
    assert await _outbox(deps) == [("t.auth.events", "AccountRegistered")]
    (held,) = await deps.db.fetch_all("SELECT event, fields_enc FROM awaiting_key")
    assert "kari@example.com" not in held["event"] + held["fields_enc"]
    # ... and go out sealed to it as soon as it arrives.
    keys = AccountKeys()
    await keys.give(deps.db, deps.sealer, account_id)
    assert await _outbox(deps) == [
        ("t.auth.events", "AccountRegistered"),
        ("t.notifications", "ContactDetailsChanged"),
    ]
    (row,) = await deps.db.fetch_all(
        "SELECT value FROM outbox WHERE event_type = ?", ("ContactDetailsChanged",)
    )
    contact = decode_event(row["value"])
    assert isinstance(contact, ContactDetailsChanged)
    assert keys.open(contact.payload.email_enc, account_id) == "kari@example.com"
    assert keys.open(contact.payload.phone_enc, account_id) == "+4791234567"
    assert await deps.db.fetch_all("SELECT 1 FROM awaiting_key") == []


async def test_a_refused_registration_writes_nothing(deps: handlers.Deps) -> None:
    await handlers.register(deps, _details(), correlation_id="c-1")
    with pytest.raises(IdentifierTaken) as caught:
        await handlers.register(deps, _details(email="other@example.com"), correlation_id="c-2")
    assert caught.value.field == "phone"
    assert len(await _outbox(deps)) == 1  # AccountRegistered (the addresses wait for a key)
    assert len(await deps.db.fetch_all("SELECT 1 FROM accounts")) == 1


async def test_sign_in_rehashes_a_hash_made_with_old_parameters(
    deps: handlers.Deps, tmp_path: Path
) -> None:
    account_id = await handlers.register(deps, _details(), correlation_id="c-1")
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    upgraded = replace(deps, passwords=Passwords(stronger))

    await handlers.sign_in(upgraded, login="+47 912 34 567", password=PASSWORD)

    account = await store.find_account(deps.db, deps.vault, account_id)
    assert account is not None
    assert not stronger.check_needs_rehash(account.password_hash)
    assert CHEAP.check_needs_rehash(account.password_hash)


async def test_sign_in_failures(deps: handlers.Deps) -> None:
    await handlers.register(deps, _details(), correlation_id="c-1")
    with pytest.raises(InvalidCredentials):
        await handlers.sign_in(deps, login="kari@example.com", password="wrong password")
    with pytest.raises(AccountNotFound):
        await handlers.sign_in(deps, login="nobody@example.com", password=PASSWORD)


async def test_code_verified_locks_the_account_and_unknown_accounts_are_ignored(
    deps: handlers.Deps,
) -> None:
    account_id = await handlers.register(deps, _details(), correlation_id="c-1")
    deadline = deps.clock.now() + timedelta(days=30)
    for target in (account_id, "no-such-account"):
        async with deps.db.transaction() as tx:
            await handlers.schedule_deletion(deps, tx, _verified(target, deadline))

    with pytest.raises(DeletionPending) as caught:
        await handlers.sign_in(deps, login="KARI@example.com", password=PASSWORD)
    assert caught.value.purge_deadline == deadline
    # The wrong password still says only that: the pending deletion is not revealed.
    with pytest.raises(InvalidCredentials):
        await handlers.sign_in(deps, login="KARI@example.com", password="wrong password")


async def test_purge_erases_the_account_and_retires_its_identifiers(deps: handlers.Deps) -> None:
    account_id = await handlers.register(deps, _details(), correlation_id="c-1")
    async with deps.db.transaction() as tx:
        await handlers.purge_account(deps, tx, _purged(account_id))

    assert await store.find_account(deps.db, deps.vault, account_id) is None
    digests = [
        row["digest"] for row in await deps.db.fetch_all("SELECT digest FROM retired_identifiers")
    ]
    assert len(digests) == 2
    acks = await deps.db.fetch_all("SELECT value FROM outbox WHERE event_type = 'PurgeCompleted'")
    assert [json.loads(row["value"])["payload"]["participant"] for row in acks] == ["auth"]
    with pytest.raises(IdentifierRetired) as by_email:
        await handlers.register(
            deps, _details(phone=None, email="KARI@EXAMPLE.COM"), correlation_id="c"
        )
    with pytest.raises(IdentifierRetired) as by_phone:
        await handlers.register(
            deps, _details(email=None, phone="+47 912 34 567"), correlation_id="c"
        )
    assert (by_email.value.field, by_phone.value.field) == ("email", "phone")


async def test_purge_of_an_unknown_account_is_still_acknowledged(deps: handlers.Deps) -> None:
    async with deps.db.transaction() as tx:
        await handlers.purge_account(deps, tx, _purged("no-such-account"))
    assert await _outbox(deps) == [("t.purge.completions", "PurgeCompleted")]


def _verified(account_id: str, deadline: datetime) -> CodeVerified:
    event = new_event(
        CodeVerified,
        account_id=account_id,
        correlation_id="c-2",
        occurred_at=deadline - timedelta(days=30),
        request_id="r-1",
        purge_deadline=deadline,
    )
    assert isinstance(event, CodeVerified)
    return event


def _purged(account_id: str) -> AccountPurged:
    event = new_event(
        AccountPurged,
        account_id=account_id,
        correlation_id="c-3",
        occurred_at=datetime(2026, 2, 1, tzinfo=UTC),
        request_id="r-1",
        participants=("auth", "survey", "notifier"),
    )
    assert isinstance(event, AccountPurged)
    return event
