"""The platform as ``make run`` starts it (``python -m devstack``), on free ports, for the
browser tests; and the mail a person finds in the catcher's inbox."""

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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path

from devstack.broker import free_port

__all__ = ["ROOT", "Stack", "codes_sent_to", "running_stack"]

ROOT = Path(__file__).resolve().parents[2]
_OWN_PREFIXES = ("ADIEU_", "AUTH_", "DELETION_", "SURVEY_", "NOTIFIER_", "WEB_", "DEVSTACK_")
_PORTS = ("broker", "smtp", "auth", "deletion", "survey", "notifier", "web")
_CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")
READY_TIMEOUT_SECONDS = 90.0


class StackFailed(Exception):
    """The stack did not start, or did not stop cleanly."""


@dataclass(frozen=True)
class Stack:
    """A running platform."""

    var_dir: Path
    log: Path
    web: str
    auth: str


def _environment(var_dir: Path, ports: dict[str, int]) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(_OWN_PREFIXES)}
    env.update(
        {
            "DEVSTACK_VAR_DIR": str(var_dir),
            "DEVSTACK_BROKER_PORT": str(ports["broker"]),
            "DEVSTACK_SMTP_PORT": str(ports["smtp"]),
            **{f"{name.upper()}_HTTP_PORT": str(ports[name]) for name in _PORTS[2:]},
            "DELETION_GRACE_SECONDS": "2",
            "DELETION_SCAN_INTERVAL_SECONDS": "0.3",
            "ADIEU_TOPIC_PREFIX": f"web{uuid.uuid4().hex[:10]}.",
            "WEB_SHOP_NAME": "Fjellbutikken",
            "WEB_BRAND_COLOR": "#1f5c4a",
        }
    )
    if os.environ.get("KAFKA_BOOTSTRAP"):
        env["ADIEU_KAFKA_BOOTSTRAP"] = os.environ["KAFKA_BOOTSTRAP"]
    return env


def _tail(log: Path, lines: int = 60) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def running_stack(base: Path) -> Iterator[Stack]:
    """``python -m devstack`` in a subprocess until the block ends; then SIGTERM."""
    ports = {name: free_port() for name in _PORTS}
    log = base / "devstack.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack"],
            cwd=ROOT,
            env=_environment(base / "var", ports),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while "adieu ready:" not in log.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise StackFailed(f"devstack did not get ready:\n{_tail(log)}")
            time.sleep(0.1)  # a synchronous poll with a deadline, like ``eventually``
        yield Stack(
            var_dir=base / "var",
            log=log,
            web=f"http://127.0.0.1:{ports['web']}",
            auth=f"http://127.0.0.1:{ports['auth']}",
        )
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise
    if code != 0:
        raise StackFailed(f"devstack exited with {code} after SIGTERM:\n{_tail(log)}")


def codes_sent_to(var_dir: Path, address: str) -> list[str]:
    """The six-digit code of every e-mail the catcher stored for ``address``, oldest first."""
    codes = []
    for path in sorted((var_dir / "mail").glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        recipients = [addr.lower() for _, addr in getaddresses(message.get_all("To", []))]
        body = message.get_body(preferencelist=("plain",))
        if address.lower() in recipients and body is not None:
            found = _CODE.findall(body.get_content())
            if len(found) == 1:
                codes.append(found[0])
    return codes
