"""The notifier's command-side use cases: each runs inside the consumer's transaction.

Consuming a command only records what to send; nothing here talks to SMTP. The delivery
worker (:mod:`services.notifier.delivery`) sends afterwards, outside any consumer transaction.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from services.notifier import keys, store
from services.notifier.domain import (
    CONTACT_WAIT_REASON,
    Contact,
    ContactWait,
    Delivery,
    DeliveryFailure,
    PreviousAddresses,
    RetryPolicy,
    Template,
    ThrottlePolicy,
    address_changed_route,
    code_template,
    notice_template,
    retention_for_confirmation,
    route,
)
from services.notifier.keys import Keyring, Opener
from services.notifier.mailer import Mailer
from services.notifier.sms import SmsGateway
from services.notifier.sms_length import Overflow
from services.notifier.throttle import recipient_key
from shared.brand import DEFAULT_BRAND_COLOR
from shared.clock import Clock
from shared.crypto import DecryptionError
from shared.db import Database, Transaction
from shared.events import (
    AccountPurged,
    AccountRegistered,
    CodeDeliveryRequested,
    ContactDetailsChanged,
    NoticeRequested,
    NotificationFailed,
    new_event,
)
from shared.outbox import enqueue, enqueue_raw
from shared.participant import acknowledge_purge
from shared.topics import Topics

__all__ = [
    "PARTICIPANT",
    "Deps",
    "issue_key",
    "issue_missing_keys",
    "publish_failure",
    "purge_account",
    "record_contact",
    "request_code",
    "request_notice",
]

log = logging.getLogger(__name__)

PARTICIPANT = "notifier"


@dataclass(frozen=True)
class Deps:
    """What the notifier's handlers and its delivery worker need."""

    db: Database
    clock: Clock
    topics: Topics
    keyring: Keyring
    mailer: Mailer
    sms: SmsGateway
    shop_name: str
    throttle_key: bytes
    brand_color: str = DEFAULT_BRAND_COLOR
    throttle: ThrottlePolicy = field(default_factory=ThrottlePolicy)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    contact_wait: ContactWait = field(default_factory=ContactWait)
    sms_max_segments: int = 3
    sms_overflow: Overflow = "truncate"
    # Jitter needs no cryptographic strength; the system source just avoids a shared seed.
    jitter: Callable[[], float] = field(default=random.SystemRandom().random)
    batch_size: int = 20


async def issue_key(deps: Deps, tx: Transaction, event: AccountRegistered) -> None:
    """A new account: issue its notification key, so its addresses can be sealed to it."""
    await keys.ensure_key(
        tx, deps.keyring, deps.topics, deps.clock, event.account_id, event.correlation_id
    )


async def issue_missing_keys(deps: Deps, batch: int = 100) -> int:
    """Issue keys for accounts known from before the upgrade; return how many were issued."""
    issued = 0
    for account_id in await keys.accounts_without_key(deps.db, batch):
        async with deps.db.transaction() as tx:
            correlation_id = f"key-backfill-{account_id}"
            keyring, topics, clock = deps.keyring, deps.topics, deps.clock
            issued += await keys.ensure_key(tx, keyring, topics, clock, account_id, correlation_id)
    return issued


async def record_contact(deps: Deps, tx: Transaction, event: ContactDetailsChanged) -> None:
    """Keep the account's language, zone and address ciphertexts exactly as they arrived.

    An address that a change replaces is kept (as its ciphertext) for the address-changed
    notice, which goes to the old address.
    """
    payload = event.payload
    account_id = event.account_id
    contact = Contact(
        account_id,
        payload.language,
        payload.email_enc,
        payload.phone_enc,
        time_zone=payload.time_zone,
    )
    known = await store.load_contact(tx, account_id)
    if known is not None and not known.retained_for_confirmation:
        opener = await deps.keyring.opener(tx, account_id)
        replaced = PreviousAddresses(
            email_enc=_replaced(opener, known.email_enc, contact.email_enc),
            phone_enc=_replaced(opener, known.phone_enc, contact.phone_enc),
        )
        if replaced != PreviousAddresses():
            await store.remember_previous(tx, account_id, replaced)
    await store.upsert_contact(tx, contact, deps.clock.now())
    # A code or notice that arrived before these details waits for them: it may go now.
    await store.wake_contact_waiters(tx, account_id, deps.clock.now(), CONTACT_WAIT_REASON)


