"""The e-mail adapter: a multipart text + HTML message sent over real SMTP with aiosmtplib.

Inside :meth:`SmtpMailer.pooled` (the delivery worker's lifetime) a connection that sent a
message is kept for the next one, instead of a connect, greeting, EHLO (and TLS and login)
and QUIT per message: in a burst of confirmations that handshake was most of the notifier's
and the SMTP server's work. A kept connection that turns out closed (the server's idle
timeout) is replaced once; a connection that failed in any way is dropped, never reused.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Protocol

import aiosmtplib

from services.notifier.domain import PermanentFailure, TransientFailure
from services.notifier.templates import Rendered
from shared.clock import Clock

__all__ = ["Mailer", "SmtpMailer", "SmtpOptions"]


class Mailer(Protocol):
    """Sends one e-mail or raises a :class:`~services.notifier.domain.DeliveryFailure`."""

    async def send_email(self, to: str, message: Rendered, message_key: str) -> None: ...

    def pooled(self) -> AbstractAsyncContextManager[None]:
        """While entered, connections may be kept between messages; closed at the exit."""
        ...


# Connections kept idle at most (more may be open while sending), and for how long: well
# under the usual SMTP server idle timeouts (aiosmtpd 300 s, Postfix 300 s).
_KEEP = 16
_IDLE_SECONDS = 30.0


@dataclass(frozen=True)
class SmtpOptions:
    """Where and how to hand mail over, and whom it is from."""

    host: str
    port: int
    mail_from: str
    shop_name: str
    starttls: bool = False
    use_tls: bool = False
    username: str | None = None
    password: str | None = None
    timeout_seconds: float = 10.0
    ca_file: Path | None = None


class SmtpMailer:
    """Hands each message to the configured SMTP server (connections kept while pooled)."""

    def __init__(self, options: SmtpOptions, clock: Clock) -> None:
        self._options = options
        self._clock = clock
        self._domain = options.mail_from.rpartition("@")[2] or "localhost"
        # (connection, when it was last used); None: not pooling, one connection per message.
        self._idle: list[tuple[aiosmtplib.SMTP, float]] | None = None

    @asynccontextmanager
    async def pooled(self) -> AsyncIterator[None]:
        """Keep connections between messages until the exit, which closes them."""
        self._idle = []
        try:
            yield
        finally:
            idle, self._idle = self._idle, None
            for client, _ in idle:
                client.close()

    @property
    def options(self) -> SmtpOptions:
        """Where and how this mailer hands mail over."""
        return self._options

    def build(self, to: str, message: Rendered, message_key: str) -> EmailMessage:
        """The MIME message: plain text first, HTML as the preferred alternative."""
        mail = EmailMessage()
        try:
            mail["To"] = to
        except ValueError:  # a line break or similar in the address: never put it in a header
            raise PermanentFailure("the e-mail address is malformed") from None
        mail["From"] = Address(
            display_name=self._options.shop_name, addr_spec=self._options.mail_from
        )
        mail["Subject"] = message.subject
        mail["Date"] = format_datetime(self._clock.now())
        # Derived from the notification id: a repeat after a crash carries the same Message-ID.
        mail["Message-ID"] = f"<{message_key}@{self._domain}>"
        mail["Auto-Submitted"] = "auto-generated"
        mail.set_content(message.text)
        # Base64 keeps the code out of the raw HTML part, so it appears once in the raw message.
        mail.add_alternative(message.html, subtype="html", cte="base64")
        return mail

    async def send_email(self, to: str, message: Rendered, message_key: str) -> None:
        """Send, mapping SMTP outcomes to transient (retry) or permanent (give up) failures."""
        mail = self.build(to, message, message_key)
        try:
            await self._hand_over(mail, to)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise _by_code(min(refused.code for refused in exc.recipients)) from None
        except aiosmtplib.SMTPResponseException as exc:
            raise _by_code(exc.code) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            # Connection refused, timeouts, a dropped connection: the server may come back.
            raise TransientFailure(f"smtp server unavailable ({type(exc).__name__})") from None

    async def _hand_over(self, mail: EmailMessage, to: str) -> None:
        client, kept = self._take()
        try:
            await self._send_on(client, mail, to)
        except ConnectionError:
            if not kept:
                raise
            # The kept connection had been closed by the server meanwhile: once more, afresh.
            client = self._connection()
            await self._send_on(client, mail, to)
        await self._give_back(client)

    async def _send_on(self, client: aiosmtplib.SMTP, mail: EmailMessage, to: str) -> None:
        try:
            if not client.is_connected:
                await client.connect()
            await client.send_message(mail, sender=self._options.mail_from, recipients=[to])
        except BaseException:
            client.close()  # in an unknown state: never reused
            raise

    def _take(self) -> tuple[aiosmtplib.SMTP, bool]:
        now = time.monotonic()
        while self._idle:
            client, used_at = self._idle.pop()
            if client.is_connected and now - used_at < _IDLE_SECONDS:
                return client, True
            client.close()
        return self._connection(), False

    async def _give_back(self, client: aiosmtplib.SMTP) -> None:
        if self._idle is not None and len(self._idle) < _KEEP:
            self._idle.append((client, time.monotonic()))
            return
        try:
            await client.quit()
        except (aiosmtplib.SMTPException, OSError):
            client.close()  # the message went out; only the goodbye failed

    def _connection(self) -> aiosmtplib.SMTP:
        options = self._options
        return aiosmtplib.SMTP(
            hostname=options.host,
            port=options.port,
            username=options.username,
            password=options.password,
            use_tls=options.use_tls,
            start_tls=options.starttls,
            timeout=options.timeout_seconds,
            cert_bundle=str(options.ca_file) if options.ca_file is not None else None,
        )


def _by_code(code: int) -> PermanentFailure | TransientFailure:
    # Only the code: the server's text may quote the recipient's address.
    if 500 <= code <= 599:
        return PermanentFailure(f"smtp server refused the message ({code})")
    return TransientFailure(f"smtp server deferred the message ({code})")
