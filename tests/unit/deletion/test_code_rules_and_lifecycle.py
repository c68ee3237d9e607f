"""Re-sending codes, cancelling, lapsing, the purge's start and the re-asking schedule."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.deletion.code_rules import (
    CodePolicy,
    ResendCooldown,
    TooManyCodes,
    check_resend,
)
from services.deletion.domain import (
    CodeUndelivered,
    DeletionRequest,
    InvalidState,
    Status,
    next_ask_at,
    purge_start,
)
from shared.clock import FrozenClock

POLICY = CodePolicy(ttl_seconds=600, max_attempts=5, resend_cooldown_seconds=60, max_codes=5)
GRACE = timedelta(hours=24)


def _request(clock: FrozenClock, *, survey: bool = False) -> DeletionRequest:
    opened = DeletionRequest.open(
        request_id="r-1",
        account_id="a-1",
        channel="email",
        correlation_id="c-1",
        now=clock.now(),
        survey_required=survey,
        ttl=timedelta(hours=24),
    )
    return opened if survey else opened.issue_code("h1", clock.now(), "n-1")


def test_a_new_code_waits_for_the_cooldown_and_says_how_long() -> None:
    clock = FrozenClock()
    request = _request(clock)
    clock.advance(59.2)
    with pytest.raises(ResendCooldown) as caught:
        request.check_resend(clock.now(), POLICY)
    assert caught.value.retry_after == 1
    clock.advance(0.8)
    request.check_resend(clock.now(), POLICY)


def test_at_most_five_codes_per_request_whatever_the_wait() -> None:
    clock = FrozenClock()
    request = _request(clock)
    for index in range(2, 6):
        clock.advance(60)
        request.check_resend(clock.now(), POLICY)
        request = request.issue_code(f"h{index}", clock.now(), f"n-{index}")
    assert request.codes_sent == 5
    clock.advance(3600)
    with pytest.raises(TooManyCodes):
        request.check_resend(clock.now(), POLICY)


def test_the_count_is_checked_before_the_cooldown() -> None:
    clock = FrozenClock()
    with pytest.raises(TooManyCodes):
        check_resend(last_issued_at=clock.now(), codes_sent=5, now=clock.now(), policy=POLICY)


def test_a_new_code_may_switch_the_channel_and_resets_tries_and_failure() -> None:
    clock = FrozenClock()
    tried, _ = _request(clock).confirm(matches=False, now=clock.now(), policy=POLICY, grace=GRACE)
    tried = tried.delivery_failed("n-1")
    assert (tried.code_delivery_failed, tried.code_attempts) == (True, 1)
    # A code nobody received takes no tries: not even the right one is judged.
    with pytest.raises(CodeUndelivered):
        tried.confirm(matches=True, now=clock.now(), policy=POLICY, grace=GRACE)
    clock.advance(60)
    fresh = tried.issue_code("h2", clock.now(), "n-2", channel="sms")
    assert (fresh.channel, fresh.code_attempts, fresh.code_delivery_failed) == ("sms", 0, False)
    assert (fresh.codes_sent, fresh.code_notification_id) == (2, "n-2")


def test_a_delayed_code_is_flagged_until_delivered_or_replaced() -> None:
    clock = FrozenClock()
    request = _request(clock)
    assert request.delivery_delayed("n-0") == request  # an older code's news is moot
    late = request.delivery_delayed("n-1")
    assert late.code_delayed
    assert not late.delivered("n-1").code_delayed
    assert not late.delivery_failed("n-1").code_delayed
    clock.advance(60)
    assert not late.issue_code("h2", clock.now(), "n-2").code_delayed


def test_a_failure_of_an_older_code_does_not_flag_the_request() -> None:
    clock = FrozenClock()
    request = _request(clock).issue_code("h2", clock.now(), "n-2")
    assert request.delivery_failed("n-1") == request


def test_no_code_may_be_resent_before_the_survey_or_after_confirmation() -> None:
    clock = FrozenClock()
    with pytest.raises(InvalidState):
        _request(clock, survey=True).check_resend(clock.now(), POLICY)
    scheduled, _ = _request(clock).confirm(
        matches=True, now=clock.now(), policy=POLICY, grace=GRACE
    )
    with pytest.raises(InvalidState):
        scheduled.check_resend(clock.now(), POLICY)


@pytest.mark.parametrize("survey", [True, False])
def test_an_open_request_can_be_cancelled_and_its_code_dropped(survey: bool) -> None:
    cancelled = _request(FrozenClock(), survey=survey).cancel()
    assert (cancelled.status, cancelled.code_hash) == (Status.CANCELLED, None)


def test_a_scheduled_request_cannot_be_cancelled() -> None:
    clock = FrozenClock()
    scheduled, _ = _request(clock).confirm(
        matches=True, now=clock.now(), policy=POLICY, grace=GRACE
    )
    with pytest.raises(InvalidState) as caught:
        scheduled.cancel()
    assert caught.value.current is Status.SCHEDULED


def test_an_abandoned_request_lapses_at_its_expiry_and_not_before() -> None:
    clock = FrozenClock()
    request = _request(clock, survey=True)
    clock.advance(timedelta(hours=24).total_seconds() - 1)
    with pytest.raises(InvalidState):
        request.expire(clock.now())
    clock.advance(1)
    assert request.expire(clock.now()).status is Status.EXPIRED


def test_a_scheduled_request_never_lapses() -> None:
    clock = FrozenClock()
    scheduled, _ = _request(clock).confirm(
        matches=True, now=clock.now(), policy=POLICY, grace=GRACE
    )
    clock.advance(timedelta(days=2).total_seconds())
    with pytest.raises(InvalidState):
        scheduled.expire(clock.now())


def test_the_purge_starts_the_lead_before_the_deadline() -> None:
    clock = FrozenClock()
    lead = timedelta(seconds=300)
    scheduled, _ = _request(clock).confirm(
        matches=True, now=clock.now(), policy=POLICY, grace=GRACE, lead=lead
    )
    assert scheduled.purge_deadline == clock.now() + GRACE
    assert scheduled.purge_at == clock.now() + GRACE - lead
    assert scheduled.confirmed_at == clock.now()
    clock.advance((GRACE - lead).total_seconds() - 1)
    assert not scheduled.is_due(clock.now())
    clock.advance(1)
    assert scheduled.is_due(clock.now())


def test_a_short_grace_keeps_nine_tenths_of_it_despite_the_lead() -> None:
    start = FrozenClock().now()
    deadline = start + timedelta(seconds=20)
    assert purge_start(deadline, timedelta(seconds=20), timedelta(seconds=300)) == start + (
        timedelta(seconds=18)
    )


def test_silent_participants_are_asked_again_with_doubling_waits() -> None:
    start = FrozenClock().now()
    timeout = timedelta(seconds=60)
    waits = [next_ask_at(start, asks, timeout) - start for asks in (1, 2, 3, 4)]
    assert waits == [timedelta(seconds=s) for s in (60, 120, 240, 480)]


def test_purged_clears_the_overdue_flag() -> None:
    clock = FrozenClock()
    scheduled, _ = _request(clock).confirm(
        matches=True, now=clock.now(), policy=POLICY, grace=GRACE
    )
    clock.advance(GRACE.total_seconds())
    purging = scheduled.start_purge(clock.now(), ("auth",))
    from dataclasses import replace

    purged = replace(purging, overdue=True).record_completion("auth")
    assert (purged.status, purged.overdue) == (Status.PURGED, False)
