"""The report page: bars proportional to counts, nothing fetched, operator text escaped."""

from __future__ import annotations

import base64
import hashlib
import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from html.parser import HTMLParser

from services.survey.domain import StoredResponse
from services.survey.questionnaire import Option, load_questionnaire
from services.survey.report_page import (
    BAR_LENGTH,
    charts,
    content_security_policy,
    horizontal_chart,
    render_summary,
    vertical_chart,
)
from services.survey.reports import Period, summarise

SVG = "{http://www.w3.org/2000/svg}"
MONDAY = date(2026, 2, 2)


def test_horizontal_bars_are_as_long_as_their_share_of_the_largest_count() -> None:
    chart = horizontal_chart("c", "T", [("a", "A", 40), ("b", "B", None), ("c", "C", 10)])
    lengths = [bar.width for bar in chart.bars]
    assert lengths == [BAR_LENGTH, 0, BAR_LENGTH / 4]
    assert [bar.count for bar in chart.bars] == [40, None, 10]
    # Rows do not overlap: each label sits above its own bar.
    tops = [bar.y for bar in chart.bars]
    assert tops == sorted(tops)
    assert len(set(tops)) == 3


def test_vertical_columns_stand_on_one_baseline() -> None:
    chart = vertical_chart("c", "T", [("1", "1", 5), ("2", "2", 20), ("3", "3", None)])
    heights = [bar.height for bar in chart.bars]
    assert heights[1] == 4 * heights[0]
    assert heights[2] == 0
    assert len({bar.y + bar.height for bar in chart.bars}) == 1


def test_a_chart_with_nothing_to_show_draws_no_bar() -> None:
    chart = vertical_chart("c", "T", [("1", "1", None), ("2", "2", None)])
    assert [bar.height for bar in chart.bars] == [0, 0]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


def _page(label: str) -> str:
    questionnaire = load_questionnaire()
    questionnaire = questionnaire.model_copy(
        update={"reasons": (Option(id="odd", nb=label, en=label), *questionnaire.reasons)}
    )
    responses = [StoredResponse(1, MONDAY, ("odd",), (), {"overall": 4}, None, None, None)] * 6
    period = Period(first=MONDAY, last=MONDAY + timedelta(days=6))
    return render_summary(summarise(responses, questionnaire, period, "en"))


def test_the_page_loads_nothing_and_its_one_style_block_is_allowed_by_hash() -> None:
    parser = _Tags()
    parser.feed(_page("Odd"))
    names = {tag for tag, _ in parser.tags}
    assert not names & {"script", "link", "img", "iframe", "object", "embed", "form"}
    for _, attributes in parser.tags:
        assert "style" not in attributes
        assert not any(key.startswith("on") for key in attributes)
        assert not any(key in ("href", "src") for key in attributes)
    (style,) = parser.styles
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in content_security_policy()
    assert "default-src 'none'" in content_security_policy()
    assert "url(" not in style
    assert "@import" not in style


def test_operator_text_is_escaped_and_every_chart_is_well_formed_svg() -> None:
    html = _page('<script>alert("x")</script> & co')
    assert "<script>" not in html
    # Our own page, rendered a line above: not untrusted input.
    found = re.findall(r"<svg .*?</svg>", html, re.DOTALL)
    svgs = [ET.fromstring(svg) for svg in found]  # noqa: S314
    assert len(svgs) == 2 + 6 + 1  # reasons, problems, six aspects, weeks
    reasons = next(svg for svg in svgs if svg.get("id") == "chart-reasons")
    labels = [text.text for text in reasons.iter(f"{SVG}text") if text.get("class") == "label"]
    assert labels[0] == '<script>alert("x")</script> & co'


def test_the_page_has_one_chart_per_section_in_the_summary_language() -> None:
    questionnaire = load_questionnaire()
    period = Period(first=MONDAY, last=MONDAY + timedelta(days=13))
    summary = summarise([], questionnaire, period, "nb")
    found = charts(summary)
    assert list(found) == ["reasons", "problems", "aspects", "weeks"]
    assert [len(found[section]) for section in found] == [1, 1, 6, 1]
    assert [bar.label for bar in found["weeks"][0].bars] == ["2026-W06", "2026-W07"]
    assert found["reasons"][0].title == "Grunner til å slette kontoen"
    assert all(bar.count is None for chart in found["aspects"] for bar in chart.bars)
