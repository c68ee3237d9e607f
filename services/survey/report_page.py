"""The report as an HTML page with SVG bar charts, for an operator's browser.

Everything is in the page: no scripts, fonts, images or style sheets are fetched, and the only
style is one inline block that :func:`content_security_policy` allows by its hash.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from services.survey.questionnaire import Lang
from services.survey.reports import AspectRow, Summary

__all__ = [
    "BAR_LENGTH",
    "Bar",
    "Chart",
    "charts",
    "content_security_policy",
    "horizontal_chart",
    "render_summary",
    "vertical_chart",
]

# Longest bar, in SVG units; a bar's length is its count's share of the chart's largest count.
BAR_LENGTH = 480.0
_ROW = 40  # height of one labelled row in a horizontal chart
_SLOT = 64  # width of one column in a vertical chart
_COLUMN = 160  # tallest column in a vertical chart
_TOP = 24  # room above the tallest column for its count

TEXTS: dict[Lang, dict[str, str]] = {
    "nb": {
        "title": "Sluttundersøkelsen: oppsummering",
        "period": "Periode",
        "version": "spørreskjema versjon",
        "responses": "svar",
        "reasons": "Grunner til å slette kontoen",
        "problems": "Problemer kunden møtte",
        "aspects": "Vurderinger (1 til 5)",
        "weeks": "Svar per uke",
        "mean": "snitt",
        "ratings": "vurderinger",
        "hidden": "skjult",
        "retired": "ikke lenger tilbudt",
        "note": "Tall under {k} vises ikke, så ingen enkeltperson skiller seg ut.",
    },
    "en": {
        "title": "Exit survey: summary",
        "period": "Period",
        "version": "questionnaire version",
        "responses": "responses",
        "reasons": "Reasons for deleting the account",
        "problems": "Problems met",
        "aspects": "Ratings (1 to 5)",
        "weeks": "Responses per week",
        "mean": "mean",
        "ratings": "ratings",
        "hidden": "hidden",
        "retired": "no longer offered",
        "note": "Counts under {k} are hidden, so that no one stands out.",
    },
}


@dataclass(frozen=True)
class Bar:
    """One bar, placed: ``count`` None means suppressed, drawn as a marker without a rect."""

    key: str
    label: str
    count: int | None
    x: float
    y: float
    width: float
    height: float
    label_x: float
    label_y: float
    value_x: float
    value_y: float


@dataclass(frozen=True)
class Chart:
    """An SVG bar chart, laid out; ``id`` is the svg element's id."""

    id: str
    title: str
    width: int
    height: int
    vertical: bool
    bars: tuple[Bar, ...]
    caption: str | None = None


def _scale(counts: Sequence[int | None]) -> float:
    """SVG units per answer, so the chart's largest count gets :data:`BAR_LENGTH`."""
    largest = max((count for count in counts if count is not None), default=0)
    return BAR_LENGTH / largest if largest else 0.0


def horizontal_chart(
    chart_id: str, title: str, rows: Sequence[tuple[str, str, int | None]]
) -> Chart:
    """A chart of ``(key, label, count)`` rows, each label above its bar (labels are long)."""
    scale = _scale([count for _, _, count in rows])
    bars = []
    for index, (key, label, count) in enumerate(rows):
        top = index * _ROW
        length = round((count or 0) * scale, 2)
        bars.append(
            Bar(
                key=key,
                label=label,
                count=count,
                x=0,
                y=top + 20,
                width=length,
                height=14,
                label_x=0,
                label_y=top + 14,
                value_x=length + 6,
                value_y=top + 31,
            )
        )
    return Chart(chart_id, title, int(BAR_LENGTH) + 80, len(rows) * _ROW + 4, False, tuple(bars))


def vertical_chart(
    chart_id: str,
    title: str,
    columns: Sequence[tuple[str, str, int | None]],
    caption: str | None = None,
) -> Chart:
    """A chart of ``(key, label, count)`` columns, labels under them (labels are short)."""
    scale = _scale([count for _, _, count in columns]) * _COLUMN / BAR_LENGTH
    baseline = _TOP + _COLUMN
    bars = []
    for index, (key, label, count) in enumerate(columns):
        middle = index * _SLOT + _SLOT / 2
        height = round((count or 0) * scale, 2)
        bars.append(
            Bar(
                key=key,
                label=label,
                count=count,
                x=middle - 20,
                y=round(baseline - height, 2),
                width=40,
                height=height,
                label_x=middle,
                label_y=baseline + 16,
                value_x=middle,
                value_y=round(baseline - height - 6, 2),
            )
        )
    width = max(len(columns), 1) * _SLOT
    return Chart(chart_id, title, width, baseline + 24, True, tuple(bars), caption)


def charts(summary: Summary) -> dict[str, list[Chart]]:
    """The page's charts by section: reasons, problems, one per rated aspect, weeks."""
    texts = TEXTS[summary.lang]
    found = {
        section: [
            horizontal_chart(
                f"chart-{section}",
                texts[section],
                [(row.id, _option_label(row.label, row.offered, texts), row.count) for row in rows],
            )
        ]
        for section, rows in (("reasons", summary.reasons), ("problems", summary.problems))
    }
    found["aspects"] = [
        vertical_chart(
            f"chart-aspect-{aspect.id}",
            _option_label(aspect.label, aspect.offered, texts),
            [(str(c.rating), str(c.rating), c.count) for c in aspect.distribution],
            caption=_aspect_caption(aspect, texts),
        )
        for aspect in summary.aspects
    ]
    weeks = [(w.week, w.week, w.count) for w in summary.weeks]
    found["weeks"] = [vertical_chart("chart-weeks", texts["weeks"], weeks)]
    return found


def _aspect_caption(aspect: AspectRow, texts: dict[str, str]) -> str:
    label = _option_label(aspect.label, aspect.offered, texts)
    if aspect.suppressed:
        return f"{label}: {texts['hidden']}"
    return f"{label}: {texts['mean']} {aspect.mean} ({aspect.count} {texts['ratings']})"


def _option_label(label: str, offered: bool, texts: dict[str, str]) -> str:
    return label if offered else f"{label} ({texts['retired']})"


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("services.survey", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def _css() -> str:
    return resources.files("services.survey").joinpath("templates/summary.css").read_text("utf-8")


@cache
def content_security_policy() -> str:
    """The page's Content-Security-Policy: nothing may load; only its own style block applies."""
    digest = base64.b64encode(hashlib.sha256(_css().encode()).digest()).decode()
    return (
        f"default-src 'none'; style-src 'sha256-{digest}'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    )


def render_summary(summary: Summary) -> str:
    """The report as a self-contained HTML page in the summary's language."""
    template = _environment().get_template("summary.html")
    texts = TEXTS[summary.lang]
    return template.render(
        summary=summary,
        charts=charts(summary),
        texts=texts,
        note=texts["note"].format(k=summary.minimum_group_size),
        # Our own file, hashed into the policy; escaping would change its bytes and its hash.
        css=Markup(_css()),  # noqa: S704
    )
