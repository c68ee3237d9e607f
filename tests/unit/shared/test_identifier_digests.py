"""A person's identifiers typed into a comment in the forms people type them, recognised from
keyed digests alone, and left alone when they are someone else's."""

from __future__ import annotations

import pytest

from shared.identifier_digests import identifier_words, issue_digests, redact_words

KEY = bytes(range(32))
GONE = "[x]"
KARI = {"email": "Kari.Nordmann+shop@Example.com", "phone": "+4791234567", "username": "K.Nord_99"}


def _redacted(text: str, key: bytes = KEY, **who: str | None) -> str:
    identifiers = {"email": None, "phone": None, "username": None, **(who or KARI)}
    issued = issue_digests(KEY, identifier_words(**identifiers))
    theirs = issued.matcher(key)
    assert theirs is not None
    return redact_words(text, theirs, GONE)


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("Hilsen K.Nord_99, takk", "Hilsen [x], takk"),
        ("Hilsen k.nord_99", "Hilsen [x]"),
        ("I was KNORD99 here", "I was [x] here"),
        ("my user is k nord 99 ok", "my user is [x] ok"),
        ("user: (K.Nord_99).", "user: ([x])."),
        ("mail KARI.NORDMANN at example", "mail [x] at example"),
        ("Kari Nordmann here", "[x] here"),
        ("kari.nordmann+shop@example.com", "[x]"),
        ("ring 912 34 567!", "ring [x]!"),
        ("ring +47 912-34-567", "ring [x]"),
        ("ring 0047 91234567", "ring [x]"),
        ("ring (+47) 91 23 45 67 now", "ring [x] now"),
    ],
)
def test_their_identifiers_are_recognised_in_the_forms_people_type(typed: str, kept: str) -> None:
    assert _redacted(typed) == kept


def test_a_short_foreign_number_is_recognised_even_with_its_trunk_zero() -> None:
    # A seven-digit number: too short for the digit-run rule of the scrubber.
    who = {"phone": "+3545512345"}  # Iceland, seven digits
    assert _redacted("call 551 2345 or +354 551-2345", **who) == "call [x] or [x]"


def test_other_peoples_words_and_the_mail_domain_stay() -> None:
    text = "Nordic shop, example.com is fine, 4 of 5, 2026, order 99"
    assert _redacted(text) == text


def test_another_key_recognises_nothing() -> None:
    issued = issue_digests(KEY, identifier_words(email=None, phone=None, username="kari99"))
    assert issued.matcher(bytes(32)) is None
    assert issued.matcher(KEY) is not None


def test_the_digests_hold_no_identifier_and_differ_per_request() -> None:
    words = identifier_words(**KARI)
    first, second = issue_digests(KEY, words), issue_digests(KEY, words)
    assert set(first.digests).isdisjoint(second.digests)  # a fresh salt each time
    dumped = repr(first).casefold()
    assert not any(word in dumped for word in words)
