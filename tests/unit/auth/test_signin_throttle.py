"""Attacks on sign-in throttling: parallel guesses, and one guesser locking out the owner."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any, cast

import pytest

from services.auth import handlers, signin_throttle
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


class HeldPasswords(Passwords):
    """Real argon2 checks that wait at a gate first: a check in flight, for as long as we like."""

    def __init__(self) -> None:
        super().__init__(CHEAP)
        self.gate = asyncio.Event()
        self.arrived = asyncio.Event()  # set when a check reaches the gate

    async def verify(self, stored_hash: str, password: str) -> bool:
        self.arrived.set()
        await self.gate.wait()
        return await super().verify(stored_hash, password)


def _locking(deps: handlers.Deps) -> handlers.Deps:
    # Locked for an hour after 3 failures from one address: far longer than a lapse.
    return replace(
        deps, address_throttle=ThrottlePolicy(slow_after=2, lock_after=3, lock_seconds=3600)
    )


async def _held_sign_ins(deps: handlers.Deps, password: str, count: int) -> list[asyncio.Task[Any]]:
    """Sign-ins whose password checks wait at the gate, a second apart (the slow-down's pace)."""
    held = cast(HeldPasswords, deps.passwords)
    tasks = []
    for _ in range(count):
        tasks.append(asyncio.create_task(_sign_in(deps, password)))
        await held.arrived.wait()
        held.arrived.clear()
        cast(FrozenClock, deps.clock).advance(1)
    return tasks


async def _abandoned_sign_ins(deps: handlers.Deps, count: int) -> None:
    """Sign-ins whose password check never ends: auth killed while argon2 ran."""
    tasks = await _held_sign_ins(deps, PASSWORD, count)
    for task in tasks:
        task.cancel()  # nothing after the reservation runs, as after a SIGKILL
    await asyncio.gather(*tasks, return_exceptions=True)


async def _sign_in(deps: handlers.Deps, password: str = PASSWORD) -> None:
    await handlers.sign_in(deps, login="kari@example.com", password=password, client="10.0.0.9")


async def test_reservations_of_checks_that_never_ended_lapse(deps: handlers.Deps) -> None:
    deps = replace(_locking(deps), passwords=HeldPasswords())
    await _account(deps)
    await _abandoned_sign_ins(deps, 3)
    cast(HeldPasswords, deps.passwords).gate.set()
    with pytest.raises(TooManyAttempts):  # counted while their checks might still end
        await _sign_in(deps)
    cast(FrozenClock, deps.clock).advance(signin_throttle.RESERVATION_LAPSE_SECONDS + 1)
    await _sign_in(deps)  # not locked for the hour: the three never got an answer


async def test_wrong_passwords_stay_counted_after_the_lapse(deps: handlers.Deps) -> None:
    deps = _locking(deps)
    await _account(deps)
    for _ in range(3):
        with pytest.raises(InvalidCredentials):
            await _sign_in(deps, "wrong password")
        cast(FrozenClock, deps.clock).advance(1)
    cast(FrozenClock, deps.clock).advance(signin_throttle.RESERVATION_LAPSE_SECONDS + 1)
    with pytest.raises(TooManyAttempts):
        await _sign_in(deps)


async def test_a_wrong_password_checked_after_its_reservation_lapsed_still_counts(
    deps: handlers.Deps,
) -> None:
    held = HeldPasswords()
    deps = replace(_locking(deps), passwords=held)
    await _account(deps)
    slow = await _held_sign_ins(deps, "wrong password", 3)
    cast(FrozenClock, deps.clock).advance(signin_throttle.RESERVATION_LAPSE_SECONDS + 1)
    held.gate.set()
    outcomes = await asyncio.gather(*slow, return_exceptions=True)
    assert all(isinstance(o, InvalidCredentials) for o in outcomes)
    with pytest.raises(TooManyAttempts):  # the three wrong ones count, late as they were
        await _sign_in(deps)
