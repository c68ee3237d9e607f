"""Sign-in throttling: which budgets a password check spends, reserved before the check.

An attempt is *reserved* — counted as a failure in the same write transaction that decides it
may go ahead — before argon2 runs, so parallel guesses cannot all pass one check and only then
be counted (the race the earlier check-then-count had). A right password gives the
reservation back.

A reservation is also remembered as such until its check ends (:func:`settle_wrong`,
:func:`settle_right`). One whose check never ends (auth killed during argon2) lapses after
:data:`RESERVATION_LAPSE_SECONDS`: the next attempt on that budget gives it back, so a crash
does not leave people counted for attempts they never got an answer to. A check that ends
after its reservation lapsed still counts: a wrong password is counted again then.

Budgets, each a :class:`ThrottlePolicy`:

- the account from one client address (``pair``): the tight one, so a guesser locks out only
  their own address for that account, never the account's owner signing in from elsewhere;
- the account from every address together (``any``): loose, against guessing spread over
  many addresses;
- one client address over every account: against one address trying many accounts;
- a signed-in password check (re-authentication, password change) has no client address
  and spends the account's own budget.

Scopes are opaque account ids or keyed hashes of logins and addresses: nothing here names
a person or an address.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from services.auth import guard_store
from services.auth.policies import ThrottlePolicy, TooManyAttempts, current_failures, retry_after
from shared.crypto import keyed_hash
from shared.db import Transaction

if TYPE_CHECKING:
    from services.auth.deps import Deps

__all__ = [
    "RESERVATION_LAPSE_SECONDS",
    "Reservation",
    "Scope",
    "account_scopes",
    "address_digest",
    "address_scope",
    "forget_account",
    "login_scope",
    "reserve",
    "settle_right",
    "settle_wrong",
]

Scope = tuple[str, ThrottlePolicy]

# Longer than any password check takes, even queued behind others on a starved machine (the
# fault suite saw 57 s for a whole sign-in at a load average of 90).
RESERVATION_LAPSE_SECONDS = 300


@dataclass(frozen=True)
class Reservation:
    """One attempt counted against ``scopes`` until its check ends."""

    reservation_id: str
    scopes: tuple[Scope, ...]


def address_digest(deps: Deps, host: str) -> str:
    """A client address as a keyed hash (an address is personal data), for any budget."""
    return keyed_hash(deps.identifier_key, "throttle-address", host)


def address_scope(deps: Deps, host: str) -> Scope:
    """Failures from one client address, whatever the account."""
    return f"address:{address_digest(deps, host)}", deps.address_throttle


def account_scopes(deps: Deps, account_id: str, client: str | None) -> list[Scope]:
    """The budgets one password check of ``account_id`` from ``client`` spends."""
    if client is None:
        return [(f"account:{account_id}", deps.account_throttle)]
    return [
        (f"account:{account_id}|address:{address_digest(deps, client)}", deps.account_throttle),
        (f"account:{account_id}|any", deps.account_any_throttle),
        address_scope(deps, client),
    ]


def login_scope(deps: Deps, login: str, client: str | None) -> list[Scope]:
    """The budgets for a login that has no account (the login kept as a keyed hash)."""
    digest = keyed_hash(deps.identifier_key, "throttle-login", login)
    scopes: list[Scope] = [(f"login:{digest}", deps.account_throttle)]
    return scopes + ([address_scope(deps, client)] if client else [])


async def reserve(deps: Deps, scopes: Sequence[Scope]) -> Reservation:
    """Count one attempt against every scope now; raise :class:`TooManyAttempts` instead if
    any scope must still wait (then nothing is counted).

    The check and the count are one ``BEGIN IMMEDIATE`` transaction, so two concurrent
    attempts are decided one after the other, each seeing the other's count. Reservations of
    these scopes that lapsed are given back first.
    """
    now = deps.clock.now()
    lapsed_before = now - timedelta(seconds=RESERVATION_LAPSE_SECONDS)
    async with deps.db.transaction() as tx:
        wait, counted = 0, []
        for scope, policy in scopes:
            await guard_store.lapse_reservations(tx, scope, lapsed_before)
            failures, last = await guard_store.failure_record(tx, scope)
            wait = max(wait, retry_after(policy, failures, last, now))
            counted.append((scope, current_failures(policy, failures, last, now)))
        if wait > 0:
            raise TooManyAttempts(wait)
        for scope, failures in counted:
            await guard_store.record_failure(tx, scope, failures + 1, now)
        reservation = Reservation(str(uuid.uuid4()), tuple(scopes))
        await guard_store.put_reservation(tx, reservation.reservation_id, list(_names(scopes)), now)
    return reservation


async def settle_wrong(deps: Deps, reservation: Reservation) -> None:
    """The password was wrong: the reserved attempt stays counted (again, if it lapsed)."""
    now = deps.clock.now()
    async with deps.db.transaction() as tx:
        if await guard_store.settle_reservation(tx, reservation.reservation_id):
            return
        for scope, policy in reservation.scopes:
            failures, last = await guard_store.failure_record(tx, scope)
            counted = current_failures(policy, failures, last, now)
            await guard_store.record_failure(tx, scope, counted + 1, now)


async def settle_right(deps: Deps, tx: Transaction, reservation: Reservation) -> None:
    """The password was right: the account's own failures from here are forgiven, and the
    wider budgets (every address, the address over all accounts) get the reservation back
    (unless it lapsed: then they had it back already)."""
    held = await guard_store.settle_reservation(tx, reservation.reservation_id)
    for scope, _ in reservation.scopes:
        if scope.endswith("|any") or scope.startswith("address:"):
            if held:
                await guard_store.refund_failure(tx, scope)
        else:
            await guard_store.forget_failures(tx, scope)


def _names(scopes: Sequence[Scope]) -> list[str]:
    return [scope for scope, _ in scopes]


async def forget_account(tx: Transaction, account_id: str) -> None:
    """Erase every budget of the account (at purge, or after a password reset)."""
    await guard_store.forget_failures_of(tx, f"account:{account_id}")
