"""Wiring: builds deletion's database, Faust app, agents, timer, receipts and HTTP API.
Connects nothing (the receipt key file is read, or made on first start)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI

from services.deletion import (
    admin_api,
    agents,
    api,
    export_api,
    fanout,
    fanout_admin_api,
    handlers,
    purge,
    receipts_api,
)
from services.deletion.api_errors import ERRORS
from services.deletion.config import Settings
from services.deletion.consequences import Operator
from services.deletion.database import DeletionDatabase
from services.deletion.domain import CodePolicy
from services.deletion.lease import Lease, LeasedRelay
from services.deletion.metrics import deletion_collector
from services.deletion.receipts import ReceiptSigner, load_or_create_key
from shared.clock import Clock, SystemClock
from shared.codes import CodeGenerator, CodeHasher, random_code
from shared.crypto import FieldCipher, derive_key
from shared.faust_app import FaustPublisher, create_faust_app
from shared.http import bearer_dependency, map_errors, operator_dependency
from shared.messaging import Wiring, register_agents
from shared.periodic import DeadlineTimer, Periodic
from shared.recipient_keys import Sealer, expire_held
from shared.revocation import Revocations
from shared.rolling_limits import RollingLimit
from shared.runtime import ServiceRuntime
from shared.service import AssembledService, build_api
from shared.tokens import TokenVerifier

__all__ = ["Service", "bootstrap"]


@dataclass
class Service(AssembledService[handlers.Deps]):
    """The deletion service, assembled; ``lease`` says whether this process leads."""

    lease: Lease


def bootstrap(
    settings: Settings, clock: Clock | None = None, new_code: CodeGenerator | None = None
) -> Service:
    """Assemble the deletion service; ``clock`` and ``new_code`` default to the real ones."""
    clock = clock or SystemClock()
    db = DeletionDatabase(settings.database_path("deletion"))
    lease = Lease(db, clock, "deletion-leader", settings.lease_seconds)
    # The timer needs deps, and deps wake the timer: the job reads deps when it first runs.
    timer = DeadlineTimer(
        "deletion-timer", settings.scan_interval_seconds, lambda: _lead_timer(deps, lease)
    )
    deps = _deps(settings, clock, db, new_code or random_code, timer.wake)
    runtime = _runtime(settings, deps, lease, timer)
    return Service(api=_http_api(settings, runtime, deps), runtime=runtime, deps=deps, lease=lease)


async def _lead_timer(deps: handlers.Deps, lease: Lease) -> float | None:
    # Only the leading process runs the timer (the state transitions guard it anyway);
    # a follower looks again after the longest wait, in case the lease has lapsed.
    if not await lease.held():
        return None
    return await purge.seconds_to_next(deps, await purge.run_timer(deps))


def _deps(
    settings: Settings,
    clock: Clock,
    db: DeletionDatabase,
    new_code: CodeGenerator,
    wake_timer: Callable[[], None],
) -> handlers.Deps:
    platform = settings.platform
    signing_key = load_or_create_key(
        settings.secret_or_none("receipt_signing_key"), settings.data_dir / "deletion"
    )
    return handlers.Deps(
        db=db,
        clock=clock,
        topics=platform.topics,
        policy=_policy(settings),
        hasher=CodeHasher(settings.hmac_key_bytes(), handlers.CODE_PURPOSE),
        sealer=Sealer(
            holding=FieldCipher(derive_key(settings.hmac_key_bytes(), "held notification fields")),
            clock=clock,
            hold_seconds=platform.sealing_hold_seconds,
        ),
        account_key=settings.hmac_key_bytes(),
        new_code=new_code,
        revocations=Revocations(db, clock, platform.token_max_lifetime_seconds),
        signer=ReceiptSigner(signing_key),
        wake_timer=wake_timer,
    )


def _runtime(
    settings: Settings, deps: handlers.Deps, lease: Lease, timer: DeadlineTimer
) -> ServiceRuntime:
    platform, db = settings.platform, deps.db
    faust_app = create_faust_app("deletion", platform, settings.data_dir)
    wiring = Wiring(db, deps.clock, platform.topics, platform.consumer_max_attempts)
    register_agents(faust_app, agents.MESSAGING, deps, wiring)

    async def fanout_timer() -> fanout.FanoutRun | None:
        return await fanout.run_fanout_timer(deps) if await lease.held() else None

    async def prune_audit() -> int:
        return await purge.prune_audit(deps)

    return ServiceRuntime(
        platform,
        db,
        faust_app,
        periodic=[
            timer,
            Periodic("deletion-fanout", settings.scan_interval_seconds, fanout_timer),
            Periodic("deletion-revocation-prune", 3600, deps.revocations.prune),
            Periodic("deletion-audit-prune", 3600, prune_audit),
            Periodic("deletion-held-expiry", 5.0, lambda: expire_held(db, deps.sealer)),
        ],
        # The relay publishes only in the leading process (see services.deletion.lease).
        relay=LeasedRelay(db, FaustPublisher(faust_app), platform.outbox_poll_seconds, lease),
        topics=agents.MESSAGING.topics_to_create(platform.topics),
    )


def _http_api(settings: Settings, runtime: ServiceRuntime, deps: handlers.Deps) -> FastAPI:
    """The routers, the error map and what the routes take from ``app.state``."""
    platform = settings.platform
    verifier = TokenVerifier(
        platform.token_public_key, deps.clock, platform.token_max_lifetime_seconds
    )
    admin_token = settings.secret_or_none("admin_token")
    routers = [api.router, receipts_api.router, export_api.router]
    if admin_token is not None:
        routers += [admin_api.router, fanout_admin_api.router]
    app = build_api("deletion", runtime, *routers, collectors=[deletion_collector(deps.db)])
    map_errors(app, ERRORS)
    app.state.deps, app.state.receipt_signer = deps, deps.signer
    # Revoked sessions may not act, but the owner may still watch the request become purged.
    app.state.claims = bearer_dependency(verifier, deps.revocations.is_revoked)
    app.state.owner_claims = bearer_dependency(verifier)
    app.state.operator_texts = _operator(settings)
    if admin_token is not None:
        app.state.operator = operator_dependency(
            admin_token,
            missing_error="invalid_admin_token",
            wrong_error="invalid_admin_token",
            description="The DELETION_ADMIN_TOKEN",
        )
    return app


def _operator(settings: Settings) -> Operator:
    return Operator(
        shop_name=settings.shop_name,
        categories=settings.data_categories,
        linked_services=settings.linked_services,
        notification_settings_url=settings.notification_settings_url,
    )


def _policy(settings: Settings) -> handlers.Policy:
    return handlers.Policy(
        survey_required=settings.survey_required,
        grace_seconds=settings.grace_seconds,
        participants=settings.participants,
        reauth_max_age_seconds=settings.reauth_max_age_seconds,
        code=CodePolicy(
            ttl_seconds=settings.code_ttl_seconds,
            max_attempts=settings.code_max_attempts,
            resend_cooldown_seconds=settings.code_resend_cooldown_seconds,
            max_codes=settings.code_max_per_request,
        ),
        request_ttl_seconds=settings.request_ttl_seconds,
        purge_lead_seconds=settings.purge_lead_seconds,
        participant_timeout_seconds=settings.participant_timeout_seconds,
        participant_max_asks=settings.participant_max_asks,
        audit_retention_days=settings.audit_retention_days,
        export_timeout_seconds=settings.export_timeout_seconds,
        export_keep_seconds=settings.export_keep_seconds,
        export_part_max_bytes=settings.export_part_max_bytes,
        hold_max_seconds=settings.hold_max_seconds,
        wrong_codes=RollingLimit(
            "deletion_wrong_code", settings.code_wrong_limit, settings.code_limit_window_seconds
        ),
        new_codes=RollingLimit(
            "deletion_new_code", settings.code_new_limit, settings.code_limit_window_seconds
        ),
    )
