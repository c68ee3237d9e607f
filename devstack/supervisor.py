"""Child processes of the local stack: started together, watched, and stopped together.

Each child's stdout and stderr are merged and copied line by line to our stdout behind a
fixed-width prefix, so every service's log stay readable in one terminal.
"""

from __future__ import annotations

import http.client
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from typing import IO

from devstack.deathsig import guarded
from devstack.services import ServiceSpec

__all__ = ["Child", "Console", "Supervisor"]

_POLL_SECONDS = 0.2


class Console:
    """Prefixed lines on one stream, written whole even when several threads print."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self._stream = stream or sys.stdout
        self._lock = threading.Lock()

    def line(self, source: str, text: str) -> None:
        """Print ``text`` as one line from ``source``."""
        with self._lock:
            self._stream.write(f"{source:<8} | {text}\n")
            self._stream.flush()


class Child:
    """One service running as ``python -m services.<name>``."""

    def __init__(self, spec: ServiceSpec, env: Mapping[str, str], console: Console) -> None:
        self.spec = spec
        self.host, self.port = spec.address(env)
        self._env = dict(env)
        self._console = console
        self._process: subprocess.Popen[bytes] | None = None
        self._pump: threading.Thread | None = None

    @property
    def name(self) -> str:
        """The service's name."""
        return self.spec.name

    @property
    def url(self) -> str:
        """The service's base URL."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        """Start the process and the thread that copies its output."""
        self._process = subprocess.Popen(
            # Dies with the launcher, even one killed without a chance to stop us (SIGKILL).
            guarded([sys.executable, "-m", self.spec.module]),
            env=self._env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            # Its own process group: Ctrl-C reaches only the launcher, which stops us in order.
            process_group=0,
        )
        self._pump = threading.Thread(
            target=self._copy_output, args=(self._process.stdout,), name=self.name, daemon=True
        )
        self._pump.start()

    def _copy_output(self, output: IO[bytes]) -> None:
        with output:
            for raw in iter(output.readline, b""):
                self._console.line(self.name, raw.decode("utf-8", errors="replace").rstrip())

    @property
    def pid(self) -> int | None:
        """The process id, once started."""
        return None if self._process is None else self._process.pid

    def exit_code(self) -> int | None:
        """The exit code, or None while it runs (or before it started)."""
        return None if self._process is None else self._process.poll()

    def healthy(self) -> bool:
        """Whether ``GET /healthz`` answers 200 right now."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=1.0)
        try:
            connection.request("GET", "/healthz")
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    def terminate(self) -> None:
        """Ask the process to stop (SIGTERM)."""
        if self.exit_code() is None and self._process is not None:
            self._process.terminate()

    def wait(self, deadline: float) -> int | None:
        """Wait until the process ends or ``deadline`` (monotonic) passes; return its code."""
        if self._process is None:
            return 0
        try:
            code = self._process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            return None
        if self._pump is not None:
            self._pump.join(timeout=2.0)  # let its last lines reach the terminal
        return code

    def kill(self) -> None:
        """Stop the process without asking."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()


class Supervisor:
    """Starts children, waits until they are healthy, notices deaths, stops them all."""

    def __init__(self, children: Sequence[Child], console: Console, stop: threading.Event) -> None:
        self.children = list(children)
        self._console = console
        self._stop = stop

    def start_all(self) -> None:
        """Start every child (they start up in parallel)."""
        for child in self.children:
            child.start()

    def dead_child(self) -> Child | None:
        """A child that has exited, if any."""
        return next((c for c in self.children if c.exit_code() is not None), None)

    def wait_ready(self, timeout: float) -> bool:
        """Wait until every child answers ``/healthz``; False on stop, death or timeout."""
        deadline = time.monotonic() + timeout
        waiting = list(self.children)
        while waiting:
            if self._stop.is_set() or self.dead_child() is not None:
                return False
            if time.monotonic() > deadline:
                names = ", ".join(child.name for child in waiting)
                self._console.line("devstack", f"not healthy after {timeout:.0f}s: {names}")
                return False
            waiting = [child for child in waiting if not child.healthy()]
            if waiting:
                self._stop.wait(_POLL_SECONDS)
        return True

    def watch(self) -> Child | None:
        """Block until a stop is requested (None) or a child exits on its own (that child)."""
        while not self._stop.is_set():
            dead = self.dead_child()
            if dead is not None:
                return dead
            self._stop.wait(_POLL_SECONDS)
        return None

    def stop_all(self, timeout: float, hurry: threading.Event) -> bool:
        """SIGTERM every child, wait up to ``timeout`` (less if ``hurry`` is set), then kill.

        Returns whether every child stopped by itself with exit code 0.
        """
        # A child that already died was reported when it died; its death already fails the run.
        running = [child for child in self.children if child.exit_code() is None]
        for child in running:
            child.terminate()
        deadline = time.monotonic() + timeout
        clean = len(running) == len(self.children)
        for child in running:
            code = None
            while code is None and time.monotonic() < deadline and not hurry.is_set():
                code = child.wait(min(deadline, time.monotonic() + _POLL_SECONDS))
            if code is None:
                self._console.line("devstack", f"{child.name} did not stop in time; killing it")
                child.kill()
                clean = False
            elif code not in (0, -signal.SIGTERM):  # -SIGTERM: stopped before its handlers
                self._console.line("devstack", f"{child.name} stopped with exit code {code}")
                clean = False
        return clean
