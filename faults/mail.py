"""The SMTP catcher's directory, read as the people would read their inboxes.

One index for every journey of a run: each new ``.eml`` file is parsed once, and a journey
waits on its own address. Kinds come from the English subjects of the notifier's messages.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections import defaultdict
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path

from tests.support.stack import text_of

__all__ = ["KINDS", "Mail", "MailIndex"]

KINDS = {
    "Confirm the deletion of your account": "code",
    "Your account will be deleted": "scheduled",
    "Your account has been deleted": "completed",
}


@dataclass(frozen=True)
class Mail:
    """One stored message: to whom, which kind, its Message-ID and its text."""

    to: str
    kind: str
    message_id: str
    text: str


@dataclass
class MailIndex:
    """Every mail in ``directory`` by recipient, kept up to date by :meth:`run`."""

    directory: Path
    by_address: dict[str, list[Mail]] = field(default_factory=lambda: defaultdict(list))
    _seen: set[str] = field(default_factory=set)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def scan(self) -> None:
        """Read the files that appeared since the last scan."""
        for path in sorted(self.directory.glob("*.eml")):
            if path.name in self._seen:
                continue
            self._seen.add(path.name)
            parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            kind = KINDS.get(str(parsed["Subject"]), "other")
            for _, address in getaddresses(parsed.get_all("To", [])):
                mail = Mail(address.lower(), kind, str(parsed["Message-ID"]), text_of(parsed))
                self.by_address[mail.to].append(mail)
            self._changed.set()

    async def run(self) -> None:
        """Scan every 100 ms until cancelled."""
        self.directory.mkdir(parents=True, exist_ok=True)
        while True:
            self.scan()
            await asyncio.sleep(0.1)

    def of(self, address: str, kind: str) -> list[Mail]:
        """The mails of ``kind`` to ``address`` so far, oldest first."""
        return [m for m in self.by_address.get(address.lower(), []) if m.kind == kind]

    async def changed(self, at_most: float) -> None:
        """Return after the next new mail, or after ``at_most`` seconds."""
        self._changed.clear()
        try:
            async with asyncio.timeout(at_most):
                await self._changed.wait()
        except TimeoutError:
            return
