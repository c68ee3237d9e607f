"""How long a text message is on the air: GSM-7 or UCS-2, and in how many segments.

A text that uses only the GSM 03.38 alphabet (which has Norwegian æ, ø and å) is sent in
7-bit septets: 160 in a single message, 153 per part once it is split (the rest of each part
carries the concatenation header). One character outside that alphabet switches the whole
message to UCS-2: 70 UTF-16 units alone, 67 per part. Characters of the GSM extension table
(``€``, ``[``, ``{`` …) take two septets, and a phone never splits such a pair (or a UTF-16
surrogate pair) across parts, so parts are packed character by character.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Encoding", "Overflow", "SmsLength", "TextTooLong", "fit", "measure"]

Encoding = Literal["GSM-7", "UCS-2"]
Overflow = Literal["refuse", "truncate"]

_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Sent as ESC + one septet, so each counts twice.
_GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

_SINGLE: dict[Encoding, int] = {"GSM-7": 160, "UCS-2": 70}
_PART: dict[Encoding, int] = {"GSM-7": 153, "UCS-2": 67}
# What a truncated text ends with; "…" is not in GSM-7 and would switch the encoding.
_ELLIPSIS: dict[Encoding, str] = {"GSM-7": "...", "UCS-2": "…"}


class TextTooLong(ValueError):
    """The text needs more segments than allowed (the message says how many; no content)."""


@dataclass(frozen=True)
class SmsLength:
    """A text's encoding, its length in septets or UTF-16 units, and its segment count."""

    encoding: Encoding
    units: int
    segments: int


def _encoding(text: str) -> Encoding:
    gsm = all(char in _GSM7_BASIC or char in _GSM7_EXTENSION for char in text)
    return "GSM-7" if gsm else "UCS-2"


def _weight(char: str, encoding: Encoding) -> int:
    if encoding == "GSM-7":
        return 2 if char in _GSM7_EXTENSION else 1
    return 2 if ord(char) > 0xFFFF else 1


def measure(text: str) -> SmsLength:
    """The encoding, length and number of segments ``text`` takes."""
    encoding = _encoding(text)
    weights = [_weight(char, encoding) for char in text]
    units = sum(weights)
    if units <= _SINGLE[encoding]:
        return SmsLength(encoding, units, 1 if units else 0)
    capacity, segments, used = _PART[encoding], 1, 0
    for weight in weights:
        if used + weight > capacity:  # never split an escape or surrogate pair
            segments, used = segments + 1, 0
        used += weight
    return SmsLength(encoding, units, segments)


def fit(text: str, max_segments: int, overflow: Overflow, keep: str | None = None) -> str:
    """``text`` if it fits in ``max_segments``, else truncated or refused.

    Args:
        text: The message.
        max_segments: How many segments at most one message may take.
        overflow: ``"truncate"`` to cut and end with an ellipsis, ``"refuse"`` to raise.
        keep: A part the message must not lose (the code); refused if truncation would cut it.

    Raises:
        TextTooLong: When refused, or when truncating would lose ``keep``.
    """
    length = measure(text)
    if length.segments <= max_segments:
        return text
    too_long = TextTooLong(
        f"the text message needs {length.segments} segments, at most {max_segments} allowed"
    )
    if overflow == "refuse":
        raise too_long
    # Every character takes at least one unit, so longer prefixes cannot fit.
    for end in range(min(len(text) - 1, _SINGLE["GSM-7"] * max_segments), 0, -1):
        prefix = text[:end].rstrip()
        candidate = prefix + _ELLIPSIS[_encoding(prefix)]
        if measure(candidate).segments <= max_segments:
            if keep is not None and keep not in prefix:
                raise too_long
            return candidate
    raise too_long
