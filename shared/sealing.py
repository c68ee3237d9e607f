"""Sealing to one account's key: X25519 + HKDF-SHA256 + AES-256-GCM (an ECIES "sealed box").

The service that must read something about an account (deletion, for the data export) keeps a
key pair per account and publishes only the public key; any participant can seal to it, none
can open what another sealed. Destroying the private key at the purge makes every sealed copy
unreadable at once — on every topic, in every retained segment and backup (crypto-shredding).

The minimal piece the export needs; the per-account key work of issue 12 (item 7) may replace
the key storage, not this format.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shared.crypto import DecryptionError, decode_key, encode_key

__all__ = ["AccountKeyPair", "open_sealed", "seal"]

_RAW = serialization.Encoding.Raw
_KEY_BYTES = 32
_NONCE = b"\x00" * 12  # a fresh ephemeral key per message makes a fixed nonce safe


@dataclass(frozen=True)
class AccountKeyPair:
    """One account's key pair: ``public_key`` may travel; ``private_key`` never leaves its owner."""

    private_key: bytes
    public_key: str

    @classmethod
    def generate(cls) -> AccountKeyPair:
        """A fresh random key pair."""
        private = X25519PrivateKey.generate()
        return cls(private.private_bytes_raw(), _public_text(private.public_key()))


def seal(public_key: str, plaintext: bytes, context: str) -> str:
    """Encrypt ``plaintext`` to ``public_key``, bound to ``context``; URL-safe base64 text."""
    recipient = X25519PublicKey.from_public_bytes(decode_key(public_key, size=_KEY_BYTES))
    ephemeral = X25519PrivateKey.generate()
    sender = ephemeral.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
    key = _derive(ephemeral.exchange(recipient), sender, context)
    return encode_key(sender + AESGCM(key).encrypt(_NONCE, plaintext, context.encode()))


def open_sealed(private_key: bytes, token: str, context: str) -> bytes:
    """Open what :func:`seal` made for this key pair and ``context``; DecryptionError if not."""
    try:
        raw = decode_key(token)
        sender, sealed = raw[:_KEY_BYTES], raw[_KEY_BYTES:]
        secret = X25519PrivateKey.from_private_bytes(private_key).exchange(
            X25519PublicKey.from_public_bytes(sender)
        )
        return AESGCM(_derive(secret, sender, context)).decrypt(_NONCE, sealed, context.encode())
    except (InvalidTag, ValueError) as exc:
        raise DecryptionError("sealed data could not be opened") from exc


def _derive(secret: bytes, sender: bytes, context: str) -> bytes:
    info = b"adieu sealed " + sender + b"\x00" + context.encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)


def _public_text(public: X25519PublicKey) -> str:
    return encode_key(public.public_bytes(_RAW, serialization.PublicFormat.Raw))
