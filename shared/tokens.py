"""Bearer access tokens: signed by auth with Ed25519, verified locally by every other service.

Asymmetric signing means only auth can mint a token; the others hold just the public key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from shared.clock import Clock
from shared.crypto import decode_key, encode_key
from shared.ids import IdFactory, random_id

__all__ = [
    "AccessClaims",
    "InvalidToken",
    "TokenIssuer",
    "TokenVerifier",
    "new_signing_key",
    "public_key_for",
]

_ALGORITHM = "EdDSA"
_ISSUER = "adieu-auth"
_AUDIENCE = "adieu"
# Small allowance for clocks of different hosts disagreeing.
_LEEWAY_SECONDS = 5


class InvalidToken(Exception):
    """The token is missing, malformed, forged, tampered with or expired."""


@dataclass(frozen=True)
class AccessClaims:
    """What a verified token tells a service about its bearer."""

    account_id: str
    session_id: str
    issued_at: datetime
    authenticated_at: datetime
    expires_at: datetime


def new_signing_key() -> str:
    """Return a new Ed25519 private key, encoded for configuration."""
    raw = Ed25519PrivateKey.generate().private_bytes_raw()
    return encode_key(raw)


def public_key_for(signing_key: str) -> str:
    """Return the configuration form of the public key matching ``signing_key``."""
    private = Ed25519PrivateKey.from_private_bytes(decode_key(signing_key, size=32))
    raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return encode_key(raw)


class TokenIssuer:
    """Mints access tokens (auth only)."""

    def __init__(
        self, signing_key: str, clock: Clock, lifetime_seconds: int, new_id: IdFactory = random_id
    ) -> None:
        self._key = Ed25519PrivateKey.from_private_bytes(decode_key(signing_key, size=32))
        self._new_id = new_id
        self._clock = clock
        self._lifetime = timedelta(seconds=lifetime_seconds)

    @property
    def lifetime_seconds(self) -> int:
        """How long a new token stays valid."""
        return int(self._lifetime.total_seconds())

    def issue(
        self,
        account_id: str,
        *,
        session_id: str | None = None,
        authenticated_at: datetime | None = None,
    ) -> str:
        """Sign a token for ``account_id``; ``authenticated_at``: when the password was checked."""
        now = self._clock.now()
        claims = {
            "iss": _ISSUER,
            "aud": _AUDIENCE,
            "sub": account_id,
            "sid": session_id or self._new_id(),
            "iat": int(now.timestamp()),
            "auth_time": int((authenticated_at or now).timestamp()),
            "exp": int((now + self._lifetime).timestamp()),
        }
        return jwt.encode(claims, self._key, algorithm=_ALGORITHM)


class TokenVerifier:
    """Checks signature, issuer, audience, expiry and lifetime against the published key.

    ``max_lifetime_seconds`` is the platform's longest token life (revocations are kept that
    long): a token whose ``exp - iat`` is longer is refused, so even a signing mistake or a
    misconfigured issuer cannot mint a token that outlives its revocation record.
    """

    def __init__(self, public_key: str, clock: Clock, max_lifetime_seconds: int = 3600) -> None:
        self._key = Ed25519PublicKey.from_public_bytes(decode_key(public_key, size=32))
        self._clock = clock
        self._max_lifetime = max_lifetime_seconds

    def verify(self, token: str) -> AccessClaims:
        """Return the token's claims, or raise :class:`InvalidToken`."""
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[_ALGORITHM],
                audience=_AUDIENCE,
                issuer=_ISSUER,
                options={
                    "require": ["exp", "iat", "sub", "sid", "auth_time"],
                    "verify_exp": False,
                    "verify_iat": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        # Times are checked against the injected clock, not the machine's, so tests control it.
        now = self._clock.now().timestamp()
        if claims["exp"] + _LEEWAY_SECONDS < now:
            raise InvalidToken("token has expired")
        if claims["iat"] - _LEEWAY_SECONDS > now:
            raise InvalidToken("token is issued in the future")
        if claims["exp"] - claims["iat"] > self._max_lifetime:
            raise InvalidToken("token lives longer than the platform allows")
        return AccessClaims(
            account_id=str(claims["sub"]),
            session_id=str(claims["sid"]),
            issued_at=_from_timestamp(claims["iat"]),
            authenticated_at=_from_timestamp(claims["auth_time"]),
            expires_at=_from_timestamp(claims["exp"]),
        )


def _from_timestamp(value: int) -> datetime:
    return datetime.fromtimestamp(value, UTC)
