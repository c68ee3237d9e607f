"""Sign-in throttling and one-time codes, as steps the use cases call.

Every step that must be remembered even when the use case then fails (a failed sign-in, a
wrong code) runs in its own committed transaction, or returns the refusal instead of raising
it, so the rollback of the failing use case cannot undo the count.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from services.auth import guard_store
from services.auth.policies import (
    CodeBurned,
    CodeExpired,
    CodeRejected,
    ResendCooldown,
    StoredCode,
    ThrottlePolicy,
    TooManyAttempts,
    WrongCode,
    check_code_attempt,
    cooldown_left,
    current_failures,
    retry_after,
)
from shared.crypto import keyed_hash
from shared.db import Transaction
from shared.events import Channel, CodeDeliveryRequested, CodePurpose, new_event
from shared.recipient_keys import enqueue_sealed

if TYPE_CHECKING:
    from services.auth.deps import Deps

__all__ = [
    "Scope",
    "account_scope",
    "address_scope",
    "ensure_allowed",
    "issue_code",
    "login_scope",
    "note_failure",
    "note_success",
    "redeem_code",
    "send_code",
]

Scope = tuple[str, ThrottlePolicy]


def account_scope(deps: Deps, account_id: str) -> Scope:
    """Failures of one account, whichever identifier was typed."""
    return f"account:{account_id}", deps.account_throttle


def login_scope(deps: Deps, login: str) -> Scope:
    """Failures for a login that has no account (kept as a keyed hash)."""
    return (
        f"login:{keyed_hash(deps.identifier_key, 'throttle-login', login)}",
        deps.account_throttle,
    )


def address_scope(deps: Deps, host: str) -> Scope:
    """Failures from one client address (kept as a keyed hash: an address is personal data)."""
    digest = keyed_hash(deps.identifier_key, "throttle-address", host)
    return f"address:{digest}", deps.address_throttle


async def ensure_allowed(deps: Deps, scopes: Sequence[Scope]) -> None:
    """Raise :class:`TooManyAttempts` if any scope must still wait."""
    now, wait = deps.clock.now(), 0
    async with deps.db.transaction() as tx:
        for scope, policy in scopes:
            failures, last = await guard_store.failure_record(tx, scope)
            wait = max(wait, retry_after(policy, failures, last, now))
    if wait > 0:
        raise TooManyAttempts(wait)


async def note_failure(deps: Deps, scopes: Sequence[Scope]) -> None:
    """Count one failed attempt against every scope (committed at once)."""
    now = deps.clock.now()
    async with deps.db.transaction() as tx:
        for scope, policy in scopes:
            failures, last = await guard_store.failure_record(tx, scope)
            counted = current_failures(policy, failures, last, now)
            await guard_store.record_failure(tx, scope, counted + 1, now)


async def note_success(deps: Deps, tx: Transaction, account_id: str) -> None:
    """The account proved its password: its own failures are forgiven (not the address's)."""
    await guard_store.forget_failures(tx, account_scope(deps, account_id)[0])


async def issue_code(
    deps: Deps, tx: Transaction, account_id: str, purpose: str, *, pending_enc: str | None = None
) -> tuple[str, str]:
    """Store a new code (hash only) and return ``(notification_id, code)``.

    Raises :class:`ResendCooldown` if the previous code of this purpose is too recent.
    """
    now = deps.clock.now()
    wait = cooldown_left(deps.codes, await guard_store.find_code(tx, account_id, purpose), now)
    if wait > 0:
        raise ResendCooldown(wait)
    code, code_id = deps.new_code(), deps.new_id()
    stored = StoredCode(
        account_id=account_id,
        purpose=purpose,
        code_id=code_id,
        code_hash=deps.code_hasher.hash(code_id, code),
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

    The refusal is returned, not raised, so the caller's transaction commits the count.
    """
    stored = await guard_store.find_code(tx, account_id, purpose)
    matches = stored is not None and deps.code_hasher.matches(
        stored.code_id, typed, stored.code_hash
    )
    try:
        accepted = check_code_attempt(stored, matches=matches, now=deps.clock.now())
    except WrongCode as refusal:
        await guard_store.spend_attempt(tx, account_id, purpose)
        return refusal
    except (CodeExpired, CodeBurned) as refusal:
        await guard_store.delete_code(tx, account_id, purpose)
        return refusal
    except CodeRejected as refusal:
        return refusal
    await guard_store.delete_code(tx, account_id, purpose)
    return accepted
