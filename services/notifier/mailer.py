"""The e-mail adapter: a multipart text + HTML message sent over real SMTP with aiosmtplib."""

from __future__ import annotations

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
    """Hands each message to the configured SMTP server (one connection per message)."""

    def __init__(self, options: SmtpOptions, clock: Clock) -> None:
        self._options = options
        self._clock = clock
        self._domain = options.mail_from.rpartition("@")[2] or "localhost"

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
        options = self._options
        mail = self.build(to, message, message_key)
        try:
            await aiosmtplib.send(
                mail,
                sender=options.mail_from,
                recipients=[to],
                hostname=options.host,
                port=options.port,
                username=options.username,
                password=options.password,
                use_tls=options.use_tls,
                start_tls=options.starttls,
                timeout=options.timeout_seconds,
                cert_bundle=str(options.ca_file) if options.ca_file is not None else None,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise _by_code(min(refused.code for refused in exc.recipients)) from None
        except aiosmtplib.SMTPResponseException as exc:
            raise _by_code(exc.code) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            # Connection refused, timeouts, a dropped connection: the server may come back.
            raise TransientFailure(f"smtp server unavailable ({type(exc).__name__})") from None


def _by_code(code: int) -> PermanentFailure | TransientFailure:
    # Only the code: the server's text may quote the recipient's address.
    if 500 <= code <= 599:
        return PermanentFailure(f"smtp server refused the message ({code})")
    return TransientFailure(f"smtp server deferred the message ({code})")
