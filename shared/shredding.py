"""Crypto-shredding of single fields: each account's fields sealed to that account's own key.

The reader of the fields (the notifier, for addresses and codes) owns one X25519 key pair per
account and publishes only the public key. Writers seal each field to it with
:func:`shared.sealing.seal` (X25519 + HKDF-SHA256 + AES-256-GCM, bound to the account id). The
private key lives only in the reader's own database, wrapped by the reader's platform key
(:class:`KeyWrapper`). Destroying it at the purge makes every sealed field about that person
unreadable at once, in every retained record on every topic and in every backup, while other
accounts' fields still open; no long-lived key opens a sealed field.

See ``docs/crypto-shredding.md`` for the design and its limits.
"""

from __future__ import annotations

from shared.crypto import DecryptionError, FieldCipher, decode_key, encode_key
from shared.sealing import open_sealed, seal

__all__ = ["SEALED_PREFIX", "KeyWrapper", "is_sealed", "open_field", "seal_field"]

# Marks a sealed field; "." never occurs in URL-safe base64, so no older ciphertext has it.
SEALED_PREFIX = "x1."
_KEY_BYTES = 32


def is_sealed(token: str) -> bool:
    """Whether ``token`` was made by :func:`seal_field` (rather than by an older scheme)."""
    return token.startswith(SEALED_PREFIX)


def seal_field(public_key: str, plaintext: str, account_id: str) -> str:
    """``plaintext`` sealed to the account's public key; only its private key opens it."""
    return SEALED_PREFIX + seal(public_key, plaintext.encode(), _context(account_id))


def open_field(private_key: bytes, token: str, account_id: str) -> str:
    """Open a field sealed to this account's key; raise DecryptionError on any mismatch."""
    if not is_sealed(token):
        raise DecryptionError("field is not sealed to an account key")
    opened = open_sealed(private_key, token[len(SEALED_PREFIX) :], _context(account_id))
    try:
        return opened.decode()
    except UnicodeDecodeError as exc:
        raise DecryptionError("field could not be decrypted") from exc


def _context(account_id: str) -> str:
    return f"field {account_id}"


class KeyWrapper:
    """Keeps private keys at rest under the reader's platform key, bound to their account.

    The wrapping key protects a copied database file; it opens nothing that travelled, so
    holding it after a purge reveals nothing about the purged account.
    """

    def __init__(self, wrapping_key: bytes) -> None:
        self._cipher = FieldCipher(wrapping_key)

    def wrap(self, private_key: bytes, account_id: str) -> str:
        """The private key encrypted for storage."""
        return self._cipher.encrypt(encode_key(private_key), f"account key {account_id}")

    def unwrap(self, wrapped: str, account_id: str) -> bytes:
        """The private key back; raise DecryptionError if it was not wrapped for this account."""
        opened = self._cipher.decrypt(wrapped, f"account key {account_id}")
        return decode_key(opened, size=_KEY_BYTES)
