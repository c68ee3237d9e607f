"""The platform as separately supervised processes, each of which a scenario may kill.

The broker (Tansu or Apache Kafka started here, or an external one), the SMTP catcher (a
process of its own, so it can be "down") and the services, each a
:class:`devstack.supervisor.Child` started the way the launcher starts it, with the launcher's
environment.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from devstack.broker import TansuBroker, free_port
from devstack.config import DevstackSettings
from devstack.kafka_broker import KafkaBroker
from devstack.secrets import load_or_create
from devstack.services import (
    CROWD_BEHIND_ONE_ADDRESS,
    SERVICES,
    ServiceSpec,
    service_environment,
)
from devstack.supervisor import Child, Console
from faults.smtp import CatcherProcess
from shared.config import BrokerKind

__all__ = [
    "FAST_PLATFORM",
    "KAFKA_FAILOVER",
    "Broker",
    "Platform",
    "own_broker",
    "running_platform",
]

# The timer and its scan as the e2e tests set them: a purge seconds after the code, not 24 h.
FAST_PLATFORM = {
    "DELETION_GRACE_SECONDS": "2",
    "DELETION_SCAN_INTERVAL_SECONDS": "0.3",
    "ADIEU_LOG_FORMAT": "text",
    # Every one of the suite's people signs up and in from 127.0.0.1.
    **CROWD_BEHIND_ONE_ADDRESS,
}
# On Apache Kafka a SIGKILLed service's partitions wait for its group session to lapse: with
# Faust's 60 s that alone took a minute of every journey's four (28 of 30 lost at "kill auth"
# on a loaded machine). The suite runs the failover an operator who wants seconds would set
# (docs/reliability.md); Tansu's own defaults are shorter still.
KAFKA_FAILOVER = {
    "ADIEU_BROKER_SESSION_TIMEOUT_SECONDS": "10",
    "ADIEU_BROKER_HEARTBEAT_INTERVAL_SECONDS": "1",
    "ADIEU_BROKER_REBALANCE_TIMEOUT_SECONDS": "20",
}
_APIS = ("auth", "deletion", "survey", "notifier")
_READY_SECONDS = 180.0
# A restarted Apache Kafka recovers its logs first; on a loaded machine that took a while.
_KAFKA_START_SECONDS = 240.0


class Broker(Protocol):
    """A broker this suite started, and so may kill and start again."""

    @property
    def bootstrap(self) -> str: ...

    def kill(self) -> None: ...

    def stop(self) -> None: ...


def own_broker(kind: BrokerKind, state_dir: Path) -> Broker:
    """Start a Tansu (memory storage) or an Apache Kafka (data under ``state_dir``)."""
    if kind == "tansu":
        tansu = TansuBroker(free_port())
        tansu.start()
        return tansu
    kafka = KafkaBroker(free_port(), state_dir, free_port())
    kafka.start(_KAFKA_START_SECONDS)
    return kafka


def start_again(broker: Broker) -> None:
    """Start a killed broker again on its port (Kafka with the data it had)."""
    if isinstance(broker, KafkaBroker):
        broker.start(_KAFKA_START_SECONDS)
    else:
        assert isinstance(broker, TansuBroker)
        broker.start()


@dataclass
class Platform:
    """What runs, where, and the handles to hurt it with."""

    var_dir: Path
    bootstrap: str
    env: dict[str, str]
    kind: BrokerKind
    console: Console
    broker: Broker | None
    catcher: CatcherProcess
    children: dict[str, Child] = field(default_factory=dict)

    @property
    def topic_prefix(self) -> str:
        return self.env["ADIEU_TOPIC_PREFIX"]

    def url(self, name: str) -> str:
        return self.children[name].url

    @property
    def deletion_urls(self) -> list[str]:
        """Every deletion process's URL (two in the leader scenario), first one first."""
        return [c.url for n, c in sorted(self.children.items()) if n.startswith("deletion")]

    def start(
        self, name: str, spec: ServiceSpec | None = None, env: Mapping[str, str] = {}
    ) -> None:
        """Start (or restart) one service as its own process."""
        known = self.children.get(name)
        spec = spec or (known.spec if known else next(s for s in SERVICES if s.name == name))
        child = Child(spec, {**self.env, **env}, self.console)
        child.start()
        self.children[name] = child

    def kill(self, name: str) -> None:
        """SIGKILL one service: no handler runs, nothing is flushed."""
        self.children[name].kill()

    def wait_healthy(self, names: list[str] | None = None, timeout: float = _READY_SECONDS) -> None:
        """Block until the services answer ``/healthz`` (raise after ``timeout``)."""
        deadline = time.monotonic() + timeout
        waiting = [self.children[n] for n in names or list(self.children)]
        while waiting:
            for child in waiting:
                if child.exit_code() is not None:
                    raise RuntimeError(f"{child.name} exited with {child.exit_code()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"not healthy: {', '.join(c.name for c in waiting)}")
            waiting = [c for c in waiting if not c.healthy()]
            time.sleep(0.2)  # a poll with a deadline

    def broker_kill(self) -> None:
        """SIGKILL the broker (ours only)."""
        assert self.broker is not None, "an external broker is not ours to kill"
        self.broker.kill()

    def broker_start(self) -> None:
        assert self.broker is not None
        start_again(self.broker)

    def stop(self) -> None:
        """SIGTERM every service, then kill what does not stop; then broker and catcher."""
        for child in self.children.values():
            child.terminate()
        deadline = time.monotonic() + 30
        for child in self.children.values():
            if child.wait(deadline) is None:
                child.kill()
        self.catcher.stop()


def _environment(var_dir: Path, bootstrap: str, smtp_port: int, kind: BrokerKind) -> dict[str, str]:
    own = ("ADIEU_", "AUTH_", "DELETION_", "SURVEY_", "NOTIFIER_", "WEB_", "DEVSTACK_")
    caller = {k: v for k, v in os.environ.items() if not k.startswith(own)}
    caller.update(FAST_PLATFORM)
    if kind == "kafka":
        caller.update(KAFKA_FAILOVER)
    caller["ADIEU_TOPIC_PREFIX"] = f"faults{uuid.uuid4().hex[:8]}."
    caller.update({f"{s.prefix}HTTP_PORT": str(free_port()) for s in SERVICES})
    settings = DevstackSettings(var_dir=var_dir, smtp_port=smtp_port)
    secrets = load_or_create(settings.state_dir / "secrets.env")
    return service_environment(settings, secrets, bootstrap, caller=caller, broker_kind=kind)


@contextmanager
def running_platform(
    var_dir: Path, kind: BrokerKind, broker: Broker | None, bootstrap: str, log: Path
) -> Iterator[Platform]:
    """Catcher and the four services on ``bootstrap`` (``broker``, if ours), until the end."""
    var_dir.mkdir(parents=True, exist_ok=True)
    catcher = CatcherProcess(var_dir / "mail", free_port(), var_dir / "catcher.log")
    catcher.start()
    with log.open("a", encoding="utf-8") as stream:
        platform = Platform(
            var_dir=var_dir.resolve(),
            bootstrap=bootstrap,
            env=_environment(var_dir, bootstrap, catcher.port, kind),
            kind=kind,
            console=Console(stream),
            broker=broker,
            catcher=catcher,
        )
        try:
            for name in _APIS:
                platform.start(name)
            platform.wait_healthy()
            yield platform
        finally:
            platform.stop()


def signal_name(signum: int) -> str:
    return signal.Signals(signum).name
