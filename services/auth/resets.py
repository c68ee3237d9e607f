"""Forgot password: a code to the account's own address, then a new password.

Neither step tells who has an account here. A reset asked for a login without an account
(or without an address on that channel, or not active) stores a stand-in code under a keyed
hash of the login: nothing is sent and no typed code matches it, but it has the same tries,
cooldown and rolling budgets as a real one, so ``attempts_left``, burning and 429s come out
the same. Both steps do the same work either way (one write transaction; confirm hashes the
new password with argon2 first), so their timings match too. What can still be learned is
in docs/security.md.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

from services.auth import guard_store, guards, proof_store, signin_throttle, store
from services.auth.deps import Deps
from services.auth.domain import Account, Identifier, check_password, parse_login
from services.auth.policies import CodeRejected, CodesSpent, NoActiveCode, ResendCooldown
from services.auth.sessions import revoke_sessions
from shared import rolling_limits
from shared.crypto import keyed_hash
from shared.events import Channel

__all__ = ["PURPOSE", "confirm_reset", "prune", "request_reset"]

log = logging.getLogger(__name__)

PURPOSE = "password_reset"


def _holder(deps: Deps, account: Account | None, identifier: Identifier) -> str:
    """Whose code this is: the account, or the login's stand-in (a keyed hash, no person)."""
    if account is not None:
        return account.account_id
    return "login:" + keyed_hash(deps.identifier_key, "reset-login", identifier.value)


async def request_reset(deps: Deps, *, login: str, channel: Channel, correlation_id: str) -> None:
    """Send a reset code if there is an active account with an address on ``channel``."""
    identifier = parse_login(login, deps.phone_region)
    account = await store.find_by_identifier(deps.db, deps.vault, identifier)
    address = None if account is None else (account.email if channel == "email" else account.phone)
    deliverable = (
        account is not None
        and address is not None
        and account.status == "active"
        # An account whose address is not proven yet gets no code but its proof.
        and not await proof_store.is_unproven(deps.db, account.account_id)
    )
    holder = _holder(deps, account, identifier)
    async with deps.db.transaction() as tx:
        try:
            issued = await guards.issue_code(deps, tx, holder, PURPOSE, deliverable=deliverable)
        except (ResendCooldown, CodesSpent):
            # Quietly: a visible cooldown or limit would confirm the account exists.
            return
        if account is None or not deliverable:
            log.info(
                "password reset with nothing to send", extra={"correlation_id": correlation_id}
            )
            return
        await guards.send_code(
            deps,
            tx,
            account_id=account.account_id,
            issued=issued,
            purpose="password_reset",
            channel=channel,
            destination=None,
            correlation_id=correlation_id,
        )


async def confirm_reset(
    deps: Deps, *, login: str, code: str, new_password: str, correlation_id: str
) -> None:
    """Set a new password if ``code`` is the waiting one; every session ends.

    Raises a :class:`CodeRejected` subclass when the code is not accepted.
    """
    check_password(new_password, "new_password")
    identifier = parse_login(login, deps.phone_region)
    account = await store.find_by_identifier(deps.db, deps.vault, identifier)
    # Hashed before looking at the code, so an unknown login costs the same time.
    new_hash = await deps.passwords.hash(new_password)
    async with deps.db.transaction() as tx:
        outcome = await guards.redeem_code(
            deps, tx, _holder(deps, account, identifier), PURPOSE, code
        )
        if account is not None and not isinstance(outcome, CodeRejected):
            await store.update_account(tx, deps.vault, replace(account, password_hash=new_hash))
            await signin_throttle.forget_account(tx, account.account_id)
            await revoke_sessions(
                deps, tx, account.account_id, "password_reset", correlation_id=correlation_id
            )
    if isinstance(outcome, CodeRejected):
        raise outcome
    if account is None:
        raise NoActiveCode  # unreachable: a stand-in matches no code


async def prune(deps: Deps) -> int:
    """Housekeeping: drop counts older than the rolling window, and codes (stand-ins for
    unknown logins above all) that expired a day ago; return how many rows went."""
    now = deps.clock.now()
    window = max(deps.wrong_codes.window_seconds, deps.new_codes.window_seconds)
    dropped = await rolling_limits.prune(deps.db, now, window)
    return dropped + await guard_store.prune_expired_codes(deps.db, now - timedelta(days=1))
