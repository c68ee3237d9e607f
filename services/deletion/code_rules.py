"""The confirmation-code rules: validity, wrong tries, re-sending. No I/O; time is passed in.

A code is valid ``ttl_seconds`` after it was issued (by the injected clock, never by a store's
TTL alone), works once, and burns after ``max_attempts`` wrong tries. A new code may be asked
for ``resend_cooldown_seconds`` after the previous one, and at most ``max_codes`` per request:
so a request allows at most ``max_codes * max_attempts`` guesses in all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

__all__ = [
    "CodeCheck",
    "CodeExpired",
    "CodePolicy",
    "CodeRejected",
    "CodeUndelivered",
    "ResendCooldown",
    "ResendRefused",
    "TooManyAttempts",
    "TooManyCodes",
    "Verdict",
    "WrongCode",
    "check_code",
    "check_resend",
]


class CodeRejected(Exception):
    """A typed confirmation code was not accepted."""


class WrongCode(CodeRejected):
    """The code does not match; ``attempts_left`` more tries remain."""

    def __init__(self, attempts_left: int) -> None:
        super().__init__("the code does not match")
        self.attempts_left = attempts_left


class CodeExpired(CodeRejected):
    """The code's validity ended."""


class CodeUndelivered(CodeRejected):
    """The notifier could not deliver the current code: nobody can have read it, so it takes
    no tries (a guesser would otherwise have the whole budget while the owner has nothing)."""


class TooManyAttempts(CodeRejected):
    """Too many wrong tries; the code is burnt."""


class ResendRefused(Exception):
    """A new code may not be sent now."""


class ResendCooldown(ResendRefused):
    """The previous code is too recent; ask again in ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"a new code may be sent in {retry_after} s")
        self.retry_after = retry_after


class TooManyCodes(ResendRefused):
    """This request has had all the codes it may have."""


class Verdict(StrEnum):
    """The outcome of one try at a code."""

    ACCEPTED = "accepted"
    WRONG = "wrong"
    EXPIRED = "expired"
    EXHAUSTED = "exhausted"


@dataclass(frozen=True)
class CodePolicy:
    """How long a code lives, how many wrong tries burn it, and how often a new one is sent."""

    ttl_seconds: int
    max_attempts: int
    resend_cooldown_seconds: int = 60
    max_codes: int = 5

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


def check_resend(
    *, last_issued_at: datetime | None, codes_sent: int, now: datetime, policy: CodePolicy
) -> None:
    """Raise unless a new code may be sent now: the count first, then the cooldown."""
    if codes_sent >= policy.max_codes:
        raise TooManyCodes("no more codes for this request")
    if last_issued_at is None:
        return
    ready_at = last_issued_at + timedelta(seconds=policy.resend_cooldown_seconds)
    if now < ready_at:
        raise ResendCooldown(max(1, math.ceil((ready_at - now).total_seconds())))
