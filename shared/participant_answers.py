"""A participant's answers to deletion's other two questions: "what do you hold?" and "may we?".

- ExportRequested → ExportPartDelivered: the participant's part of the person's data export,
  as JSON sealed to the account's public key (see :mod:`shared.sealing`), never in clear. A
  part above the request's ``max_part_bytes`` is not sent: the participant logs an error naming
  the size and the limit, and answers ``error="too_large"`` so the person's archive says so.
- HoldsQueried → HoldsReported: every hold the participant has on the account right now. A
  participant places or lifts a hold later by reporting its holds again (:meth:`report`).

Each answer is queued through the outbox in the consumer's transaction, like PurgeCompleted.
Services with their own consumer merge :meth:`ParticipantAnswers.handlers` into its handlers;
:class:`shared.participant.PurgeParticipant` does it for a participant built on it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from shared.clock import Clock
from shared.consumer import EventHandler
from shared.db import Transaction
from shared.events import (
    ExportPartDelivered,
    ExportRequested,
    HoldsQueried,
    HoldsReported,
    ReportedHold,
    new_event,
)
from shared.ids import IdFactory, random_id
from shared.outbox import enqueue
from shared.sealing import seal
from shared.topics import Topics

__all__ = ["ExportHook", "HoldsHook", "ParticipantAnswers", "encode_part", "part_context"]

log = logging.getLogger(__name__)

# ``export(tx, account_id)`` returns the account's data as a JSON-able mapping.
ExportHook = Callable[[Transaction, str], Awaitable[Mapping[str, Any]]]
# ``holds(tx, account_id)`` returns the participant's current holds on the account.
HoldsHook = Callable[[Transaction, str], Awaitable[Sequence[ReportedHold]]]


def part_context(account_id: str, export_id: str, participant: str) -> str:
    """What a sealed part is bound to: a part copied to another export or account fails."""
    return f"export\x00{account_id}\x00{export_id}\x00{participant}"


def encode_part(part: Mapping[str, Any]) -> bytes:
    """The part as it goes into the archive: UTF-8 JSON, indented for a person to read."""
    return json.dumps(part, ensure_ascii=False, indent=2, sort_keys=True, default=str).encode()


async def _nothing(_tx: Transaction, _account_id: str) -> Mapping[str, Any]:
    return {}


async def _no_holds(_tx: Transaction, _account_id: str) -> Sequence[ReportedHold]:
    return ()


class ParticipantAnswers:
    """Answers ExportRequested and HoldsQueried for participant ``name``.

    Without an ``export`` hook the part is ``{}`` (the participant holds nothing to give);
    without a ``holds`` hook the participant never holds a deletion.
    """

    def __init__(
        self,
        name: str,
        topics: Topics,
        clock: Clock,
        *,
        export: ExportHook | None = None,
        holds: HoldsHook | None = None,
        new_id: IdFactory = random_id,
    ) -> None:
        self.name = name
        self._new_id = new_id
        self._topics = topics
        self._clock = clock
        self._export = export or _nothing
        self._holds = holds or _no_holds

    def handlers(self) -> dict[str, EventHandler]:
        """The consumer handlers to merge into the participant's consumer."""
        return {"ExportRequested": self.on_export_requested, "HoldsQueried": self.on_holds_queried}

    async def on_export_requested(self, tx: Transaction, event: ExportRequested) -> None:
        """Seal and send this participant's part, if the export names it."""
        request = event.payload
        if self.name not in request.participants:
            return
        raw = encode_part(await self._export(tx, event.account_id))
        sealed: str | None = None
        error = None
        if len(raw) > request.max_part_bytes:
            error = "too_large"
            log.error(
                "export part of %d bytes exceeds the limit of %d bytes; not sent",
                len(raw),
                request.max_part_bytes,
                extra={"export_id": request.export_id},
            )
        else:
            context = part_context(event.account_id, request.export_id, self.name)
            sealed = seal(request.public_key, raw, context)
        answer = new_event(
            ExportPartDelivered,
            account_id=event.account_id,
            correlation_id=event.correlation_id,
            occurred_at=self._clock.now(),
            export_id=request.export_id,
            participant=self.name,
            part_enc=sealed,
            size=len(raw),
            error=error,
        )
        await enqueue(tx, self._topics.participant_answers, answer, self._clock)

    async def on_holds_queried(self, tx: Transaction, event: HoldsQueried) -> None:
        """Report this participant's holds, if the query names it."""
        if self.name in event.payload.participants:
            await self.report(tx, event.account_id, event.correlation_id, event.payload.request_id)

    async def report(
        self,
        tx: Transaction,
        account_id: str,
        correlation_id: str | None = None,
        request_id: str | None = None,
    ) -> None:
        """Report every current hold on the account (call it after placing or lifting one)."""
        holds = tuple(await self._holds(tx, account_id))
        reported = new_event(
            HoldsReported,
            account_id=account_id,
            correlation_id=correlation_id or self._new_id(),
            occurred_at=self._clock.now(),
            participant=self.name,
            holds=holds,
            request_id=request_id,
        )
        await enqueue(tx, self._topics.participant_answers, reported, self._clock)
