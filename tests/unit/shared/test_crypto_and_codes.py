"""Field encryption, keyed hashes and verification codes."""

from __future__ import annotations

import pytest

from shared.codes import CodeHasher, random_code
from shared.crypto import DecryptionError, FieldCipher, decode_key, keyed_hash, new_key


def test_a_field_opens_only_for_its_own_account() -> None:
    cipher = FieldCipher(decode_key(new_key(), size=32))
    sealed = cipher.encrypt("kari@example.com", context="acc-1")
    assert "kari" not in sealed
    assert cipher.decrypt(sealed, context="acc-1") == "kari@example.com"
    with pytest.raises(DecryptionError):
        cipher.decrypt(sealed, context="acc-2")


def test_a_field_does_not_open_with_another_key() -> None:
    sealed = FieldCipher(decode_key(new_key(), size=32)).encrypt("x", context="a")
    with pytest.raises(DecryptionError):
        FieldCipher(decode_key(new_key(), size=32)).decrypt(sealed, context="a")


def test_keyed_hashes_are_stable_and_domain_separated() -> None:
    key = decode_key(new_key(), size=32)
    assert keyed_hash(key, "identifier", "a@b.no") == keyed_hash(key, "identifier", "a@b.no")
    assert keyed_hash(key, "identifier", "a@b.no") != keyed_hash(key, "account", "a@b.no")


def test_codes_are_six_digits_and_checked_against_their_hash() -> None:
    hasher = CodeHasher(decode_key(new_key(), size=32), "deletion-code")
    code = random_code()
    assert len(code) == 6 and code.isdigit()  # noqa: PT018  # one property: a 6-digit string
    stored = hasher.hash("req-1", code)
    assert code not in stored
    assert hasher.matches("req-1", code, stored)
    assert not hasher.matches("req-2", code, stored)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert not hasher.matches("req-1", wrong, stored)


def test_a_key_of_the_wrong_size_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        decode_key(new_key(16), size=32)
