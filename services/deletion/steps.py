"""What deletion's use cases share: their dependencies, and the steps inside a transaction.

The person's use cases (:mod:`services.deletion.handlers`) and the purge's
(:mod:`services.deletion.purge`) both save a request with its audit record, queue events about
it and find the request an event names; those steps live here, once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from services.deletion import holds_store, purge_store, store
from services.deletion.domain import CodePolicy, DeletionRequest, Status, next_ask_at
from services.deletion.pulse import ParticipantPulse
from services.deletion.receipts import ReceiptSigner
from shared.clock import Clock
from shared.codes import CodeGenerator, CodeHasher
from shared.consumer import RejectEvent
from shared.crypto import keyed_hash
from shared.db import Database, Transaction
from shared.events import Event, new_event
from shared.ids import IdFactory, random_id
from shared.outbox import enqueue
from shared.recipient_keys import Sealer
from shared.revocation import Revocations
from shared.rolling_limits import RollingLimit
from shared.topics import Topics

__all__ = [
    "ACCOUNT_HASH_PURPOSE",
    "CODE_PURPOSE",
    "Deps",
    "Policy",
    "account_hash",
    "account_keys",
    "audit",
    "budget_scope",
    "event_about",
    "fan_out",
    "load_for_event",
    "notify",
    "notify_account",
    "publish",
    "save",
]

CODE_PURPOSE = "deletion-code"
ACCOUNT_HASH_PURPOSE = "account"


@dataclass(frozen=True)
class Policy:
    """The configurable rules deletion applies."""

    survey_required: bool
    grace_seconds: int
    participants: tuple[str, ...]
    reauth_max_age_seconds: int
    code: CodePolicy
    request_ttl_seconds: int = 86400
    purge_lead_seconds: int = 0
    participant_timeout_seconds: float = 60.0
    participant_max_asks: int = 6
    audit_retention_days: int = 731
    export_timeout_seconds: float = 600.0
    export_keep_seconds: int = 7 * 86400
    export_part_max_bytes: int = 512 * 1024
    hold_max_seconds: int = 30 * 86400
    # Per account over a rolling window, whatever the number of requests and codes.
    wrong_codes: RollingLimit = field(
        default_factory=lambda: RollingLimit("deletion_wrong_code", 20)
    )
    new_codes: RollingLimit = field(default_factory=lambda: RollingLimit("deletion_new_code", 10))


@dataclass(frozen=True)
class Deps:
    """What deletion's handlers need."""

    db: Database
    clock: Clock
    topics: Topics
    policy: Policy
    hasher: CodeHasher
    # Seals codes to the account's notification key (shared.recipient_keys).
    sealer: Sealer
    account_key: bytes
    new_code: CodeGenerator
    revocations: Revocations
    signer: ReceiptSigner | None = None
    new_id: IdFactory = random_id
    # Called after a commit that scheduled a purge, so the sleeping timer looks again now.
    wake_timer: Callable[[], None] = lambda: None
    # Who answered a purge lately: a participant working through a backlog is not re-asked.
    pulse: ParticipantPulse = field(default_factory=ParticipantPulse)


async def save(
    deps: Deps, tx: Transaction, before: DeletionRequest, after: DeletionRequest
) -> None:
    """Write ``after`` back, with an audit record when its status changed."""
    await store.save(tx, after, deps.clock.now())
    if after.status is not before.status:
        await audit(deps, tx, after, before.status)


async def audit(
    deps: Deps, tx: Transaction, request: DeletionRequest, previous: Status | None
) -> None:
    """Record the request's move from ``previous`` (None: it was opened) to its status."""
    hashed = account_hash(deps, request.account_id)
    change = (None if previous is None else previous.value, request.status.value)
    await purge_store.audit(tx, request.request_id, hashed, change, deps.clock.now())


async def publish(
    deps: Deps, tx: Transaction, request: DeletionRequest, kind: type[Any], **payload: Any
) -> None:
    """Queue a fact about the request on deletion_events."""
    event = event_about(deps, request, kind, request_id=request.request_id, **payload)
    await enqueue(tx, deps.topics.deletion_events, event, deps.clock)


async def notify(
    deps: Deps, tx: Transaction, request: DeletionRequest, kind: type[Any], **payload: Any
) -> str:
    """Queue a command for the notifier, with an id of its own; return that id."""
    return await notify_account(
        deps, tx, request.account_id, request.correlation_id, kind, **payload
    )


async def notify_account(
    deps: Deps,
    tx: Transaction,
    account_id: str,
    correlation_id: str,
    kind: type[Any],
    **payload: Any,
) -> str:
    """:func:`notify` for an account without a request at hand (an export)."""
    notification_id = deps.new_id()
    event = new_event(
        kind,
        account_id=account_id,
        correlation_id=correlation_id,
        occurred_at=deps.clock.now(),
        notification_id=notification_id,
        **payload,
    )
    await enqueue(tx, deps.topics.notifications, event, deps.clock)
    return notification_id


async def fan_out(
    deps: Deps,
    tx: Transaction,
    event: Event,
    question: tuple[holds_store.Kind, str],
    participants: tuple[str, ...],
    asks: int = 1,
) -> None:
    """Ask ``participants`` (the ``asks``-th time) ``question`` (kind, subject id) by ``event``.

    Each is asked again once the timeout, doubled per earlier ask, passes without an answer.
    """
    await enqueue(tx, deps.topics.deletion_events, event, deps.clock)
    timeout = timedelta(seconds=deps.policy.participant_timeout_seconds)
    due = next_ask_at(deps.clock.now(), asks, timeout)
    subject = (*question, event.account_id)
    await holds_store.record_asks(tx, subject, participants, asks, due)


def event_about(deps: Deps, request: DeletionRequest, kind: type[Any], **payload: Any) -> Event:
    """A ``kind`` event keyed by the request's account, in the request's correlation."""
    return new_event(
        kind,
        account_id=request.account_id,
        correlation_id=request.correlation_id,
        occurred_at=deps.clock.now(),
        **payload,
    )


def account_hash(deps: Deps, account_id: str) -> str:
    """The keyed hash that stands for the account once it is purged (and in audit records)."""
    return keyed_hash(deps.account_key, ACCOUNT_HASH_PURPOSE, account_id)


def account_keys(deps: Deps, account_id: str) -> tuple[str, str]:
    """The two ids a request of the account may be stored under."""
    # Before the purge a request holds the raw account id; after it, only its keyed hash.
    return account_id, account_hash(deps, account_id)


def budget_scope(account_id: str) -> str:
    """The scope of an account's rolling code budgets (its opaque id; forgotten at the purge)."""
    return f"account:{account_id}"


async def load_for_event(
    deps: Deps, tx: Transaction, request_id: str, account_id: str
) -> DeletionRequest:
    """The request an event is about, or RejectEvent when it is unknown or someone else's."""
    request = await store.load(tx, request_id)
    if request is None:
        raise RejectEvent("unknown deletion request")
    if request.account_id not in account_keys(deps, account_id):
        raise RejectEvent("the deletion request belongs to another account")
    return request
