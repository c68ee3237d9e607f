"""Sign-up with address proof: the account exists at once, but until the code sent to its
address is entered it can do nothing but take that code or ask for a new one.

An unproven account cannot sign in (``address_unverified``, told only after the right password,
like ``deletion_pending``), so it can never start a deletion or change a setting, and it is sent
no code but its address proof: a password reset for it quietly sends nothing. Asking for a new
proof code answers the same whether or not such an account exists.
"""

from __future__ import annotations

from services.auth import guards, proof_store, signin_throttle, store
from services.auth.deps import Deps
from services.auth.domain import Account, InvalidInput, Registration, parse_login
from services.auth.handlers import register
from services.auth.policies import (
    CodeRejected,
    CodesSpent,
    NoActiveCode,
    ResendCooldown,
    SignUpsSpent,
)
from shared import rolling_limits
from shared.db import Transaction

__all__ = ["PURPOSE", "confirm_sign_up", "resend_proof", "sign_up"]

PURPOSE = "address_proof"


async def sign_up(
    deps: Deps, details: Registration, *, correlation_id: str, client: str | None = None
) -> str:
    """Create an unproven account for one address and send it the proof code.

    Raises :class:`SignUpsSpent` when ``client`` (the person's address) had its sign-ups.
    """
    if details.email is not None and details.phone is not None:
        # One code proves one address; the second is added in settings, proven there too.
        raise InvalidInput("phone", "sign up with one address; add the other in settings")
    if client is not None:
        await _reserve_sign_up(deps, client)

    async def hold(tx: Transaction, account: Account) -> None:
        await proof_store.mark_unproven(tx, account.account_id, deps.clock.now())
        await _send(deps, tx, account, correlation_id)

    return await register(deps, details, correlation_id=correlation_id, within=hold)


async def _reserve_sign_up(deps: Deps, client: str) -> None:
    # Counted before the account is made and kept whatever follows: a sign-up refused as
    # "taken" counts too, so one address can neither mail-bomb strangers with proof codes
    # nor probe many addresses for accounts through sign-up's answers.
    scope = "sign-up-address:" + signin_throttle.address_digest(deps, client)
    now = deps.clock.now()
    async with deps.db.transaction() as tx:
        try:
            await rolling_limits.ensure_room(tx, scope, deps.sign_ups, now)
        except rolling_limits.LimitReached as spent:
            raise SignUpsSpent(spent.retry_after) from None
        await rolling_limits.record(tx, scope, deps.sign_ups, now)


async def _send(deps: Deps, tx: Transaction, account: Account, correlation_id: str) -> None:
    # Same topic and key as the ContactDetailsChanged just enqueued, so the notifier knows
    # the address (and language) by the time it handles the code.
    issued = await guards.issue_code(deps, tx, account.account_id, PURPOSE)
    await guards.send_code(
        deps,
        tx,
        account_id=account.account_id,
        issued=issued,
        purpose="address_proof",
        channel="email" if account.email is not None else "sms",
        destination=None,
        correlation_id=correlation_id,
    )


async def _unproven_account(deps: Deps, login: str) -> Account | None:
    account = await store.find_by_identifier(
        deps.db, deps.vault, parse_login(login, deps.phone_region)
    )
    if account is None or not await proof_store.is_unproven(deps.db, account.account_id):
        return None
    return account


async def confirm_sign_up(deps: Deps, *, login: str, code: str) -> None:
    """Prove the address with ``code``; raise a :class:`CodeRejected` subclass if it is wrong.

    A login with no unproven account is refused like a wrong code, so this tells nobody
    which addresses have accounts.
    """
    account = await _unproven_account(deps, login)
    if account is None:
        raise NoActiveCode
    async with deps.db.transaction() as tx:
        outcome = await guards.redeem_code(deps, tx, account.account_id, PURPOSE, code)
        if not isinstance(outcome, CodeRejected):
            await proof_store.mark_proven(tx, account.account_id)
    if isinstance(outcome, CodeRejected):
        raise outcome


async def resend_proof(deps: Deps, *, login: str, correlation_id: str) -> None:
    """Send a new proof code if ``login`` is an unproven account; quietly nothing otherwise."""
    account = await _unproven_account(deps, login)
    if account is None:
        return
    async with deps.db.transaction() as tx:
        try:
            await _send(deps, tx, account, correlation_id)
        except (ResendCooldown, CodesSpent):
            # Quietly, as for password resets: a visible wait would confirm the account.
            return
