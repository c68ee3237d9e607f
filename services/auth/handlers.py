"""Auth's use cases, as plain async functions with their dependencies passed in."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from services.auth import store
from services.auth.domain import (
    Account,
    AccountNotFound,
    Identifier,
    IdentifierRetired,
    IdentifierTaken,
    InvalidCredentials,
    Registration,
    ensure_may_sign_in,
    identifier_digest,
    parse_login,
)
from services.auth.passwords import Passwords
from shared.clock import Clock
from shared.crypto import FieldCipher
from shared.db import Database, Transaction
from shared.events import (
    AccountPurged,
    AccountRegistered,
    CodeVerified,
    ContactDetailsChanged,
    new_event,
)
from shared.outbox import enqueue
from shared.participant import acknowledge_purge
from shared.tokens import AccessClaims, TokenIssuer
from shared.topics import Topics

__all__ = [
    "PARTICIPANT",
    "Deps",
    "IssuedToken",
    "account_of",
    "purge_account",
    "reauthenticate",
    "register",
    "schedule_deletion",
    "sign_in",
]

log = logging.getLogger(__name__)

PARTICIPANT = "auth"


@dataclass(frozen=True)
class Deps:
    """What auth's handlers need."""

    db: Database
    clock: Clock
    topics: Topics
    passwords: Passwords
    tokens: TokenIssuer
    notification_cipher: FieldCipher
    identifier_key: bytes
    phone_region: str


@dataclass(frozen=True)
class IssuedToken:
    """A freshly signed access token."""

    access_token: str
    expires_in: int


async def register(deps: Deps, details: Registration, *, correlation_id: str) -> str:
    """Create an account and announce it; return the new ``account_id``.

    The account row, AccountRegistered and the encrypted ContactDetailsChanged are committed
    together, so the notifier learns the address exactly when the account exists.
    """
    # Hashing is slow on purpose; do it before taking the database lock.
    password_hash = await deps.passwords.hash(details.password)
    account = Account(
        account_id=str(uuid.uuid4()),
        email=details.email,
        phone=details.phone,
        password_hash=password_hash,
        username=details.username,
        language=details.language,
        status="active",
        purge_deadline=None,
    )
    async with deps.db.transaction() as tx:
        await _ensure_available(deps, tx, details.identifiers())
        await store.insert_account(tx, account, deps.clock.now())
        await _announce(deps, tx, account, correlation_id)
    log.info("account registered", extra={"correlation_id": correlation_id})
    return account.account_id


async def _ensure_available(
    deps: Deps, tx: Transaction, identifiers: tuple[Identifier, ...]
) -> None:
    for identifier in identifiers:
        if await store.retired(tx, identifier_digest(deps.identifier_key, identifier)):
            raise IdentifierRetired(identifier.kind)
    for identifier in identifiers:
        if await store.identifier_in_use(tx, identifier):
            raise IdentifierTaken(identifier.kind)


async def _announce(deps: Deps, tx: Transaction, account: Account, correlation_id: str) -> None:
    def sealed(value: str | None) -> str | None:
        if value is None:
            return None
        return deps.notification_cipher.encrypt(value, context=account.account_id)

    account_id, now = account.account_id, deps.clock.now()
    registered = new_event(
        AccountRegistered,
        account_id=account_id,
        correlation_id=correlation_id,
        occurred_at=now,
        language=account.language,
    )
    contact = new_event(
        ContactDetailsChanged,
        account_id=account_id,
        correlation_id=correlation_id,
        occurred_at=now,
        language=account.language,
        email_enc=sealed(account.email),
        phone_enc=sealed(account.phone),
    )
    await enqueue(tx, deps.topics.auth_events, registered, deps.clock)
    await enqueue(tx, deps.topics.notifications, contact, deps.clock)


async def sign_in(deps: Deps, *, login: str, password: str) -> IssuedToken:
    """Check a password for an e-mail address or phone number and issue a token.

    The password is checked before the account's state is told, so a deletion in progress
    is revealed only to someone who knows the password.
    """
    identifier = parse_login(login, deps.phone_region)
    account = await store.find_by_identifier(deps.db, identifier)
    if account is None:
        raise AccountNotFound
    await _check_password(deps, account, password)
    ensure_may_sign_in(account)
    return _issue(deps, account.account_id, session_id=None)


async def reauthenticate(deps: Deps, claims: AccessClaims, *, password: str) -> IssuedToken:
    """Check the password again for a signed-in account; the new token's auth_time is now."""
    account = await store.find_account(deps.db, claims.account_id)
    if account is None:
        raise AccountNotFound
    await _check_password(deps, account, password)
    ensure_may_sign_in(account)
    return _issue(deps, account.account_id, session_id=claims.session_id)


async def account_of(deps: Deps, claims: AccessClaims) -> Account:
    """The bearer's own account."""
    account = await store.find_account(deps.db, claims.account_id)
    if account is None:
        raise AccountNotFound
    return account


async def _check_password(deps: Deps, account: Account, password: str) -> None:
    if not await deps.passwords.verify(account.password_hash, password):
        raise InvalidCredentials
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


async def purge_account(deps: Deps, tx: Transaction, event: AccountPurged) -> None:
    """Erase the account, keep digests of its identifiers, and confirm the purge."""
    account = await store.delete_account(tx, event.account_id)
    if account is not None:
        digests = [identifier_digest(deps.identifier_key, i) for i in account.identifiers()]
        await store.retire(tx, digests)
    else:
        log.info("AccountPurged for an account auth does not hold", extra=_ids(event))
    await acknowledge_purge(tx, event, PARTICIPANT, deps.topics, deps.clock)


def _ids(event: CodeVerified | AccountPurged) -> dict[str, str]:
    return {"event_id": str(event.event_id), "correlation_id": event.correlation_id}
