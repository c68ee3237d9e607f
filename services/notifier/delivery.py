"""The delivery worker: sends pending deliveries and records the outcome.

The worker takes the due rows of the ``deliveries`` ledger and starts one task per row: it
decrypts address and code in memory only, renders and sends the message, and then, in one
transaction, marks the row sent (erasing its ciphertexts) and queues NotificationDelivered in
the outbox. A failed attempt is retried with exponential backoff and jitter (``next_attempt_at``)
while other deliveries go ahead; a permanent failure, or the last allowed attempt, ends as
NotificationFailed plus a dead letter.

Crash between hand-over and ledger write: if the process dies after the SMTP server (or SMS
gateway) accepted a message but before the "sent" transaction commits, the row is still pending
and the message is sent again after the restart. Delivery is therefore *at least once*: the
person may get the same message twice (with the same Message-ID, which many mail clients
collapse; the HTTP SMS gateway gets the same ``Idempotency-Key``), but an accepted command is
never lost, because its row is only closed after the server has taken the message. The worker
keeps the ids in flight, so a running process never sends the same row twice in parallel.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from services.notifier import store
from services.notifier.domain import (
    Contact,
    ContactNotYetKnown,
    Delivery,
    PermanentFailure,
    TransientFailure,
    code_expired,
    message_key,
    route,
)
from services.notifier.handlers import Deps, publish_failure
from services.notifier.keys import Opener
from services.notifier.sms_length import TextTooLong, fit
from services.notifier.templates import MissingValue, Rendered, render
from shared.crypto import DecryptionError
from shared.db import Transaction
from shared.events import (
    Channel,
    Language,
    NotificationDelayed,
    NotificationDelivered,
    new_event,
)
from shared.outbox import enqueue

__all__ = ["DeliveryWorker", "Doorbell"]

log = logging.getLogger(__name__)

# Notifications go in the account's language; Norwegian when no contact row tells us.
_DEFAULT_LANGUAGE: Language = "nb"


class Doorbell:
    """Wakes the worker as soon as a commit may have queued a delivery."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def ring(self) -> None:
        """Ask for a delivery run now (called after every database commit)."""
        self._event.set()

    async def wait(self, at_most: float) -> None:
        """Return when rung, or after ``at_most`` seconds."""
        with contextlib.suppress(TimeoutError):
            # Not wait_for: on 3.11 it can swallow a cancel that races the wake-up (see outbox).
            async with asyncio.timeout(at_most):
                await self._event.wait()
        # Cleared before the run's query, so a commit after this point rings again.
        self._event.clear()


class DeliveryWorker:
    """Starts every due delivery as a task of its own, so a slow one holds up no other.

    The set of notification ids in flight keeps a delivery from being started twice while
    its attempt is still running; at most ``max_in_flight`` attempts run at once.
    """

    def __init__(
        self, deps: Deps, doorbell: Doorbell, poll_seconds: float, max_in_flight: int = 50
    ) -> None:
        self._deps = deps
        self._doorbell = doorbell
        self._poll_seconds = poll_seconds
        self._max_in_flight = max_in_flight
        self._in_flight: set[str] = set()

    async def run(self) -> None:
        """Deliver until cancelled; cancelling also cancels and awaits the attempts running."""
        # The mailer keeps its connections while the worker runs (closed after the attempts).
        async with self._deps.mailer.pooled(), asyncio.TaskGroup() as group:
            while True:
                await self._doorbell.wait(self._poll_seconds)
                for delivery in await self._due():
                    self._in_flight.add(delivery.notification_id)
                    group.create_task(self._attempt(delivery))

    async def _due(self) -> list[Delivery]:
        room = self._max_in_flight - len(self._in_flight)
        if room <= 0:
            return []
        limit = room + len(self._in_flight)  # the running ones are still pending rows
        due = await store.due_deliveries(self._deps.db, self._deps.clock.now(), limit)
        return [d for d in due if d.notification_id not in self._in_flight][:room]

    async def _attempt(self, delivery: Delivery) -> None:
        try:
            await _deliver(self._deps, delivery)
        except Exception as exc:  # one broken outcome must not stop the worker
            log.error(
                "recording the outcome of %s failed: %s",
                delivery.template,
                type(exc).__name__,
                extra={"notification_id": delivery.notification_id},
            )
        finally:
            self._in_flight.discard(delivery.notification_id)


async def _deliver(deps: Deps, delivery: Delivery) -> None:
    context = {"notification_id": delivery.notification_id}
    try:
        channel = await _attempt(deps, delivery)
    except ContactNotYetKnown as waiting:
        await _wait_for_contact(deps, delivery, waiting.reason)
    except PermanentFailure as failure:
        await _give_up(deps, delivery, failure.reason)
    except TransientFailure as failure:
        await _retry_later(deps, delivery, failure.reason)
    except Exception as exc:
        # A bug must neither stall the other deliveries nor loop forever: retry, bounded.
        # No traceback: exception messages may quote what was being sent.
        log.error(
            "delivery of %s crashed: %s", delivery.template, type(exc).__name__, extra=context
        )
        await _retry_later(deps, delivery, f"unexpected error ({type(exc).__name__})")
    else:
        await _mark_sent(deps, delivery, channel)


