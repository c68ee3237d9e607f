"""Auth's part of the person's data export: the profile and the preferences it holds."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from services.auth import store
from services.auth.handlers import Deps
from shared.db import Transaction
from shared.participant_answers import ParticipantAnswers

__all__ = ["export_answers", "profile_part"]

PARTICIPANT = "auth"


async def profile_part(deps: Deps, tx: Transaction, account_id: str) -> dict[str, Any]:
    """The account and its settings as the person would read them; ``{}`` if there is none."""
    account = await store.find_account(tx, deps.vault, account_id)
    if account is None:
        return {}
    profile = await store.find_profile(tx, account_id)
    return {
        "account": {
            "account_id": account.account_id,
            "email": account.email,
            "phone": account.phone,
            "username": account.username,
            "language": account.language,
            "status": account.status,
        },
        "preferences": {
            "time_zone": profile.time_zone,
            "notifications": asdict(profile.notifications),
            "has_picture": profile.picture is not None,
        },
    }


def export_answers(deps: Deps) -> ParticipantAnswers:
    """Auth answers exports with the profile; it never holds a deletion."""

    async def export(tx: Transaction, account_id: str) -> dict[str, Any]:
        return await profile_part(deps, tx, account_id)

    return ParticipantAnswers(PARTICIPANT, deps.topics, deps.clock, export=export)
