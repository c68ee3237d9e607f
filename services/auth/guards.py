"""One-time codes, as steps the use cases call (sign-in throttling: ``signin_throttle``).

A step that must be remembered even when the use case then fails (a wrong code) returns the
refusal instead of raising it, so the rollback of the failing use case cannot undo the count.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from services.auth import guard_store
from services.auth.policies import (
    CodeBurned,
    CodeExpired,
    CodeRejected,
    CodesSpent,
    GuessesSpent,
    ResendCooldown,
    StoredCode,
    WrongCode,
    check_code_attempt,
    cooldown_left,
)
from shared import rolling_limits
from shared.db import Transaction
from shared.events import Channel, CodeDeliveryRequested, CodePurpose, new_event
from shared.recipient_keys import enqueue_sealed

if TYPE_CHECKING:
    from services.auth.deps import Deps

__all__ = [
    "budget_scope",
    "issue_code",
    "redeem_code",
    "send_code",
]


def budget_scope(holder: str, purpose: str) -> str:
    """The scope of one kind of code's rolling budgets for an account (or a login's stand-in).

    Each kind has its own budget, so spending the password-reset codes (which needs only the
    login) cannot stop the signed-in owner from changing their e-mail address.
    """
    return f"{holder}|{purpose}"


async def issue_code(
    deps: Deps,
    tx: Transaction,
    account_id: str,
    purpose: str,
    *,
    pending_enc: str | None = None,
    deliverable: bool = True,
) -> tuple[str, str]:
    """Store a new code (hash only) and return ``(notification_id, code)``.

    ``deliverable=False`` stores a stand-in that no typed code matches, counted and timed like
    a real one (a reset for a login without an account, so the answers cannot tell).

    Raises :class:`ResendCooldown` if the previous code of this purpose is too recent, and
    :class:`CodesSpent` when the account had its codes of this purpose for the window.
    """
    now = deps.clock.now()
    wait = cooldown_left(deps.codes, await guard_store.find_code(tx, account_id, purpose), now)
    if wait > 0:
        raise ResendCooldown(wait)
    scope = budget_scope(account_id, purpose)
    try:
        await rolling_limits.ensure_room(tx, scope, deps.new_codes, now)
    except rolling_limits.LimitReached as spent:
        raise CodesSpent(spent.retry_after) from None
    await rolling_limits.record(tx, scope, deps.new_codes, now)
    code, code_id = deps.new_code(), deps.new_id()
    code_hash = deps.code_hasher.hash(code_id, code)
    stored = StoredCode(
        account_id=account_id,
        purpose=purpose,
        code_id=code_id,
        # An empty hash: compare_digest of any typed code's hash against it is False.
        code_hash=code_hash if deliverable else "",
        sent_at=now,
        expires_at=now + timedelta(seconds=deps.codes.ttl_seconds),
        attempts_left=deps.codes.max_attempts,
        pending_enc=pending_enc,
    )
    await guard_store.put_code(tx, stored)
    return code_id, code


async def send_code(
    deps: Deps,
    tx: Transaction,
    *,
    account_id: str,
    issued: tuple[str, str],
    purpose: CodePurpose,
    channel: Channel,
    destination: str | None,
    correlation_id: str,
) -> None:
    """Ask the notifier to deliver the code (to ``destination``, a new address, if given).

    Code and address travel sealed to the account's notification key.
    """
    notification_id, code = issued
    event = new_event(
        CodeDeliveryRequested,
        account_id=account_id,
        correlation_id=correlation_id,
        occurred_at=deps.clock.now(),
        notification_id=notification_id,
        purpose=purpose,
        channel=channel,
        code_enc="",
        valid_minutes=deps.codes.valid_minutes,
    )
    fields = {"code_enc": code, "destination_enc": destination}
    await enqueue_sealed(tx, deps.sealer, deps.topics.notifications, event, fields)


async def redeem_code(
    deps: Deps, tx: Transaction, account_id: str, purpose: str, typed: str
) -> StoredCode | CodeRejected:
    """Use the waiting code if ``typed`` is it; else count the try and return the refusal.

    The refusal is returned, not raised, so the caller's transaction commits the count. A
    wrong try also counts against the account's wrong codes of this purpose per rolling
    window; past that budget the code is not compared (:class:`GuessesSpent`).
    """
    now, scope = deps.clock.now(), budget_scope(account_id, purpose)
    wait = await rolling_limits.wait_seconds(tx, scope, deps.wrong_codes, now)
    if wait > 0:
        return GuessesSpent(wait)
    stored = await guard_store.find_code(tx, account_id, purpose)
    matches = stored is not None and deps.code_hasher.matches(
        stored.code_id, typed, stored.code_hash
    )
    try:
        accepted = check_code_attempt(stored, matches=matches, now=now)
    except WrongCode as refusal:
        await guard_store.spend_attempt(tx, account_id, purpose)
        await rolling_limits.record(tx, scope, deps.wrong_codes, now)
        return refusal
    except CodeBurned as refusal:
        await guard_store.delete_code(tx, account_id, purpose)
        await rolling_limits.record(tx, scope, deps.wrong_codes, now)
        return refusal
    except CodeExpired as refusal:
        await guard_store.delete_code(tx, account_id, purpose)
        return refusal
    except CodeRejected as refusal:
        return refusal
    await guard_store.delete_code(tx, account_id, purpose)
    return accepted
