"""The benchmarks' view of the mail catcher: each stored message is pushed, never listed.

The catcher (in this process, in aiosmtpd's thread) calls :meth:`MailWatcher.stored` as it
stores a message. Listing a directory of thousands of ``.eml`` files on every poll was the
driver's own bottleneck at 200 journeys/s; now a message costs one call, and is parsed only
when a journey waits for mail to one of its recipients, and then with the compat32 parser and
only the headers and part it needs: ``email.policy.default`` built a header object (a new class
per header) for every header of every part, ~4.5 ms a message, a quarter of the driver's CPU.
"""

from __future__ import annotations

import asyncio
import email
import email.header
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Mail", "MailWatcher"]

# A message's kind, by words of its subject (the notifier's English templates).
_SUBJECTS = {"code": "Confirm the deletion", "completed": "has been deleted"}


@dataclass(frozen=True)
class Mail:
    """One awaited message: when the catcher stored it (epoch seconds) and its plain text."""

    stored_at: float
    text: str


class MailWatcher:
    """Counts every stored message; hands out awaited ones by (recipient, kind)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._lock = threading.Lock()
        self._count = 0
        self._waiting: dict[tuple[str, str], asyncio.Future[Mail]] = {}

    @property
    def count(self) -> int:
        """How many messages the catcher has stored."""
        return self._count

    def expect(self, address: str, kind: str) -> asyncio.Future[Mail]:
        """A future of the first ``kind`` message (code, completed) to ``address`` from now."""
        future: asyncio.Future[Mail] = self._loop.create_future()
        with self._lock:
            self._waiting[(address.lower(), kind)] = future
        return future

    def stored(self, path: Path, recipients: Sequence[str]) -> None:
        """The catcher's hook (its thread): one more message, stored at ``path``."""
        stored_at = time.time()
        with self._lock:
            self._count += 1
            wanted = any((r.lower(), k) in self._waiting for r in recipients for k in _SUBJECTS)
        if not wanted:
            return
        message = email.message_from_bytes(path.read_bytes())
        subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
        kind = next((k for k, words in _SUBJECTS.items() if words in subject), None)
        if kind is None:
            return
        mail = Mail(stored_at, _plain_text(message))
        for recipient in recipients:
            with self._lock:
                future = self._waiting.pop((recipient.lower(), kind), None)
            if future is not None:
                self._loop.call_soon_threadsafe(_resolve, future, mail)


def _plain_text(message: email.message.Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return payload.decode(part.get_content_charset() or "utf-8")
    return ""


def _resolve(future: asyncio.Future[Mail], mail: Mail) -> None:
    if not future.done():
        future.set_result(mail)
