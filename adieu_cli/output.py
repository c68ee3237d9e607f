"""Printing results: JSON for scripts (``--json``), short text for people."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

__all__ = ["emit", "human_letters", "human_mapping", "human_requests"]


def emit(args: argparse.Namespace, body: Any, human: Callable[[Any], str]) -> None:
    """Print ``body`` as JSON with ``--json``, else as ``human`` renders it."""
    print(json.dumps(body, indent=2, sort_keys=True) if args.json else human(body))


def human_mapping(body: Any, indent: str = "") -> str:
    """Nested ``key: value`` lines."""
    if not isinstance(body, dict):
        return f"{indent}{body}"
    lines = []
    for key, value in body.items():
        if isinstance(value, dict):
            lines.append(f"{indent}{key}:")
            lines.append(human_mapping(value, indent + "  "))
        elif isinstance(value, list):
            shown = ", ".join(
                json.dumps(item) if isinstance(item, dict) else str(item) for item in value
            )
            lines.append(f"{indent}{key}: {shown}")
        else:
            lines.append(f"{indent}{key}: {value}")
    return "\n".join(line for line in lines if line)


def human_requests(body: Any) -> str:
    """One line per deletion request."""
    rows = body.get("requests", []) if isinstance(body, dict) else []
    if not rows:
        return "no requests"
    lines = []
    for row in rows:
        pending = [n for n, s in (row.get("participants") or {}).items() if s != "completed"]
        flag = " OVERDUE" if row.get("overdue") else ""
        waiting = f" waiting for {', '.join(pending)}" if pending else ""
        deadline = row.get("purge_deadline") or "-"
        lines.append(f"{row['request_id']}  {row['status']}{flag}  deadline {deadline}{waiting}")
    return "\n".join(lines)


def human_letters(body: Any) -> str:
    """One line per dead letter."""
    letters = body["dead_letters"]
    if not letters:
        return f"no dead letters on {body['topic']}.dlq"
    return "\n".join(
        f"{d['partition']}:{d['offset']}  {d['event_type'] or '?'}  {d['event_id'] or '-'}"
        f"  consumer={d['consumer']}  {'replayed' if d['replayed'] else 'pending'}  {d['reason']}"
        for d in letters
    )
