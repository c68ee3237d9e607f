"""A local SMTP server that stores every message it receives as an ``.eml`` file."""

from __future__ import annotations

import itertools
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

__all__ = ["MailCatcher", "OnStored"]

# Called (in the catcher's thread) with each stored file and its envelope recipients.
OnStored = Callable[[Path, Sequence[str]], None]


class _StoreHandler:
    def __init__(self, directory: Path, on_stored: OnStored | None) -> None:
        self._directory = directory
        self._counter = itertools.count()
        self._on_stored = on_stored

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802  # aiosmtpd's hook name
        self._directory.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns()}-{next(self._counter):06d}.eml"
        temporary = self._directory / (name + ".part")
        temporary.write_bytes(envelope.original_content)
        # Rename last, so a reader never sees half a message.
        temporary.rename(self._directory / name)
        if self._on_stored is not None:
            self._on_stored(self._directory / name, list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


class MailCatcher:
    """aiosmtpd on loopback, writing each message to ``directory``.

    ``on_stored`` hears of each message as it is stored, so a reader of thousands of messages
    (the benchmarks) need not list the directory again and again.
    """

    def __init__(
        self,
        directory: Path,
        port: int,
        host: str = "127.0.0.1",
        on_stored: OnStored | None = None,
    ) -> None:
        self.directory = directory
        self.host = host
        self.port = port
        handler = _StoreHandler(directory, on_stored)
        self._controller = Controller(handler, hostname=host, port=port)

    def start(self) -> None:
        """Start listening (in aiosmtpd's own thread)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self._controller.start()

    def stop(self) -> None:
        """Stop listening."""
        self._controller.stop()


def main(argv: list[str]) -> int:
    """``python -m devstack.mailcatcher DIRECTORY PORT``: serve until SIGTERM or SIGINT.

    A process of its own for the fault suite, so that a busy harness never poses as an SMTP
    server refusing connections, and "SMTP down" is a process stopped, as in production.
    """
    if len(argv) != 2 or not argv[1].isdigit():
        print("usage: python -m devstack.mailcatcher DIRECTORY PORT", file=sys.stderr)
        return 2
    catcher = MailCatcher(Path(argv[0]), int(argv[1]))
    stopped = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopped.set())
    catcher.start()
    print(f"mail catcher listening on {catcher.host}:{catcher.port}", flush=True)
    stopped.wait()
    catcher.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
