"""Password hashing with argon2id; the work runs in a thread so the event loop keeps serving."""

from __future__ import annotations

import asyncio
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["Passwords"]


class Passwords:
    """Hashes and checks passwords; ``hasher`` carries the current cost parameters."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        # argon2-cffi's defaults are argon2id with the RFC 9106 low-memory profile.
        self._hasher = hasher or PasswordHasher()
        self._decoy: str | None = None

    async def hash(self, password: str) -> str:
        """A salted argon2id hash of ``password``, in PHC string form."""
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, stored_hash: str, password: str) -> bool:
        """Whether ``password`` matches ``stored_hash``."""
        try:
            return await asyncio.to_thread(self._hasher.verify, stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        """Whether ``stored_hash`` was made with other parameters than the current ones."""
        return self._hasher.check_needs_rehash(stored_hash)

    async def verify_decoy(self, password: str) -> None:
        """Spend the time of a real check, for a login that has no account (equal timing)."""
        if self._decoy is None:
            self._decoy = await self.hash(secrets.token_urlsafe(32))
        await self.verify(self._decoy, password)
