"""The notifier's rules, without I/O: what a command asks for, where it goes, when to retry.

Every ``reason`` here ends up in NotificationFailed and the dead-letter record, so reasons name
what went wrong and never echo an address, a code, or an SMTP server's free text.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from shared.events import Channel, Language, NoticeKind

__all__ = [
    "CONTACT_WAIT_REASON",
    "Contact",
    "ContactNotYetKnown",
    "ContactWait",
    "Delivery",
    "DeliveryFailure",
    "PermanentFailure",
    "PreviousAddresses",
    "RetryPolicy",
    "Route",
    "Template",
    "ThrottlePolicy",
    "TransientFailure",
    "address_changed_route",
    "code_expired",
    "code_template",
    "message_key",
    "notice_template",
    "retention_for_confirmation",
    "route",
]

# Fixed, so the same notification always gets the same message key (and so Message-ID).
_MESSAGE_KEY_NAMESPACE = uuid.UUID("6f1d6c1e-4a59-4d7e-9a8e-2b0c2d5a9e41")

# Every notice kind has a template of its own name; codes have one per purpose.
Template = (
    Literal["deletion_code", "password_reset_code", "contact_change_code", "address_proof_code"]
    | NoticeKind
)
Status = Literal["pending", "sent", "failed"]

_CODE_TEMPLATES: dict[str, Template] = {
    "deletion": "deletion_code",
    "password_reset": "password_reset_code",
    "contact_change": "contact_change_code",
    "address_proof": "address_proof_code",
}
_NOTICE_TEMPLATES: dict[str, Template] = {
    "deletion_scheduled": "deletion_scheduled",
    "deletion_completed": "deletion_completed",
    "address_changed": "address_changed",
    "deletion_held": "deletion_held",
    "deletion_resumed": "deletion_resumed",
    "export_ready": "export_ready",
}


class DeliveryFailure(Exception):
    """A delivery attempt did not succeed; ``reason`` is safe to publish."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TransientFailure(DeliveryFailure):
    """Worth trying again later: the server is away, busy, or answered 4xx."""


class PermanentFailure(DeliveryFailure):
    """Trying again cannot help: a 5xx answer, no address, an unreadable ciphertext."""


class ContactNotYetKnown(DeliveryFailure):
    """No contact details for the account yet: they travel on another topic, from auth, and may
    arrive after the command (after a broker restart auth's outbox can be seconds behind)."""


# What a waiting delivery's last_reason says, so the contact's arrival can wake it.
CONTACT_WAIT_REASON = "waiting for the account's contact details"


@dataclass(frozen=True)
class Contact:
    """Where an account may be reached, as ciphertexts, and in which language."""

    account_id: str
    language: Language
    email_enc: str | None
    phone_enc: str | None
    retained_for_confirmation: bool = False
    time_zone: str | None = None


@dataclass(frozen=True)
class PreviousAddresses:
    """Addresses an account used until a change, kept only for the address-changed notice."""

    email_enc: str | None = None
    phone_enc: str | None = None


@dataclass(frozen=True)
class Delivery:
    """One message to send: a code or a notice, with what is needed to render it."""

    notification_id: str
    account_id: str
    correlation_id: str
    command: str
    template: Template
    channel: Channel | None
    code_enc: str | None
    destination_enc: str | None
    valid_minutes: int | None
    deadline: datetime | None
    requested_at: datetime
    attempts: int = 0


@dataclass(frozen=True)
class Route:
    """The channel a delivery takes and the ciphertext of the address it goes to."""

    channel: Channel
    address_enc: str


def code_template(purpose: str) -> Template | None:
    """The template for a code of ``purpose``, or None when the notifier cannot send it yet."""
    return _CODE_TEMPLATES.get(purpose)


def notice_template(notice: str) -> Template | None:
    """The template for a notice, or None when the notifier cannot send it yet."""
    return _NOTICE_TEMPLATES.get(notice)


def message_key(notification_id: str) -> str:
    """A stable hex key for one notification: a repeated send reuses its Message-ID/file name."""
    return uuid.uuid5(_MESSAGE_KEY_NAMESPACE, notification_id).hex


