"""Sealing fields to an account's key as auth and deletion do, with the notifier's own keys."""

from __future__ import annotations

from services.notifier import keys
from services.notifier.handlers import Deps
from shared.shredding import seal_field

__all__ = ["open_for", "seal_for"]


async def seal_for(deps: Deps, account_id: str, plaintext: str) -> str:
    """``plaintext`` sealed to the account's public key (issued by the notifier if need be)."""
    async with deps.db.transaction() as tx:
        await keys.ensure_key(tx, deps.keyring, deps.topics, deps.clock, account_id, "c")
    row = await deps.db.fetch_one(
        "SELECT public_key FROM account_keys WHERE account_id = ?", (account_id,)
    )
    assert row is not None
    return seal_field(row["public_key"], plaintext, account_id)


async def open_for(deps: Deps, account_id: str, token: str) -> str:
    """What the notifier reads in ``token``."""
    return (await deps.keyring.opener(deps.db, account_id)).open(token)
