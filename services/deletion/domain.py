"""The deletion request: its state machine, the confirmation-code rules and the purge
bookkeeping. No I/O; time is passed in.

A request moves awaiting_survey → awaiting_code → scheduled → purging → purged (it starts at
awaiting_code when no survey is required). Each step is a method returning a new, frozen
request; a step from the wrong state raises :class:`InvalidState`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from shared.events import Channel

__all__ = [
    "CodeCheck",
    "CodeExpired",
    "CodePolicy",
    "CodeRejected",
    "DeletionRequest",
    "InvalidState",
    "Progress",
    "ReauthenticationRequired",
    "Status",
    "TooManyAttempts",
    "UnknownParticipant",
    "Verdict",
    "WrongCode",
    "check_code",
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


Progress = Literal["pending", "completed"]

_NEXT: dict[Status, Status] = {
    Status.AWAITING_SURVEY: Status.AWAITING_CODE,
    Status.AWAITING_CODE: Status.SCHEDULED,
    Status.SCHEDULED: Status.PURGING,
    Status.PURGING: Status.PURGED,
}


class InvalidState(Exception):
    """A step was asked of a request in a state that does not allow it."""

    def __init__(self, current: Status, target: Status) -> None:
        super().__init__(f"a request that is {current} cannot become {target}")
        self.current = current
        self.target = target


class ReauthenticationRequired(Exception):
    """The password was checked too long ago for an irreversible act."""


class UnknownParticipant(Exception):
    """A purge confirmation came from a service the purge did not ask."""


class CodeRejected(Exception):
    """A typed confirmation code was not accepted."""


class WrongCode(CodeRejected):
    """The code does not match; ``attempts_left`` more tries remain."""

    def __init__(self, attempts_left: int) -> None:
        super().__init__("the code does not match")
        self.attempts_left = attempts_left


class CodeExpired(CodeRejected):
    """The code's validity ended."""


class TooManyAttempts(CodeRejected):
    """Too many wrong tries; the code is burnt."""


def transition(current: Status, target: Status) -> Status:
    """Return ``target`` if a request in ``current`` may move there, else raise InvalidState."""
    if _NEXT.get(current) != target:
        raise InvalidState(current, target)
    return target


def require_recent_authentication(authenticated_at: datetime, now: datetime, max_age: int) -> None:
    """Raise unless the password was checked within ``max_age`` seconds before ``now``."""
    if now - authenticated_at > timedelta(seconds=max_age):
        raise ReauthenticationRequired


# --- confirmation codes ---------------------------------------------------------------------


class Verdict(StrEnum):
    """The outcome of one try at a code."""

    ACCEPTED = "accepted"
    WRONG = "wrong"
    EXPIRED = "expired"
    EXHAUSTED = "exhausted"


@dataclass(frozen=True)
class CodePolicy:
    """How long a code lives and how many wrong tries burn it."""

    ttl_seconds: int
    max_attempts: int

    def expires_at(self, issued_at: datetime) -> datetime:
        """When a code issued at ``issued_at`` stops being valid."""
        return issued_at + timedelta(seconds=self.ttl_seconds)


@dataclass(frozen=True)
class CodeCheck:
    """One try's verdict and the wrong-try count to keep afterwards."""

    verdict: Verdict
    attempts: int
    attempts_left: int

    def error(self) -> CodeRejected | None:
        """The error to answer with, or None when the code was accepted."""
        if self.verdict is Verdict.WRONG:
            return WrongCode(self.attempts_left)
        if self.verdict is Verdict.EXPIRED:
            return CodeExpired("the code has expired")
        if self.verdict is Verdict.EXHAUSTED:
            return TooManyAttempts("too many wrong codes")
        return None


def check_code(
    *, issued_at: datetime, attempts: int, matches: bool, now: datetime, policy: CodePolicy
) -> CodeCheck:
    """Judge one try. A burnt code stays burnt; an expired one is not counted as a try.

    The try that uses up the last attempt answers EXHAUSTED at once, so the person learns
    that the code is gone instead of being invited to type it again.
    """
    left = max(0, policy.max_attempts - attempts)
    if left == 0:
        return CodeCheck(Verdict.EXHAUSTED, attempts, 0)
    if now >= policy.expires_at(issued_at):
        return CodeCheck(Verdict.EXPIRED, attempts, left)
    if matches:
        return CodeCheck(Verdict.ACCEPTED, attempts, left)
    left -= 1
    return CodeCheck(Verdict.WRONG if left else Verdict.EXHAUSTED, attempts + 1, left)


# --- the request ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DeletionRequest:
    """One person's request to delete their account."""

    request_id: str
    account_id: str
    status: Status
    channel: Channel
    correlation_id: str
    created_at: datetime
    code_hash: str | None = None
    code_issued_at: datetime | None = None
    code_attempts: int = 0
    purge_deadline: datetime | None = None
    participants: tuple[str, ...] = ()
    completed: frozenset[str] = frozenset()

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
    ) -> DeletionRequest:
        """A new request; without a survey it waits for its code straight away."""
        status = Status.AWAITING_SURVEY if survey_required else Status.AWAITING_CODE
        return cls(request_id, account_id, status, channel, correlation_id, now)

    def survey_submitted(self) -> DeletionRequest:
        """The survey is answered; a code comes next."""
        return replace(self, status=transition(self.status, Status.AWAITING_CODE))

    def issue_code(self, code_hash: str, now: datetime) -> DeletionRequest:
        """Attach a fresh code (kept only as its hash) with a fresh count of tries."""
        if self.status is not Status.AWAITING_CODE:
            raise InvalidState(self.status, Status.AWAITING_CODE)
        return replace(self, code_hash=code_hash, code_issued_at=now, code_attempts=0)

    def confirm(
        self, *, matches: bool, now: datetime, policy: CodePolicy, grace: timedelta
    ) -> tuple[DeletionRequest, CodeCheck]:
        """Try a code; when accepted the purge is scheduled and the code is spent."""
        target = transition(self.status, Status.SCHEDULED)
        if self.code_issued_at is None or self.code_hash is None:
            raise InvalidState(self.status, target)
        check = check_code(
            issued_at=self.code_issued_at,
            attempts=self.code_attempts,
            matches=matches,
            now=now,
            policy=policy,
        )
        if check.verdict is not Verdict.ACCEPTED:
            return replace(self, code_attempts=check.attempts), check
        scheduled = replace(
            self, status=target, code_hash=None, code_issued_at=None, purge_deadline=now + grace
        )
        return scheduled, check

    def is_due(self, now: datetime) -> bool:
        """Whether the grace period is over and the purge should start."""
        return (
            self.status is Status.SCHEDULED
            and self.purge_deadline is not None
            and self.purge_deadline <= now
        )

    def start_purge(self, now: datetime, participants: tuple[str, ...]) -> DeletionRequest:
        """Ask ``participants`` to erase the account; only once the deadline has passed."""
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
        status: Status = self.status
        if completed >= set(self.participants):
            status = transition(self.status, Status.PURGED)
        return replace(self, completed=completed, status=status)

    def progress(self) -> dict[str, Progress]:
        """Each asked participant's answer so far: ``pending`` or ``completed``."""
        return {
            name: "completed" if name in self.completed else "pending" for name in self.participants
        }
