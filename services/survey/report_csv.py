"""The report as CSV (RFC 4180), for spreadsheets: one row per count."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from services.survey.reports import Summary

__all__ = ["CSV_COLUMNS", "to_csv"]

CSV_COLUMNS = ("section", "id", "label", "rating", "count", "mean", "suppressed")


def to_csv(summary: Summary) -> str:
    """The report as CSV (RFC 4180): one row per count, suppressed counts left empty."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(
        (section, key, _cell_text(label), rating, _text(count), _text(mean), str(hidden).lower())
        for section, key, label, rating, count, mean, hidden in _csv_rows(summary)
    )
    return out.getvalue()


_CsvRow = tuple[str, str, str, str, int | None, float | None, bool]


def _csv_rows(summary: Summary) -> Iterator[_CsvRow]:
    total = summary.responses
    yield ("responses", "all", "", "", total.count, None, total.suppressed)
    for section, rows in (("reason", summary.reasons), ("problem", summary.problems)):
        for row in rows:
            yield (section, row.id, row.label, "", row.count, None, row.suppressed)
    for aspect in summary.aspects:
        yield ("aspect", aspect.id, aspect.label, "", aspect.count, aspect.mean, aspect.suppressed)
        for cell in aspect.distribution:
            rating = str(cell.rating)
            yield ("rating", aspect.id, aspect.label, rating, cell.count, None, cell.suppressed)
    for week in summary.weeks:
        yield ("week", week.week, week.starts_on.isoformat(), "", week.count, None, week.suppressed)


def _text(value: int | float | None) -> str:
    return "" if value is None else str(value)


def _cell_text(text: str) -> str:
    # Labels come from an operator's file; a spreadsheet would run one starting like a formula.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
