"""The notifier's part of the person's data export: the messages it sent and its settings.

Addresses are auth's part (the notifier's are copies of them); codes are never exported.
"""

from __future__ import annotations

from typing import Any

from services.notifier.handlers import PARTICIPANT, Deps
from shared.db import Transaction
from shared.participant_answers import ParticipantAnswers

__all__ = ["export_answers", "messages_part"]


async def messages_part(tx: Transaction, account_id: str) -> dict[str, Any]:
    """The account's message language and zone, and every message with its kind and outcome."""
    cursor = await tx.execute(
        "SELECT language, time_zone FROM contacts WHERE account_id = ?", (account_id,)
    )
    contact = await cursor.fetchone()
    await cursor.close()
    cursor = await tx.execute(
        "SELECT template, channel, status, requested_at, finished_at FROM deliveries"
        " WHERE account_id = ? ORDER BY requested_at",
        (account_id,),
    )
    messages = [dict(row) for row in await cursor.fetchall()]
    await cursor.close()
    settings = None if contact is None else dict(contact)
    return {"message_settings": settings, "messages": messages}


def export_answers(deps: Deps) -> ParticipantAnswers:
    """The notifier answers exports with its messages; it never holds a deletion."""
    return ParticipantAnswers(PARTICIPANT, deps.topics, deps.clock, export=messages_part)
