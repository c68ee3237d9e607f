"""Access tokens: what a service that verifies them locally accepts and refuses."""

from __future__ import annotations

import base64
import json

import pytest

from shared.clock import FrozenClock
from shared.tokens import InvalidToken, TokenIssuer, TokenVerifier, new_signing_key, public_key_for


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def signing_key() -> str:
    return new_signing_key()


def test_a_genuine_token_yields_its_account(clock: FrozenClock, signing_key: str) -> None:
    token = TokenIssuer(signing_key, clock, 900).issue("acc-1")
    claims = TokenVerifier(public_key_for(signing_key), clock).verify(token)
    assert claims.account_id == "acc-1"
    assert claims.authenticated_at == clock.now()


def test_an_expired_token_is_refused(clock: FrozenClock, signing_key: str) -> None:
    token = TokenIssuer(signing_key, clock, 900).issue("acc-1")
    clock.advance(900 + 60)
    with pytest.raises(InvalidToken):
        TokenVerifier(public_key_for(signing_key), clock).verify(token)


def test_a_token_signed_by_another_key_is_refused(clock: FrozenClock, signing_key: str) -> None:
    forged = TokenIssuer(new_signing_key(), clock, 900).issue("acc-1")
    with pytest.raises(InvalidToken):
        TokenVerifier(public_key_for(signing_key), clock).verify(forged)


def test_a_tampered_token_is_refused(clock: FrozenClock, signing_key: str) -> None:
    header, payload, signature = TokenIssuer(signing_key, clock, 900).issue("acc-1").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "acc-2"
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    with pytest.raises(InvalidToken):
        TokenVerifier(public_key_for(signing_key), clock).verify(
            f"{header}.{forged_payload}.{signature}"
        )


def test_an_unsigned_token_is_refused(clock: FrozenClock, signing_key: str) -> None:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    unsigned = f"{part({'alg': 'none', 'typ': 'JWT'})}.{part({'sub': 'acc-1'})}."
    with pytest.raises(InvalidToken):
        TokenVerifier(public_key_for(signing_key), clock).verify(unsigned)


def test_a_genuinely_signed_token_living_longer_than_the_platform_allows_is_refused(
    clock: FrozenClock, signing_key: str
) -> None:
    # As if the issuer were misconfigured or its key misused: a valid signature, a long life.
    long_lived = TokenIssuer(signing_key, clock, 7200).issue("acc-1")
    verifier = TokenVerifier(public_key_for(signing_key), clock, max_lifetime_seconds=3600)
    with pytest.raises(InvalidToken, match="longer"):
        verifier.verify(long_lived)
    at_the_limit = TokenIssuer(signing_key, clock, 3600).issue("acc-1")
    assert verifier.verify(at_the_limit).account_id == "acc-1"
