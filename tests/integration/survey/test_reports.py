"""The operator's reports over 200 responses sent through the real handler into real SQLite.

The responses (see ``generated``) are spread over six weeks by a frozen clock, and every
number the service reports is checked against one computed from what was sent.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, time
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from services.survey import handlers
from services.survey.app import bootstrap
from services.survey.config import Settings
from services.survey.report_page import BAR_LENGTH
from shared.clock import FrozenClock
from shared.config import PlatformSettings
from tests.integration.survey.generated import (
    FIRST_MONDAY,
    PER_WEEK,
    SHOWN,
    WEEKS,
    Sent,
    chosen,
    distribution,
    generate,
    per_week,
    ratings_of,
)
from tests.support.services import serving
from tests.support.sqlite_files import stored_bytes
from tests.support.survey import open_request

pytestmark = pytest.mark.asyncio(loop_scope="module")

ADMIN_TOKEN = "survey-operator-" + "k" * 24
OPERATOR = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
ALL_WEEKS = {"from": "2026-01-05", "to": "2026-02-15"}


@dataclass(frozen=True)
class Reporting:
    client: httpx.AsyncClient
    sent: list[Sent]
    database: Path


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def reporting(
    module_platform: PlatformSettings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Reporting]:
    clock = FrozenClock(datetime.combine(FIRST_MONDAY, time(), tzinfo=UTC))
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("survey"),
        platform=module_platform,
        admin_token=ADMIN_TOKEN,
    )
    service = bootstrap(settings, clock=clock)
    sent = []
    async with serving(service) as client:
        for moment, answers in generate():
            clock.advance((moment - clock.now()).total_seconds())
            account_id, request_id = await open_request(service.deps.db)
            await handlers.submit_response(
                service.deps,
                account_id=account_id,
                request_id=request_id,
                answers=answers,
                correlation_id="gen",
            )
            sent.append(Sent(moment.date(), answers))
        yield Reporting(client, sent, service.deps.db.path)


async def _survey_ids(client: httpx.AsyncClient) -> dict[str, dict[str, str]]:
    survey = (await client.get("/v1/survey", params={"lang": "en"})).json()
    return {s: {o["id"]: o["label"] for o in survey[s]} for s in ("reasons", "problems", "aspects")}


# --- the tests -------------------------------------------------------------------------------


async def test_the_summary_counts_what_was_sent_and_hides_small_groups(
    reporting: Reporting,
) -> None:
    client, sent = reporting.client, reporting.sent
    ids = await _survey_ids(client)
    answer = await client.get("/v1/reports/summary", params=ALL_WEEKS, headers=OPERATOR)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    report = answer.json()

    assert report["period"] == ALL_WEEKS
    assert report["minimum_group_size"] == SHOWN
    assert report["responses"] == {"count": 200, "suppressed": False}
    for section in ("reasons", "problems"):
        counts = {row["id"]: row["count"] for row in report[section]}
        assert counts == chosen(sent, section, list(ids[section])), section
        assert all(row["suppressed"] == (row["count"] is None) for row in report[section])
    assert {row["id"]: row["count"] for row in report["reasons"]}["too_many_messages"] is None
    for row in report["aspects"]:
        ratings = ratings_of(sent, row["id"])
        assert [c["count"] for c in row["distribution"]] == distribution(ratings), row["id"]
        if len(ratings) < SHOWN:
            assert (row["count"], row["mean"], row["suppressed"]) == (None, None, True)
        else:
            assert row["count"] == len(ratings)
            assert row["mean"] == pytest.approx(sum(ratings) / len(ratings), abs=0.05)
    assert [(w["week"], w["count"]) for w in report["weeks"]] == list(
        zip(WEEKS, per_week(sent), strict=True)
    )


async def test_a_period_is_whole_weeks_and_the_default_is_the_last_twelve(
    reporting: Reporting,
) -> None:
    client = reporting.client
    # Wednesday of W03 to Tuesday of W04: both weeks whole, 3 + 45 responses.
    part = await client.get(
        "/v1/reports/summary", params={"from": "2026-01-14", "to": "2026-01-20"}, headers=OPERATOR
    )
    assert part.json()["period"] == {"from": "2026-01-12", "to": "2026-01-25"}
    assert part.json()["responses"]["count"] == PER_WEEK[1] + PER_WEEK[2]
    # The 45 would give the 3 away by subtraction from the total, so both weeks are hidden.
    assert [w["count"] for w in part.json()["weeks"]] == [None, None]

    default = (await client.get("/v1/reports/summary", headers=OPERATOR)).json()
    assert len(default["weeks"]) == 12
    assert default["responses"]["count"] == 200


async def test_the_csv_holds_the_same_numbers(reporting: Reporting) -> None:
    client, sent = reporting.client, reporting.sent
    answer = await client.get("/v1/reports/summary.csv", params=ALL_WEEKS, headers=OPERATOR)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert "survey-summary-2026-01-05-2026-02-15.csv" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))

    def counts(section: str) -> dict[str, int | None]:
        return {
            r["id"]: int(r["count"]) if r["count"] else None
            for r in rows
            if r["section"] == section
        }

    ids = await _survey_ids(client)
    assert counts("responses") == {"all": 200}
    assert counts("reason") == chosen(sent, "reasons", list(ids["reasons"]))
    assert counts("problem") == chosen(sent, "problems", list(ids["problems"]))
    assert list(counts("week").values()) == per_week(sent)
    for aspect in ids["aspects"]:
        cells = [r for r in rows if r["section"] == "rating" and r["id"] == aspect]
        assert [r["rating"] for r in cells] == ["1", "2", "3", "4", "5"]
        shown = [int(r["count"]) if r["count"] else None for r in cells]
        assert shown == distribution(ratings_of(sent, aspect))
        assert all((r["suppressed"] == "true") == (r["count"] == "") for r in cells)


class _Page(HTMLParser):
    """The ids of the page's sections and the text of its element with id ``responses``."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.responses = ""
        self._in_responses = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "section":
            self.sections.append(found["id"] or "")
        self._in_responses = found.get("id") == "responses"

    def handle_endtag(self, tag: str) -> None:
        self._in_responses = False

    def handle_data(self, data: str) -> None:
        if self._in_responses:
            self.responses += data


