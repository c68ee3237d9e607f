"""The benchmarks' common output: rows of figure, today's value and the target."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Row", "table"]


@dataclass(frozen=True)
class Row:
    """One figure: what it is, today's value, the target, and whether today meets it."""

    bench: str
    figure: str
    today: str
    target: str = ""
    met: bool | None = None


def table(rows: Sequence[Row]) -> str:
    """A Markdown table of ``rows`` (pasted as is into docs/performance.md)."""
    lines = ["| bench | figure | today | target | met |", "|---|---|---|---|---|"]
    for row in rows:
        met = "" if row.met is None else ("yes" if row.met else "**no**")
        lines.append(f"| {row.bench} | {row.figure} | {row.today} | {row.target} | {met} |")
    return "\n".join(lines)
