"""The whole platform started as ``make run`` starts it, for the end-to-end and browser tests;
and where a person finds their messages: the catcher's ``.eml`` files and the SMS sink."""

from __future__ import annotations

import email
import email.policy
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path

from devstack.broker import free_port
from tests.support.brokers import BrokerUnderTest

__all__ = [
    "ROOT",
    "Launch",
    "Stack",
    "StackFailed",
    "codes_sent_to",
    "emails_to",
    "launch",
    "only_code",
    "running_stack",
    "sms_to",
    "text_of",
]

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_SECONDS = 90.0
STOP_TIMEOUT_SECONDS = 60.0
SERVICES = ("auth", "deletion", "survey", "notifier", "web")
# Variables that configure the platform; the caller's own must not leak into the test's stack.
_OWN_PREFIXES = ("ADIEU_", "AUTH_", "DELETION_", "SURVEY_", "NOTIFIER_", "WEB_", "DEVSTACK_")
_CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")


class StackFailed(Exception):
    """The stack did not get ready, or did not stop cleanly."""


@dataclass(frozen=True)
class Stack:
    """A running platform: its state directory, its log, its environment and its services."""

    var_dir: Path
    log: Path
    env: Mapping[str, str]
    urls: Mapping[str, str]

    @property
    def auth(self) -> str:
        return self.urls["auth"]

    @property
    def deletion(self) -> str:
        return self.urls["deletion"]

    @property
    def survey(self) -> str:
        return self.urls["survey"]

    @property
    def web(self) -> str:
        return self.urls["web"]

    def secrets(self) -> dict[str, str]:
        """The secrets devstack generated (``var/secrets.env``)."""
        lines = (self.var_dir / "secrets.env").read_text().splitlines()
        pairs = (line.split("=", 1) for line in lines if "=" in line)
        return {key.strip(): value.strip() for key, value in pairs if not key.startswith("#")}


def _environment(
    var_dir: Path, ports: Mapping[str, int], name: str, broker: BrokerUnderTest | None
) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(_OWN_PREFIXES)}
    env.update({f"{service.upper()}_HTTP_PORT": str(ports[service]) for service in SERVICES})
    env.update(
        {
            "DEVSTACK_VAR_DIR": str(var_dir),
            "DEVSTACK_BROKER_PORT": str(ports["broker"]),
            "DEVSTACK_SMTP_PORT": str(ports["smtp"]),
            "DEVSTACK_KAFKA_CONTROLLER_PORT": str(ports["controller"]),
            # The "deletion pending" window (CodeVerified to AccountPurged) must outlast the
            # lag of a loaded machine's auth consumer, or both arrive at once and the window
            # the journey checks for is gone.
            "DELETION_GRACE_SECONDS": "4",
            "DELETION_SCAN_INTERVAL_SECONDS": "0.3",
            "ADIEU_TOPIC_PREFIX": f"{name}{uuid.uuid4().hex[:10]}.",
        }
    )
    if broker is not None and broker.kind == "kafka":
        # The session's Apache Kafka, as an operator's external broker: a JVM start per stack
        # would cost more than the stack itself. tests/e2e/test_kafka_durability.py covers
        # devstack starting its own.
        env["ADIEU_KAFKA_BOOTSTRAP"] = broker.bootstrap
        env["ADIEU_BROKER_KIND"] = "kafka"
    return env


