"""Attacks on reset and contact-change codes: rolling per-account budgets, and answers that do
not tell a real account from an unknown login."""

from __future__ import annotations

from dataclasses import replace
from typing import cast

import pytest

from services.auth import handlers, me, resets
from services.auth.domain import registration
from services.auth.passwords import Passwords
from services.auth.policies import (
    CodeBurned,
    CodeRejected,
    CodesSpent,
    GuessesSpent,
    NoActiveCode,
    WrongCode,
)
from shared.clock import FrozenClock
from shared.tokens import AccessClaims
from tests.support.account_keys import AccountKeys
from tests.unit.auth.conftest import CHEAP

PASSWORD = "correct horse battery"
NEW = "another fine password"
DAY = 86400


async def _account(deps: handlers.Deps, email: str = "kari@example.com") -> str:
    details = registration(
        email=email, phone=None, password=PASSWORD, username=None, language="nb", region="NO"
    )
    account_id = await handlers.register(deps, details, correlation_id="c")
    # The notifier's key for the account, as auth's consumer would record it.
    await AccountKeys().give(deps.db, deps.sealer, account_id)
    return account_id


def _clock(deps: handlers.Deps) -> FrozenClock:
    return cast(FrozenClock, deps.clock)


async def _ask(deps: handlers.Deps, login: str, channel: str = "email") -> None:
    await resets.request_reset(deps, login=login, channel=channel, correlation_id="c")  # type: ignore[arg-type]


async def _confirm(deps: handlers.Deps, login: str, code: str) -> CodeRejected | None:
    try:
        await resets.confirm_reset(
            deps, login=login, code=code, new_password=NEW, correlation_id="c"
        )
    except CodeRejected as refusal:
        return refusal
    return None


def _answer(refusal: CodeRejected | None) -> tuple[str, int | None]:
    """What the API would show: the refusal's kind and its attempts_left or retry_after."""
    left = getattr(refusal, "attempts_left", None)
    return type(refusal).__name__, left if left is not None else getattr(
        refusal, "retry_after", None
    )


async def test_reset_guesses_are_capped_per_account_across_codes(deps: handlers.Deps) -> None:
    await _account(deps)
    seen = []
    for _ in range(10):  # the attacker's loop: ask for a code, guess five times, ask again
        await _ask(deps, "kari@example.com")
        for _ in range(5):
            seen.append(_answer(await _confirm(deps, "kari@example.com", "000000")))
        _clock(deps).advance(61)
    judged = [kind for kind, _ in seen if kind in ("WrongCode", "CodeBurned")]
    assert len(judged) == 20  # 20 wrong codes per account per 24 hours, however many codes
    assert seen[20][0] == "GuessesSpent"
    assert all(kind == "GuessesSpent" for kind, _ in seen[20:])
    # Past the budget not even the right code is judged…
    _clock(deps).advance(61)
    await _ask(deps, "kari@example.com")
    assert isinstance(await _confirm(deps, "kari@example.com", "123456"), GuessesSpent)
    # …until the window has rolled past the first wrong guesses.
    _clock(deps).advance(DAY)
    await _ask(deps, "kari@example.com")
    assert await _confirm(deps, "kari@example.com", "123456") is None


async def test_at_most_ten_reset_codes_a_day_are_sent_and_the_rest_quietly_not(
    deps: handlers.Deps,
) -> None:
    await _account(deps)
    for _ in range(15):
        await _ask(deps, "kari@example.com")
        _clock(deps).advance(61)
    rows = await deps.db.fetch_all(
        "SELECT 1 FROM outbox WHERE event_type = 'CodeDeliveryRequested'"
    )
    assert len(rows) == 10


async def _contact_codes_until_refused(
    deps: handlers.Deps, claims: AccessClaims
) -> tuple[int, CodesSpent]:
    """Ask for an e-mail change code, guess twice, ask again — until no code is sent."""
    wrong = 0
    for _ in range(11):
        try:
            await me.request_contact_change(
                deps, claims, "email", "new@example.com", correlation_id="c"
            )
        except CodesSpent as spent:
            return wrong, spent
        for _ in range(2):
            try:
                await me.confirm_contact_change(deps, claims, "email", "000000", correlation_id="c")
            except (WrongCode, CodeBurned):
                wrong += 1
            except GuessesSpent:
                pass
        _clock(deps).advance(61)
    raise AssertionError("eleven codes were sent")


async def test_contact_change_codes_have_the_same_budgets(deps: handlers.Deps) -> None:
    account_id = await _account(deps)
    claims = cast(AccessClaims, type("C", (), {"account_id": account_id})())
    wrong, spent = await _contact_codes_until_refused(deps, claims)
    assert wrong == 20
    assert spent.retry_after > 0
    with pytest.raises(GuessesSpent):
        await me.confirm_contact_change(deps, claims, "email", "123456", correlation_id="c")
    # Each kind of code has its own budget: the reset codes are untouched.
    await _ask(deps, "kari@example.com")
    assert await _confirm(deps, "kari@example.com", "123456") is None


@pytest.mark.parametrize(
    ("real", "channel"),
    [
        pytest.param("kari@example.com", "email", id="account-with-the-address"),
        pytest.param("kari@example.com", "sms", id="account-without-a-phone"),
    ],
)
async def test_reset_answers_are_the_same_for_an_account_and_an_unknown_login(
    deps: handlers.Deps, real: str, channel: str
) -> None:
    await _account(deps)

    async def story(login: str) -> list[tuple[str, int | None]]:
        answers = []
        for _ in range(10):
            await _ask(deps, login, channel)
            for _ in range(5):
                answers.append(_answer(await _confirm(deps, login, "000000")))
            _clock(deps).advance(61)
        return answers

    known, unknown = await story(real), await story("nobody@example.com")
    assert known == unknown
    assert known[:5] == [
        ("WrongCode", 4),
        ("WrongCode", 3),
        ("WrongCode", 2),
        ("WrongCode", 1),
        ("CodeBurned", None),
    ]
    assert known[20][0] == "GuessesSpent"


async def test_a_reset_for_an_unknown_login_costs_the_same_work(deps: handlers.Deps) -> None:
    class Counting(Passwords):
        def __init__(self) -> None:
            super().__init__(CHEAP)
            self.hashed = 0

        async def hash(self, password: str) -> str:
            self.hashed += 1
            return await super().hash(password)

    await _account(deps)
    counting = Counting()
    deps = replace(deps, passwords=counting)
    for login in ("kari@example.com", "nobody@example.com"):
        await _ask(deps, login)
        assert isinstance(await _confirm(deps, login, "000000"), WrongCode)
    assert counting.hashed == 2  # one argon2 hash of the new password each
    # A stand-in code names no login and sends nothing.
    rows = await deps.db.fetch_all("SELECT account_id FROM one_time_codes")
    assert not any("example.com" in row["account_id"] for row in rows)
    sent = await deps.db.fetch_all(
        "SELECT 1 FROM outbox WHERE event_type = 'CodeDeliveryRequested'"
    )
    assert len(sent) == 1


async def test_a_confirm_without_any_request_answers_alike(deps: handlers.Deps) -> None:
    await _account(deps)
    for login in ("kari@example.com", "nobody@example.com"):
        assert isinstance(await _confirm(deps, login, "000000"), NoActiveCode)