def _replaced(opener: Opener, old: str | None, new: str | None) -> str | None:
    """``old`` when ``new`` is another address (ciphertexts differ even for the same one)."""
    if old is None or old == new:
        return None
    try:
        before = opener.open(old).strip().lower()
    except DecryptionError:
        return None  # an address we cannot open is no use to notify
    try:
        after = opener.open(new).strip().lower() if new is not None else None
    except DecryptionError:
        after = None
    return None if before == after else old


async def request_code(deps: Deps, tx: Transaction, event: CodeDeliveryRequested) -> None:
    """Queue a code for delivery, once per notification id."""
    payload = event.payload
    template = code_template(payload.purpose)
    if template is None:
        reason = f"no template for {payload.purpose} codes"
        await _refuse(deps, tx, event, payload.notification_id, reason)
        return
    delivery = Delivery(
        notification_id=payload.notification_id,
        account_id=event.account_id,
        correlation_id=event.correlation_id,
        command=event.event_type,
        template=template,
        channel=payload.channel,
        code_enc=payload.code_enc,
        destination_enc=payload.destination_enc,
        valid_minutes=payload.valid_minutes,
        deadline=None,
        requested_at=event.occurred_at,
    )
    # Loaded once for the whole use case: the purge check and the throttle's recipient.
    contact = await store.load_contact(tx, event.account_id)
    if await _queue(deps, tx, event, delivery, contact):
        await _throttle(deps, tx, event, delivery, contact)


async def _throttle(
    deps: Deps,
    tx: Transaction,
    event: CodeDeliveryRequested,
    delivery: Delivery,
    contact: Contact | None,
) -> None:
    """Count the code against its recipient; beyond the limit, fail it as "throttled"."""
    opener = await deps.keyring.opener(tx, delivery.account_id)
    key = _recipient(deps, opener, delivery, contact)
    if key is None:
        return  # no usable address: the send fails on its own, with that reason
    now = deps.clock.now()
    recent = await store.recent_codes(tx, key, deps.throttle.window_start(now))
    if deps.throttle.admits(recent):
        await store.record_code(tx, key, delivery.account_id, now)
        return
    await store.finish(tx, delivery.notification_id, "failed", now, "throttled")
    await _refuse(deps, tx, event, delivery.notification_id, "throttled")


def _recipient(
    deps: Deps, opener: Opener, delivery: Delivery, contact: Contact | None
) -> str | None:
    try:
        way = route(delivery, contact)
        address = opener.open(way.address_enc)
    except (DeliveryFailure, DecryptionError):
        return None
    return recipient_key(deps.throttle_key, way.channel, address)


async def request_notice(deps: Deps, tx: Transaction, event: NoticeRequested) -> None:
    """Queue a notice for delivery, once per notification id."""
    payload = event.payload
    template = notice_template(payload.notice)
    if template is None:
        reason = f"no template for {payload.notice} notices"
        await _refuse(deps, tx, event, payload.notification_id, reason)
        return
    way = None
    contact = await store.load_contact(tx, event.account_id)
    if template == "address_changed":
        # Fixed now, as the old address may be replaced again before the notice is sent.
        previous = await store.take_previous(tx, event.account_id)
        way = address_changed_route(contact, previous)
    delivery = Delivery(
        notification_id=payload.notification_id,
        account_id=event.account_id,
        correlation_id=event.correlation_id,
        command=event.event_type,
        template=template,
        channel=way.channel if way is not None else None,
        code_enc=None,
        destination_enc=way.address_enc if way is not None else None,
        valid_minutes=None,
        deadline=payload.deadline,
        requested_at=event.occurred_at,
    )
    await _queue(deps, tx, event, delivery, contact)