def _tail(log: Path, lines: int = 60) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Launch:
    """One ``python -m devstack`` process: how it was started, so it can be started again."""

    base: Path
    env: dict[str, str]
    ports: Mapping[str, int]
    process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.base / "devstack.log"

    def start(self) -> Stack:
        """Start the launcher (appending to its log) and wait for its ``adieu ready`` line."""
        offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "devstack"],
                cwd=ROOT,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while "adieu ready:" not in self.log.read_text(errors="replace")[offset:]:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise StackFailed(f"devstack did not get ready:\n{_tail(self.log)}")
            time.sleep(0.1)  # a synchronous poll with a deadline, like ``eventually``
        env = {**self.env}
        env.setdefault("ADIEU_KAFKA_BOOTSTRAP", f"127.0.0.1:{self.ports['broker']}")
        urls = {service: f"http://127.0.0.1:{self.ports[service]}" for service in SERVICES}
        return Stack(var_dir=self.base / "var", log=self.log, env=env, urls=urls)

    def stop(self) -> int:
        """SIGTERM, as Ctrl-C would; the exit code (killed after the stop timeout)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise


def launch(base: Path, name: str, extra_env: Mapping[str, str] | None = None) -> Launch:
    """A launcher on free ports with its state under ``base`` (not started yet)."""
    ports = {service: free_port() for service in ("broker", "controller", "smtp", *SERVICES)}
    env = {**_environment(base / "var", ports, name, None), **(extra_env or {})}
    return Launch(base=base, env=env, ports=ports)


@contextmanager
def running_stack(
    base: Path,
    name: str,
    broker: BrokerUnderTest | None,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[Stack]:
    """``python -m devstack`` on free ports until the block ends; then SIGTERM, exit code 0.

    On Tansu devstack starts its own; on Apache Kafka the stack uses ``broker``; with no
    ``broker`` devstack starts the one ``DEVSTACK_BROKER`` in ``extra_env`` names.
    """
    ports = {service: free_port() for service in ("broker", "controller", "smtp", *SERVICES)}
    env = {**_environment(base / "var", ports, name, broker), **(extra_env or {})}
    log = base / "devstack.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        # Starting Apache Kafka too takes a JVM start more (docs/kafka.md).
        own_kafka = env.get("DEVSTACK_BROKER") == "kafka" and broker is None
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS * (3 if own_kafka else 1)
        while "adieu ready:" not in log.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise StackFailed(f"devstack did not get ready:\n{_tail(log)}")
            time.sleep(0.1)  # a synchronous poll with a deadline, like ``eventually``
        env.setdefault("ADIEU_KAFKA_BOOTSTRAP", f"127.0.0.1:{ports['broker']}")
        urls = {service: f"http://127.0.0.1:{ports[service]}" for service in SERVICES}
        yield Stack(var_dir=base / "var", log=log, env=env, urls=urls)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise
    if code != 0:
        raise StackFailed(f"devstack exited with {code} after SIGTERM:\n{_tail(log)}")


def emails_to(var_dir: Path, address: str) -> list[EmailMessage]:
    """Every e-mail the catcher stored for ``address``, oldest first (names start with ns)."""
    found = []
    for path in sorted((var_dir / "mail").glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        recipients = [addr.lower() for _, addr in getaddresses(message.get_all("To", []))]
        if address.lower() in recipients:
            found.append(message)
    return found


def text_of(message: EmailMessage) -> str:
    """The plain-text part of an e-mail."""
    body = message.get_body(preferencelist=("plain",))
    assert body is not None, "the e-mail has no text part"
    content: str = body.get_content()
    return content


def only_code(text: str) -> str:
    """The one 6-digit code in a message; fails if there is not exactly one."""
    codes = _CODE.findall(text)
    assert len(codes) == 1, f"expected exactly one 6-digit number in the message, got {codes}"
    code: str = codes[0]
    return code


def codes_sent_to(var_dir: Path, address: str) -> list[str]:
    """The code of every e-mail to ``address`` that carries exactly one, oldest first."""
    codes = []
    for message in emails_to(var_dir, address):
        found = _CODE.findall(text_of(message))
        if len(found) == 1:
            codes.append(found[0])
    return codes


def sms_to(var_dir: Path, e164: str) -> list[str]:
    """The texts of every SMS written for ``e164``, oldest first."""
    directory = var_dir / "sms"
    if not directory.is_dir():
        return []
    paths = sorted(
        (p for p in directory.iterdir() if p.is_file()), key=lambda p: (p.stat().st_mtime_ns, p)
    )
    texts = []
    for path in paths:
        head, _, text = path.read_text(encoding="utf-8").partition("\n\n")
        if head.splitlines()[:1] == [f"To: {e164}"]:
            texts.append(text)
    return texts
