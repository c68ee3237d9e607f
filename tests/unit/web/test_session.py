"""The sealed session cookie: opens only unaltered, with our key, within its age."""

from __future__ import annotations

from services.web.session import Session, SessionCodec, cookie_name
from shared.clock import FrozenClock
from shared.crypto import decode_key, new_key


def _codec(clock: FrozenClock, key: str | None = None) -> SessionCodec:
    return SessionCodec(decode_key(key or new_key(), size=32), clock, max_age_seconds=3600)


def test_a_sealed_session_opens_again_with_everything_it_held() -> None:
    clock = FrozenClock()
    codec = _codec(clock)
    session = codec.new()
    session.update(token="header.payload.signature", lang="nb", request_id="r-1")
    opened = codec.open(codec.seal(session))
    assert opened == session
    assert opened is not None
    assert opened.signed_in


def test_the_token_cannot_be_read_from_the_cookie() -> None:
    codec = _codec(FrozenClock())
    session = codec.new()
    session.update(token="very-secret-access-token")
    assert "very-secret" not in codec.seal(session)


def test_a_tampered_forged_or_foreign_cookie_is_ignored() -> None:
    clock = FrozenClock()
    codec = _codec(clock)
    value = codec.seal(codec.new())
    flipped = value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1]
    assert codec.open(flipped) is None
    assert codec.open("not-a-cookie") is None
    assert codec.open("") is None
    assert _codec(clock).open(value) is None  # sealed with another key


def test_an_old_session_is_ignored() -> None:
    clock = FrozenClock()
    codec = _codec(clock)
    value = codec.seal(codec.new())
    clock.advance(3601)
    assert codec.open(value) is None


def test_signing_out_keeps_the_language_and_changes_the_csrf_token() -> None:
    session = Session(lang="en", token="t", request_id="r", operator=True)
    before = session.csrf
    session.sign_out()
    assert (session.lang, session.token, session.request_id, session.operator) == (
        "en",
        None,
        None,
        False,
    )
    assert session.csrf != before
    assert not session.csrf_matches(before)
    assert session.csrf_matches(session.csrf)
    assert not session.csrf_matches(None)


def test_the_secure_cookie_is_bound_to_the_host() -> None:
    assert cookie_name(secure=True) == "__Host-adieu_session"
    assert cookie_name(secure=False) == "adieu_session"
