"""Wiring: builds the notifier's database, adapters, agents, delivery worker and health API.

Connects nothing: the broker, SQLite file and worker start in the FastAPI lifespan.
"""

from __future__ import annotations

from services.notifier import agents, delivery, handlers
from services.notifier.config import Settings
from services.notifier.domain import ContactWait, RetryPolicy, ThrottlePolicy
from services.notifier.keys import KEYS_SCHEMA, Keyring
from services.notifier.mailer import Mailer, SmtpMailer, SmtpOptions
from services.notifier.sms import FileSmsGateway, HttpSmsGateway, SmsGateway
from services.notifier.store import MIGRATIONS, SCHEMA
from services.notifier.throttle import derive_throttle_key
from shared.clock import Clock, SystemClock
from shared.config import key_bytes
from shared.crypto import FieldCipher
from shared.db import Database
from shared.faust_app import create_faust_app
from shared.messaging import Wiring, register_agents
from shared.periodic import Periodic
from shared.runtime import ServiceRuntime
from shared.service import AssembledService, build_api

__all__ = ["Service", "bootstrap", "keyring", "sms_gateway", "smtp_mailer", "throttle_key"]


Service = AssembledService[handlers.Deps]
"""The notifier service, assembled."""


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
        ca_file=settings.smtp_ca_file,
    )
    return SmtpMailer(options, clock)


def sms_gateway(settings: Settings) -> SmsGateway:
    """The configured SMS adapter: the HTTP JSON gateway, or the file sink ``make run`` uses."""
    if settings.sms_gateway == "http":
        url, token = settings.sms_http_url, settings.sms_http_token
        if url is None or token is None:  # the settings refuse this; said again for the types
            raise ValueError("the http SMS gateway needs sms_http_url and sms_http_token")
        return HttpSmsGateway(url, token.get_secret_value(), settings.sms_http_timeout_seconds)
    return FileSmsGateway(settings.sms_dir)


def throttle_key(settings: Settings) -> bytes:
    """NOTIFIER_THROTTLE_KEY if set, else a key derived from the wrapping key."""
    if settings.throttle_key is not None:
        return key_bytes(settings.throttle_key)
    return derive_throttle_key(key_bytes(settings.key_wrapping_key))


def keyring(settings: Settings) -> Keyring:
    """The notifier's keys: the wrapping key, and the legacy key while it is configured."""
    legacy = settings.legacy_notification_key
    return Keyring(
        key_bytes(settings.key_wrapping_key),
        FieldCipher(key_bytes(legacy)) if legacy is not None else None,
    )


# Longer than most functions: a list of named assignments, read top to bottom (see
# docs/structure.md).
def bootstrap(
    settings: Settings,
    clock: Clock | None = None,
    mailer: Mailer | None = None,
    sms: SmsGateway | None = None,
) -> Service:
    """Assemble the notifier; real SMTP and the file-sink SMS gateway unless others are given."""
    clock = clock or SystemClock()
    platform = settings.platform
    db = Database(settings.database_path("notifier"), SCHEMA + KEYS_SCHEMA, MIGRATIONS)
    deps = handlers.Deps(
        db=db,
        clock=clock,
        topics=platform.topics,
        keyring=keyring(settings),
        mailer=mailer or smtp_mailer(settings, clock),
        sms=sms or sms_gateway(settings),
        shop_name=settings.shop_name,
        brand_color=settings.brand_color,
        throttle_key=throttle_key(settings),
        throttle=ThrottlePolicy(
            max_codes=settings.throttle_max_codes,
            window_seconds=settings.throttle_window_seconds,
        ),
        sms_max_segments=settings.sms_max_segments,
        sms_overflow=settings.sms_overflow,
        contact_wait=ContactWait(max_seconds=settings.contact_wait_seconds),
        retry=RetryPolicy(
            max_attempts=settings.max_delivery_attempts,
            base_seconds=settings.delivery_retry_base_seconds,
            max_seconds=settings.delivery_retry_max_seconds,
        ),
    )
    faust_app = create_faust_app("notifier", platform, settings.data_dir)
    wiring = Wiring(deps.db, deps.clock, platform.topics, platform.consumer_max_attempts)
    register_agents(faust_app, agents.MESSAGING, deps, wiring)
    doorbell = delivery.Doorbell()
    db.on_commit(doorbell.ring)
    worker = delivery.DeliveryWorker(deps, doorbell, settings.delivery_poll_seconds)
    # The job runs until stopped (waiting on the doorbell), so Periodic only (re)starts it.
    runtime = ServiceRuntime(
        platform,
        db,
        faust_app,
        periodic=[
            Periodic("notifier-delivery", 1.0, worker.run),
            # Accounts from before per-account keys get theirs; a no-op query once all have.
            Periodic("notifier-key-backfill", 60.0, lambda: handlers.issue_missing_keys(deps)),
        ],
        topics=agents.MESSAGING.topics_to_create(platform.topics),
    )

    api = build_api("notifier", runtime)
    return Service(api=api, runtime=runtime, deps=deps)
