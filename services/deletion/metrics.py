"""Deletion's own metrics, read from its database when ``GET /metrics`` is scraped.

- ``adieu_deletion_requests{status}``: requests in each status right now;
- ``adieu_deletion_overdue_participants{participant}``: participants that have not confirmed
  their erasure of a request flagged overdue;
- ``adieu_deletion_purge_lag_seconds``: for each purged request, how long after its purge
  deadline the last participant confirmed (completion minus deadline), as a histogram.

Reading at scrape time (not counting as things happen) keeps the numbers right across restarts
and across several workers sharing one database.
"""

from __future__ import annotations

from datetime import datetime

from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.metrics_core import Metric

from shared.db import Database
from shared.metrics import ScrapeCollector

__all__ = ["PURGE_LAG_BUCKETS", "deletion_collector"]

# Seconds: a purge normally ends moments after its deadline; hours mean a participant is stuck.
PURGE_LAG_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 6 * 3600.0, 24 * 3600.0)

_LAGS = """
SELECT r.purge_deadline AS deadline, max(c.completed_at) AS completed
FROM requests AS r JOIN purge_completions AS c ON c.request_id = r.request_id
WHERE r.status = 'purged' AND r.purge_deadline IS NOT NULL
GROUP BY r.request_id
"""


def _histogram(lags: list[float]) -> HistogramMetricFamily:
    buckets = [
        (repr(bound), float(sum(1 for lag in lags if lag <= bound))) for bound in PURGE_LAG_BUCKETS
    ]
    buckets.append(("+Inf", float(len(lags))))
    return HistogramMetricFamily(
        "adieu_deletion_purge_lag_seconds",
        "Purged requests by how long after the purge deadline the last participant confirmed.",
        buckets=buckets,
        sum_value=sum(lags),
    )


async def _overdue(db: Database) -> GaugeMetricFamily:
    rows = await db.fetch_all(
        "SELECT request_id, participants FROM requests WHERE overdue = 1 AND status = 'purging'"
    )
    waiting: dict[str, int] = {}
    for row in rows:
        done = {
            item["participant"]
            for item in await db.fetch_all(
                "SELECT participant FROM purge_completions WHERE request_id = ?",
                (row["request_id"],),
            )
        }
        for name in str(row["participants"]).split(","):
            if name and name not in done:
                waiting[name] = waiting.get(name, 0) + 1
    gauge = GaugeMetricFamily(
        "adieu_deletion_overdue_participants",
        "Participants that have not confirmed the erasure of a request flagged overdue.",
        labels=["participant"],
    )
    for name, count in sorted(waiting.items()):
        gauge.add_metric([name], float(count))
    return gauge


def deletion_collector(db: Database) -> ScrapeCollector:
    """The scrape-time collector for ``build_api(..., collectors=[...])``."""

    async def collect() -> list[Metric]:
        statuses = GaugeMetricFamily(
            "adieu_deletion_requests", "Deletion requests by status.", labels=["status"]
        )
        for row in await db.fetch_all("SELECT status, count(*) AS n FROM requests GROUP BY 1"):
            statuses.add_metric([str(row["status"])], float(row["n"]))
        lags = [
            max(0.0, (_at(row["completed"]) - _at(row["deadline"])).total_seconds())
            for row in await db.fetch_all(_LAGS)
        ]
        return [statuses, await _overdue(db), _histogram(lags)]

    return collect


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)
