"""What a scenario's journeys came to, read where the truth lies: the people's inboxes, the
broker's topics and the notifier's ledger.

A scenario fails on any lost journey (beyond the documented limit it is allowed), any account
purged twice (two AccountPurged with different event ids), any notification that ended neither
sent nor failed, any e-mail reported sent that never arrived, and any duplicate e-mail outside
the documented crash window: a repeat with the *same* Message-ID is the notifier's at-least-once
window (killed after the SMTP server took the message, before its ledger said so); a second
message of one kind with another Message-ID is a real duplicate (a code the person asked for
again excepted).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from faults.journeys import Journey
from faults.mail import MailIndex
from services.notifier.domain import message_key
from shared.events import (
    AccountPurged,
    CodeDeliveryRequested,
    DeletionCompleted,
    Event,
    EventDecodeError,
    NoticeRequested,
    NotificationDelivered,
    NotificationFailed,
    decode_event,
)
from shared.topics import Topics
from tests.support.kafka import read_values

__all__ = ["Outcome", "count", "pending_deliveries", "purged_twice", "settle"]

_KIND_OF_NOTICE = {"deletion_scheduled": "scheduled", "deletion_completed": "completed"}


@dataclass
class Outcome:
    """One row of the table, and why it failed (if it did)."""

    scenario: str
    tried: int = 0
    completed: int = 0
    lost: int = 0
    lost_allowed: int = 0
    purged_twice: int = 0
    mails_missing: int = 0
    dup_same_id: int = 0
    dup_other: int = 0
    unresolved: int = 0
    orphans: int = 0
    recovery_seconds: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[str]:
        found = []
        if self.lost > self.lost_allowed:
            found.append(f"{self.lost - self.lost_allowed} journeys lost")
        if self.purged_twice:
            found.append(f"{self.purged_twice} accounts purged twice")
        if self.unresolved:
            found.append(f"{self.unresolved} notifications neither sent nor failed")
        if self.mails_missing:
            found.append(f"{self.mails_missing} e-mails reported sent but never stored")
        if self.orphans:
            found.append(f"{self.orphans} processes or ports left behind by the launcher")
        if self.dup_other:
            found.append(f"{self.dup_other} duplicate e-mails outside the crash window")
        return found


async def read_events(bootstrap: str, topic: str) -> list[Event]:
    """The events on ``topic``, skipping what is not one (the poison scenario's records)."""
    events = []
    for value in await read_values(bootstrap, topic):
        try:
            events.append(decode_event(value))
        except EventDecodeError:
            continue
    return events


def pending_deliveries(var_dir: Path) -> list[str]:
    """The notifier's ledger rows still pending, each as "template, attempts, last reason"
    (read-only, beside the running notifier; nothing personal is in these columns)."""
    path = var_dir / "notifier" / "notifier.sqlite3"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10) as db:
        rows = db.execute(
            "SELECT template, attempts, last_reason FROM deliveries WHERE status = 'pending'"
        ).fetchall()
    return [
        f"{template}, {attempts} attempts, {reason or 'not tried yet'}"
        for template, attempts, reason in rows
    ]


async def settle(outcome: Outcome, var_dir: Path, deadline_seconds: float = 60.0) -> None:
    """Give the notifier's ledger and the outboxes time to finish what the journeys started.

    Every scenario counts only after this: a delivery retried after a fault can still be in its
    backoff when the last journey ends, and that is late, not lost. What is still pending at
    the deadline goes into the notes, so an unresolved notification comes with its reason.
    """
    deadline = time.monotonic() + deadline_seconds
    pending = pending_deliveries(var_dir)
    while pending and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        pending = pending_deliveries(var_dir)
    for row in sorted(set(pending)):
        outcome.notes.append(f"pending after {deadline_seconds:.0f} s: {row}")
    await asyncio.sleep(2.0)  # the outcome events' outbox relay: woken at commit, polls 0.5 s


