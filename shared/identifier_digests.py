"""Recognising a person's own identifiers in free text without holding them.

Auth knows an account's e-mail address, phone number and username; the survey must remove them
from the comments it keeps, yet must never hold them. So auth sends the survey *keyed digests*
of the words those identifiers are made of, and the survey removes every word (or run of up
to three words, or run of digits) of a comment whose digest is among them.

Both sides derive the same words through this one module:

- a word is compared casefolded (Unicode NFKC), whole, with its punctuation taken out
  (``Kari_Nordmann-99`` → ``karinordmann99``), and piece by piece (``kari``, ``nordmann``, ``99``);
  two or three neighbouring words are also compared joined (``Kari Nordmann 99``);
- an e-mail address gives its whole form, its local part, the local part without a ``+tag``,
  and that part's pieces; the domain is left alone (it names a mail provider, not a person);
- a phone number gives its digits with and without the country code; any run of digits in
  the text, however spaced (``+47 912 34 567``, ``0047-91234567``), is compared by every tail of
  five digits or more, so a country code or trunk zero in front does not hide it.

Words of fewer than three characters and digit runs of fewer than five are never sent nor
compared. A digest is HMAC-SHA256 under ``ADIEU_REDACTION_KEY`` (held by auth and the survey
only) of a fresh random salt per deletion request and the word, so the topic's readers cannot
test guesses, and two requests' digests cannot be linked. ``check`` lets the survey tell
that it holds the same key; with another key it cannot recognise anything, so it keeps none of
the free text (fail closed).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import phonenumbers

__all__ = [
    "DIGEST_LENGTH",
    "MAX_DIGESTS",
    "DigestSet",
    "identifier_words",
    "issue_digests",
    "redact_words",
]

DIGEST_LENGTH = 32  # hex characters: 128 bits
MAX_DIGESTS = 64
_MIN_WORD = 3
_MIN_DIGITS = 5
_LONGEST_RUN = 3  # neighbouring words compared joined

# A word: letters and digits, joined inside by the punctuation usernames and addresses use.
_WORD = re.compile(r"[^\W_](?:[\w.+\-'\u2019@]*[^\W_])?")
_GAP = re.compile(r"[\s,;:()\[\]\"/]{1,3}")
# Digits, however spaced or bracketed, with an optional + in front.
_DIGITS = re.compile(r"\(?\+?\d(?:[ \u00a0().\-/]{0,2}\d)*")
_SEPARATORS = re.compile(r"[^\w]|_")


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _compact(text: str) -> str:
    return _SEPARATORS.sub("", text)


def _forms(word: str) -> set[str]:
    """The forms one word (or an identifier part) is compared in."""
    norm = _norm(word)
    pieces = [piece for piece in _SEPARATORS.split(norm) if piece]
    return {norm, _compact(norm), *pieces}


def _keep(words: Iterable[str]) -> set[str]:
    return {word for word in words if len(word) >= (_MIN_DIGITS if word.isdigit() else _MIN_WORD)}


def identifier_words(
    *, email: str | None, phone: str | None, username: str | None
) -> frozenset[str]:
    """The words an account's identifiers are made of, as they are compared."""
    words: set[str] = set()
    if email:
        whole = _norm(email)
        local = whole.split("@", 1)[0]
        words |= {whole, local} | _forms(local.split("+", 1)[0])
    if username:
        words |= _forms(username)
    if phone:
        words |= _phone_words(phone)
    return frozenset(_keep(words))


def _phone_words(phone: str) -> set[str]:
    digits = _compact(phone)
    try:
        national = str(phonenumbers.parse(phone, None).national_number)
    except phonenumbers.NumberParseException:
        return {digits}
    return {digits, national}


def _digest(key: bytes, salt: bytes, word: str) -> str:
    mac = hmac.new(key, salt + b"\x00" + word.encode(), hashlib.sha256)
    return mac.hexdigest()[:DIGEST_LENGTH]


def _check(key: bytes, salt: bytes) -> str:
    return hmac.new(key, b"check\x00" + salt, hashlib.sha256).hexdigest()[:DIGEST_LENGTH]


@dataclass(frozen=True)
class DigestSet:
    """One request's digests: its salt (hex), the digests (sorted: the order tells nothing)
    and the key check."""

    salt: str
    digests: tuple[str, ...]
    check: str

    def matcher(self, key: bytes) -> Callable[[str], bool] | None:
        """Whether a compared word is one of the person's; None when ``key`` is not the key
        the digests were made with (then nothing can be recognised)."""
        salt = bytes.fromhex(self.salt)
        if not hmac.compare_digest(_check(key, salt), self.check):
            return None
        known = frozenset(self.digests)
        return lambda word: _digest(key, salt, word) in known


def issue_digests(key: bytes, words: Iterable[str], salt: bytes | None = None) -> DigestSet:
    """Digest ``words`` under ``key`` and a fresh random salt."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digests = sorted({_digest(key, salt, word) for word in words})[:MAX_DIGESTS]
    return DigestSet(salt=salt.hex(), digests=tuple(digests), check=_check(key, salt))


def _spans(text: str) -> list[re.Match[str]]:
    return list(_WORD.finditer(text))


def _word_runs(text: str) -> Iterator[tuple[int, int, set[str]]]:
    """Each word and run of up to three neighbouring words: (start, end, forms)."""
    spans = _spans(text)
    for first, span in enumerate(spans):
        yield span.start(), span.end(), _forms(span.group())
        joined = _compact(_norm(span.group()))
        for last in range(first + 1, min(first + _LONGEST_RUN, len(spans))):
            gap = text[spans[last - 1].end() : spans[last].start()]
            if not _GAP.fullmatch(gap):
                break
            joined += _compact(_norm(spans[last].group()))
            yield span.start(), spans[last].end(), {joined}


def _digit_runs(text: str) -> Iterator[tuple[int, int, set[str]]]:
    for run in _DIGITS.finditer(text):
        digits = _compact(run.group())
        tails = {digits[i:] for i in range(len(digits) - _MIN_DIGITS + 1)}
        yield run.start(), run.end(), tails


def redact_words(text: str, is_theirs: Callable[[str], bool], marker: str) -> str:
    """``text`` with every word, run of words or run of digits that ``is_theirs`` recognises
    replaced by ``marker``."""
    hits: list[tuple[int, int]] = []
    for start, end, forms in (*_word_runs(text), *_digit_runs(text)):
        if any(is_theirs(form) for form in _keep(forms)):
            hits.append((start, end))
    if not hits:
        return text
    merged: list[list[int]] = []
    for start, end in sorted(hits):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, at = [], 0
    for start, end in merged:
        out += [text[at:start], marker]
        at = end
    return "".join([*out, text[at:]])
