"""The e-mail adapter: a multipart text + HTML message sent over real SMTP with aiosmtplib.

Inside :meth:`SmtpMailer.pooled` (the delivery worker's lifetime) a connection that sent a
message is kept for the next one, instead of a connect, greeting, EHLO (and TLS and login)
and QUIT per message: in a burst of confirmations that handshake was most of the notifier's
and the SMTP server's work. A kept connection that turns out closed (the server's idle
timeout) is replaced once; a connection that failed in any way is dropped, never reused.

The message is built with the stdlib's compat32 classes and flattened once, here: with
``email.policy.default`` every header of every part was parsed into a header object (a new
class per header) and folded again by aiosmtplib's flatten, ~5 ms of CPU a message, a quarter
of the notifier's work per journey. The headers that may carry non-ASCII text (the shop's
name, a subject) are still rendered by the default policy, once per distinct value.
"""

from __future__ import annotations

import email.policy
import io
import secrets
import string
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from email import charset
from email.generator import BytesGenerator
from email.headerregistry import Address
from email.message import Message
from email.mime.multipart import MIMEMultipart
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

# The plain part quoted-printable (readable raw, the code in it once); the HTML part base64,
# which keeps the code out of its raw bytes, so it appears once in the raw message.
_PLAIN = charset.Charset("utf-8")
_PLAIN.body_encoding = charset.QP
_HTML = charset.Charset("utf-8")
_HTML.body_encoding = charset.BASE64


class _WirePolicy(email.policy.Compat32):
    """compat32 with CRLF line ends, writing a short ASCII header as it is.

    compat32 folds every header through ``email.header.Header`` (a third of the flatten); a
    header that is ASCII, on one line and short needs no folding, and is written unchanged.
    """

    def fold_binary(self, name: str, value: str) -> bytes:
        if isinstance(value, str) and _plain(name, value, self.max_line_length):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


def _plain(name: str, value: str, limit: int | None) -> bool:
    short = limit is None or len(name) + 2 + len(value) <= limit
    return short and value.isascii() and "\r" not in value and "\n" not in value


_WIRE = _WirePolicy(linesep="\r\n")
_SUBJECTS_KEPT = 64  # distinct subjects rendered once each (templates by languages)


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
        sender = Address(display_name=options.shop_name, addr_spec=options.mail_from)
        self._from = _encoded("From", str(sender))
        self._subjects: dict[str, str] = {}
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

    def build(self, to: str, message: Rendered, message_key: str) -> bytes:
        """The MIME message as sent: plain text first, HTML as the preferred alternative."""
        if "\r" in to or "\n" in to:  # never put a line break in a header
            raise PermanentFailure("the e-mail address is malformed")
        # A random boundary of our own: the generator's own compiles a regular expression per
        # message to check its boundary against the text; 128 random bits cannot collide.
        # Letters only: a hex boundary held a run of six digits in about one message in five,
        # four times over, beside the code in the raw bytes a reader or filter scans for it.
        boundary = f"=_adieu_{_letters(23)}"
        mail = MIMEMultipart("alternative", boundary=boundary, policy=email.policy.compat32)
        mail["To"] = to if to.isascii() else _encoded("To", to)
        mail["From"] = self._from
        mail["Subject"] = self._subject(message.subject)
        mail["Date"] = format_datetime(self._clock.now())
        # Derived from the notification id: a repeat after a crash carries the same Message-ID.
        mail["Message-ID"] = f"<{message_key}@{self._domain}>"
        mail["Auto-Submitted"] = "auto-generated"
        mail.attach(_part(message.text, "plain", _PLAIN))
        mail.attach(_part(message.html, "html", _HTML))
        out = io.BytesIO()
        BytesGenerator(out, policy=_WIRE).flatten(mail)
        return out.getvalue()

    def _subject(self, subject: str) -> str:
        encoded = self._subjects.get(subject)
        if encoded is None:
            if len(self._subjects) >= _SUBJECTS_KEPT:
                self._subjects.clear()
            encoded = self._subjects[subject] = _encoded("Subject", subject)
        return encoded

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

    async def _hand_over(self, mail: bytes, to: str) -> None:
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

    async def _send_on(self, client: aiosmtplib.SMTP, mail: bytes, to: str) -> None:
        try:
            if not client.is_connected:
                await client.connect()
            await client.sendmail(self._options.mail_from, [to], mail)
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


def _encoded(name: str, value: str) -> str:
    """``value`` as the default policy writes it in header ``name`` (RFC 2047 words for
    non-ASCII text), unfolded; compat32 folds it again where it is long."""
    if "\r" in value or "\n" in value:
        raise ValueError("Header values may not contain linefeed or carriage return characters")
    header = email.policy.SMTP.header_factory(name, value)
    folded = str(header.fold(policy=email.policy.SMTP))
    return folded[len(name) + 2 :].replace("\r\n", "")


def _part(text: str, subtype: str, encoding: charset.Charset) -> Message:
    part = Message(policy=email.policy.compat32)
    part["Content-Type"] = f"text/{subtype}"
    # Ended by a line break, as the default policy's set_content ends every text part.
    ending = "" if text.endswith("\n") else "\n"
    part.set_payload(text + ending, encoding)  # adds the charset and the transfer encoding
    del part["MIME-Version"]  # said once, in the message's own headers
    return part


def _by_code(code: int) -> PermanentFailure | TransientFailure:
    # Only the code: the server's text may quote the recipient's address.
    if 500 <= code <= 599:
        return PermanentFailure(f"smtp server refused the message ({code})")
    return TransientFailure(f"smtp server deferred the message ({code})")


_BOUNDARY_LETTERS = string.ascii_letters


def _letters(count: int) -> str:
    """``count`` random letters (5.7 bits each: 23 of them are 131 bits)."""
    return "".join(secrets.choice(_BOUNDARY_LETTERS) for _ in range(count))
