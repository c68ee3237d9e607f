"""Logging set-up: one JSON object per line, or plain text for people.

Log records carry ids (event_id, request_id, notification_id), never personal data; that is a
rule for the callers, and the JSON formatter only emits the fields it knows. The correlation id
and the event being handled travel in context variables: the HTTP middleware binds the request's
correlation id and the consumer binds the event's, so every line logged while serving them says
which journey it belongs to without each call site passing it along.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Literal, TextIO

__all__ = ["bound", "configure_logging", "current_correlation_id"]

_CONTEXT_FIELDS = ("event_id", "event_type", "correlation_id", "request_id", "notification_id")
_BOUND_FIELDS = ("correlation_id", "event_id", "event_type")

_context: dict[str, contextvars.ContextVar[str | None]] = {
    name: contextvars.ContextVar(f"adieu_log_{name}", default=None) for name in _BOUND_FIELDS
}


@contextmanager
def bound(**fields: str | None) -> Iterator[None]:
    """Attach ``correlation_id``, ``event_id`` and/or ``event_type`` to every line logged inside."""
    tokens = [(_context[name], _context[name].set(value)) for name, value in fields.items()]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def current_correlation_id() -> str | None:
    """The correlation id bound by the HTTP middleware or the consumer, if any."""
    return _context["correlation_id"].get()


class _ContextFilter(logging.Filter):
    """Copies the bound context onto each record unless the call site set the field itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, var in _context.items():
            value = var.get()
            if value is not None and getattr(record, name, None) is None:
                setattr(record, name, value)
        return True


class _JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "service": self._service,
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in _CONTEXT_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = value
        if record.exc_info and record.exc_info[0] is not None:
            # The type only: a traceback's locals or messages could hold personal data.
            entry["exception"] = record.exc_info[0].__name__
        return json.dumps(entry)


class _TextFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__(f"%(asctime)s {service} %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = [
            f"{field}={getattr(record, field)}"
            for field in ("correlation_id", "event_type", "event_id")
            if getattr(record, field, None) is not None
        ]
        return f"{line} [{' '.join(ids)}]" if ids else line


def configure_logging(
    service: str, fmt: Literal["json", "text"], level: str, stream: TextIO | None = None
) -> None:
    """Route every logger to ``stream`` (stderr) in the chosen format."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(_ContextFilter())
    handler.setFormatter(_JsonFormatter(service) if fmt == "json" else _TextFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiokafka and faust narrate every rebalance at INFO; their warnings still come through.
    for noisy in ("aiokafka", "faust", "mode", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
