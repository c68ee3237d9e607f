"""The fault suite's verdict on purges: a re-ask is by design, a second purge is a failure."""

from __future__ import annotations

from datetime import UTC, datetime

from faults.accounting import purged_twice
from shared.events import AccountPurged, DeletionCompleted, Event, new_event

_NOW = datetime(2026, 12, 2, tzinfo=UTC)
_EVERYONE = ("auth", "survey", "notifier")


def _purge(account: str, *participants: str) -> Event:
    return new_event(
        AccountPurged,
        account_id=account,
        correlation_id="c",
        occurred_at=_NOW,
        request_id=f"r-{account}",
        participants=participants,
    )


def _completed(account: str) -> Event:
    return new_event(
        DeletionCompleted,
        account_id=account,
        correlation_id="c",
        occurred_at=_NOW,
        request_id=f"r-{account}",
    )


def test_asking_one_participant_again_is_not_a_second_purge() -> None:
    events = [_purge("a", *_EVERYONE), _purge("a", "survey"), _purge("a", "survey")]
    assert purged_twice([*events, _completed("a")], {"a"}) == 0


def test_a_purge_started_twice_or_completed_twice_is_counted_once_per_account() -> None:
    started_twice = [_purge("a", *_EVERYONE), _purge("a", *_EVERYONE)]
    completed_twice = [_purge("b", *_EVERYONE), _completed("b"), _completed("b")]
    others = [_purge("x", *_EVERYONE), _purge("x", *_EVERYONE)]  # not this scenario's account
    assert purged_twice([*started_twice, *completed_twice, *others], {"a", "b"}) == 2
