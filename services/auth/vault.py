"""How auth keeps e-mail addresses and phone numbers at rest: never in clear.

Each identifier is stored twice, neither readable without a key:

- a keyed digest (HMAC, purpose ``identifier-lookup``) with a unique index, to find the account
  a sign-in names and to refuse a second account with the same identifier;
- a ciphertext (AES-GCM, bound to the account id) to show the person their own address and to
  tell the notifier where to write.

The digest key is ``AUTH_IDENTIFIER_HMAC_KEY``, which also makes the retired-identifier digests;
those use the purpose ``identifier`` (see :func:`services.auth.domain.identifier_digest`), so a
live account's lookup digest never equals the digest of a retired identifier.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.auth.domain import Identifier
from shared.crypto import FieldCipher, derive_key, keyed_hash

__all__ = ["LOOKUP_PURPOSE", "IdentifierVault", "derive_encryption_key"]

LOOKUP_PURPOSE = "identifier-lookup"
# Associated data of a pending new address, so it cannot pass for the account's stored one.
_PENDING = ":pending"


def derive_encryption_key(identifier_hmac_key: bytes) -> bytes:
    """A 32-byte encryption key derived from the digest key (HKDF-SHA256), when none is set."""
    return derive_key(identifier_hmac_key, "auth identifier encryption v1")


@dataclass(frozen=True)
class IdentifierVault:
    """Digests for lookups and ciphertexts for reading, of one account's identifiers."""

    lookup_key: bytes
    cipher: FieldCipher

    def digest(self, identifier: Identifier) -> str:
        """The keyed digest an account is found by (canonical identifier in, hex out)."""
        return keyed_hash(self.lookup_key, LOOKUP_PURPOSE, identifier.value)

    def digest_of(self, value: str | None) -> str | None:
        """:meth:`digest` of a canonical value, or None for no value."""
        return None if value is None else keyed_hash(self.lookup_key, LOOKUP_PURPOSE, value)

    def seal(self, value: str | None, account_id: str) -> str | None:
        """Encrypt a canonical identifier for the account's row (None stays None)."""
        return None if value is None else self.cipher.encrypt(value, context=account_id)

    def open(self, sealed: str | None, account_id: str) -> str | None:
        """Decrypt what :meth:`seal` made for the same account (None stays None)."""
        return None if sealed is None else self.cipher.decrypt(sealed, context=account_id)

    def seal_pending(self, value: str, account_id: str) -> str:
        """Encrypt a new address waiting for its confirmation code."""
        return self.cipher.encrypt(value, context=account_id + _PENDING)

    def open_pending(self, sealed: str, account_id: str) -> str:
        """Decrypt what :meth:`seal_pending` made for the same account."""
        return self.cipher.decrypt(sealed, context=account_id + _PENDING)
