"""Report arithmetic: periods, suppression of small groups, counts, means and the CSV form."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest

from services.survey.domain import StoredResponse
from services.survey.questionnaire import Option, load_questionnaire
from services.survey.report_csv import CSV_COLUMNS, to_csv
from services.survey.reports import InvalidPeriod, Period, period_covering, summarise, suppress

SHIPPED = load_questionnaire()
MONDAY = date(2026, 2, 2)  # ISO week 2026-W06


def _response(
    day: date,
    reasons: tuple[str, ...] = ("privacy",),
    ratings: dict[str, int] | None = None,
    problems: tuple[str, ...] = (),
    version: int = 1,
) -> StoredResponse:
    return StoredResponse(version, day, reasons, problems, ratings or {}, None, None, None)


def test_a_period_is_widened_to_whole_iso_weeks() -> None:
    period = period_covering(date(2026, 2, 4), date(2026, 2, 10), today=date(2026, 3, 1))
    assert (period.first, period.last) == (date(2026, 2, 2), date(2026, 2, 15))
    assert period.mondays() == [date(2026, 2, 2), date(2026, 2, 9)]
    assert period.model_dump(by_alias=True, mode="json") == {
        "from": "2026-02-02",
        "to": "2026-02-15",
    }


def test_the_default_period_is_the_last_twelve_weeks_to_today() -> None:
    period = period_covering(None, None, today=date(2026, 3, 4))
    assert period.last == date(2026, 3, 8)
    assert len(period.mondays()) == 12
    only_to = period_covering(None, date(2026, 1, 1), today=date(2026, 3, 4))
    assert len(only_to.mondays()) == 12


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [
        (date(2026, 3, 2), date(2026, 3, 1), "from"),
        (date(2020, 1, 1), date(2026, 1, 1), "from"),
        (date(9999, 12, 1), date(9999, 12, 31), "to"),
    ],
)
def test_an_unreportable_period_names_its_parameter(first: date, last: date, field: str) -> None:
    with pytest.raises(InvalidPeriod) as caught:
        period_covering(first, last, today=date(2026, 3, 1))
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("counts", "published", "expected"),
    [
        ([0, 4, 5, 100], False, [None, None, 5, 100]),
        # Alone, the 3 would follow from the total by subtraction; the next smallest hides too.
        ([3, 10, 20, 30, 40], True, [None, None, 20, 30, 40]),
        ([3, 10, 20, 30, 40], False, [None, 10, 20, 30, 40]),
        # Hidden counts that add up to 0 or to 5 or more reveal no small group.
        ([0, 0, 50, 50, 0], True, [None, None, 50, 50, None]),
        ([2, 3, 6, 7], True, [None, None, 6, 7]),
        # 1 + 1 hidden reveals a group of 2, so the 7 hides too; 9 together is enough.
        ([1, 1, 7, 8], True, [None, None, None, 8]),
        ([4], True, [None]),
    ],
)
def test_small_groups_are_suppressed(
    counts: list[int], published: bool, expected: list[int | None]
) -> None:
    assert suppress(counts, total_published=published) == expected


def test_a_summary_counts_within_its_period_only() -> None:
    responses = [_response(MONDAY, ("privacy", "other"), {"prices": 4}) for _ in range(6)]
    responses += [_response(MONDAY + timedelta(days=6), ("privacy",), {"prices": 2})] * 2
    responses.append(_response(MONDAY + timedelta(days=7)))  # the next week: outside
    summary = summarise(responses, SHIPPED, Period(first=MONDAY, last=MONDAY + timedelta(6)), "en")

    assert (summary.responses.count, summary.responses.suppressed) == (8, False)
    reasons = {row.id: row.count for row in summary.reasons}
    assert reasons == dict.fromkeys(reasons) | {"privacy": 8, "other": 6}
    prices = next(a for a in summary.aspects if a.id == "prices")
    assert (prices.count, prices.mean, prices.suppressed) == (8, 3.5, False)
    # 6 fours shown, 2 twos hidden, and the zeros beside them: together 2, so the 6 hides too.
    assert [c.count for c in prices.distribution] == [None, None, None, None, None]
    overall = next(a for a in summary.aspects if a.id == "overall")
    assert (overall.count, overall.mean, overall.suppressed) == (None, None, True)
    assert [(w.week, w.count) for w in summary.weeks] == [("2026-W06", 8)]


def test_fewer_than_five_responses_show_nothing() -> None:
    responses = [_response(MONDAY, ("privacy",), {"overall": 5})] * 4
    summary = summarise(responses, SHIPPED, Period(first=MONDAY, last=MONDAY + timedelta(6)), "nb")
    assert summary.responses.model_dump() == {"count": None, "suppressed": True}
    assert all(row.suppressed for row in (*summary.reasons, *summary.problems))
    assert all(week.suppressed for week in summary.weeks)
    assert all(a.mean is None for a in summary.aspects)


def test_old_answers_stay_readable_after_options_are_retired_or_removed() -> None:
    operator = SHIPPED.model_copy(
        update={
            "version": 2,
            "reasons": (
                Option(id="privacy", nb="Personvern", en="Privacy"),
                Option(id="rarely_use", nb="Sjelden", en="Rarely", retired=True),
            ),
        }
    )
    old = [_response(MONDAY, ("rarely_use", "found_alternative"), version=1)] * 5
    new = [_response(MONDAY, ("privacy",), version=2)] * 5
    summary = summarise(old + new, operator, Period(first=MONDAY, last=MONDAY + timedelta(6)), "en")
    rows = [(r.id, r.label, r.offered, r.count) for r in summary.reasons]
    assert rows == [
        ("privacy", "Privacy", True, 5),
        ("rarely_use", "Rarely", False, 5),
        # Dropped from the file altogether: still counted, under its bare id.
        ("found_alternative", "found_alternative", False, 5),
    ]
    assert summary.questionnaire_version == 2


def test_the_csv_holds_one_row_per_count() -> None:
    responses = [_response(MONDAY, ("privacy",), {"overall": 5})] * 7
    summary = summarise(responses, SHIPPED, Period(first=MONDAY, last=MONDAY + timedelta(6)), "en")
    rows = list(csv.DictReader(io.StringIO(to_csv(summary))))

    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows[0] == {
        "section": "responses",
        "id": "all",
        "label": "",
        "rating": "",
        "count": "7",
        "mean": "",
        "suppressed": "false",
    }
    by_key = {(r["section"], r["id"], r["rating"]): r for r in rows}
    assert by_key[("reason", "privacy", "")]["count"] == "7"
    other = by_key[("reason", "other", "")]
    assert (other["count"], other["suppressed"]) == ("", "true")
    assert by_key[("aspect", "overall", "")]["mean"] == "5.0"
    assert by_key[("rating", "overall", "5")]["count"] == "7"
    assert by_key[("week", "2026-W06", "")]["label"] == "2026-02-02"
    sections = [r["section"] for r in rows]
    assert sections.count("rating") == 5 * len(summary.aspects)


def test_a_label_that_looks_like_a_formula_is_defused_in_the_csv() -> None:
    operator = SHIPPED.model_copy(
        update={"reasons": (Option(id="evil", nb="=HYPERLINK(1)", en="=HYPERLINK(1)"),)}
    )
    summary = summarise([], operator, Period(first=MONDAY, last=MONDAY + timedelta(6)), "en")
    assert "'=HYPERLINK(1)" in to_csv(summary)
