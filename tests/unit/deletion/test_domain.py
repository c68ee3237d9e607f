"""The deletion request's state machine, code rules and purge bookkeeping; no I/O."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from services.deletion.domain import (
    CodeExpired,
    CodePolicy,
    DeletionRequest,
    InvalidState,
    ReauthenticationRequired,
    Status,
    TooManyAttempts,
    UnknownParticipant,
    Verdict,
    WrongCode,
    check_code,
    require_recent_authentication,
    transition,
)
from shared.clock import FrozenClock

POLICY = CodePolicy(ttl_seconds=600, max_attempts=5)
GRACE = timedelta(hours=24)
PARTICIPANTS = ("auth", "survey", "notifier")


def _opened(clock: FrozenClock, *, survey_required: bool = True) -> DeletionRequest:
    return DeletionRequest.open(
        request_id="r-1",
        account_id="a-1",
        channel="email",
        correlation_id="c-1",
        now=clock.now(),
        survey_required=survey_required,
    )


def _awaiting_code(clock: FrozenClock) -> DeletionRequest:
    return _opened(clock).survey_submitted().issue_code("hash", clock.now())


def _scheduled(clock: FrozenClock) -> DeletionRequest:
    request, _ = _awaiting_code(clock).confirm(
        matches=True, now=clock.now(), policy=POLICY, grace=GRACE
    )
    return request


def _purging(clock: FrozenClock) -> DeletionRequest:
    request = _scheduled(clock)
    clock.advance(GRACE.total_seconds())
    return request.start_purge(clock.now(), PARTICIPANTS)


# --- state machine --------------------------------------------------------------------------

EXPECTED_MOVES = {
    (Status.AWAITING_SURVEY, Status.AWAITING_CODE),
    (Status.AWAITING_SURVEY, Status.EXPIRED),
    (Status.AWAITING_SURVEY, Status.CANCELLED),
    (Status.AWAITING_CODE, Status.SCHEDULED),
    (Status.AWAITING_CODE, Status.EXPIRED),
    (Status.AWAITING_CODE, Status.CANCELLED),
    (Status.SCHEDULED, Status.PURGING),
    (Status.PURGING, Status.PURGED),
}


@pytest.mark.parametrize(("current", "target"), sorted(EXPECTED_MOVES))
def test_each_allowed_move_is_allowed(current: Status, target: Status) -> None:
    assert transition(current, target) is target


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (current, target)
        for current, target in itertools.product(Status, Status)
        if (current, target) not in EXPECTED_MOVES
    ],
)
def test_every_other_move_is_invalid(current: Status, target: Status) -> None:
    with pytest.raises(InvalidState) as caught:
        transition(current, target)
    assert (caught.value.current, caught.value.target) == (current, target)


def test_a_new_request_awaits_the_survey_when_one_is_required() -> None:
    assert _opened(FrozenClock()).status is Status.AWAITING_SURVEY


def test_without_a_survey_a_new_request_awaits_its_code() -> None:
    assert _opened(FrozenClock(), survey_required=False).status is Status.AWAITING_CODE


def test_the_survey_cannot_be_submitted_twice() -> None:
    request = _opened(FrozenClock()).survey_submitted()
    with pytest.raises(InvalidState):
        request.survey_submitted()


def test_no_code_is_issued_before_the_survey() -> None:
    clock = FrozenClock()
    with pytest.raises(InvalidState):
        _opened(clock).issue_code("hash", clock.now())


def test_a_code_cannot_be_confirmed_before_the_survey() -> None:
    clock = FrozenClock()
    with pytest.raises(InvalidState):
        _opened(clock).confirm(matches=True, now=clock.now(), policy=POLICY, grace=GRACE)


def test_reissuing_a_code_resets_its_tries_and_its_clock() -> None:
    clock = FrozenClock()
    tried, _ = _awaiting_code(clock).confirm(
        matches=False, now=clock.now(), policy=POLICY, grace=GRACE
    )
    clock.advance(60)
    fresh = tried.issue_code("other", clock.now())
    assert (fresh.code_attempts, fresh.code_issued_at, fresh.code_hash) == (0, clock.now(), "other")


# --- confirming the code --------------------------------------------------------------------


def test_the_right_code_schedules_the_purge_after_the_grace_period() -> None:
    clock = FrozenClock()
    request, check = _awaiting_code(clock).confirm(
        matches=True, now=clock.now(), policy=POLICY, grace=GRACE
    )
    assert check.verdict is Verdict.ACCEPTED
    assert check.error() is None
    assert request.status is Status.SCHEDULED
    assert request.purge_deadline == clock.now() + GRACE


def test_a_code_works_only_once() -> None:
    clock = FrozenClock()
    request = _scheduled(clock)
    assert request.code_hash is None
    assert request.code_issued_at is None
    with pytest.raises(InvalidState):
        request.confirm(matches=True, now=clock.now(), policy=POLICY, grace=GRACE)


def test_a_wrong_code_is_counted_and_says_how_many_tries_are_left() -> None:
    clock = FrozenClock()
    request, check = _awaiting_code(clock).confirm(
        matches=False, now=clock.now(), policy=POLICY, grace=GRACE
    )
    assert request.status is Status.AWAITING_CODE
    assert request.code_attempts == 1
    error = check.error()
    assert isinstance(error, WrongCode)
    assert error.attempts_left == 4


def test_five_wrong_tries_burn_the_code_even_for_the_right_one_after() -> None:
    clock = FrozenClock()
    request = _awaiting_code(clock)
    left = []
    for _ in range(5):
        request, check = request.confirm(matches=False, now=clock.now(), policy=POLICY, grace=GRACE)
        left.append((check.verdict, check.attempts_left))
    assert left == [
        (Verdict.WRONG, 4),
        (Verdict.WRONG, 3),
        (Verdict.WRONG, 2),
        (Verdict.WRONG, 1),
        (Verdict.EXHAUSTED, 0),
    ]
    request, check = request.confirm(matches=True, now=clock.now(), policy=POLICY, grace=GRACE)
    assert isinstance(check.error(), TooManyAttempts)
    assert request.status is Status.AWAITING_CODE
    assert request.code_attempts == 5


def test_the_code_is_valid_until_just_before_issued_at_plus_ttl() -> None:
    clock = FrozenClock()
    request = _awaiting_code(clock)
    clock.advance(599.999)
    _, check = request.confirm(matches=True, now=clock.now(), policy=POLICY, grace=GRACE)
    assert check.verdict is Verdict.ACCEPTED


def test_the_code_expires_at_issued_at_plus_ttl_and_the_try_is_not_counted() -> None:
    clock = FrozenClock()
    request = _awaiting_code(clock)
    clock.advance(600)
    after, check = request.confirm(matches=True, now=clock.now(), policy=POLICY, grace=GRACE)
    assert isinstance(check.error(), CodeExpired)
    assert after.code_attempts == 0
    assert after.status is Status.AWAITING_CODE


def test_expiry_is_measured_from_issue_not_from_the_request() -> None:
    clock = FrozenClock()
    opened = _opened(clock)
    clock.advance(3600)  # the survey took an hour
    request = opened.survey_submitted().issue_code("hash", clock.now())
    clock.advance(300)
    _, check = request.confirm(matches=True, now=clock.now(), policy=POLICY, grace=GRACE)
    assert check.verdict is Verdict.ACCEPTED


def test_a_burnt_code_answers_too_many_attempts_even_when_expired() -> None:
    clock = FrozenClock()
    check = check_code(
        issued_at=clock.now(),
        attempts=5,
        matches=True,
        now=clock.now() + timedelta(hours=1),
        policy=POLICY,
    )
    assert check.verdict is Verdict.EXHAUSTED


def test_with_one_attempt_allowed_the_first_wrong_try_burns_the_code() -> None:
    clock = FrozenClock()
    check = check_code(
        issued_at=clock.now(),
        attempts=0,
        matches=False,
        now=clock.now(),
        policy=CodePolicy(ttl_seconds=600, max_attempts=1),
    )
    assert (check.verdict, check.attempts, check.attempts_left) == (Verdict.EXHAUSTED, 1, 0)


# --- re-authentication ----------------------------------------------------------------------


def test_a_recent_password_check_is_enough() -> None:
    clock = FrozenClock()
    require_recent_authentication(clock.now() - timedelta(seconds=300), clock.now(), 300)


def test_an_old_password_check_requires_reauthentication() -> None:
    clock = FrozenClock()
    with pytest.raises(ReauthenticationRequired):
        require_recent_authentication(clock.now() - timedelta(seconds=301), clock.now(), 300)


# --- the purge ------------------------------------------------------------------------------


def test_the_purge_does_not_start_before_the_deadline() -> None:
    clock = FrozenClock()
    request = _scheduled(clock)
    clock.advance(GRACE.total_seconds() - 1)
    assert not request.is_due(clock.now())
    with pytest.raises(InvalidState):
        request.start_purge(clock.now(), PARTICIPANTS)


def test_at_the_deadline_the_purge_starts_and_names_its_participants() -> None:
    request = _purging(FrozenClock())
    assert request.status is Status.PURGING
    assert request.participants == PARTICIPANTS
    assert request.progress() == dict.fromkeys(PARTICIPANTS, "pending")


def test_a_purge_starts_only_once() -> None:
    clock = FrozenClock()
    request = _purging(clock)
    assert not request.is_due(clock.now())
    with pytest.raises(InvalidState):
        request.start_purge(clock.now(), PARTICIPANTS)


def test_the_request_is_purged_when_every_participant_has_answered() -> None:
    request = _purging(FrozenClock())
    for name in ("notifier", "auth"):
        request = request.record_completion(name)
        assert request.status is Status.PURGING
    assert request.progress() == {"auth": "completed", "survey": "pending", "notifier": "completed"}
    request = request.record_completion("survey")
    assert request.status is Status.PURGED
    assert request.progress() == dict.fromkeys(PARTICIPANTS, "completed")


def test_a_repeated_answer_changes_nothing() -> None:
    request = _purging(FrozenClock()).record_completion("auth")
    assert request.record_completion("auth") == request
    done = request.record_completion("survey").record_completion("notifier")
    assert done.record_completion("notifier") == done


def test_an_answer_from_an_unknown_participant_is_refused() -> None:
    with pytest.raises(UnknownParticipant):
        _purging(FrozenClock()).record_completion("billing")


def test_an_answer_before_the_purge_started_is_refused() -> None:
    with pytest.raises(InvalidState):
        _scheduled(FrozenClock()).record_completion("auth")
