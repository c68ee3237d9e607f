"""The SMS gateway interface and its two adapters: an HTTP JSON gateway and a file sink.

The HTTP gateway POSTs ``{"to": ..., "text": ...}`` with a bearer token. 2xx means accepted;
408 and 429 (the gateway is busy), 5xx, timeouts and connection errors are transient; any other
4xx is permanent. The file sink (development, ``make run``) writes one file per message:
``To: <E.164 number>``, a blank line, then the text, under a hidden temporary name renamed
into place, so a reader never sees half a message.
"""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path
from typing import Protocol

import httpx

from services.notifier.domain import PermanentFailure, TransientFailure

__all__ = ["FileSmsGateway", "HttpSmsGateway", "SmsGateway"]

_E164 = re.compile(r"\+[1-9]\d{6,14}")
# Client errors that mean "not now" rather than "never".
_RETRYABLE_4XX = frozenset({408, 425, 429})


def _check_number(to: str) -> None:
    if not _E164.fullmatch(to):
        raise PermanentFailure("the phone number is not in E.164 form")


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
        _check_number(to)
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


class HttpSmsGateway:
    """POSTs each message as JSON to an SMS provider's HTTP endpoint.

    The ``Idempotency-Key`` header carries the notification's message key, so a gateway that
    honours it collapses the repeat that follows a crash between its answer and our ledger.
    """

    def __init__(self, url: str, token: str, timeout_seconds: float = 10.0) -> None:
        self._url = url
        self._token = token
        self._timeout = timeout_seconds

    async def send_sms(self, to: str, text: str, message_key: str) -> None:
        """Hand the message to the gateway, mapping its answer to a failure class."""
        _check_number(to)
        headers = {"Authorization": f"Bearer {self._token}", "Idempotency-Key": message_key}
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.post(
                    self._url, json={"to": to, "text": text}, headers=headers
                )
        except httpx.HTTPError as exc:  # timeouts, refused or dropped connections
            raise TransientFailure(f"sms gateway unavailable ({type(exc).__name__})") from None
        _judge(response.status_code)


def _judge(status: int) -> None:
    # Only the status: the gateway's body may quote the number or the text.
    if 200 <= status <= 299:  # the HTTP success range
        return
    if 400 <= status <= 499 and status not in _RETRYABLE_4XX:
        raise PermanentFailure(f"sms gateway refused the message ({status})")
    raise TransientFailure(f"sms gateway deferred the message ({status})")
