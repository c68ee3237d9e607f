"""Rules for failed sign-ins and one-time codes, decided from stored facts and the time; no I/O.

Throttling: a scope (one account, or one client address) may fail ``slow_after`` times freely;
after that each further attempt must wait twice as long as the previous one, and from
``lock_after`` failures the scope is locked for ``lock_seconds``. Failures older than
``forget_after_seconds`` no longer count.

One-time codes (password reset, new e-mail or phone): valid for ``ttl_seconds``, single use,
``max_attempts`` wrong tries burn the code, and a new one is sent at most every
``resend_cooldown_seconds``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = [
    "CodeBurned",
    "CodeExpired",
    "CodePolicy",
    "CodeRejected",
    "CodesSpent",
    "GuessesSpent",
    "NoActiveCode",
    "Notifications",
    "ResendCooldown",
    "SignUpsSpent",
    "StoredCode",
    "ThrottlePolicy",
    "TooManyAttempts",
    "WrongCode",
    "check_code_attempt",
    "cooldown_left",
    "current_failures",
    "retry_after",
]


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many failures a scope may have before it is slowed down, then locked."""

    slow_after: int = 3
    lock_after: int = 10
    lock_seconds: int = 900
    forget_after_seconds: int = 3600


class TooManyAttempts(Exception):
    """Sign-in refused without checking the password; try again in ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


def current_failures(
    policy: ThrottlePolicy, failures: int, last_failure: datetime | None, now: datetime
) -> int:
    """The failures that still count at ``now``."""
    if last_failure is None:
        return 0
    if now - last_failure >= timedelta(seconds=policy.forget_after_seconds):
        return 0
    return failures


def retry_after(
    policy: ThrottlePolicy, failures: int, last_failure: datetime | None, now: datetime
) -> int:
    """Seconds until the scope may try again; 0 means now."""
    counted = current_failures(policy, failures, last_failure, now)
    if last_failure is None or counted < policy.slow_after:
        return 0
    if counted >= policy.lock_after:
        wait = policy.lock_seconds
    else:
        wait = min(2 ** (counted - policy.slow_after), policy.lock_seconds)
    remaining = (last_failure + timedelta(seconds=wait) - now).total_seconds()
    return max(0, math.ceil(remaining))


@dataclass(frozen=True)
class CodePolicy:
    """Lifetime, tries and resend pace of one-time codes."""

    ttl_seconds: int = 600
    max_attempts: int = 5
    resend_cooldown_seconds: int = 60

    @property
    def valid_minutes(self) -> int:
        """The lifetime as the message tells it."""
        return max(1, self.ttl_seconds // 60)


@dataclass(frozen=True)
class StoredCode:
    """An issued, not yet used code, as kept (hash only)."""

    account_id: str
    purpose: str
    code_id: str
    code_hash: str
    sent_at: datetime
    expires_at: datetime
    attempts_left: int
    # The new e-mail address or phone number a contact-change code confirms, encrypted.
    pending_enc: str | None


class CodeRejected(Exception):
    """A typed code was not accepted."""


class NoActiveCode(CodeRejected):
    """No code is waiting (never sent, used, or burned)."""


class WrongCode(CodeRejected):
    """The code does not match; ``attempts_left`` more tries."""

    def __init__(self, attempts_left: int) -> None:
        super().__init__(f"{attempts_left} attempts left")
        self.attempts_left = attempts_left


class CodeExpired(CodeRejected):
    """The code's lifetime is over."""


class CodeBurned(CodeRejected):
    """Too many wrong tries; the code no longer works."""


class GuessesSpent(CodeRejected):
    """The account had its wrong codes of this kind for the rolling window; the code is not
    even compared. ``retry_after`` seconds until one more guess is judged."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


class CodesSpent(Exception):
    """The account had its new codes of this kind for the rolling window."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


class SignUpsSpent(Exception):
    """One client address had its sign-ups for the rolling window."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


class ResendCooldown(Exception):
    """A code was sent moments ago; ``retry_after`` seconds until the next."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


def check_code_attempt(code: StoredCode | None, *, matches: bool, now: datetime) -> StoredCode:
    """Raise the reason a typed code is refused; return the code if it is right.

    The caller removes the code on success, on expiry and when the last try is used, and
    otherwise stores ``attempts_left - 1``.
    """
    if code is None or code.attempts_left <= 0:
        raise NoActiveCode
    if now >= code.expires_at:
        raise CodeExpired
    if matches:
        return code
    left = code.attempts_left - 1
    if left <= 0:
        raise CodeBurned
    raise WrongCode(left)


def cooldown_left(policy: CodePolicy, code: StoredCode | None, now: datetime) -> int:
    """Seconds until another code may be sent; 0 means now."""
    if code is None:
        return 0
    ready = code.sent_at + timedelta(seconds=policy.resend_cooldown_seconds)
    return max(0, math.ceil((ready - now).total_seconds()))


@dataclass(frozen=True)
class Notifications:
    """What the person wants to hear about; turning things off is the 'take a break' option."""

    email: bool = True
    sms: bool = True
    push: bool = True
    marketing: bool = False
    ads: bool = False
