"""Throttled sign-in, hidden unknown accounts, password resets and revocation, on real SQLite."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import cast

import pytest

from services.auth import handlers, me, resets
from services.auth.domain import (
    AccountNotFound,
    IdentifierRetired,
    InvalidCredentials,
    registration,
)
from services.auth.policies import (
    CodeBurned,
    CodeExpired,
    NoActiveCode,
    ResendCooldown,
    ThrottlePolicy,
    TooManyAttempts,
    WrongCode,
)
from shared.clock import FrozenClock
from shared.events import AccountPurged, new_event
from shared.tokens import AccessClaims
from tests.support.account_keys import AccountKeys

PASSWORD = "correct horse battery"
NEW_PASSWORD = "another fine password"


async def _account(deps: handlers.Deps, email: str = "kari@example.com") -> str:
    details = registration(
        email=email, phone=None, password=PASSWORD, username=None, language="nb", region="NO"
    )
    account_id = await handlers.register(deps, details, correlation_id="c")
    # The notifier's key for the account, as auth's consumer would record it.
    await AccountKeys().give(deps.db, deps.sealer, account_id)
    return account_id


async def _outbox(deps: handlers.Deps, event_type: str) -> list[dict[str, object]]:
    rows = await deps.db.fetch_all(
        "SELECT value FROM outbox WHERE event_type = ? ORDER BY seq", (event_type,)
    )
    return [json.loads(row["value"]) for row in rows]


def _clock(deps: handlers.Deps) -> FrozenClock:
    return cast(FrozenClock, deps.clock)


async def test_one_client_address_is_throttled_across_accounts(deps: handlers.Deps) -> None:
    deps = replace(deps, address_throttle=ThrottlePolicy(slow_after=2, lock_after=3))
    await _account(deps)
    for login in ("nobody@example.com", "kari@example.com", "someone@example.com"):
        _clock(deps).advance(1)  # the slow-down after two failures is one second
        with pytest.raises((AccountNotFound, InvalidCredentials)):
            await handlers.sign_in(deps, login=login, password="wrong password", client="10.0.0.9")
    with pytest.raises(TooManyAttempts) as caught:
        await handlers.sign_in(deps, login="kari@example.com", password=PASSWORD, client="10.0.0.9")
    assert caught.value.retry_after == 900
    # Another address is not affected, and the address is not stored in clear.
    await handlers.sign_in(deps, login="kari@example.com", password=PASSWORD, client="10.0.0.8")
    scopes = [row["scope"] for row in await deps.db.fetch_all("SELECT scope FROM login_failures")]
    assert not any("10.0.0" in scope or "example.com" in scope for scope in scopes)


async def test_hidden_unknown_accounts_answer_like_a_wrong_password(deps: handlers.Deps) -> None:
    deps = replace(deps, hide_unknown_accounts=True)
    with pytest.raises(InvalidCredentials):
        await handlers.sign_in(deps, login="nobody@example.com", password=PASSWORD)


async def test_password_reset_with_the_right_code_revokes_every_session(
    deps: handlers.Deps,
) -> None:
    account_id = await _account(deps)
    await resets.request_reset(deps, login="KARI@example.com", channel="email", correlation_id="c")
    await resets.request_reset(
        deps, login="nobody@example.com", channel="email", correlation_id="c"
    )
    await resets.request_reset(deps, login="kari@example.com", channel="sms", correlation_id="c")
    sent = await _outbox(deps, "CodeDeliveryRequested")
    assert [(e["account_id"], e["payload"]["purpose"]) for e in sent] == [  # type: ignore[index]
        (account_id, "password_reset")
    ]
    assert "123456" not in json.dumps(sent)
    _clock(deps).advance(5)
    with pytest.raises(WrongCode) as wrong:
        await resets.confirm_reset(
            deps,
            login="kari@example.com",
            code="000000",
            new_password=NEW_PASSWORD,
            correlation_id="c",
        )
    assert wrong.value.attempts_left == 4
    await resets.confirm_reset(
        deps, login="kari@example.com", code="123456", new_password=NEW_PASSWORD, correlation_id="c"
    )
    revoked = await _outbox(deps, "SessionsRevoked")
    assert [e["payload"]["reason"] for e in revoked] == ["password_reset"]  # type: ignore[index]
    await handlers.sign_in(deps, login="kari@example.com", password=NEW_PASSWORD)
    with pytest.raises(NoActiveCode):  # single use
        await resets.confirm_reset(
            deps, login="kari@example.com", code="123456", new_password=PASSWORD, correlation_id="c"
        )


async def _confirm(deps: handlers.Deps, code: str) -> None:
    await resets.confirm_reset(
        deps, login="kari@example.com", code=code, new_password=NEW_PASSWORD, correlation_id="c"
    )


async def test_reset_codes_expire_burn_and_wait_for_the_cooldown(deps: handlers.Deps) -> None:
    await _account(deps)
    await resets.request_reset(deps, login="kari@example.com", channel="email", correlation_id="c")
    _clock(deps).advance(30)
    await resets.request_reset(deps, login="kari@example.com", channel="email", correlation_id="c")
    assert len(await _outbox(deps, "CodeDeliveryRequested")) == 1  # quietly in the cooldown
    _clock(deps).advance(571)
    with pytest.raises(CodeExpired):
        await _confirm(deps, "123456")

    await resets.request_reset(deps, login="kari@example.com", channel="email", correlation_id="c")
    for _ in range(4):
        with pytest.raises(WrongCode):
            await _confirm(deps, "999999")
    with pytest.raises(CodeBurned):
        await _confirm(deps, "999999")
    with pytest.raises(NoActiveCode):
        await _confirm(deps, "123456")
    with pytest.raises(NoActiveCode):  # no account: the same answer
        await resets.confirm_reset(
            deps, login="x@example.com", code="1", new_password=NEW_PASSWORD, correlation_id="c"
        )


async def test_contact_change_to_a_retired_address_is_refused(deps: handlers.Deps) -> None:
    gone = await _account(deps, "gone@example.com")
    purge = new_event(
        AccountPurged,
        account_id=gone,
        correlation_id="c",
        occurred_at=deps.clock.now(),
        request_id="r",
        participants=("auth",),
    )
    async with deps.db.transaction() as tx:
        await handlers.purge_account(deps, tx, purge)  # type: ignore[arg-type]
    account_id = await _account(deps)
    claims = cast(AccessClaims, type("C", (), {"account_id": account_id})())
    with pytest.raises(IdentifierRetired):
        await me.request_contact_change(
            deps, claims, "email", "GONE@example.com", correlation_id="c"
        )
    await me.request_contact_change(deps, claims, "email", "new@example.com", correlation_id="c")
    with pytest.raises(ResendCooldown):
        await me.request_contact_change(
            deps, claims, "email", "new2@example.com", correlation_id="c"
        )
