"""A platform the benchmarks start themselves: a broker, the mail catcher, the services and any
extra participants, each a real process on free ports, with state in a directory of its own.

The broker is the one ``BENCH_BROKER`` names (``python -m bench --brokers``): ``tansu`` (as
``make run``, the default) or ``kafka``, each started for the stack on free ports (Apache Kafka
through :mod:`devstack.kafka_broker`, its data in the stack's directory); or the cluster named by
``ADIEU_KAFKA_BOOTSTRAP``, taken as Apache Kafka unless ``BENCH_BROKER=tansu``.
Every process's output goes to ``<var>/logs/<name>.log``; ``rss_mb`` reads a process's
resident memory from ``/proc``, so a bench can sample it while it runs.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.mail import MailWatcher
from bench.profile import start_profiler
from devstack.broker import TansuBroker, free_port
from devstack.config import DevstackSettings
from devstack.kafka_broker import KafkaBroker
from devstack.mailcatcher import MailCatcher
from devstack.secrets import load_or_create
from devstack.services import service_environment

__all__ = ["BenchStack", "Process", "bench_stack", "broker_kind", "cpu_seconds", "rss_mb"]

ROOT = Path(__file__).resolve().parents[1]
_READY_SECONDS = 120.0
# Variables of the caller's shell that would point our processes at another stack.
_OWN_PREFIXES = ("AUTH_", "DELETION_", "SURVEY_", "NOTIFIER_", "WEB_", "DEVSTACK_", "ORDERS_")


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` in MiB (0 once it has gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """CPU time ``pid`` has used so far (user + system; 0 once it has gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    # Fields after the command name (which may hold spaces) : utime and stime are 14 and 15.
    fields = stat.rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Process:
    """One service or participant: ``python -m <module>`` with its own environment."""

    name: str
    module: str
    env: dict[str, str]
    log: Path
    health_url: str | None = None
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the process, appending its output to its log."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(  # noqa: S603  # our own module, fixed arguments
                [sys.executable, "-m", self.module],
                env=self.env,
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                process_group=0,
            )

    @property
    def pid(self) -> int:
        """The running process's id."""
        if self.popen is None:
            raise RuntimeError(f"{self.name} is not running")
        return self.popen.pid

    def kill(self) -> None:
        """SIGKILL: no clean stop, as a crash would end it."""
        if self.popen is not None:
            self.popen.kill()
            self.popen.wait()

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM, then SIGKILL if it does not end in ``timeout`` seconds."""
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def wait_healthy(self, deadline: float) -> None:
        """Poll ``/healthz`` until it answers 200, the process dies, or ``deadline`` passes."""
        while time.monotonic() < deadline:
            if self.popen is not None and self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log}")
            try:
                if httpx.get(f"{self.health_url}/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{self.name} was not healthy in time; see {self.log}")


@dataclass
class BenchStack:
    """A running stack: where it keeps state, its broker and its processes by name."""

    var_dir: Path
    bootstrap: str
    env: dict[str, str]
    urls: dict[str, str]
    mail: MailWatcher
    processes: dict[str, Process] = field(default_factory=dict)
    broker_pid: int | None = None  # None: a cluster the stack did not start
    # With BENCH_PROFILE_DIR set (``python -m bench --profile DIR``), py-spy records each one.
    profile_dir: Path | None = None
    _spies: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def process(self, name: str, module: str, port_var: str, extra: Mapping[str, str]) -> Process:
        """Declare a process on a free HTTP port (``port_var``), not started yet."""
        port = free_port()
        env = {**self.env, port_var: str(port), **extra}
        url = f"http://127.0.0.1:{port}"
        proc = Process(name, module, env, self.var_dir / "logs" / f"{name}.log", url)
        self.processes[name] = proc
        self.urls[name] = url
        return proc

    def start(self, names: Sequence[str], *, profile: bool = True) -> None:
        """Start ``names`` together and wait until each answers ``/healthz``.

        With ``profile`` (and a profile directory), py-spy records each from then on; a bench
        whose measured phase begins later passes False and calls :meth:`profile` then.
        """
        for name in names:
            self.processes[name].start()
        deadline = time.monotonic() + _READY_SECONDS
        for name in names:
            self.processes[name].wait_healthy(deadline)
        if profile:
            self.profile(names)

    def profile(self, names: Sequence[str]) -> None:
        """py-spy records ``names`` from now on, when the stack has a profile directory.

        Started once a process is healthy, so its imports and start-up are not in the file.
        """
        if self.profile_dir is None:
            return
        for name in names:
            proc = self.processes[name]
            out = self.profile_dir / f"{name}-{proc.pid}.txt"
            self._spies.append(start_profiler(proc.pid, out))

    def pids(self) -> dict[str, int]:
        """Every running process of the stack by name, the broker too when it started it."""
        found = {name: proc.pid for name, proc in self.processes.items() if proc.popen}
        if self.broker_pid is not None:
            found["broker"] = self.broker_pid
        return found

    def stop_all(self) -> None:
        """Stop every process still running."""
        for proc in reversed(list(self.processes.values())):
            proc.stop()
        for spy in self._spies:  # each writes its file once its process has gone
            try:
                spy.wait(timeout=30)
            except subprocess.TimeoutExpired:
                spy.kill()


def broker_kind() -> str:
    """The kind of broker the stacks use now: ``tansu`` or ``kafka`` (see the module's doc)."""
    default = "kafka" if os.environ.get("ADIEU_KAFKA_BOOTSTRAP") else "tansu"
    return os.environ.get("BENCH_BROKER", default)


def _start_broker(parts: ExitStack, var_dir: Path, kind: str) -> tuple[str, int | None]:
    """The bootstrap address, and the broker's pid when it was started here."""
    if given := os.environ.get("ADIEU_KAFKA_BOOTSTRAP"):
        return given, None
    if kind == "kafka":
        kafka = KafkaBroker(free_port(), var_dir / "kafka", free_port())
        parts.callback(kafka.stop)
        kafka.start(timeout=240)
        return kafka.bootstrap, kafka.pid()
    broker = TansuBroker(free_port())
    broker.start()
    parts.callback(broker.stop)
    return broker.bootstrap, broker.pid


def _base_env(
    var_dir: Path, bootstrap: str, smtp_port: int, extra: Mapping[str, str]
) -> dict[str, str]:
    settings = DevstackSettings(var_dir=var_dir, smtp_port=smtp_port)
    secrets = load_or_create(var_dir / "secrets.env")
    caller = {key: value for key, value in os.environ.items() if not key.startswith(_OWN_PREFIXES)}
    caller.update({"ADIEU_LOG_LEVEL": "WARNING", **extra})
    caller.pop("ADIEU_KAFKA_BOOTSTRAP", None)
    caller.pop("ADIEU_BROKER_KIND", None)
    return service_environment(settings, secrets, bootstrap, caller, broker_kind=broker_kind())


@contextmanager
def bench_stack(var_dir: Path, extra_env: Mapping[str, str] | None = None) -> Iterator[BenchStack]:
    """A broker and mail catcher running, services declared (the caller starts them).

    Entered inside the benchmark's event loop: the catcher pushes each message to the stack's
    :class:`MailWatcher` on that loop.
    """
    var_dir = var_dir.resolve()
    var_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as parts:
        bootstrap, broker_pid = _start_broker(parts, var_dir, broker_kind())
        smtp_port = free_port()
        mail = MailWatcher(asyncio.get_running_loop())
        catcher = MailCatcher(var_dir / "mail", smtp_port, on_stored=mail.stored)
        catcher.start()
        parts.callback(catcher.stop)
        env = _base_env(var_dir, bootstrap, smtp_port, extra_env or {})
        stack = BenchStack(var_dir, bootstrap, env, {}, mail, broker_pid=broker_pid)
        if profile := os.environ.get("BENCH_PROFILE_DIR"):
            stack.profile_dir = Path(profile).resolve()
        for name in ("auth", "deletion", "survey", "notifier"):
            stack.process(name, f"services.{name}", f"{name.upper()}_HTTP_PORT", {})
        parts.callback(stack.stop_all)
        yield stack
