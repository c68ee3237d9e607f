"""Holds: a participant's reason why an account's deletion must wait. No I/O; time passed in.

A hold is active until its participant lifts it (reports its holds without it) or its
``until`` passes. While any hold of the account is active, a scheduled request's timer is
paused: the purge does not start. When the last hold lifts, the timer resumes with the time
that was left, so the person keeps the whole grace period they were promised.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from services.deletion.domain import DeletionRequest, InvalidState, Status, purge_start

__all__ = ["KNOWN_REASONS", "Hold", "active_holds", "is_overdue", "pause", "resume"]

KNOWN_REASONS = ("open_order", "open_dispute", "balance", "legal_hold")


@dataclass(frozen=True)
class Hold:
    """One participant's hold on one account."""

    participant: str
    hold_id: str
    reason: str
    text_nb: str
    text_en: str
    placed_at: datetime
    until: datetime | None = None

    def is_active(self, now: datetime) -> bool:
        """Whether the hold still holds at ``now``."""
        return self.until is None or now < self.until

    def text(self, lang: str) -> str:
        """The text to show a person in ``lang`` (nb or en)."""
        return self.text_nb if lang == "nb" else self.text_en


def active_holds(holds: Iterable[Hold], now: datetime) -> list[Hold]:
    """The holds still active at ``now``, oldest first."""
    return sorted((hold for hold in holds if hold.is_active(now)), key=lambda h: h.placed_at)


def is_overdue(hold: Hold, now: datetime, max_age: timedelta) -> bool:
    """A hold older than ``max_age`` is flagged for an operator to look at."""
    return now - hold.placed_at > max_age


def pause(request: DeletionRequest, now: datetime) -> DeletionRequest:
    """Pause a scheduled request's timer; a paused one stays as it is.

    ``purge_at`` goes (resume computes it again from the deadline), so the timer's indexed
    scan of due requests never meets a paused one: paused requests cannot crowd out due ones.
    """
    if request.status is not Status.SCHEDULED:
        raise InvalidState(request.status, Status.SCHEDULED)
    if request.paused_at is not None:
        return request
    return replace(request, paused_at=now, purge_at=None)


def resume(
    request: DeletionRequest, now: datetime, grace: timedelta, lead: timedelta
) -> DeletionRequest:
    """Resume a paused timer: the deadline moves by as long as the hold lasted."""
    if request.status is not Status.SCHEDULED:
        raise InvalidState(request.status, Status.SCHEDULED)
    if request.paused_at is None or request.purge_deadline is None:
        return request
    deadline = request.purge_deadline + max(now - request.paused_at, timedelta(0))
    return replace(
        request,
        paused_at=None,
        purge_deadline=deadline,
        purge_at=purge_start(deadline, grace, lead),
    )
