"""The suite's SMTP server: devstack's mail catcher, run as a process of its own.

In a thread of the suite's process it shared one interpreter with 30 journeys' polling; on two
busy cores it refused connections, and the notifier rightly counted that as SMTP down (18 of 30
journeys "lost" in the kill-auth row). A process of its own is what production has: a mail
server that only the "smtp down" scenario takes away.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

from devstack.deathsig import guarded

__all__ = ["CatcherProcess"]

_READY_SECONDS = 30.0


class CatcherProcess:
    """``python -m devstack.mailcatcher`` on ``port``, storing under ``directory``."""

    def __init__(self, directory: Path, port: int, log: Path) -> None:
        self.directory = directory
        self.port = port
        self._log = log
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start it and wait until it accepts connections."""
        self.directory.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable,
            "-m",
            "devstack.mailcatcher",
            str(self.directory),
            str(self.port),
        ]
        with self._log.open("ab") as output:
            # Dies with the suite, however the suite ends.
            self._process = subprocess.Popen(
                guarded(command), stdout=output, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + _READY_SECONDS
        while not self._accepts():
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the mail catcher did not start (see {self._log})")
            time.sleep(0.05)  # a poll with a deadline

    def _accepts(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1.0):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        """Take it away (SIGTERM; SIGKILL if it lingers): connections are refused from now."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