async def _notifications(bootstrap: str, topics: Topics, accounts: set[str]) -> dict[str, str]:
    """notification id -> kind, for the deletion messages asked for our accounts."""
    asked: dict[str, str] = {}
    for event in await read_events(bootstrap, topics.notifications):
        if event.account_id not in accounts:
            continue
        if isinstance(event, CodeDeliveryRequested) and event.payload.purpose == "deletion":
            asked[event.payload.notification_id] = "code"
        elif isinstance(event, NoticeRequested) and event.payload.notice in _KIND_OF_NOTICE:
            asked[event.payload.notification_id] = _KIND_OF_NOTICE[event.payload.notice]
    return asked


async def count(
    outcome: Outcome,
    journeys: Sequence[Journey],
    mail: MailIndex,
    bootstrap: str,
    topics: Topics,
) -> Outcome:
    """Fill ``outcome`` from the journeys, the mails and the topics."""
    outcome.tried = len(journeys)
    outcome.completed = sum(1 for j in journeys if j.completed)
    outcome.lost = outcome.tried - outcome.completed
    accounts = {j.account_id for j in journeys if j.account_id}
    outcome.purged_twice = purged_twice(
        await read_events(bootstrap, topics.deletion_events), accounts
    )
    asked = await _notifications(bootstrap, topics, accounts)
    ended: dict[str, str] = {}
    for event in await read_events(bootstrap, topics.notifier_events):
        if isinstance(event, NotificationDelivered | NotificationFailed):
            ended.setdefault(event.payload.notification_id, event.event_type)
    outcome.unresolved = sum(1 for nid in asked if nid not in ended)
    failed = Counter(
        asked[n] for n, how in ended.items() if n in asked and how != "NotificationDelivered"
    )
    if failed:
        outcome.notes.append(
            "failed with a reason: " + ", ".join(f"{n} {k}" for k, n in sorted(failed.items()))
        )
    stored = {m.message_id for mails in mail.by_address.values() for m in mails}
    delivered = [n for n, how in ended.items() if n in asked and how == "NotificationDelivered"]
    outcome.mails_missing = sum(
        1 for n in delivered if not any(message_key(n) in i for i in stored)
    )
    _duplicates(outcome, journeys, mail)
    _what_people_saw(outcome, journeys)
    return outcome


def _what_people_saw(outcome: Outcome, journeys: Sequence[Journey]) -> None:
    delayed = sum(1 for j in journeys if j.saw_delayed)
    if delayed:
        outcome.notes.append(f"{delayed} saw 'code delayed'")
    unknown = sum(1 for j in journeys if j.survey_retries)
    if unknown:
        outcome.notes.append(
            f"{unknown} sent the survey again (request_not_yet_known: survey had not read it yet)"
        )


def purged_twice(events: Sequence[Event], accounts: set[str]) -> int:
    """Accounts whose purge was started twice, or completed twice.

    A purge starts with one AccountPurged naming every participant; a participant that does
    not answer in time is asked again with a fresh AccountPurged naming only it (by design:
    its consumer skips a redelivered id). So a second event naming *everyone* is a second
    purge, and so is a second DeletionCompleted; a re-ask is not.
    """
    starts: dict[str, list[tuple[frozenset[str], str]]] = defaultdict(list)
    completions: dict[str, set[str]] = defaultdict(set)
    for event in events:
        if event.account_id not in accounts:
            continue
        if isinstance(event, AccountPurged):
            named = frozenset(event.payload.participants)
            starts[event.account_id].append((named, str(event.event_id)))
        elif isinstance(event, DeletionCompleted):
            completions[event.account_id].add(str(event.event_id))
    twice = {a for a, ids in completions.items() if len(ids) > 1}
    for account, purges in starts.items():
        everyone = frozenset().union(*(named for named, _ in purges))
        if len({event_id for named, event_id in purges if named == everyone}) > 1:
            twice.add(account)
    return len(twice)


def _duplicates(outcome: Outcome, journeys: Sequence[Journey], mail: MailIndex) -> None:
    for journey in journeys:
        for kind in ("code", "scheduled", "completed"):
            mails = mail.of(journey.address, kind)
            ids = Counter(m.message_id for m in mails)
            outcome.dup_same_id += sum(n - 1 for n in ids.values())
            allowed = 1 + (journey.resends if kind == "code" else 0)
            outcome.dup_other += max(0, len(ids) - allowed)
