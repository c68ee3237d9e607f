"""Throttling and one-time-code rules, decided from stored facts and the time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.auth.domain import InvalidInput, check_time_zone, check_username
from services.auth.policies import (
    CodeBurned,
    CodeExpired,
    CodePolicy,
    NoActiveCode,
    StoredCode,
    ThrottlePolicy,
    WrongCode,
    check_code_attempt,
    cooldown_left,
    current_failures,
    retry_after,
)

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
POLICY = ThrottlePolicy(slow_after=3, lock_after=6, lock_seconds=900, forget_after_seconds=3600)


@pytest.mark.parametrize(
    ("failures", "wait"), [(0, 0), (2, 0), (3, 1), (4, 2), (5, 4), (6, 900), (40, 900)]
)
def test_failures_slow_down_then_lock(failures: int, wait: int) -> None:
    assert retry_after(POLICY, failures, NOW, NOW) == wait


def test_the_wait_runs_from_the_last_failure_by_the_clock() -> None:
    last = NOW - timedelta(seconds=899)
    assert retry_after(POLICY, 6, last, NOW) == 1
    assert retry_after(POLICY, 6, last, NOW + timedelta(seconds=1)) == 0


def test_old_failures_are_forgotten() -> None:
    last = NOW - timedelta(hours=1)
    assert current_failures(POLICY, 9, last, NOW) == 0
    assert retry_after(POLICY, 9, last, NOW) == 0
    assert current_failures(POLICY, 9, NOW - timedelta(minutes=59), NOW) == 9


def _code(**overrides: object) -> StoredCode:
    fields: dict[str, object] = {
        "account_id": "a-1",
        "purpose": "password_reset",
        "code_id": "n-1",
        "code_hash": "h",
        "sent_at": NOW,
        "expires_at": NOW + timedelta(minutes=10),
        "attempts_left": 5,
        "pending_enc": None,
    }
    fields.update(overrides)
    return StoredCode(**fields)  # type: ignore[arg-type]


def test_the_right_code_in_time_is_accepted() -> None:
    check_code_attempt(_code(), matches=True, now=NOW + timedelta(minutes=9))


def test_a_wrong_code_tells_the_tries_left_and_the_last_wrong_try_burns_it() -> None:
    with pytest.raises(WrongCode) as caught:
        check_code_attempt(_code(), matches=False, now=NOW)
    assert caught.value.attempts_left == 4
    with pytest.raises(CodeBurned):
        check_code_attempt(_code(attempts_left=1), matches=False, now=NOW)


def test_an_expired_or_missing_code_is_refused_even_if_right() -> None:
    with pytest.raises(CodeExpired):
        check_code_attempt(_code(), matches=True, now=NOW + timedelta(minutes=10))
    with pytest.raises(NoActiveCode):
        check_code_attempt(None, matches=False, now=NOW)


def test_a_new_code_waits_for_the_resend_cooldown() -> None:
    policy = CodePolicy(resend_cooldown_seconds=60)
    assert cooldown_left(policy, None, NOW) == 0
    assert cooldown_left(policy, _code(), NOW + timedelta(seconds=15)) == 45
    assert cooldown_left(policy, _code(), NOW + timedelta(seconds=60)) == 0


@pytest.mark.parametrize("name", ["kari", "Kåre.N-77", "  kari_n  ", "所有者"])
def test_usernames_of_letters_digits_and_punctuation(name: str) -> None:
    assert check_username(name) == name.strip()


@pytest.mark.parametrize("name", ["ka", "_kari", "kari nordmann", "kari<script>", "x" * 65])
def test_bad_usernames_are_refused(name: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_username(name)
    assert caught.value.field == "username"


def test_time_zones_are_iana_names() -> None:
    assert check_time_zone("Europe/Oslo") == "Europe/Oslo"
    for bad in ("Oslo", "Europe/Nowhere", "../etc/passwd", ""):
        with pytest.raises(InvalidInput):
            check_time_zone(bad)
