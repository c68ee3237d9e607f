"""Auth's use cases, as plain async functions with their dependencies passed in.

Ending sessions (revocation, logout) is in :mod:`services.auth.sessions`; its names are
re-exported here for the callers that import them from this module.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from services.auth import guard_store, proof_store, signin_throttle, store
from services.auth.deps import Deps
from services.auth.domain import (
    Account,
    AccountNotFound,
    AddressUnproven,
    Identifier,
    IdentifierRetired,
    IdentifierTaken,
    InvalidCredentials,
    Registration,
    ensure_may_sign_in,
    identifier_digest,
    parse_login,
)
from services.auth.sessions import logout, revoke_sessions
from shared import rolling_limits
from shared.db import Transaction
from shared.events import (
    AccountPurged,
    AccountRegistered,
    CodeVerified,
    ContactDetailsChanged,
    new_event,
)
from shared.outbox import enqueue
from shared.participant import acknowledge_purge
from shared.recipient_keys import enqueue_sealed, forget_recipient
from shared.tokens import AccessClaims

__all__ = [
    "PARTICIPANT",
    "Deps",
    "IssuedToken",
    "UsernameTaken",
    "account_of",
    "announce_contact",
    "ensure_available",
    "logout",
    "purge_account",
    "reauthenticate",
    "register",
    "revoke_sessions",
    "schedule_deletion",
    "sign_in",
    "verify_password",
]

log = logging.getLogger(__name__)

PARTICIPANT = "auth"
# Every kind of one-time code auth issues; each has its own rolling budgets per account.
CODE_PURPOSES = ("password_reset", "email_change", "phone_change")


class UsernameTaken(Exception):
    """Another account already has this username."""


@dataclass(frozen=True)
class IssuedToken:
    """A freshly signed access token."""

    access_token: str
    expires_in: int


async def register(
    deps: Deps,
    details: Registration,
    *,
    correlation_id: str,
    within: Callable[[Transaction, Account], Awaitable[None]] | None = None,
) -> str:
    """Create an account and announce it; return the new ``account_id``.

    The account row, AccountRegistered and the encrypted ContactDetailsChanged are committed
    together, so the notifier learns the address exactly when the account exists; ``within``
    adds its own steps to that transaction (sign-up's proof code).
    """
    # Hashing is slow on purpose; do it before taking the database lock.
    password_hash = await deps.passwords.hash(details.password)
    account = Account(
        account_id=deps.new_id(),
        email=details.email,
        phone=details.phone,
        password_hash=password_hash,
        username=details.username,
        language=details.language,
        status="active",
        purge_deadline=None,
    )
    async with deps.db.transaction() as tx:
        await ensure_available(deps, tx, details.identifiers())
        if details.username and await store.username_taken(tx, details.username, ""):
            raise UsernameTaken
        await store.insert_account(tx, deps.vault, account, deps.clock.now())
        await _announce(deps, tx, account, correlation_id)
        if within is not None:
            await within(tx, account)
    log.info("account registered", extra={"correlation_id": correlation_id})
    return account.account_id


async def ensure_available(
    deps: Deps, tx: Transaction, identifiers: tuple[Identifier, ...]
) -> None:
    """Raise unless every identifier is free: neither retired nor used by an account."""
    for identifier in identifiers:
        if await store.retired(tx, identifier_digest(deps.identifier_key, identifier)):
            raise IdentifierRetired(identifier.kind)
    for identifier in identifiers:
        if await store.identifier_in_use(tx, deps.vault, identifier):
            raise IdentifierTaken(identifier.kind)


async def _announce(deps: Deps, tx: Transaction, account: Account, correlation_id: str) -> None:
    registered = new_event(
        AccountRegistered,
        account_id=account.account_id,
        correlation_id=correlation_id,
        occurred_at=deps.clock.now(),
        language=account.language,
    )
    await enqueue(tx, deps.topics.auth_events, registered, deps.clock)
    await announce_contact(deps, tx, account, None, correlation_id)


async def announce_contact(
    deps: Deps, tx: Transaction, account: Account, time_zone: str | None, correlation_id: str
) -> None:
    """Tell the notifier the account's addresses (sealed to its key), language and time zone."""
    contact = new_event(
        ContactDetailsChanged,
        account_id=account.account_id,
        correlation_id=correlation_id,
        occurred_at=deps.clock.now(),
        language=account.language,
        time_zone=time_zone,
    )
    fields = {"email_enc": account.email, "phone_enc": account.phone}
    await enqueue_sealed(tx, deps.sealer, deps.topics.notifications, contact, fields)


async def sign_in(
    deps: Deps, *, login: str, password: str, client: str | None = None
) -> IssuedToken:
    """Check a password for an e-mail address or phone number and issue a token.

    Failures are throttled per account from this address, per account from every address and
    per address (:mod:`services.auth.signin_throttle`). The password is checked before the
    account's state is told, so a deletion in progress is revealed only to someone who knows
    the password.
    """
    identifier = parse_login(login, deps.phone_region)
    account = await store.find_by_identifier(deps.db, deps.vault, identifier)
    if account is None:
        scopes = signin_throttle.login_scope(deps, identifier.value, client)
        # The 404 tells anyway (the seed asks for it), so then only the address pays.
        reserved = await signin_throttle.reserve(
            deps, scopes if deps.hide_unknown_accounts else scopes[1:]
        )
        # As long as a wrong password would take, so timing tells no more than the answer.
        await deps.passwords.verify_decoy(password)
        await signin_throttle.settle_wrong(deps, reserved)
        raise InvalidCredentials if deps.hide_unknown_accounts else AccountNotFound
    await verify_password(deps, account, password, client)
    ensure_may_sign_in(account)
    if await proof_store.is_unproven(deps.db, account.account_id):
        raise AddressUnproven  # after the password, so only its owner learns the state
    return _issue(deps, account.account_id, session_id=None)


async def reauthenticate(deps: Deps, claims: AccessClaims, *, password: str) -> IssuedToken:
    """Check the password again for a signed-in account; the new token's auth_time is now."""
    account = await account_of(deps, claims)
    await verify_password(deps, account, password)
    ensure_may_sign_in(account)
    return _issue(deps, account.account_id, session_id=claims.session_id)


async def account_of(deps: Deps, claims: AccessClaims) -> Account:
    """The bearer's own account."""
    account = await store.find_account(deps.db, deps.vault, claims.account_id)
    if account is None:
        raise AccountNotFound
    return account


async def verify_password(
    deps: Deps, account: Account, password: str, client: str | None = None
) -> None:
    """Check ``password`` within the account's budgets (from ``client``); raise if wrong.

    The attempt is reserved before argon2 runs, so parallel guesses are counted before any
    of them is checked.
    """
    scopes = signin_throttle.account_scopes(deps, account.account_id, client)
    reserved = await signin_throttle.reserve(deps, scopes)
    if not await deps.passwords.verify(account.password_hash, password):
        await signin_throttle.settle_wrong(deps, reserved)
        raise InvalidCredentials
    async with deps.db.transaction() as tx:
        await signin_throttle.settle_right(deps, tx, reserved)
    if deps.passwords.needs_rehash(account.password_hash):
        # The only moment the clear password is at hand to upgrade an old hash.
        rehashed = await deps.passwords.hash(password)
        await store.update_password_hash(deps.db, account.account_id, rehashed)


def _issue(deps: Deps, account_id: str, *, session_id: str | None) -> IssuedToken:
    token = deps.tokens.issue(account_id, session_id=session_id, authenticated_at=deps.clock.now())
    return IssuedToken(access_token=token, expires_in=deps.tokens.lifetime_seconds)


async def schedule_deletion(deps: Deps, tx: Transaction, event: CodeVerified) -> None:
    """The person confirmed deletion: no more sign-ins until the purge."""
    found = await store.mark_deletion_pending(tx, event.account_id, event.payload.purge_deadline)
    if not found:
        # Unknown or already purged: nothing here to lock, and nothing will ever be.
        log.info("CodeVerified for an account auth does not hold", extra=_ids(event))
        return
    await revoke_sessions(
        deps, tx, event.account_id, "deletion_confirmed", correlation_id=event.correlation_id
    )


async def purge_account(deps: Deps, tx: Transaction, event: AccountPurged) -> None:
    """Erase the account, its codes and picture, keep digests of its identifiers, confirm."""
    picture = (await store.find_profile(tx, event.account_id)).picture
    await guard_store.delete_codes_of(tx, event.account_id)
    for purpose in CODE_PURPOSES:
        await rolling_limits.forget(tx, f"{event.account_id}|{purpose}")
    await signin_throttle.forget_account(tx, event.account_id)
    # Its profile row cascades; the clear identifiers come back only for the retired digests.
    account = await store.delete_account(tx, deps.vault, event.account_id)
    if account is not None:
        digests = [identifier_digest(deps.identifier_key, i) for i in account.identifiers()]
        await store.retire(tx, digests)
        await revoke_sessions(
            deps, tx, event.account_id, "purged", correlation_id=event.correlation_id
        )
    else:
        log.info("AccountPurged for an account auth does not hold", extra=_ids(event))
    await forget_recipient(tx, event.account_id)
    await acknowledge_purge(tx, event, PARTICIPANT, deps.topics, deps.clock)
    # After the rows: if this transaction rolls back, the retry finds no file and still erases.
    deps.pictures.delete(picture)


def _ids(event: CodeVerified | AccountPurged) -> dict[str, str]:
    return {"event_id": str(event.event_id), "correlation_id": event.correlation_id}