SVG = "{http://www.w3.org/2000/svg}"


def _bars(svg: ET.Element) -> list[tuple[str, str, ET.Element | None]]:
    """``(key, label, rect or None)`` for each bar group of a chart."""
    return [
        (
            group.get("data-key", ""),
            next(t.text or "" for t in group.iter(f"{SVG}text") if t.get("class") == "label"),
            group.find(f"{SVG}rect"),
        )
        for group in svg.iter(f"{SVG}g")
        if "bar" in (group.get("class") or "").split()
    ]


def _check_chart(svg: ET.Element, expected: dict[str, int | None], labels: dict[str, str]) -> None:
    """One rect per shown count, sized in proportion to it; hidden counts draw no rect."""
    bars = _bars(svg)
    assert [key for key, _, _ in bars] == list(expected)
    assert [label for _, label, _ in bars] == [labels[key] for key in expected]
    shown = {key: count for key, count in expected.items() if count is not None}
    rects = {key: rect for key, _, rect in bars if rect is not None}
    assert set(rects) == set(shown)
    vertical = svg.get("id") in ("chart-weeks",) or svg.get("id", "").startswith("chart-aspect-")
    size = "height" if vertical else "width"
    for key, rect in rects.items():
        per_answer = float(rect.get(size, "")) / shown[key]
        longest = BAR_LENGTH if not vertical else 160.0
        assert per_answer == pytest.approx(longest / max(shown.values()), abs=0.01)


async def test_the_page_draws_the_same_numbers_as_bars(reporting: Reporting) -> None:
    client, sent = reporting.client, reporting.sent
    answer = await client.get(
        "/v1/reports/summary.html", params={**ALL_WEEKS, "lang": "en"}, headers=OPERATOR
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    policy = answer.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "unsafe-inline" not in policy
    page = _Page()
    page.feed(answer.text)
    assert page.sections == ["reasons", "problems", "aspects", "weeks"]
    assert page.responses == "200"

    charts = {
        svg.get("id"): svg
        for svg in map(ET.fromstring, re.findall(r"<svg .*?</svg>", answer.text, re.DOTALL))
    }
    ids = await _survey_ids(client)
    for section in ("reasons", "problems"):
        expected = chosen(sent, section, list(ids[section]))
        _check_chart(charts[f"chart-{section}"], expected, ids[section])
    for aspect in ids["aspects"]:
        cells = dict(zip("12345", distribution(ratings_of(sent, aspect)), strict=True))
        _check_chart(charts[f"chart-aspect-{aspect}"], cells, {k: k for k in "12345"})
    weeks = dict(zip(WEEKS, per_week(sent), strict=True))
    _check_chart(charts["chart-weeks"], weeks, {week: week for week in WEEKS})


@pytest.mark.parametrize("path", ["summary", "summary.csv", "summary.html"])
async def test_reports_need_the_operator_token(reporting: Reporting, path: str) -> None:
    client = reporting.client
    url = f"/v1/reports/{path}"
    missing = await client.get(url)
    assert (missing.status_code, missing.json()["error"]) == (401, "unauthorized")
    basic = await client.get(url, headers={"Authorization": f"Basic {ADMIN_TOKEN}"})
    assert (basic.status_code, basic.json()["error"]) == (401, "unauthorized")
    wrong = await client.get(url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}x"})
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_token")
    assert ADMIN_TOKEN not in wrong.text


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-02-02", "to": "2026-02-01"}, "from"),
        ({"from": "2020-01-01", "to": "2026-02-01"}, "from"),
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-13-01"}, "to"),
        ({"lang": "de"}, "lang"),
    ],
)
async def test_a_bad_period_is_refused_naming_the_parameter(
    reporting: Reporting, params: dict[str, str], field: str
) -> None:
    answer = await reporting.client.get("/v1/reports/summary", params=params, headers=OPERATOR)
    assert answer.status_code == 422
    assert (answer.json()["error"], answer.json()["field"]) == ("validation_error", field)


async def test_the_stored_responses_hold_no_contact_details(reporting: Reporting) -> None:
    stored = stored_bytes(reporting.database)
    assert b"Takk for n" in stored  # the comments are there, minus what identifies
    for trace in (b"kari@example.com", b"912 34 567"):
        assert trace not in stored
