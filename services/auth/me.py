"""The signed-in person's settings: profile, password, e-mail and phone, picture, notifications."""

from __future__ import annotations

from dataclasses import dataclass, replace

from services.auth import guards, store
from services.auth.domain import (
    Account,
    Identifier,
    IdentifierKind,
    Language,
    canonical_email,
    canonical_phone,
    check_password,
    check_time_zone,
    check_username,
)
from services.auth.handlers import (
    Deps,
    UsernameTaken,
    account_of,
    announce_contact,
    ensure_available,
    verify_password,
)
from services.auth.policies import CodeRejected, Notifications
from services.auth.sessions import revoke_sessions
from services.auth.store import Profile
from shared.events import NoticeRequested, new_event
from shared.outbox import enqueue
from shared.tokens import AccessClaims

__all__ = [
    "Me",
    "ProfileChange",
    "change_password",
    "confirm_contact_change",
    "delete_picture",
    "me",
    "picture",
    "put_picture",
    "request_contact_change",
    "set_notifications",
    "update_profile",
]


@dataclass(frozen=True)
class Me:
    """An account with its settings."""

    account: Account
    profile: Profile


@dataclass(frozen=True)
class ProfileChange:
    """Fields a PATCH may set; None leaves a field as it is."""

    username: str | None = None
    language: Language | None = None
    time_zone: str | None = None


async def me(deps: Deps, claims: AccessClaims) -> Me:
    """The bearer's account and settings."""
    account = await account_of(deps, claims)
    return Me(account, await store.find_profile(deps.db, account.account_id))


async def update_profile(
    deps: Deps, claims: AccessClaims, change: ProfileChange, *, correlation_id: str
) -> Me:
    """Change username, language or time zone; the notifier learns language and time zone."""
    username = check_username(change.username) if change.username is not None else None
    time_zone = check_time_zone(change.time_zone) if change.time_zone is not None else None
    current = await me(deps, claims)
    account = replace(
        current.account,
        username=username or current.account.username,
        language=change.language or current.account.language,
    )
    profile = replace(current.profile, time_zone=time_zone or current.profile.time_zone)
    async with deps.db.transaction() as tx:
        if username and await store.username_taken(tx, username, account.account_id):
            raise UsernameTaken
        await store.update_account(tx, deps.vault, account)
        await store.save_profile(tx, account.account_id, profile)
        if (account.language, profile.time_zone) != (
            current.account.language,
            current.profile.time_zone,
        ):
            await announce_contact(deps, tx, account, profile.time_zone, correlation_id)
    return Me(account, profile)


async def change_password(
    deps: Deps, claims: AccessClaims, *, current: str, new: str, correlation_id: str
) -> None:
    """Replace the password after checking the current one; every session ends."""
    check_password(new, "new_password")
    account = await account_of(deps, claims)
    await verify_password(deps, account, current)
    new_hash = await deps.passwords.hash(new)
    async with deps.db.transaction() as tx:
        await store.update_account(tx, deps.vault, replace(account, password_hash=new_hash))
        await revoke_sessions(
            deps, tx, account.account_id, "password_changed", correlation_id=correlation_id
        )


def _canonical(deps: Deps, kind: IdentifierKind, value: str) -> str:
    return canonical_email(value) if kind == "email" else canonical_phone(value, deps.phone_region)


async def request_contact_change(
    deps: Deps, claims: AccessClaims, kind: IdentifierKind, value: str, *, correlation_id: str
) -> None:
    """Send a code to the new address; nothing changes until it is confirmed."""
    account = await account_of(deps, claims)
    canonical = _canonical(deps, kind, value)
    # At rest under auth's own key; on the wire sealed to the account's notification key.
    pending = deps.vault.seal_pending(canonical, account.account_id)
    async with deps.db.transaction() as tx:
        await ensure_available(deps, tx, (Identifier(kind, canonical),))
        issued = await guards.issue_code(
            deps, tx, account.account_id, f"{kind}_change", pending_enc=pending
        )
        await guards.send_code(
            deps,
            tx,
            account_id=account.account_id,
            issued=issued,
            purpose="contact_change",
            channel="email" if kind == "email" else "sms",
            destination=canonical,
            correlation_id=correlation_id,
        )


async def confirm_contact_change(
    deps: Deps, claims: AccessClaims, kind: IdentifierKind, code: str, *, correlation_id: str
) -> Me:
    """Apply the new address if ``code`` is right; the old address is told."""
    current = await me(deps, claims)
    account_id = current.account.account_id
    async with deps.db.transaction() as tx:
        outcome = await guards.redeem_code(deps, tx, account_id, f"{kind}_change", code)
        if isinstance(outcome, CodeRejected):
            updated = current.account
        else:
            value = deps.vault.open_pending(outcome.pending_enc or "", account_id)
            await ensure_available(deps, tx, (Identifier(kind, value),))
            updated = (
                replace(current.account, email=value)
                if kind == "email"
                else replace(current.account, phone=value)
            )
            await store.update_account(tx, deps.vault, updated)
            notice = new_event(
                NoticeRequested,
                account_id=account_id,
                correlation_id=correlation_id,
                occurred_at=deps.clock.now(),
                notification_id=deps.new_id(),
                notice="address_changed",
            )
            # Before the new addresses, on the same topic and key: the notifier still writes
            # to the old address when it handles the notice.
            await enqueue(tx, deps.topics.notifications, notice, deps.clock)
            await announce_contact(deps, tx, updated, current.profile.time_zone, correlation_id)
    if isinstance(outcome, CodeRejected):
        raise outcome
    return Me(updated, current.profile)


async def set_notifications(deps: Deps, claims: AccessClaims, wanted: Notifications) -> Me:
    """Store what the person wants to be told about."""
    current = await me(deps, claims)
    profile = replace(current.profile, notifications=wanted)
    async with deps.db.transaction() as tx:
        await store.save_profile(tx, current.account.account_id, profile)
    return Me(current.account, profile)


async def put_picture(deps: Deps, claims: AccessClaims, data: bytes, media_type: str) -> None:
    """Check and store a new profile picture, replacing the old one."""
    current = await me(deps, claims)
    name = await deps.pictures.save(data, media_type)
    try:
        async with deps.db.transaction() as tx:
            profile = replace(current.profile, picture=name)
            await store.save_profile(tx, current.account.account_id, profile)
    except BaseException:
        deps.pictures.delete(name)
        raise
    deps.pictures.delete(current.profile.picture)


async def picture(deps: Deps, claims: AccessClaims) -> bytes | None:
    """The stored picture as PNG, or None."""
    current = await me(deps, claims)
    if current.profile.picture is None:
        return None
    return await deps.pictures.read(current.profile.picture)


async def delete_picture(deps: Deps, claims: AccessClaims) -> None:
    """Remove the profile picture (the file is erased)."""
    current = await me(deps, claims)
    async with deps.db.transaction() as tx:
        await store.save_profile(
            tx, current.account.account_id, replace(current.profile, picture=None)
        )
    deps.pictures.delete(current.profile.picture)
