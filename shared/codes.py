"""One-time verification codes: generated with ``secrets``, kept only as keyed hashes."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable

from shared.crypto import keyed_hash

__all__ = ["CodeGenerator", "CodeHasher", "random_code"]

CodeGenerator = Callable[[], str]


def random_code(digits: int = 6) -> str:
    """Return a uniformly random numeric code with leading zeros kept."""
    return f"{secrets.randbelow(10**digits):0{digits}d}"


class CodeHasher:
    """Hashes codes for storage and checks a typed code in constant time."""

    def __init__(self, key: bytes, purpose: str) -> None:
        self._key = key
        self._purpose = purpose

    def hash(self, subject: str, code: str) -> str:
        """Hash ``code`` bound to ``subject`` (a request id), so equal codes differ at rest."""
        return keyed_hash(self._key, f"{self._purpose}:{subject}", code)

    def matches(self, subject: str, code: str, stored_hash: str) -> bool:
        """Whether ``code`` is the one whose hash was stored, compared in constant time."""
        return hmac.compare_digest(self.hash(subject, code.strip()), stored_hash)
