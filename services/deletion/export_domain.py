"""The data export ("Download my data"): its state machine. No I/O; time is passed in.

An export is ``assembling`` while participants' parts arrive, then ``ready`` for download
until ``expires_at``. Each part is ``pending`` until its participant answers (``delivered``,
``too_large`` or ``failed``); a participant still silent at ``answer_by`` is ``missing`` and
the export is ready without it, so a silent service never blocks the person's download.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from shared.events import Language

__all__ = ["Export", "ExportStatus", "NotAsked", "PartState"]

PartState = Literal["pending", "delivered", "missing", "too_large", "failed"]


class ExportStatus(StrEnum):
    """Where an export is in its life."""

    ASSEMBLING = "assembling"
    READY = "ready"


class NotAsked(Exception):
    """A part came from a participant the export did not ask."""


@dataclass(frozen=True)
class Export:
    """One person's data export."""

    export_id: str
    account_id: str
    correlation_id: str
    lang: Language
    status: ExportStatus
    requested_at: datetime
    answer_by: datetime
    parts: tuple[tuple[str, PartState], ...]
    ready_at: datetime | None = None
    expires_at: datetime | None = None
    overdue: bool = False

    @classmethod
    def start(
        cls,
        *,
        export_id: str,
        account_id: str,
        correlation_id: str,
        lang: Language,
        participants: tuple[str, ...],
        now: datetime,
        timeout: timedelta,
    ) -> Export:
        """A new export asking ``participants``, each given ``timeout`` to answer."""
        parts = tuple((name, "pending") for name in participants)
        return cls(
            export_id,
            account_id,
            correlation_id,
            lang,
            ExportStatus.ASSEMBLING,
            now,
            now + timeout,
            parts,  # type: ignore[arg-type]  # the literal "pending" is a PartState
        )

    def states(self) -> dict[str, PartState]:
        """Each participant's part so far."""
        return dict(self.parts)

    def pending(self) -> tuple[str, ...]:
        """Participants not heard from yet."""
        return tuple(name for name, state in self.parts if state == "pending")

    def record_part(
        self, participant: str, state: PartState, now: datetime, keep: timedelta
    ) -> Export:
        """A participant answered; the export is ready once nobody is pending.

        A repeated answer changes nothing: the first one counts.
        """
        states = self.states()
        if participant not in states:
            raise NotAsked(participant)
        if states[participant] != "pending" or self.status is not ExportStatus.ASSEMBLING:
            return self
        states[participant] = state
        return self._settle(states, now, keep)

    def time_out(self, now: datetime, keep: timedelta) -> Export:
        """Past ``answer_by``, every silent participant's part is missing and the export ready."""
        if self.status is not ExportStatus.ASSEMBLING or now < self.answer_by:
            return self
        states = {name: "missing" if state == "pending" else state for name, state in self.parts}
        return self._settle(states, now, keep)  # type: ignore[arg-type]  # values are PartStates

    def flag_overdue(self) -> Export:
        """A participant had to be asked again."""
        return replace(self, overdue=True)

    def is_expired(self, now: datetime) -> bool:
        """Whether the archive may no longer be downloaded."""
        return self.expires_at is not None and self.expires_at <= now

    def _settle(self, states: dict[str, PartState], now: datetime, keep: timedelta) -> Export:
        parts = tuple(states.items())
        if any(state == "pending" for _, state in parts):
            return replace(self, parts=parts)
        return replace(
            self, parts=parts, status=ExportStatus.READY, ready_at=now, expires_at=now + keep
        )
