"""Password hashing and the settings' guards."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from pydantic import ValidationError

from services.auth.config import Settings
from services.auth.passwords import Passwords
from shared.config import PlatformSettings
from shared.crypto import decode_key, new_key
from shared.tokens import new_signing_key, public_key_for

CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


async def test_hash_is_argon2id_and_verifies_only_the_same_password() -> None:
    passwords = Passwords(CHEAP)
    stored = await passwords.hash("correct horse")
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored
    assert await passwords.verify(stored, "correct horse")
    assert not await passwords.verify(stored, "correct horsE")
    assert not await passwords.verify("not a hash", "correct horse")


async def test_hash_made_with_other_parameters_needs_rehash() -> None:
    stored = await Passwords(CHEAP).hash("correct horse")
    assert Passwords().needs_rehash(stored)
    assert not Passwords(CHEAP).needs_rehash(stored)


def _settings(signing_key: str, public_key: str, **overrides: object) -> Settings:
    platform = PlatformSettings(
        token_public_key=public_key,
    )
    fields: dict[str, object] = {
        "platform": platform,
        "token_signing_key": signing_key,
        "identifier_hmac_key": new_key(),
    }
    fields.update(overrides)
    return Settings(**fields)  # type: ignore[arg-type]


def test_defaults() -> None:
    signing = new_signing_key()
    settings = _settings(signing, public_key_for(signing))
    assert settings.http_port == 8001
    assert settings.token_lifetime_seconds == 900
    assert settings.default_phone_region == "NO"
    assert len(settings.identifier_hmac_key_bytes()) == 32


def test_the_identifier_encryption_key_is_the_configured_one_or_derived() -> None:
    signing = new_signing_key()
    hmac_key = new_key()
    derived = _settings(signing, public_key_for(signing), identifier_hmac_key=hmac_key)
    key = derived.identifier_encryption_key_bytes()
    # Derived, so never the digest key itself, and the same on every start.
    assert len(key) == 32
    assert key != derived.identifier_hmac_key_bytes()
    again = _settings(signing, public_key_for(signing), identifier_hmac_key=hmac_key)
    assert again.identifier_encryption_key_bytes() == key
    chosen = new_key()
    given = _settings(signing, public_key_for(signing), identifier_encryption_key=chosen)
    assert given.identifier_encryption_key_bytes() == decode_key(chosen, size=32)


@pytest.mark.parametrize(
    "override",
    [
        {"identifier_hmac_key": "too-short"},
        {"identifier_encryption_key": "too-short"},
        {"token_signing_key": "not a key"},
        {"default_phone_region": "XX"},
    ],
)
def test_bad_settings_are_refused(override: dict[str, object]) -> None:
    signing = new_signing_key()
    with pytest.raises(ValidationError):
        _settings(signing, public_key_for(signing), **override)


def test_public_key_must_match_the_signing_key() -> None:
    with pytest.raises(ValidationError, match="does not match"):
        _settings(new_signing_key(), public_key_for(new_signing_key()))


def test_tokens_may_not_outlive_the_revocation_records() -> None:
    signing = new_signing_key()
    with pytest.raises(ValidationError, match="ADIEU_TOKEN_MAX_LIFETIME_SECONDS"):
        _settings(signing, public_key_for(signing), token_lifetime_seconds=7200)
