"""The SMTP adapter keeps its connection between messages while pooled, and recovers when the
server has closed a kept one."""

from __future__ import annotations

from typing import Any

from aiosmtpd.controller import Controller

from devstack.broker import free_port
from services.notifier.mailer import SmtpMailer, SmtpOptions
from services.notifier.templates import render
from shared.clock import FrozenClock

MESSAGE = render("deletion_completed", "en", "Blåbær Butikk")


class _Sessions:
    """Records, per message, which client connection (its peer address) carried it."""

    def __init__(self) -> None:
        self.peers: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802  # aiosmtpd's hook name
        self.peers.append(session.peer)
        return "250 OK"


def _mailer(port: int) -> SmtpMailer:
    options = SmtpOptions("127.0.0.1", port, "no-reply@shop.example", "Shop", timeout_seconds=5)
    return SmtpMailer(options, FrozenClock())


def _server(handler: _Sessions, port: int) -> Controller:
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return controller


async def test_pooled_messages_share_one_connection_and_unpooled_ones_do_not() -> None:
    sessions, port = _Sessions(), free_port()
    controller = _server(sessions, port)
    mailer = _mailer(port)
    try:
        async with mailer.pooled():
            for n in range(3):
                await mailer.send_email(f"p{n}@example.com", MESSAGE, f"k{n}")
        await mailer.send_email("a@example.com", MESSAGE, "k3")
        await mailer.send_email("b@example.com", MESSAGE, "k4")
    finally:
        controller.stop()
    assert len(set(sessions.peers[:3])) == 1
    assert len(set(sessions.peers)) == 3


async def test_a_kept_connection_the_server_closed_is_replaced_and_the_message_goes_out() -> None:
    first, second, port = _Sessions(), _Sessions(), free_port()
    mailer = _mailer(port)
    async with mailer.pooled():
        controller = _server(first, port)
        try:
            await mailer.send_email("a@example.com", MESSAGE, "k1")
        finally:
            controller.stop()  # drops the connection the mailer keeps
        controller = _server(second, port)
        try:
            await mailer.send_email("b@example.com", MESSAGE, "k2")
        finally:
            controller.stop()
    assert (len(first.peers), len(second.peers)) == (1, 1)
