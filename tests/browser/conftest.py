"""Browser tests need Debian's Chromium. Without it they fail, loudly, unless
ADIEU_SKIP_BROWSER=1 says to skip them; then the terminal summary says they did not run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
SKIPPED = "browser tests did NOT run: Chromium missing"
_skipped: list[str] = []
# The walk at every screen size on Tansu; on Apache Kafka at the first only. What a screen size
# changes is the page's layout, which no broker touches; what the broker changes (the journey's
# events) the one walk on Kafka and tests/e2e cover. Three more walks on Kafka cost ~75 s of
# make test and proved nothing the Tansu walks do not.
_WALK = "test_deletion_in_chromium.py::test_sign_up_take_a_break_and_delete"
_KAFKA_WALK = f"{_WALK}[kafka-nb-1280-False]"


@pytest.fixture(scope="session")
def chromium() -> Path:
    """The Chromium executable; fail (or, when told to, skip) if it is not installed."""
    if CHROMIUM.exists():
        return CHROMIUM
    if os.environ.get("ADIEU_SKIP_BROWSER") == "1":
        _skipped.append(SKIPPED)
        pytest.skip(f"{SKIPPED} ({CHROMIUM}; ADIEU_SKIP_BROWSER=1)")
    pytest.fail(
        f"Chromium is missing at {CHROMIUM}: install it (apt-get install -y chromium), or set"
        " ADIEU_SKIP_BROWSER=1 to skip the browser tests knowingly",
        pytrace=False,
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the walks on Apache Kafka at the other screen sizes (see _WALK)."""
    dropped = [i for i in items if f"{_WALK}[kafka-" in i.nodeid and _KAFKA_WALK not in i.nodeid]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [i for i in items if i not in dropped]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line nobody can miss when the browser tests were skipped."""
    if _skipped:
        terminalreporter.write_sep("!", f"{SKIPPED} at {CHROMIUM}", red=True, bold=True)
