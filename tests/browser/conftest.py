"""Browser tests need Debian's Chromium. Without it they fail, loudly, unless
ADIEU_SKIP_BROWSER=1 says to skip them; then the terminal summary says they did not run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
SKIPPED = "browser tests did NOT run: Chromium missing"
_skipped: list[str] = []


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


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line nobody can miss when the browser tests were skipped."""
    if _skipped:
        terminalreporter.write_sep("!", f"{SKIPPED} at {CHROMIUM}", red=True, bold=True)
