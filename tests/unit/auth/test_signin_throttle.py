"""Attacks on sign-in throttling: parallel guesses, and one guesser locking out the owner."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import cast

import pytest

from services.auth import handlers
from services.auth.domain import InvalidCredentials, registration
from services.auth.passwords import Passwords
from services.auth.policies import ThrottlePolicy, TooManyAttempts
from shared.clock import FrozenClock
from tests.unit.auth.conftest import CHEAP

PASSWORD = "correct horse battery"


class CountingPasswords(Passwords):
    """Real argon2 checks, counted: how many guesses were actually verified."""

    def __init__(self) -> None:
        super().__init__(CHEAP)
        self.verified = 0

    async def verify(self, stored_hash: str, password: str) -> bool:
        self.verified += 1
        return await super().verify(stored_hash, password)


async def _account(deps: handlers.Deps) -> None:
    details = registration(
        email="kari@example.com",
        phone=None,
        password=PASSWORD,
        username=None,
        language="nb",
        region="NO",
    )
    await handlers.register(deps, details, correlation_id="c")


@pytest.mark.parametrize("parallel", [40, 120])
async def test_parallel_wrong_guesses_are_verified_at_most_up_to_the_policy(
    deps: handlers.Deps, parallel: int
) -> None:
    counting = CountingPasswords()
    deps = replace(deps, passwords=counting)
    await _account(deps)

    async def guess(n: int) -> BaseException | None:
        try:
            await handlers.sign_in(
                deps, login="kari@example.com", password=f"guess {n}", client="203.0.113.7"
            )
        except (InvalidCredentials, TooManyAttempts) as refusal:
            return refusal
        return None

    outcomes = await asyncio.gather(*(guess(n) for n in range(parallel)))
    policy = deps.account_throttle
    # All at one instant: the free attempts pass, every other one is refused unchecked.
    assert counting.verified <= policy.lock_after
    assert counting.verified == policy.slow_after
    refused = [o for o in outcomes if isinstance(o, TooManyAttempts)]
    assert len(refused) == parallel - counting.verified
    wrong = [o for o in outcomes if isinstance(o, InvalidCredentials)]
    assert len(wrong) == counting.verified


async def test_a_guesser_from_one_address_does_not_lock_out_the_owner(
    deps: handlers.Deps,
) -> None:
    deps = replace(deps, address_throttle=ThrottlePolicy(slow_after=20, lock_after=30))
    await _account(deps)
    clock = cast(FrozenClock, deps.clock)
    locked = 0
    for n in range(40):
        clock.advance(1)
        try:
            await handlers.sign_in(
                deps, login="kari@example.com", password=f"guess {n}", client="203.0.113.7"
            )
        except TooManyAttempts:
            locked += 1
        except InvalidCredentials:
            pass
    assert locked > 0  # the guesser is throttled…
    with pytest.raises(TooManyAttempts):
        await handlers.sign_in(
            deps, login="kari@example.com", password=PASSWORD, client="203.0.113.7"
        )
    # …but the owner, from their own address, signs in at once.
    issued = await handlers.sign_in(
        deps, login="kari@example.com", password=PASSWORD, client="198.51.100.4"
    )
    assert issued.access_token


async def test_guesses_spread_over_many_addresses_meet_the_account_wide_budget(
    deps: handlers.Deps,
) -> None:
    deps = replace(deps, account_any_throttle=ThrottlePolicy(slow_after=5, lock_after=6))
    await _account(deps)
    for n in range(6):
        with pytest.raises(InvalidCredentials):
            await handlers.sign_in(
                deps, login="kari@example.com", password="wrong", client=f"203.0.113.{n}"
            )
        cast(FrozenClock, deps.clock).advance(2)
    with pytest.raises(TooManyAttempts):
        await handlers.sign_in(
            deps, login="kari@example.com", password="wrong", client="203.0.113.99"
        )
