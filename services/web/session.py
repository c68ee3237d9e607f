"""The person's session: sealed into one cookie with AES-GCM, so the browser can neither read
nor alter the access token inside it, and no session store is needed on our side.

The CSRF token lives in the same sealed session; every form carries it and every POST is
checked against it (the synchroniser-token pattern).
"""

from __future__ import annotations

import hmac
import json
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

from shared.clock import Clock
from shared.crypto import DecryptionError, FieldCipher

__all__ = ["Session", "SessionCodec", "cookie_name"]

# Associated data: a ciphertext sealed for another purpose with the same key will not open here.
_CONTEXT = "adieu-web-session-v1"


@dataclass
class Session:
    """What the web edge remembers between two requests of one browser."""

    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    issued_at: float = 0.0
    lang: str | None = None
    token: str | None = None
    channel: str | None = None
    request_id: str | None = None
    purge_deadline: str | None = None
    pending_contact: str | None = None
    # What a sign-up typed as its address, until the code proving it is entered.
    signup_login: str | None = None
    signup_minutes: int | None = None
    time_zone: str | None = None
    # Where the deletion code went, already masked (k***@example.com).
    code_to: str | None = None
    operator: bool = False
    # The server-side operator session this cookie belongs to (see operator_sessions).
    operator_id: str | None = None
    notice: str | None = None
    dirty: bool = field(default=False, compare=False)

    @property
    def signed_in(self) -> bool:
        """Whether a person's access token is held."""
        return self.token is not None

    def update(self, **changes: Any) -> None:
        """Change fields and remember to send the cookie again."""
        for name, value in changes.items():
            setattr(self, name, value)
        self.dirty = True

    def sign_out(self) -> None:
        """Forget the person (keep the language); a new CSRF token starts a new session."""
        lang = self.lang
        fresh = Session(lang=lang, issued_at=self.issued_at)
        for name, value in asdict(fresh).items():
            setattr(self, name, value)
        self.dirty = True

    def take_notice(self) -> str | None:
        """The one-time message for the next page, removed once read."""
        notice, self.notice = self.notice, None
        if notice is not None:
            self.dirty = True
        return notice

    def csrf_matches(self, given: str | None) -> bool:
        """Whether ``given`` is this session's CSRF token (compared in constant time)."""
        return bool(given) and hmac.compare_digest(self.csrf.encode(), str(given).encode())


class SessionCodec:
    """Seals sessions into cookie values and opens them again."""

    def __init__(self, key: bytes, clock: Clock, max_age_seconds: int) -> None:
        self._cipher = FieldCipher(key)
        self._clock = clock
        self._max_age = max_age_seconds

    def new(self) -> Session:
        """A fresh anonymous session."""
        return Session(issued_at=self._clock.now().timestamp(), dirty=True)

    def seal(self, session: Session) -> str:
        """The cookie value for ``session``."""
        data = {k: v for k, v in asdict(session).items() if k != "dirty" and v is not None}
        return self._cipher.encrypt(json.dumps(data, separators=(",", ":")), _CONTEXT)

    def open(self, value: str | None) -> Session | None:
        """The session in a cookie value, or None if it is missing, forged or too old."""
        if not value:
            return None
        try:
            data = json.loads(self._cipher.decrypt(value, _CONTEXT))
            session = Session(**data)
        except (DecryptionError, ValueError, TypeError):
            return None
        age = self._clock.now().timestamp() - session.issued_at
        return session if 0 <= age <= self._max_age else None


def cookie_name(secure: bool) -> str:
    """``__Host-`` binds the cookie to our exact origin, but browsers accept it only if Secure."""
    return "__Host-adieu_session" if secure else "adieu_session"
