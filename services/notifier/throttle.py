"""Recognising a recipient for the code throttle without keeping the address.

The throttle counts codes per recipient address, so it must tell addresses apart; it keeps only
an HMAC of the canonical address under a key of the notifier's own. That key is
``NOTIFIER_THROTTLE_KEY`` when set, else derived from the notifier's wrapping key with HKDF,
so that the stored value cannot be matched against another service's keyed hashes.
"""

from __future__ import annotations

from shared.crypto import derive_key, keyed_hash
from shared.events import Channel

__all__ = ["derive_throttle_key", "recipient_key"]


def derive_throttle_key(wrapping_key: bytes) -> bytes:
    """A 32-byte throttle key derived from the notifier's wrapping key (HKDF-SHA256)."""
    return derive_key(wrapping_key, "notifier recipient throttle v1")


def recipient_key(key: bytes, channel: Channel, address: str) -> str:
    """The keyed hash a recipient is counted under; one person's address, however spelled."""
    canonical = address.strip()
    if channel == "email":
        canonical = canonical.lower()
    else:
        canonical = "".join(char for char in canonical if char == "+" or char.isdigit())
    return keyed_hash(key, f"notifier-throttle-{channel}", canonical)
