"""The SMTP adapter over STARTTLS with login, and over implicit TLS, verified by a CA file."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from devstack.broker import free_port
from services.notifier.domain import TransientFailure
from services.notifier.mailer import SmtpMailer, SmtpOptions
from services.notifier.templates import render
from shared.clock import FrozenClock


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802  # aiosmtpd's hook name
        self.messages.append(envelope.original_content)
        return "250 OK"


def _authenticate(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data == (b"shop", b"s3cret")
    return AuthResult(success=ok)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, as PEM files."""
    directory = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Adieu test SMTP")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def _mailer(port: int, ca_file: Path | None, **options: Any) -> SmtpMailer:
    return SmtpMailer(
        SmtpOptions(
            host="127.0.0.1",
            port=port,
            mail_from="no-reply@shop.example",
            shop_name="Blåbær Butikk",
            timeout_seconds=5,
            ca_file=ca_file,
            **options,
        ),
        FrozenClock(),
    )


@pytest.fixture
def starttls_server(certificate: tuple[Path, Path]) -> Iterator[tuple[int, _Inbox]]:
    inbox, port = _Inbox(), free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=_server_context(certificate),
        require_starttls=True,
        authenticator=_authenticate,
        auth_required=True,
    )
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


MESSAGE = render("deletion_code", "nb", "Blåbær Butikk", code="048213", valid_minutes=10)


async def test_starttls_with_login_delivers_when_the_ca_file_vouches_for_the_server(
    starttls_server: tuple[int, _Inbox], certificate: tuple[Path, Path]
) -> None:
    port, inbox = starttls_server
    mailer = _mailer(port, certificate[0], starttls=True, username="shop", password="s3cret")
    await mailer.send_email("kari@example.com", MESSAGE, "k1")
    assert len(inbox.messages) == 1
    parsed = email.message_from_bytes(inbox.messages[0], policy=email.policy.default)
    assert parsed["To"] == "kari@example.com"


async def test_an_unverifiable_server_certificate_is_not_trusted(
    starttls_server: tuple[int, _Inbox],
) -> None:
    port, inbox = starttls_server
    mailer = _mailer(port, None, starttls=True, username="shop", password="s3cret")
    with pytest.raises(TransientFailure):
        await mailer.send_email("kari@example.com", MESSAGE, "k1")
    assert inbox.messages == []


async def test_implicit_tls_delivers(certificate: tuple[Path, Path]) -> None:
    inbox, port = _Inbox(), free_port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, ssl_context=_server_context(certificate)
    )
    controller.start()
    try:
        await _mailer(port, certificate[0], use_tls=True).send_email(
            "kari@example.com", MESSAGE, "k2"
        )
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
