"""Wiring: builds the notifier's database, adapters, agents, delivery worker and health API.

Connects nothing: the broker, SQLite file and worker start in the FastAPI lifespan.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from services.notifier import agents, delivery, handlers
from services.notifier.config import Settings
from services.notifier.domain import RetryPolicy
from services.notifier.mailer import Mailer, SmtpMailer, SmtpOptions
from services.notifier.sms import FileSmsGateway, SmsGateway
from services.notifier.store import SCHEMA
from shared.clock import Clock, SystemClock
from shared.crypto import FieldCipher
from shared.db import Database
from shared.faust_app import create_faust_app
from shared.periodic import Periodic
from shared.runtime import ServiceRuntime
from shared.service import build_api

__all__ = ["Service", "bootstrap"]


@dataclass
class Service:
    """The notifier service, assembled."""

    api: FastAPI
    runtime: ServiceRuntime
    deps: handlers.Deps


def smtp_mailer(settings: Settings, clock: Clock) -> SmtpMailer:
    """The real SMTP adapter, configured from the settings."""
    password = settings.smtp_password
    options = SmtpOptions(
        host=settings.smtp_host,
        port=settings.smtp_port,
        mail_from=settings.mail_from,
        shop_name=settings.shop_name,
        starttls=settings.smtp_starttls,
        use_tls=settings.smtp_use_tls,
        username=settings.smtp_username,
        password=password.get_secret_value() if password is not None else None,
        timeout_seconds=settings.smtp_timeout_seconds,
    )
    return SmtpMailer(options, clock)


def bootstrap(
    settings: Settings,
    clock: Clock | None = None,
    mailer: Mailer | None = None,
    sms: SmsGateway | None = None,
) -> Service:
    """Assemble the notifier; real SMTP and the file-sink SMS gateway unless others are given."""
    clock = clock or SystemClock()
    platform = settings.platform
    db = Database(settings.database_path("notifier"), SCHEMA)
    deps = handlers.Deps(
        db=db,
        clock=clock,
        topics=platform.topics,
        cipher=FieldCipher(platform.notification_key_bytes()),
        mailer=mailer or smtp_mailer(settings, clock),
        sms=sms or FileSmsGateway(settings.sms_dir),
        shop_name=settings.shop_name,
        retry=RetryPolicy(
            max_attempts=settings.max_delivery_attempts,
            base_seconds=settings.delivery_retry_base_seconds,
            max_seconds=settings.delivery_retry_max_seconds,
        ),
    )
    faust_app = create_faust_app("notifier", platform, settings.data_dir)
    agents.register_agents(faust_app, deps, platform.consumer_max_attempts)
    doorbell = delivery.Doorbell()
    db.on_commit(doorbell.ring)
    # The job itself waits for the doorbell or the poll interval, so Periodic adds no pause.
    worker = Periodic(
        "notifier-delivery", 0.0, delivery.paced(deps, doorbell, settings.delivery_poll_seconds)
    )
    runtime = ServiceRuntime(platform, db, faust_app, periodic=[worker])

    api = build_api("notifier", runtime)
    return Service(api=api, runtime=runtime, deps=deps)
