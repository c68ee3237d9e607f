"""Proof of erasure: receipts signed with the deletion service's Ed25519 key.

A receipt holds no personal data: the request id, a keyed hash of the account id (the shop
can recompute it to show a receipt is about a given account; nobody else can), when the
deletion was confirmed and purged, and when each participant confirmed its erasure. It is
signed over its canonical JSON (sorted keys, no spaces, UTF-8), so anyone with the published
public key can check it, and changing one byte breaks the signature.
"""

from __future__ import annotations

import binascii
import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.crypto import decode_key, encode_key
from shared.tokens import new_signing_key, public_key_for

__all__ = ["ReceiptSigner", "canonical", "key_id", "load_or_create_key", "verify_receipt"]

log = logging.getLogger(__name__)

KEY_FILE = "receipt-signing.key"


def canonical(receipt: dict[str, Any]) -> bytes:
    """The exact bytes a receipt's signature covers."""
    return json.dumps(receipt, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def key_id(public_key: str) -> str:
    """A short, stable name for a public key: the start of its SHA-256."""
    return hashlib.sha256(decode_key(public_key, size=32)).hexdigest()[:16]


class ReceiptSigner:
    """Signs receipts with one Ed25519 key."""

    def __init__(self, signing_key: str) -> None:
        self._key = Ed25519PrivateKey.from_private_bytes(decode_key(signing_key, size=32))
        self.public_key = public_key_for(signing_key)
        self.key_id = key_id(self.public_key)

    def sign(self, receipt: dict[str, Any]) -> tuple[str, str]:
        """The canonical document and its signature (URL-safe base64)."""
        document = canonical(receipt)
        return document.decode(), encode_key(self._key.sign(document))


def verify_receipt(document: dict[str, Any], public_key: str) -> bool:
    """Whether ``document`` (``{"receipt": {...}, "signature": "..."}``) is signed by the key.

    Anything malformed — a missing field, a bad key, a changed byte — is simply not valid.
    """
    try:
        receipt = document["receipt"]
        signature = decode_key(str(document["signature"]), size=64)
        key = Ed25519PublicKey.from_public_bytes(decode_key(public_key, size=32))
        if not isinstance(receipt, dict):
            return False
        key.verify(signature, canonical(receipt))
    except (KeyError, TypeError, ValueError, InvalidSignature, binascii.Error):
        return False
    return True


def load_or_create_key(configured: str | None, data_dir: Path) -> str:
    """The configured signing key, else the one kept under ``data_dir`` (made on first start).

    The file is written once, atomically (link of a finished temporary file), so processes
    sharing the data directory agree on one key.
    """
    if configured:
        decode_key(configured, size=32)
        return configured
    path = data_dir / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{KEY_FILE}.{os.getpid()}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(new_signing_key())
        try:
            os.link(temporary, path)
            log.warning(
                "DELETION_RECEIPT_SIGNING_KEY is not set: generated a receipt signing key"
                " and kept it in %s; back it up, receipts are verified with its public key",
                path,
            )
        except FileExistsError:
            pass  # another process made it first; use theirs
        finally:
            temporary.unlink()
    key = path.read_text().strip()
    decode_key(key, size=32)
    return key
