"""The mail catcher tells a reader of each message as it stores it (the benchmarks' hook)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib

from devstack.broker import free_port
from devstack.mailcatcher import MailCatcher


async def test_each_stored_message_is_reported_with_its_file_and_recipients(
    tmp_path: Path,
) -> None:
    heard: list[tuple[Path, list[str]]] = []
    done = threading.Event()

    def on_stored(path: Path, recipients: Sequence[str]) -> None:
        heard.append((path, list(recipients)))
        done.set()

    catcher = MailCatcher(tmp_path / "mail", free_port(), on_stored=on_stored)
    catcher.start()
    try:
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = "shop@example.com", "a@example.com", "Hi"
        mail.set_content("hello")
        await aiosmtplib.send(mail, hostname=catcher.host, port=catcher.port)
        assert done.wait(5.0)
    finally:
        catcher.stop()
    [(path, recipients)] = heard
    assert recipients == ["a@example.com"]
    assert path.parent == tmp_path / "mail"
    assert path.suffix == ".eml"
    assert b"hello" in path.read_bytes()