async def _queue(
    deps: Deps,
    tx: Transaction,
    event: CodeDeliveryRequested | NoticeRequested,
    delivery: Delivery,
    contact: Contact | None,
) -> bool:
    """Record the delivery; True if it is new and will be sent."""
    context = {"notification_id": delivery.notification_id, "event_id": str(event.event_id)}
    purged = contact is not None and contact.retained_for_confirmation
    if purged and not _allowed_after_purge(delivery.template):
        await _refuse(deps, tx, event, delivery.notification_id, "account purged")
        return False
    if await store.insert_delivery(tx, delivery, deps.clock.now()):
        log.info("queued %s", delivery.template, extra=context)
        return True
    log.info("repeated command for a known notification ignored", extra=context)
    return False


def _allowed_after_purge(template: Template) -> bool:
    # The retained address exists for the final confirmation and nothing else.
    return template == "deletion_completed"


async def purge_account(deps: Deps, tx: Transaction, event: AccountPurged) -> None:
    """Erase all but the final confirmation's address and language, shred; confirm the purge.

    The kept address is re-encrypted under the notifier's local key first; then the account's
    private key is destroyed, and every field sealed to it, wherever it is kept, is unreadable.

    A delivery still pending is not simply erased with the rest: it ends as NotificationFailed
    ("account purged"), so every notification ends as sent or failed, never neither.
    """
    await _fail_pending(deps, tx, event.account_id)
    contact = await store.load_contact(tx, event.account_id)
    retained = None
    if contact is not None:
        retained = await _rekeyed(deps, tx, retention_for_confirmation(contact))
    await store.purge_account(tx, event.account_id, retained)
    await keys.destroy_key(tx, event.account_id)
    await acknowledge_purge(tx, event, PARTICIPANT, deps.topics, deps.clock)


async def _rekeyed(deps: Deps, tx: Transaction, retained: Contact) -> Contact:
    """``retained`` with its address under the local key (None if it cannot be opened)."""
    opener = await deps.keyring.opener(tx, retained.account_id)

    def local(token: str | None) -> str | None:
        if token is None:
            return None
        try:
            return deps.keyring.retain(opener.open(token), retained.account_id)
        except DecryptionError:
            return None

    return replace(
        retained, email_enc=local(retained.email_enc), phone_enc=local(retained.phone_enc)
    )


async def _fail_pending(deps: Deps, tx: Transaction, account_id: str) -> None:
    now = deps.clock.now()
    for delivery in await store.pending_for_account(tx, account_id):
        if _allowed_after_purge(delivery.template):
            continue  # the final confirmation is what the retained address is kept for
        reason = "account purged before it could be sent"
        if not await store.finish(tx, delivery.notification_id, "failed", now, reason):
            continue
        await publish_failure(
            deps,
            tx,
            account_id=account_id,
            correlation_id=delivery.correlation_id,
            notification_id=delivery.notification_id,
            command=delivery.command,
            reason=reason,
        )


async def _refuse(
    deps: Deps,
    tx: Transaction,
    event: CodeDeliveryRequested | NoticeRequested,
    notification_id: str,
    reason: str,
) -> None:
    await publish_failure(
        deps,
        tx,
        account_id=event.account_id,
        correlation_id=event.correlation_id,
        notification_id=notification_id,
        command=event.event_type,
        reason=reason,
    )


async def publish_failure(
    deps: Deps,
    tx: Transaction,
    *,
    account_id: str,
    correlation_id: str,
    notification_id: str,
    command: str,
    reason: str,
) -> None:
    """Tell the requester the notification failed, and keep a dead letter for operators.

    Neither record carries the address or the code: only ids, the command type and the reason.
    """
    failed = new_event(
        NotificationFailed,
        account_id=account_id,
        correlation_id=correlation_id,
        occurred_at=deps.clock.now(),
        notification_id=notification_id,
        reason=reason,
    )
    await enqueue(tx, deps.topics.notifier_events, failed, deps.clock)
    letter = {"reason": reason, "notification_id": notification_id, "event_type": command}
    await enqueue_raw(
        tx,
        Topics.dlq(deps.topics.notifications),
        account_id.encode(),
        json.dumps(letter).encode(),
        "DeadLetter",
        deps.clock,
    )
    log.warning("notification failed: %s", reason, extra={"notification_id": notification_id})
