"""The deletion request: its state machine and the purge bookkeeping. No I/O; time is passed in.

A request moves awaiting_survey → awaiting_code → scheduled → purging → purged (it starts at
awaiting_code when no survey is required). Before it is scheduled it may be cancelled by its
owner, or lapse (expired) when abandoned past its ``expires_at``; both leave the account as it
was. Each step is a method returning a new, frozen request; a step from the wrong state raises
:class:`InvalidState`. The code rules live in :mod:`services.deletion.code_rules`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from services.deletion.code_rules import (
    CodeCheck,
    CodeExpired,
    CodePolicy,
    CodeRejected,
    CodeUndelivered,
    ResendCooldown,
    ResendRefused,
    TooManyAttempts,
    TooManyCodes,
    Verdict,
    WrongCode,
    check_code,
    check_resend,
)
from shared.events import Channel

__all__ = [
    "ALLOWED",
    "OPEN_STATES",
    "CodeCheck",
    "CodeExpired",
    "CodePolicy",
    "CodeRejected",
    "CodeUndelivered",
    "DeletionRequest",
    "InvalidState",
    "Progress",
    "ReauthenticationRequired",
    "ResendCooldown",
    "ResendRefused",
    "Status",
    "TooManyAttempts",
    "TooManyCodes",
    "UnknownParticipant",
    "Verdict",
    "WrongCode",
    "check_code",
    "next_ask_at",
    "purge_start",
    "require_recent_authentication",
    "transition",
]


class Status(StrEnum):
    """Where a deletion request is in its life."""

    AWAITING_SURVEY = "awaiting_survey"
    AWAITING_CODE = "awaiting_code"
    SCHEDULED = "scheduled"
    PURGING = "purging"
    PURGED = "purged"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


Progress = Literal["pending", "completed"]

# Every allowed move; anything else is an InvalidState (409 invalid_state at the API).
ALLOWED: dict[Status, frozenset[Status]] = {
    Status.AWAITING_SURVEY: frozenset({Status.AWAITING_CODE, Status.EXPIRED, Status.CANCELLED}),
    Status.AWAITING_CODE: frozenset({Status.SCHEDULED, Status.EXPIRED, Status.CANCELLED}),
    Status.SCHEDULED: frozenset({Status.PURGING}),
    Status.PURGING: frozenset({Status.PURGED}),
}
# States in which the person may still walk away (cancel) or the request may lapse.
OPEN_STATES = frozenset({Status.AWAITING_SURVEY, Status.AWAITING_CODE})


class InvalidState(Exception):
    """A step was asked of a request in a state that does not allow it."""

    def __init__(self, current: Status, target: Status) -> None:
        super().__init__(f"a request that is {current} cannot become {target}")
        self.current = current
        self.target = target


class ReauthenticationRequired(Exception):
    """The password was checked too long ago for an irreversible act."""

    def __init__(self, max_age_seconds: int) -> None:
        super().__init__(f"the password must have been entered within {max_age_seconds} s")
        self.max_age_seconds = max_age_seconds


class UnknownParticipant(Exception):
    """A purge confirmation came from a service the purge did not ask."""


def transition(current: Status, target: Status) -> Status:
    """Return ``target`` if a request in ``current`` may move there, else raise InvalidState."""
    if target not in ALLOWED.get(current, frozenset()):
        raise InvalidState(current, target)
    return target


def require_recent_authentication(authenticated_at: datetime, now: datetime, max_age: int) -> None:
    """Raise unless the password was checked within ``max_age`` seconds before ``now``."""
    if now - authenticated_at > timedelta(seconds=max_age):
        raise ReauthenticationRequired(max_age)


def purge_start(deadline: datetime, grace: timedelta, lead: timedelta) -> datetime:
    """When the purge starts: ``lead`` before the deadline, so it ends in time.

    The lead is capped at a tenth of the grace period: a short grace (a demo, a test) keeps
    almost all of its window, instead of purging the moment the code is confirmed.
    """
    capped = min(lead, grace // 10)
    return deadline - capped


def next_ask_at(asked_at: datetime, asks: int, timeout: timedelta) -> datetime:
    """When a silent participant is asked again: the timeout, doubled after every ask."""
    return asked_at + timeout * (1 << max(0, asks - 1))


@dataclass(frozen=True)
class DeletionRequest:
    """One person's request to delete their account."""

    request_id: str
    account_id: str
    status: Status
    channel: Channel
    correlation_id: str
    created_at: datetime
    expires_at: datetime | None = None
    code_hash: str | None = None
    code_issued_at: datetime | None = None
    code_attempts: int = 0
    codes_sent: int = 0
    code_notification_id: str | None = None
    code_delivery_failed: bool = False
    confirmed_at: datetime | None = None
    purge_deadline: datetime | None = None
    purge_at: datetime | None = None
    participants: tuple[str, ...] = ()
    completed: frozenset[str] = frozenset()
    overdue: bool = False
    # Set while a participant's hold pauses the timer (see services.deletion.holds).
    paused_at: datetime | None = None
    # The notifier's first try at the current code failed; it keeps trying (SMTP away, say).
    code_delayed: bool = False

    @classmethod
    def open(
        cls,
        *,
        request_id: str,
        account_id: str,
        channel: Channel,
        correlation_id: str,
        now: datetime,
        survey_required: bool,
        ttl: timedelta = timedelta(days=1),
    ) -> DeletionRequest:
        """A new request; without a survey it waits for its code straight away."""
        status = Status.AWAITING_SURVEY if survey_required else Status.AWAITING_CODE
        return cls(
            request_id, account_id, status, channel, correlation_id, now, expires_at=now + ttl
        )

    def survey_submitted(self) -> DeletionRequest:
        """The survey is answered; a code comes next."""
        return replace(self, status=transition(self.status, Status.AWAITING_CODE))

    def issue_code(
        self,
        code_hash: str,
        now: datetime,
        notification_id: str | None = None,
        channel: Channel | None = None,
    ) -> DeletionRequest:
        """Attach a fresh code (kept only as its hash) with a fresh count of tries."""
        if self.status is not Status.AWAITING_CODE:
            raise InvalidState(self.status, Status.AWAITING_CODE)
        return replace(
            self,
            code_hash=code_hash,
            code_issued_at=now,
            code_attempts=0,
            codes_sent=self.codes_sent + 1,
            code_notification_id=notification_id,
            code_delivery_failed=False,
            code_delayed=False,
            channel=channel or self.channel,
        )

    def check_resend(self, now: datetime, policy: CodePolicy) -> None:
        """Raise InvalidState or a ResendRefused unless a new code may be sent now."""
        if self.status is not Status.AWAITING_CODE:
            raise InvalidState(self.status, Status.AWAITING_CODE)
        check_resend(
            last_issued_at=self.code_issued_at, codes_sent=self.codes_sent, now=now, policy=policy
        )

    def delivery_failed(self, notification_id: str) -> DeletionRequest:
        """The notifier could not deliver the current code; older codes' failures are moot."""
        if self.status is not Status.AWAITING_CODE or notification_id != self.code_notification_id:
            return self
        return replace(self, code_delivery_failed=True, code_delayed=False)

    def delivery_delayed(self, notification_id: str) -> DeletionRequest:
        """The notifier's first try at the current code failed, and it keeps trying."""
        if self.status is not Status.AWAITING_CODE or notification_id != self.code_notification_id:
            return self
        return replace(self, code_delayed=True)

    def delivered(self, notification_id: str) -> DeletionRequest:
        """The current code reached the person's mail server or phone: it is late no more."""
        if notification_id != self.code_notification_id or not self.code_delayed:
            return self
        return replace(self, code_delayed=False)

    def confirm(
        self,
        *,
        matches: bool,
        now: datetime,
        policy: CodePolicy,
        grace: timedelta,
        lead: timedelta = timedelta(0),
    ) -> tuple[DeletionRequest, CodeCheck]:
        """Try a code; when accepted the purge is scheduled and the code is spent."""
        target = transition(self.status, Status.SCHEDULED)
        if self.code_issued_at is None or self.code_hash is None:
            raise InvalidState(self.status, target)
        if self.code_delivery_failed:
            raise CodeUndelivered("the code could not be delivered")
        check = check_code(
            issued_at=self.code_issued_at,
            attempts=self.code_attempts,
            matches=matches,
            now=now,
            policy=policy,
        )
        if check.verdict is not Verdict.ACCEPTED:
            return replace(self, code_attempts=check.attempts), check
        deadline = now + grace
        scheduled = replace(
            self,
            status=target,
            code_hash=None,
            code_issued_at=None,
            confirmed_at=now,
            purge_deadline=deadline,
            purge_at=purge_start(deadline, grace, lead),
        )
        return scheduled, check

    def cancel(self) -> DeletionRequest:
        """The owner walks away before the purge is scheduled; any code is dropped."""
        return replace(self, status=transition(self.status, Status.CANCELLED), code_hash=None)

    def expire(self, now: datetime) -> DeletionRequest:
        """The request was abandoned past its ``expires_at``: it lapses, the account stays."""
        target = transition(self.status, Status.EXPIRED)
        if self.expires_at is None or now < self.expires_at:
            raise InvalidState(self.status, target)
        return replace(self, status=target, code_hash=None)

    def is_due(self, now: datetime) -> bool:
        """Whether the purge should start (``purge_at``, a lead before the deadline)."""
        start = self.purge_at or self.purge_deadline
        scheduled = self.status is Status.SCHEDULED and self.paused_at is None
        return scheduled and start is not None and start <= now

    def start_purge(self, now: datetime, participants: tuple[str, ...]) -> DeletionRequest:
        """Ask ``participants`` to erase the account; only once the purge is due."""
        target = transition(self.status, Status.PURGING)
        if not self.is_due(now) or not participants:
            raise InvalidState(self.status, target)
        return replace(self, status=target, participants=participants)

    def record_completion(self, participant: str) -> DeletionRequest:
        """Note that ``participant`` erased its data; purged once every participant has.

        A repeated confirmation changes nothing: participants may answer more than once.
        """
        if self.status not in (Status.PURGING, Status.PURGED):
            raise InvalidState(self.status, Status.PURGED)
        if participant not in self.participants:
            raise UnknownParticipant(participant)
        if participant in self.completed:
            return self
        completed = self.completed | {participant}
        if completed >= set(self.participants):
            status = transition(self.status, Status.PURGED)
            return replace(self, completed=completed, status=status, overdue=False)
        return replace(self, completed=completed)

    def pending(self) -> tuple[str, ...]:
        """The participants that have not answered yet."""
        return tuple(name for name in self.participants if name not in self.completed)

    def progress(self) -> dict[str, Progress]:
        """Each asked participant's answer so far: ``pending`` or ``completed``."""
        return {
            name: "completed" if name in self.completed else "pending" for name in self.participants
        }
