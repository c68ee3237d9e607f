"""Attacks on the deletion code across requests: the per-account rolling budgets hold.

The attack of issue 12: open a request, answer the survey, guess five times, cancel — again
and again. Per request the limits reset; per account over 24 hours they must not.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import cast

import pytest

from services.deletion import handlers
from services.deletion.domain import CodeUndelivered, Status, TooManyAttempts, WrongCode
from shared.clock import FrozenClock
from shared.events import NotificationFailed, SurveySubmitted, new_event
from shared.rolling_limits import LimitReached, RollingLimit
from tests.unit.deletion.support import handler_deps

CODE = "135790"
DAY = 86400


@pytest.fixture
async def deps(tmp_path: Path) -> AsyncIterator[handlers.Deps]:
    async with handler_deps(tmp_path, CODE, participants=("auth",)) as made:
        yield made


def _clock(deps: handlers.Deps) -> FrozenClock:
    return cast(FrozenClock, deps.clock)


async def _open(deps: handlers.Deps, account_id: str) -> str:
    request = await handlers.request_deletion(
        deps,
        account_id=account_id,
        authenticated_at=deps.clock.now(),
        channel="email",
        correlation_id="c",
    )
    return request.request_id


async def _answer_survey(deps: handlers.Deps, account_id: str, request_id: str) -> None:
    event = new_event(
        SurveySubmitted,
        account_id=account_id,
        correlation_id="c",
        occurred_at=deps.clock.now(),
        request_id=request_id,
    )
    async with deps.db.transaction() as tx:
        await handlers.submit_survey(deps, tx, event)  # type: ignore[arg-type]


async def _open_with_code(deps: handlers.Deps, account_id: str) -> str:
    request_id = await _open(deps, account_id)
    await _answer_survey(deps, account_id, request_id)
    return request_id


async def _guess(deps: handlers.Deps, account_id: str, request_id: str, code: str) -> None:
    await handlers.confirm_code(deps, account_id=account_id, request_id=request_id, code=code)


async def _guess_in_new_requests(deps: handlers.Deps, account: str) -> tuple[int, LimitReached]:
    """The attacker's loop: request, survey, 5 wrong guesses, cancel — until refused."""
    judged = 0
    for _ in range(100):
        try:
            request_id = await _open_with_code(deps, account)
            for _ in range(5):
                try:
                    await _guess(deps, account, request_id, "000000")
                except (WrongCode, TooManyAttempts):
                    judged += 1
        except LimitReached as refused:
            return judged, refused
        await handlers.cancel_request(deps, account_id=account, request_id=request_id)
        _clock(deps).advance(61)  # past the resend cooldown
    raise AssertionError("100 requests and never refused")


async def test_wrong_codes_are_capped_per_account_across_requests(deps: handlers.Deps) -> None:
    account = str(uuid.uuid4())
    judged, caught = await _guess_in_new_requests(deps, account)
    assert judged == 20  # the default: 20 wrong codes per account per 24 hours
    assert caught.kind == "deletion_wrong_code"
    assert 0 < caught.retry_after <= DAY
    # The limit is per account: someone else is not affected.
    other = str(uuid.uuid4())
    await _guess(deps, other, await _open_with_code(deps, other), CODE)


async def test_a_guess_past_the_budget_is_not_judged_even_when_right(deps: handlers.Deps) -> None:
    account = str(uuid.uuid4())
    for _ in range(4):
        request_id = await _open_with_code(deps, account)
        for _ in range(5):
            with pytest.raises((WrongCode, TooManyAttempts)):
                await _guess(deps, account, request_id, "000000")
        await handlers.cancel_request(deps, account_id=account, request_id=request_id)
        _clock(deps).advance(61)
    with pytest.raises(LimitReached):  # no new request either: it could not be confirmed
        await _open_with_code(deps, account)
    # After the window has rolled past the first guesses, the owner can go on.
    _clock(deps).advance(DAY)
    request_id = await _open_with_code(deps, account)
    await _guess(deps, account, request_id, CODE)


async def _codes_in_new_requests(deps: handlers.Deps, account: str) -> tuple[int, LimitReached]:
    """Request, then resend up to the per-request cap, cancel, start over — until refused."""
    sent = 0
    for _ in range(30):
        try:
            request_id = await _open_with_code(deps, account)
            sent += 1
            for _ in range(4):
                _clock(deps).advance(61)
                await handlers.resend_code(
                    deps, account_id=account, request_id=request_id, channel=None
                )
                sent += 1
        except LimitReached as refused:
            return sent, refused
        await handlers.cancel_request(deps, account_id=account, request_id=request_id)
    raise AssertionError("30 requests and never refused")


async def test_new_codes_are_capped_per_account_across_requests(deps: handlers.Deps) -> None:
    sent, caught = await _codes_in_new_requests(deps, str(uuid.uuid4()))
    assert sent == 10  # the default: 10 new codes per account per 24 hours
    assert caught.kind == "deletion_new_code"
    assert caught.retry_after > 0


async def test_a_survey_answered_past_the_code_budget_sends_no_code(deps: handlers.Deps) -> None:
    account = str(uuid.uuid4())
    first = await _open_with_code(deps, account)
    await handlers.cancel_request(deps, account_id=account, request_id=first)
    request_id = await _open(deps, account)
    # The budget is spent between opening and the survey (another process, a lower setting).
    policy = replace(deps.policy, new_codes=RollingLimit("deletion_new_code", 1))
    tight = replace(deps, policy=policy)
    await _answer_survey(tight, account, request_id)
    after = await handlers.get_request(tight, account_id=account, request_id=request_id)
    assert (after.status, after.code_hash, after.codes_sent) == (Status.AWAITING_CODE, None, 0)
    _clock(deps).advance(61)
    with pytest.raises(LimitReached):
        await handlers.resend_code(tight, account_id=account, request_id=request_id, channel=None)


async def test_a_code_whose_delivery_failed_cannot_be_guessed(deps: handlers.Deps) -> None:
    account = str(uuid.uuid4())
    request_id = await _open_with_code(deps, account)
    request = await handlers.get_request(deps, account_id=account, request_id=request_id)
    failed = new_event(
        NotificationFailed,
        account_id=account,
        correlation_id="c",
        occurred_at=deps.clock.now(),
        notification_id=str(request.code_notification_id),
        reason="smtp server refused the message (550)",
    )
    async with deps.db.transaction() as tx:
        await handlers.code_delivery_failed(deps, tx, failed)  # type: ignore[arg-type]
    for code in ("000000", CODE):  # not even the right code: nobody could have read it
        with pytest.raises(CodeUndelivered):
            await _guess(deps, account, request_id, code)
    after = await handlers.get_request(deps, account_id=account, request_id=request_id)
    assert (after.status, after.code_attempts) == (Status.AWAITING_CODE, 0)
    # A new code (delivered this time) works.
    _clock(deps).advance(61)
    await handlers.resend_code(deps, account_id=account, request_id=request_id, channel="sms")
    await _guess(deps, account, request_id, CODE)
