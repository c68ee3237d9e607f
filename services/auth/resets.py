"""Forgot password: a code to the account's own address, then a new password.

Asking for a code answers the same whether or not the account exists, and so does a wrong
code for a login without an account, so neither step tells who has an account here.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from services.auth import guard_store, guards, proof_store, store
from services.auth.deps import Deps
from services.auth.domain import check_password, parse_login
from services.auth.policies import CodeRejected, NoActiveCode, ResendCooldown
from services.auth.sessions import revoke_sessions
from shared.events import Channel

__all__ = ["PURPOSE", "confirm_reset", "request_reset"]

log = logging.getLogger(__name__)

PURPOSE = "password_reset"


async def request_reset(deps: Deps, *, login: str, channel: Channel, correlation_id: str) -> None:
    """Send a reset code if there is an active account with an address on ``channel``."""
    identifier = parse_login(login, deps.phone_region)
    account = await store.find_by_identifier(deps.db, deps.vault, identifier)
    address = None if account is None else (account.email if channel == "email" else account.phone)
    usable = account is not None and not await proof_store.is_unproven(deps.db, account.account_id)
    if account is None or address is None or account.status != "active" or not usable:
        log.info(
            "password reset asked for nothing to reset", extra={"correlation_id": correlation_id}
        )
        return
    async with deps.db.transaction() as tx:
        try:
            issued = await guards.issue_code(deps, tx, account.account_id, PURPOSE)
        except ResendCooldown:
            # Quietly: a visible cooldown would confirm the account exists.
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
    if account is None:
        raise NoActiveCode
    async with deps.db.transaction() as tx:
        outcome = await guards.redeem_code(deps, tx, account.account_id, PURPOSE, code)
        if not isinstance(outcome, CodeRejected):
            await store.update_account(tx, deps.vault, replace(account, password_hash=new_hash))
            await guard_store.forget_failures(tx, guards.account_scope(deps, account.account_id)[0])
            await revoke_sessions(
                deps, tx, account.account_id, "password_reset", correlation_id=correlation_id
            )
    if isinstance(outcome, CodeRejected):
        raise outcome
