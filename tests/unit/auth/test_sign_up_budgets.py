"""Attacks on sign-up: its proof codes have the same rolling per-account budgets as every other
code, and one client address can start only so many sign-ups per rolling window."""

from __future__ import annotations

from dataclasses import replace
from typing import cast

import pytest

from services.auth import handlers, signup
from services.auth.domain import IdentifierTaken, registration
from services.auth.policies import CodeRejected, SignUpsSpent
from shared.clock import FrozenClock
from shared.rolling_limits import RollingLimit
from tests.support.account_keys import AccountKeys

PASSWORD = "correct horse battery"
LOGIN = "kari@example.com"
DAY = 86400


def _clock(deps: handlers.Deps) -> FrozenClock:
    return cast(FrozenClock, deps.clock)


async def _sign_up(deps: handlers.Deps, email: str = LOGIN, client: str | None = None) -> str:
    details = registration(
        email=email, phone=None, password=PASSWORD, username=None, language="nb", region="NO"
    )
    account_id = await signup.sign_up(deps, details, correlation_id="c", client=client)
    # The notifier's key for the account, as auth's consumer would record it: held codes go out.
    await AccountKeys().give(deps.db, deps.sealer, account_id)
    return account_id


async def _confirm(deps: handlers.Deps, code: str) -> str:
    try:
        await signup.confirm_sign_up(deps, login=LOGIN, code=code)
    except CodeRejected as refusal:
        return type(refusal).__name__
    return "proven"


async def _codes_sent(deps: handlers.Deps) -> int:
    rows = await deps.db.fetch_all(
        "SELECT 1 FROM outbox WHERE event_type = 'CodeDeliveryRequested'"
    )
    return len(rows)


async def test_proof_code_guesses_are_capped_per_account_across_codes(
    deps: handlers.Deps,
) -> None:
    await _sign_up(deps)
    seen: list[str] = []
    for _ in range(6):  # the attacker's loop: guess five times, ask for a new code, again
        seen += [await _confirm(deps, "000000") for _ in range(5)]
        _clock(deps).advance(61)
        await signup.resend_proof(deps, login=LOGIN, correlation_id="c")
    assert seen[:20].count("WrongCode") + seen[:20].count("CodeBurned") == 20
    assert set(seen[20:]) == {"GuessesSpent"}
    # Past the budget not even the right code is judged, until the window has rolled on.
    assert await _confirm(deps, "123456") == "GuessesSpent"
    _clock(deps).advance(DAY)
    await signup.resend_proof(deps, login=LOGIN, correlation_id="c")
    assert await _confirm(deps, "123456") == "proven"


async def test_at_most_ten_proof_codes_a_day_and_the_rest_quietly_not(
    deps: handlers.Deps,
) -> None:
    await _sign_up(deps)  # the first code
    for _ in range(14):
        _clock(deps).advance(61)
        await signup.resend_proof(deps, login=LOGIN, correlation_id="c")  # never raises
    assert await _codes_sent(deps) == 10
    _clock(deps).advance(DAY)
    await signup.resend_proof(deps, login=LOGIN, correlation_id="c")
    assert await _codes_sent(deps) == 11


async def test_one_address_gets_a_limited_number_of_sign_ups_taken_ones_included(
    deps: handlers.Deps,
) -> None:
    deps = replace(deps, sign_ups=RollingLimit("auth_sign_up", 3, 3600))
    await _sign_up(deps, "a@example.com", client="198.51.100.7")
    with pytest.raises(IdentifierTaken):  # probing for existing accounts counts too
        await _sign_up(deps, "a@example.com", client="198.51.100.7")
    await _sign_up(deps, "b@example.com", client="198.51.100.7")
    with pytest.raises(SignUpsSpent) as spent:
        await _sign_up(deps, "c@example.com", client="198.51.100.7")
    assert 0 < spent.value.retry_after <= 3600
    # Another address is not held back by this one…
    await _sign_up(deps, "d@example.com", client="203.0.113.9")
    # …and the first one may again once the window has rolled past its sign-ups.
    _clock(deps).advance(3601)
    await _sign_up(deps, "c@example.com", client="198.51.100.7")


async def test_a_refused_sign_up_makes_no_account_and_sends_nothing(
    deps: handlers.Deps,
) -> None:
    deps = replace(deps, sign_ups=RollingLimit("auth_sign_up", 1, 3600))
    await _sign_up(deps, "a@example.com", client="198.51.100.7")
    with pytest.raises(SignUpsSpent):
        await _sign_up(deps, "b@example.com", client="198.51.100.7")
    rows = await deps.db.fetch_all("SELECT 1 FROM accounts")
    assert len(rows) == 1
    assert await _codes_sent(deps) == 1
