"""Prometheus metrics: counters the shared mechanisms update, and gauges read at scrape time.

One registry per process (not prometheus-client's global one), holding the counters that the
HTTP middleware, the consumer and the outbox relay increment. Values that live in a service's
database (outbox backlog, requests by status) are not counted as they change but read when
``GET /metrics`` is scraped, by :data:`ScrapeCollector` functions given to ``build_api``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from shared.db import Database

__all__ = [
    "CONTENT_TYPE",
    "DEAD_LETTERS",
    "EVENTS_CONSUMED",
    "EVENTS_PRODUCED",
    "HTTP_REQUESTS",
    "NOTIFICATIONS",
    "OUTBOX_PARKED",
    "REGISTRY",
    "ScrapeCollector",
    "count_produced",
    "outbox_backlog",
    "render",
]

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)

HTTP_REQUESTS = Counter(
    "adieu_http_requests",
    "HTTP requests answered, by route template and status code.",
    ["service", "method", "route", "status"],
    registry=REGISTRY,
)
HTTP_DURATION = Histogram(
    "adieu_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template.",
    ["service", "method", "route"],
    registry=REGISTRY,
)
EVENTS_CONSUMED = Counter(
    "adieu_events_consumed",
    "Records a consumer handled: outcome is applied, duplicate, ignored, rejected or failed.",
    ["consumer", "event_type", "outcome"],
    registry=REGISTRY,
)
EVENTS_PRODUCED = Counter(
    "adieu_events_produced",
    "Records the outbox relay published and the broker acknowledged, by event type.",
    ["topic", "event_type"],
    registry=REGISTRY,
)
DEAD_LETTERS = Counter(
    "adieu_dead_letters",
    "Records a consumer sent to a dead-letter topic.",
    ["consumer", "topic"],
    registry=REGISTRY,
)
OUTBOX_PARKED = Counter(
    "adieu_outbox_parked",
    "Outbox rows moved aside because the broker will never take them (too large, say).",
    ["topic", "event_type"],
    registry=REGISTRY,
)
NOTIFICATIONS = Counter(
    "adieu_notifications",
    "Notifications the notifier reported as sent or failed (from its published events).",
    ["outcome"],
    registry=REGISTRY,
)
_NOTIFICATION_OUTCOMES = {"NotificationDelivered": "sent", "NotificationFailed": "failed"}

# A function run on each scrape that reads current values (typically from SQLite).
ScrapeCollector = Callable[[], Awaitable[Iterable[Metric]]]


def count_produced(topic: str, event_type: str) -> None:
    """Count one acknowledged record; notifier outcomes also count as notifications."""
    EVENTS_PRODUCED.labels(topic=topic, event_type=event_type).inc()
    outcome = _NOTIFICATION_OUTCOMES.get(event_type)
    if outcome is not None:
        NOTIFICATIONS.labels(outcome=outcome).inc()


def outbox_backlog(service: str, db: Database) -> ScrapeCollector:
    """A scrape-time gauge: outbox rows not yet acknowledged by the broker."""

    async def collect() -> list[Metric]:
        rows = await db.fetch_all(
            "SELECT event_type, count(*) AS n FROM outbox GROUP BY event_type"
        )
        gauge = GaugeMetricFamily(
            "adieu_outbox_backlog",
            "Outbox rows waiting to be published, by event type.",
            labels=["service", "event_type"],
        )
        gauge.add_metric([service, "all"], float(sum(int(row["n"]) for row in rows)))
        for row in rows:
            gauge.add_metric([service, str(row["event_type"])], float(row["n"]))
        parked = await db.fetch_one("SELECT count(*) AS n FROM outbox_parked")
        aside = GaugeMetricFamily(
            "adieu_outbox_parked_rows",
            "Outbox rows set aside, never to be sent: read their reason in outbox_parked.",
            labels=["service"],
        )
        aside.add_metric([service], float(parked["n"] if parked is not None else 0))
        return [gauge, aside]

    return collect


class _Fixed(Collector):
    def __init__(self, metrics: Sequence[Metric]) -> None:
        self._metrics = metrics

    def collect(self) -> Iterable[Metric]:
        return self._metrics


async def render(collectors: Sequence[ScrapeCollector]) -> bytes:
    """The exposition text: the process's counters, then each scrape-time collector's values.

    A collector that fails (its database closed, say) is logged and left out, so one broken
    reading never hides every other metric.
    """
    gathered: list[Metric] = []
    for collect in collectors:
        try:
            gathered.extend(await collect())
        except Exception as exc:
            log.warning("metrics collector failed: %s", type(exc).__name__)
    scraped = CollectorRegistry(auto_describe=False)
    scraped.register(_Fixed(gathered))
    return generate_latest(REGISTRY) + generate_latest(scraped)
