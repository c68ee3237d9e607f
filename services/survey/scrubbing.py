"""Removing e-mail addresses, URLs and phone numbers from free text before it is stored.

In doubt, text is removed: a run of eight or more digits is taken for a phone number (Norway's
are eight digits, foreign ones longer), however it is spaced, unless it reads as a date, a span
of years or opening hours. Shorter numbers (ratings, prices, times) are kept. A bare domain name
(``komplett.no``) is kept, because it names a shop, not a person; with a path, a scheme or
``www.`` it is removed.
"""

from __future__ import annotations

import re

__all__ = ["REMOVED", "scrub"]

REMOVED = "[fjernet]"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Trailing punctuation is left in place, so a sentence keeps its full stop.
_URL = re.compile(
    r"(?:\b[a-z][a-z0-9+.-]*://|\bwww\.)[^\s<>\"]+?(?=[.,;:!?)\]'\"]*(?:\s|$))", re.IGNORECASE
)
_HOST_PATH = re.compile(
    r"(?<![\w@.-])[\w-]+(?:\.[\w-]+)*\.[a-z]{2,24}/[^\s<>\"]*?(?=[.,;:!?)\]'\"]*(?:\s|$))",
    re.IGNORECASE,
)
_NOT_A_PHONE = (
    r"(?:0?[1-9]|[12]\d|3[01])[./-](?:0?[1-9]|1[0-2])[./-](?:\d{4}|\d{2})"
    r"|\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
    r"|(?:19|20)\d\d ?[-\u2013] ?(?:19|20)\d\d"
    r"|(?:[01]?\d|2[0-3])[.:][0-5]\d ?[-\u2013] ?(?:[01]?\d|2[0-3])[.:][0-5]\d"
)
_PHONE = r"(?:\(?\+\d{1,3}\)?[ \u00a0.-]?)?\d(?:[ \u00a0().-]{0,2}\d){7,}"
# These come first in the alternation: where one starts, its digits are not read as a phone.
_NUMBER = re.compile(rf"(?<!\d)(?:(?P<kept>{_NOT_A_PHONE})|{_PHONE})(?!\d)")


def _unless_kept(match: re.Match[str]) -> str:
    return match.group() if match.group("kept") else REMOVED


def scrub(text: str | None) -> str | None:
    """Remove e-mail addresses, URLs and phone numbers from free text.

    Returns:
        The text with each removal marked ``[fjernet]``; None if nothing else is left.
    """
    if text is None:
        return None
    for pattern in (_EMAIL, _URL, _HOST_PATH):
        text = pattern.sub(REMOVED, text)
    text = _NUMBER.sub(_unless_kept, text)
    return text.strip() or None
