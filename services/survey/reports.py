"""Operator insight: what departing customers answered, counted so that no one stands out.

Plain functions over stored responses; no I/O. Every count under :data:`MINIMUM_GROUP` is
reported as ``None`` and marked suppressed, and so is a mean over fewer ratings. Where counts
add up to a published total (a rating's distribution, the weeks), subtraction could recover
a lone hidden count, so more is hidden until what subtraction reveals is 0 or a group of at
least :data:`MINIMUM_GROUP`. Periods are widened to whole ISO weeks (Monday to Sunday), so
two reports cannot be compared to single out one day's answers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from itertools import chain
from statistics import fmean

from pydantic import BaseModel, ConfigDict, Field

from services.survey.domain import RATING_SCALE, StoredResponse
from services.survey.questionnaire import Lang, Questionnaire, Section

__all__ = [
    "DEFAULT_WEEKS",
    "MAX_WEEKS",
    "MINIMUM_GROUP",
    "AspectRow",
    "Cell",
    "InvalidPeriod",
    "OptionRow",
    "Period",
    "RatingCell",
    "Summary",
    "WeekRow",
    "period_covering",
    "summarise",
    "suppress",
]

MINIMUM_GROUP = 5
DEFAULT_WEEKS = 12
MAX_WEEKS = 106


class InvalidPeriod(Exception):
    """The asked period cannot be reported; ``field`` names the query parameter."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field
        self.detail = detail


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Period(_Frozen):
    """The whole ISO weeks a report covers, both days included."""

    first: date = Field(serialization_alias="from", description="A Monday")
    last: date = Field(serialization_alias="to", description="A Sunday")

    def mondays(self) -> list[date]:
        """The first day of every week in the period."""
        return [
            self.first + timedelta(weeks=n) for n in range((self.last - self.first).days // 7 + 1)
        ]


class Cell(_Frozen):
    """A count, or None when fewer than the minimum group would show."""

    count: int | None
    suppressed: bool


class OptionRow(_Frozen):
    """How often one reason or problem was chosen."""

    id: str
    label: str
    offered: bool = Field(description="False for retired options and ids the file lacks")
    count: int | None
    suppressed: bool


class RatingCell(_Frozen):
    """How often one aspect was given one rating."""

    rating: int
    count: int | None
    suppressed: bool


class AspectRow(_Frozen):
    """The ratings of one aspect: how many, their mean and their distribution over 1..5."""

    id: str
    label: str
    offered: bool
    count: int | None = Field(description="How many rated this aspect")
    mean: float | None = Field(description="Rounded to one decimal")
    suppressed: bool
    distribution: tuple[RatingCell, ...]


class WeekRow(_Frozen):
    """How many responses arrived in one ISO week."""

    week: str = Field(description="ISO week, e.g. 2026-W07")
    starts_on: date
    count: int | None
    suppressed: bool


class Summary(_Frozen):
    """The report over one period."""

    questionnaire_version: int = Field(description="The version the service offers now")
    lang: Lang
    minimum_group_size: int
    period: Period
    responses: Cell
    reasons: tuple[OptionRow, ...]
    problems: tuple[OptionRow, ...]
    aspects: tuple[AspectRow, ...]
    weeks: tuple[WeekRow, ...]


def period_covering(first: date | None, last: date | None, today: date) -> Period:
    """The whole ISO weeks from ``first`` to ``last``; by default the last 12 weeks to today.

    Raises:
        InvalidPeriod: ``first`` is after ``last``, or the period is longer than MAX_WEEKS.
    """
    last = last or today
    first = first or last - timedelta(weeks=DEFAULT_WEEKS - 1)
    if first > last:
        raise InvalidPeriod("from", "must not be after 'to'")
    try:
        period = Period(
            first=first - timedelta(days=first.weekday()),
            last=last + timedelta(days=6 - last.weekday()),
        )
    except OverflowError:
        raise InvalidPeriod("to", "out of range") from None
    if (period.last - period.first).days // 7 + 1 > MAX_WEEKS:
        raise InvalidPeriod("from", f"a report covers at most {MAX_WEEKS} weeks")
    return period


def suppress(counts: Sequence[int], *, total_published: bool = False) -> list[int | None]:
    """Each count, or None where it is under :data:`MINIMUM_GROUP`.

    Args:
        counts: counts that may be shown side by side.
        total_published: the counts add up to a total the report shows; then, while the
            hidden counts together hold 1 to MINIMUM_GROUP - 1 answers, the smallest shown
            count is hidden too.
    """
    hidden = {i for i, count in enumerate(counts) if count < MINIMUM_GROUP}
    shown = sorted((i for i in range(len(counts)) if i not in hidden), key=lambda i: counts[i])
    while total_published and shown and 0 < sum(counts[i] for i in hidden) < MINIMUM_GROUP:
        hidden.add(shown.pop(0))
    return [None if i in hidden else count for i, count in enumerate(counts)]


def summarise(
    responses: Iterable[StoredResponse], questionnaire: Questionnaire, period: Period, lang: Lang
) -> Summary:
    """Count the responses submitted within ``period``, labels in ``lang``."""
    within = [r for r in responses if period.first <= r.submitted_on <= period.last]
    (total,) = suppress([len(within)])
    return Summary(
        questionnaire_version=questionnaire.version,
        lang=lang,
        minimum_group_size=MINIMUM_GROUP,
        period=period,
        responses=Cell(count=total, suppressed=total is None),
        reasons=_choices(questionnaire, "reasons", [r.reasons for r in within], lang),
        problems=_choices(questionnaire, "problems", [r.problems for r in within], lang),
        aspects=_aspects(questionnaire, within, lang),
        weeks=_weeks(period, within),
    )


def _rows(
    questionnaire: Questionnaire, section: Section, seen: Iterable[str], lang: Lang
) -> list[tuple[str, str, bool]]:
    """``(id, label, offered)`` for the file's options, then for ids only old answers hold."""
    options = questionnaire.options(section)
    known = {option.id for option in options}
    return [(o.id, o.label(lang), not o.retired) for o in options] + [
        (key, key, False) for key in sorted(set(seen) - known)
    ]


def _choices(
    questionnaire: Questionnaire, section: Section, chosen: list[tuple[str, ...]], lang: Lang
) -> tuple[OptionRow, ...]:
    # Several options may be chosen at once, so these counts add up to no published total.
    counter = Counter(chain.from_iterable(chosen))
    rows = _rows(questionnaire, section, counter, lang)
    shown = suppress([counter[key] for key, _, _ in rows])
    return tuple(
        OptionRow(id=key, label=label, offered=offered, count=count, suppressed=count is None)
        for (key, label, offered), count in zip(rows, shown, strict=True)
    )


def _aspects(
    questionnaire: Questionnaire, within: list[StoredResponse], lang: Lang
) -> tuple[AspectRow, ...]:
    seen = chain.from_iterable(r.ratings for r in within)
    return tuple(
        _aspect(key, label, offered, [r.ratings[key] for r in within if key in r.ratings])
        for key, label, offered in _rows(questionnaire, "aspects", seen, lang)
    )


def _aspect(key: str, label: str, offered: bool, ratings: list[int]) -> AspectRow:
    published = len(ratings) >= MINIMUM_GROUP
    distribution = suppress([ratings.count(r) for r in RATING_SCALE], total_published=published)
    return AspectRow(
        id=key,
        label=label,
        offered=offered,
        count=len(ratings) if published else None,
        mean=round(fmean(ratings), 1) if published else None,
        suppressed=not published,
        distribution=tuple(
            RatingCell(rating=rating, count=count, suppressed=count is None)
            for rating, count in zip(RATING_SCALE, distribution, strict=True)
        ),
    )


def _weeks(period: Period, within: list[StoredResponse]) -> tuple[WeekRow, ...]:
    per_week = Counter(r.submitted_on - timedelta(days=r.submitted_on.weekday()) for r in within)
    mondays = period.mondays()
    counts = [per_week[monday] for monday in mondays]
    shown = suppress(counts, total_published=len(within) >= MINIMUM_GROUP)
    return tuple(
        WeekRow(week=_iso_week(monday), starts_on=monday, count=count, suppressed=count is None)
        for monday, count in zip(mondays, shown, strict=True)
    )


def _iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"