async def _attempt(deps: Deps, delivery: Delivery) -> Channel:
    """Decrypt, render and send; raise a DeliveryFailure when it does not go out."""
    if code_expired(delivery, deps.clock.now()):
        raise PermanentFailure("the code expired before it could be sent")
    contact = await store.load_contact(deps.db, delivery.account_id)
    way = route(delivery, contact)
    opener = await deps.keyring.opener(deps.db, delivery.account_id)
    address = _open(opener, way.address_enc, "address")
    message = _render(deps, opener, delivery, contact, way.channel)
    key = message_key(delivery.notification_id)
    if way.channel == "email":
        await deps.mailer.send_email(address, message, key)
    else:
        await deps.sms.send_sms(address, _fit_sms(deps, opener, message.sms, delivery), key)
    return way.channel


def _fit_sms(deps: Deps, opener: Opener, text: str, delivery: Delivery) -> str:
    code = None
    if delivery.code_enc is not None:
        code = _open(opener, delivery.code_enc, "code")
    try:
        return fit(text, deps.sms_max_segments, deps.sms_overflow, keep=code)
    except TextTooLong as exc:
        raise PermanentFailure(str(exc)) from None


def _open(opener: Opener, ciphertext: str, what: str) -> str:
    try:
        return opener.open(ciphertext)
    except DecryptionError:
        raise PermanentFailure(f"the {what} could not be decrypted") from None


def _render(
    deps: Deps, opener: Opener, delivery: Delivery, contact: Contact | None, channel: Channel
) -> Rendered:
    code = None
    if delivery.code_enc is not None:
        code = _open(opener, delivery.code_enc, "code")
    try:
        return render(
            delivery.template,
            contact.language if contact is not None else _DEFAULT_LANGUAGE,
            deps.shop_name,
            code=code,
            valid_minutes=delivery.valid_minutes,
            deadline=delivery.deadline,
            time_zone=contact.time_zone if contact is not None else None,
            channel=channel,
            brand_color=deps.brand_color,
        )
    except MissingValue as exc:
        raise PermanentFailure(str(exc)) from None


async def _mark_sent(deps: Deps, delivery: Delivery, channel: Channel) -> None:
    delivered = new_event(
        NotificationDelivered,
        account_id=delivery.account_id,
        correlation_id=delivery.correlation_id,
        occurred_at=deps.clock.now(),
        notification_id=delivery.notification_id,
        channel=channel,
    )
    async with deps.db.transaction() as tx:
        if not await store.finish(tx, delivery.notification_id, "sent", deps.clock.now()):
            return  # purged while it was being sent: nothing left to record
        await enqueue(tx, deps.topics.notifier_events, delivered, deps.clock)
        if delivery.template == "deletion_completed":
            await store.forget_account(tx, delivery.account_id)
    log.info(
        "sent %s by %s",
        delivery.template,
        channel,
        extra={"notification_id": delivery.notification_id},
    )


async def _wait_for_contact(deps: Deps, delivery: Delivery, reason: str) -> None:
    """Look again when the contact arrives (or at the next poll), up to the wait's bound."""
    now = deps.clock.now()
    if deps.contact_wait.gave_up(delivery.requested_at, now):
        await _give_up(deps, delivery, deps.contact_wait.failure_reason())
        return
    async with deps.db.transaction() as tx:
        await store.wait_for_contact(
            tx, delivery.notification_id, deps.contact_wait.next_look(now), reason
        )
    log.info(
        "%s waits for the account's contact details",
        delivery.template,
        extra={"notification_id": delivery.notification_id},
    )


async def _retry_later(deps: Deps, delivery: Delivery, reason: str) -> None:
    attempts = delivery.attempts + 1
    if deps.retry.exhausted(attempts):
        await _give_up(deps, delivery, f"gave up after {attempts} attempts: {reason}")
        return
    delay = deps.retry.delay(attempts, deps.jitter())
    next_attempt = deps.clock.now() + timedelta(seconds=delay)
    async with deps.db.transaction() as tx:
        await store.schedule_retry(tx, delivery.notification_id, next_attempt, reason)
        if attempts == 1:
            await _tell_delayed(deps, tx, delivery, reason)
    log.warning(
        "attempt %d of %s failed (%s); retrying in %.1fs",
        attempts,
        delivery.template,
        reason,
        delay,
        extra={"notification_id": delivery.notification_id},
    )


async def _tell_delayed(deps: Deps, tx: Transaction, delivery: Delivery, reason: str) -> None:
    """Once per delivery, at its first failed attempt: the requester may tell the person that
    the message is late but coming (the retries can take minutes)."""
    delayed = new_event(
        NotificationDelayed,
        account_id=delivery.account_id,
        correlation_id=delivery.correlation_id,
        occurred_at=deps.clock.now(),
        notification_id=delivery.notification_id,
        reason=reason,
    )
    await enqueue(tx, deps.topics.notifier_events, delayed, deps.clock)


async def _give_up(deps: Deps, delivery: Delivery, reason: str) -> None:
    async with deps.db.transaction() as tx:
        if not await store.finish(tx, delivery.notification_id, "failed", deps.clock.now(), reason):
            return
        await publish_failure(
            deps,
            tx,
            account_id=delivery.account_id,
            correlation_id=delivery.correlation_id,
            notification_id=delivery.notification_id,
            command=delivery.command,
            reason=reason,
        )
        if delivery.template == "deletion_completed":
            # The address was kept only for this message; it must not outlive the attempt.
            await store.forget_account(tx, delivery.account_id)
