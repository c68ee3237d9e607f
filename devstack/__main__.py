"""``python -m devstack`` (what ``make run`` calls): the whole platform on this machine.

Starts the broker (Tansu with memory storage, or with ``DEVSTACK_BROKER=kafka`` Apache Kafka
keeping its data in ``var/kafka/``), an SMTP catcher writing ``.eml`` files, the four services and
the web edge in front of them; streams their logs; prints one ``adieu ready`` line once every
service answers ``/healthz``; stops everything on Ctrl-C or SIGTERM and exits 0. If a service
dies on its own, the rest are stopped and the exit code is 1.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from types import FrameType

from devstack.broker import TansuBroker, port_in_use
from devstack.config import DevstackSettings
from devstack.kafka_broker import KafkaBroker
from devstack.mailcatcher import MailCatcher
from devstack.secrets import load_or_create
from devstack.services import SERVICES, own_secrets_only, service_environment
from devstack.supervisor import Child, Console, Supervisor

__all__ = ["main"]

_SELF = "devstack"


class _Signals:
    """First Ctrl-C/SIGTERM asks for a clean stop; a second one asks to hurry (kill)."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.hurry = threading.Event()

    def install(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._handle)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        (self.hurry if self.stop.is_set() else self.stop).set()


class _Stack:
    """The parts of one run and the order they start and stop in."""

    def __init__(self, settings: DevstackSettings, console: Console, signals: _Signals) -> None:
        self.settings = settings
        self.console = console
        self.signals = signals
        state = settings.state_dir
        state.mkdir(parents=True, exist_ok=True)
        secrets = load_or_create(state / "secrets.env")
        self.external_broker = os.environ.get("ADIEU_KAFKA_BOOTSTRAP")
        self.bootstrap = self.external_broker or f"127.0.0.1:{settings.broker_port}"
        # An external broker is taken for Apache Kafka unless ADIEU_BROKER_KIND says otherwise.
        kind = "kafka" if self.external_broker else settings.broker
        env = service_environment(settings, secrets, self.bootstrap, broker_kind=kind)
        self.catcher = MailCatcher(state / "mail", settings.smtp_port)
        self.children = [Child(spec, own_secrets_only(spec, env), console) for spec in SERVICES]
        self.supervisor = Supervisor(self.children, console, signals.stop)

    def say(self, text: str) -> None:
        self.console.line(_SELF, text)

    def announce(self) -> None:
        state = self.settings.state_dir
        self.say(f"state in {state}/ (secrets in secrets.env, mode 0600)")
        if self.external_broker:
            self.say(f"kafka: external broker at {self.bootstrap} (ADIEU_KAFKA_BOOTSTRAP)")
        elif self.settings.broker == "kafka":
            self.say(f"kafka: Apache Kafka on {self.bootstrap}, data in {state}/kafka/")
        else:
            self.say(f"kafka: Tansu on {self.bootstrap}, memory storage (gone when it stops)")
        self.say(f"mail: SMTP catcher on 127.0.0.1:{self.settings.smtp_port} -> {state}/mail/")
        self.say(f"sms: one file per message in {state}/sms/")
        for child in self.children:
            self.say(f"{child.name}: {child.url} (python -m {child.spec.module})")
        web = next(child for child in self.children if child.name == "web")
        self.say(f"open {web.url}/ in a browser; operators: {web.url}/operator (WEB_ADMIN_TOKEN)")

    def start_infrastructure(self, stack: contextlib.ExitStack) -> None:
        """Start the broker and the mail catcher; register how to stop them."""
        if not self.external_broker:
            if port_in_use(self.settings.broker_port):
                raise RuntimeError(
                    f"port {self.settings.broker_port} is in use; stop what listens there"
                    " or set DEVSTACK_BROKER_PORT"
                )
            self._start_broker(stack)
        if port_in_use(self.settings.smtp_port):
            raise RuntimeError(f"port {self.settings.smtp_port} is in use; set DEVSTACK_SMTP_PORT")
        self.catcher.start()
        stack.callback(self.catcher.stop)

    def _start_broker(self, stack: contextlib.ExitStack) -> None:
        settings = self.settings
        if settings.broker == "kafka":
            if port_in_use(settings.kafka_controller_port):
                raise RuntimeError(
                    f"port {settings.kafka_controller_port} (Kafka's controller) is in use;"
                    " set DEVSTACK_KAFKA_CONTROLLER_PORT"
                )
            self.say("kafka: starting Apache Kafka (the first run fetches its jars with Maven)")
            kafka = KafkaBroker(
                settings.broker_port, settings.state_dir / "kafka", settings.kafka_controller_port
            )
            kafka.start(settings.kafka_ready_timeout_seconds)
            stack.callback(kafka.stop)
            return
        broker = TansuBroker(settings.broker_port)
        broker.start()
        stack.callback(broker.stop)

    def run_services(self) -> bool:
        """Start the services and watch them; True if we stopped because we were asked to."""
        self.supervisor.start_all()
        try:
            if self.supervisor.wait_ready(self.settings.ready_timeout_seconds):
                print(self.ready_line(), flush=True)
                dead = self.supervisor.watch()
            else:
                dead = self.supervisor.dead_child()
            if dead is not None:
                self.say(f"{dead.name} exited unexpectedly (code {dead.exit_code()}); stopping")
                return False
            return self.signals.stop.is_set()
        finally:
            self.say("stopping")
            clean = self.supervisor.stop_all(self.settings.stop_timeout_seconds, self.signals.hurry)
            if not clean:
                self.signals.stop.clear()  # an unclean stop is a failure, whatever caused it

    def ready_line(self) -> str:
        services = " ".join(f"{child.name} {child.url}" for child in self.children)
        smtp = f"127.0.0.1:{self.settings.smtp_port}"
        return f"adieu ready: {services} | kafka {self.bootstrap} | smtp {smtp}"


def main() -> int:
    """Run the stack until asked to stop; return the process exit code."""
    signals = _Signals()
    signals.install()
    console = Console()
    stack = _Stack(DevstackSettings(), console, signals)
    stack.announce()
    with contextlib.ExitStack() as parts:
        parts.callback(stack.say, "stopped")
        try:
            stack.start_infrastructure(parts)
        except (OSError, RuntimeError) as exc:
            stack.say(f"could not start: {exc}")
            return 1
        return 0 if stack.run_services() else 1


if __name__ == "__main__":
    sys.exit(main())
