"""A local SMTP server that stores every message it receives as an ``.eml`` file."""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

__all__ = ["MailCatcher"]


class _StoreHandler:
    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._counter = itertools.count()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802  # aiosmtpd's hook name
        self._directory.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns()}-{next(self._counter):06d}.eml"
        temporary = self._directory / (name + ".part")
        temporary.write_bytes(envelope.original_content)
        # Rename last, so a reader never sees half a message.
        temporary.rename(self._directory / name)
        return "250 Message accepted for delivery"


class MailCatcher:
    """aiosmtpd on loopback, writing each message to ``directory``."""

    def __init__(self, directory: Path, port: int, host: str = "127.0.0.1") -> None:
        self.directory = directory
        self.host = host
        self.port = port
        self._controller = Controller(_StoreHandler(directory), hostname=host, port=port)

    def start(self) -> None:
        """Start listening (in aiosmtpd's own thread)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self._controller.start()

    def stop(self) -> None:
        """Stop listening."""
        self._controller.stop()
