"""Keyed hashes and field encryption, built on well-kept primitives (hmac, AES-GCM).

Secrets travel as URL-safe base64 strings in configuration so that a key fits in one
environment variable.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = [
    "DecryptionError",
    "FieldCipher",
    "decode_key",
    "derive_key",
    "encode_key",
    "keyed_hash",
    "new_key",
]

_NONCE_BYTES = 12


class DecryptionError(Exception):
    """A ciphertext was tampered with, truncated, or made with another key."""


def new_key(size: int = 32) -> str:
    """Return a fresh random key, encoded for configuration."""
    return encode_key(os.urandom(size))


def encode_key(raw: bytes) -> str:
    """Encode raw key bytes for configuration."""
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_key(text: str, *, size: int | None = None) -> bytes:
    """Decode a configured key; raise ValueError when it is malformed or of the wrong size."""
    padded = text.strip() + "=" * (-len(text.strip()) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded)
    except (ValueError, TypeError) as exc:
        raise ValueError("key is not URL-safe base64") from exc
    if size is not None and len(raw) != size:
        raise ValueError(f"key must be {size} bytes, got {len(raw)}")
    return raw


def derive_key(master: bytes, purpose: str) -> bytes:
    """A 32-byte key for ``purpose`` derived from ``master`` (HKDF-SHA256).

    Lets a service use one configured secret for several jobs without reusing the same key.
    """
    info = f"adieu {purpose}".encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)


def keyed_hash(key: bytes, purpose: str, value: str) -> str:
    """HMAC-SHA256 of ``value``, domain-separated by ``purpose``; hex encoded.

    Used where we must recognise a value later without keeping it: retired identifiers,
    verification codes, account ids in receipts.
    """
    message = purpose.encode() + b"\x00" + value.encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


class FieldCipher:
    """AES-256-GCM for single fields, bound to a context (the account id) as associated data.

    Binding the context means a ciphertext copied onto another account's event fails to open.
    """

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("field encryption key must be 32 bytes")
        self._aead = AESGCM(key)

    def encrypt(self, plaintext: str, context: str) -> str:
        """Encrypt ``plaintext``; the result is URL-safe base64 text."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), context.encode())
        return encode_key(nonce + sealed)

    def decrypt(self, token: str, context: str) -> str:
        """Open a ciphertext made by :meth:`encrypt` for the same context."""
        try:
            raw = decode_key(token)
            nonce, sealed = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
            return self._aead.decrypt(nonce, sealed, context.encode()).decode()
        except (InvalidTag, ValueError) as exc:
            raise DecryptionError("field could not be decrypted") from exc
