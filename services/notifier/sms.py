"""The SMS gateway interface and its file-sink adapter for development and tests.

The sink writes one file per message: ``To: <E.164 number>``, a blank line, then the text. It
writes under a hidden temporary name and renames, so a reader never sees half a message.
"""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path
from typing import Protocol

from services.notifier.domain import PermanentFailure, TransientFailure

__all__ = ["FileSmsGateway", "SmsGateway"]

_E164 = re.compile(r"\+[1-9]\d{6,14}")


class SmsGateway(Protocol):
    """Sends one text message or raises a :class:`~services.notifier.domain.DeliveryFailure`."""

    async def send_sms(self, to: str, text: str, message_key: str) -> None: ...


class FileSmsGateway:
    """Writes each message to ``directory/<message_key>.txt``.

    The name comes from the notification, so a repeated send replaces the file, as a real
    gateway's idempotency key would collapse the repeat.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send_sms(self, to: str, text: str, message_key: str) -> None:
        """Write the message file; a malformed number is permanent, a disk error transient."""
        if not _E164.fullmatch(to):
            raise PermanentFailure("the phone number is not in E.164 form")
        try:
            await asyncio.to_thread(self._write, to, text, message_key)
        except OSError as exc:
            raise TransientFailure(f"sms sink unavailable ({type(exc).__name__})") from None

    def _write(self, to: str, text: str, message_key: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        final = self.directory / f"{message_key}.txt"
        temporary = self.directory / f".{message_key}.tmp"
        with temporary.open("w", encoding="utf-8") as handle:
            handle.write(f"To: {to}\n\n{text}\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, final)
