"""Moments written for people, the same on the pages and in the messages.

``1. desember 2026 kl. 20:37 (Europe/Oslo)`` / ``1 December 2026 at 20:37 (Europe/Oslo)``: in
the person's time zone (else UTC), the month in words, so that a date never holds six digits in
a row (a message's only six-digit number is its code).
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["format_deadline"]

Language = Literal["nb", "en"]

_MONTHS: dict[Language, tuple[str, ...]] = {
    "nb": (
        "januar",
        "februar",
        "mars",
        "april",
        "mai",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "desember",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}


def _zone(time_zone: str | None) -> tuple[tzinfo, str]:
    """The zone to show a time in and how to name it; UTC when unknown or not a real zone."""
    if time_zone:
        try:
            return ZoneInfo(time_zone), f"({time_zone})"
        except (ZoneInfoNotFoundError, ValueError):
            pass  # a zone the system does not know: UTC is still correct, just less local
    return UTC, "UTC"


def format_deadline(deadline: datetime, language: Language, time_zone: str | None = None) -> str:
    """The deadline in the person's zone (else UTC), in words and ``HH:MM`` (no six digits)."""
    zone, zone_name = _zone(time_zone)
    moment = deadline.astimezone(zone)
    month = _MONTHS[language][moment.month - 1]
    if language == "nb":
        return f"{moment.day}. {month} {moment.year} kl. {moment:%H:%M} {zone_name}"
    return f"{moment.day} {month} {moment.year} at {moment:%H:%M} {zone_name}"