def route(delivery: Delivery, contact: Contact | None) -> Route:
    """Choose channel and address: codes go where asked, notices by e-mail if there is one.

    Raises:
        ContactNotYetKnown: the delivery needs the account's contact row, not here yet.
        PermanentFailure: the contact is known and has no address for the delivery.
    """
    if contact is None and delivery.destination_enc is None:
        raise ContactNotYetKnown(CONTACT_WAIT_REASON)
    if delivery.channel is not None:
        known = None
        if contact is not None:
            known = contact.email_enc if delivery.channel == "email" else contact.phone_enc
        address = delivery.destination_enc or known
        if address is None:
            raise PermanentFailure(f"no {delivery.channel} address for the account")
        return Route(delivery.channel, address)
    if contact is not None and contact.email_enc is not None:
        return Route("email", contact.email_enc)
    if contact is not None and contact.phone_enc is not None:
        return Route("sms", contact.phone_enc)
    raise PermanentFailure("no address for the account")


def address_changed_route(contact: Contact | None, previous: PreviousAddresses) -> Route | None:
    """Where the address-changed notice goes: the address just replaced (e-mail first).

    When the change itself has not arrived yet, the contact's current address is still the
    old one. None when there is nothing to send to (the send then fails as "no address").
    """
    if previous.email_enc is not None:
        return Route("email", previous.email_enc)
    if previous.phone_enc is not None:
        return Route("sms", previous.phone_enc)
    if contact is not None and contact.email_enc is not None:
        return Route("email", contact.email_enc)
    if contact is not None and contact.phone_enc is not None:
        return Route("sms", contact.phone_enc)
    return None


def code_expired(delivery: Delivery, now: datetime) -> bool:
    """Whether a code is past its validity, so sending it would only confuse."""
    if delivery.valid_minutes is None:
        return False
    return now >= delivery.requested_at + timedelta(minutes=delivery.valid_minutes)


@dataclass(frozen=True)
class ContactWait:
    """How long a delivery waits for its account's contact details, and how often it looks.

    The contact's arrival wakes a waiting delivery at once; ``poll_seconds`` is a safety net.
    """

    max_seconds: float = 300.0
    poll_seconds: float = 5.0

    def gave_up(self, requested_at: datetime, now: datetime) -> bool:
        """Whether the delivery has waited as long as we let it."""
        return now >= requested_at + timedelta(seconds=self.max_seconds)

    def next_look(self, now: datetime) -> datetime:
        """When to look again if no contact arrives."""
        return now + timedelta(seconds=self.poll_seconds)

    def failure_reason(self) -> str:
        """The reason a delivery fails with when its contact never arrived."""
        return f"no contact details for the account arrived within {self.max_seconds:.0f} s"


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a delivery is tried."""

    max_attempts: int = 8
    base_seconds: float = 5.0
    max_seconds: float = 900.0

    def delay(self, attempts: int, jitter: float) -> float:
        """Seconds to wait after ``attempts`` failures; ``jitter`` in [0, 1) spreads them.

        "Equal jitter": half the step is fixed and half random, so retries after an outage do
        not all reach the server in the same instant, yet never come sooner than half a step.
        """
        step = min(self.max_seconds, self.base_seconds * (1 << max(0, attempts - 1)))
        return step / 2 + step / 2 * jitter

    def exhausted(self, attempts: int) -> bool:
        """Whether ``attempts`` failures are as many as we make."""
        return attempts >= self.max_attempts


@dataclass(frozen=True)
class ThrottlePolicy:
    """At most ``max_codes`` codes to one recipient address within ``window_seconds``."""

    max_codes: int = 5
    window_seconds: float = 600.0

    def window_start(self, now: datetime) -> datetime:
        """The earliest moment whose codes still count."""
        return now - timedelta(seconds=self.window_seconds)

    def admits(self, recent_codes: int) -> bool:
        """Whether one more code may go to a recipient that got ``recent_codes`` in the window."""
        return recent_codes < self.max_codes


def retention_for_confirmation(contact: Contact) -> Contact:
    """What survives a purge: the language and one address (e-mail preferred) to confirm to."""
    return Contact(
        account_id=contact.account_id,
        language=contact.language,
        email_enc=contact.email_enc,
        phone_enc=contact.phone_enc if contact.email_enc is None else None,
        retained_for_confirmation=True,
        time_zone=None,  # the confirmation states no time
    )
