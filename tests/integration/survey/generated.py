"""200 exit-survey answers spread over six weeks, and what a report over them must show.

The expectations are computed here from what was sent, independently of services.survey.reports.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from services.survey.domain import Answers

__all__ = [
    "FIRST_MONDAY",
    "PER_WEEK",
    "SHOWN",
    "WEEKS",
    "Sent",
    "chosen",
    "distribution",
    "generate",
    "per_week",
    "ratings_of",
]

FIRST_MONDAY = date(2026, 1, 5)  # 2026-W02
PER_WEEK = (40, 3, 45, 37, 38, 37)  # 200 in all; the second week too few to show
WEEKS = [f"2026-W{week:02d}" for week in range(2, 8)]
REASON_ODDS = {
    "privacy": 0.5,
    "rarely_use": 0.4,
    "found_alternative": 0.3,
    "products_or_service": 0.15,
    "other": 0.1,
}
PROBLEM_ODDS = {"delivery": 0.3, "damaged_or_not_as_described": 0.2, "reaching_support": 0.1}
RATING_WEIGHTS = {
    "product_quality": (5, 10, 20, 30, 20),
    "product_selection": (10, 10, 10, 10, 10),
    "prices": (20, 30, 20, 10, 5),
    "usability": (2, 8, 20, 40, 30),
    "overall": (1, 2, 10, 30, 40),  # a rare 1: hidden, and maybe its neighbour with it
}
SHOWN = 5  # the minimum group the service promises


@dataclass(frozen=True)
class Sent:
    """What one generated person sent, as the test remembers it."""

    day: date
    answers: Answers


def _answers(rng: random.Random, index: int) -> Answers:
    reasons = [key for key, odds in REASON_ODDS.items() if rng.random() < odds] or ["privacy"]
    if index in (10, 90, 150):  # three in all: a group too small to show
        reasons.append("too_many_messages")
    problems = [key for key, odds in PROBLEM_ODDS.items() if rng.random() < odds]
    if index in (20, 120):
        problems.append("payments")
    ratings = {
        aspect: rng.choices(range(1, 6), weights=weights)[0]
        for aspect, weights in RATING_WEIGHTS.items()
        if rng.random() < 0.85
    }
    if index in (5, 50, 100, 180):  # four ratings: too few for a mean
        ratings["customer_service"] = rng.randint(1, 5)
    return Answers(
        reasons=tuple(reasons),
        problems=tuple(problems),
        ratings=ratings,
        other_reason="Flytter, ring 912 34 567" if "other" in reasons else None,
        comment=rng.choice([None, "Takk for nå", "Skriv til kari@example.com"]),
    )


def generate() -> list[tuple[datetime, Answers]]:
    rng = random.Random(6)  # noqa: S311  # repeatable test data, not a secret
    moments = sorted(
        datetime.combine(
            FIRST_MONDAY + timedelta(weeks=week, days=rng.randrange(7)),
            time(rng.randrange(24), rng.randrange(60)),
            tzinfo=UTC,
        )
        for week, count in enumerate(PER_WEEK)
        for _ in range(count)
    )
    return [(moment, _answers(rng, index)) for index, moment in enumerate(moments)]


def _hide_small(counts: list[int], *, total_shown: bool) -> list[int | None]:
    """Hide counts under 5; beside a shown total, hide more until the hidden sum is 0 or 5+."""
    shown = {i: count for i, count in enumerate(counts) if count >= SHOWN}
    while total_shown and shown and 0 < sum(counts) - sum(shown.values()) < SHOWN:
        del shown[min(shown, key=shown.__getitem__)]
    return [shown.get(i) for i in range(len(counts))]


def chosen(sent: list[Sent], section: str, ids: list[str]) -> dict[str, int | None]:
    counts = Counter(key for s in sent for key in getattr(s.answers, section))
    return dict(zip(ids, _hide_small([counts[key] for key in ids], total_shown=False), strict=True))


def ratings_of(sent: list[Sent], aspect: str) -> list[int]:
    return [s.answers.ratings[aspect] for s in sent if aspect in s.answers.ratings]


def distribution(ratings: list[int]) -> list[int | None]:
    counts = [ratings.count(value) for value in range(1, 6)]
    return _hide_small(counts, total_shown=len(ratings) >= SHOWN)


def per_week(sent: list[Sent]) -> list[int | None]:
    counts = Counter(s.day.isocalendar().week for s in sent)
    return _hide_small([counts[week] for week in range(2, 8)], total_shown=len(sent) >= SHOWN)
