"""Wiring: builds deletion's database, Faust app, agents, purge timer and HTTP API.
Connects nothing."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from services.deletion import agents, handlers
from services.deletion.api import build_router
from services.deletion.config import Settings
from services.deletion.domain import CodePolicy
from services.deletion.store import SCHEMA
from shared.clock import Clock, SystemClock
from shared.codes import CodeGenerator, CodeHasher, random_code
from shared.crypto import FieldCipher
from shared.db import Database
from shared.faust_app import create_faust_app
from shared.http import bearer_dependency
from shared.periodic import Periodic
from shared.runtime import ServiceRuntime
from shared.service import build_api
from shared.tokens import TokenVerifier

__all__ = ["Service", "bootstrap"]


@dataclass
class Service:
    """The deletion service, assembled."""

    api: FastAPI
    runtime: ServiceRuntime
    deps: handlers.Deps


def bootstrap(
    settings: Settings, clock: Clock | None = None, new_code: CodeGenerator | None = None
) -> Service:
    """Assemble the deletion service; ``clock`` and ``new_code`` default to the real ones."""
    clock = clock or SystemClock()
    platform = settings.platform
    db = Database(settings.database_path("deletion"), SCHEMA)
    deps = handlers.Deps(
        db=db,
        clock=clock,
        topics=platform.topics,
        policy=_policy(settings),
        hasher=CodeHasher(settings.hmac_key_bytes(), handlers.CODE_PURPOSE),
        cipher=FieldCipher(platform.notification_key_bytes()),
        account_key=settings.hmac_key_bytes(),
        new_code=new_code or random_code,
    )
    faust_app = create_faust_app("deletion", platform, settings.data_dir)
    agents.register_agents(faust_app, deps, platform.consumer_max_attempts)

    async def purge_timer() -> int:
        return await handlers.fire_due_purges(deps)

    timer = Periodic("deletion-purge-timer", settings.scan_interval_seconds, purge_timer)
    runtime = ServiceRuntime(platform, db, faust_app, periodic=[timer])
    verifier = TokenVerifier(platform.token_public_key, clock)

    router = build_router(deps, bearer_dependency(verifier), settings.shop_name)
    api = build_api("deletion", runtime, router)
    return Service(api=api, runtime=runtime, deps=deps)


def _policy(settings: Settings) -> handlers.Policy:
    return handlers.Policy(
        survey_required=settings.survey_required,
        grace_seconds=settings.grace_seconds,
        participants=settings.participants,
        reauth_max_age_seconds=settings.reauth_max_age_seconds,
        code=CodePolicy(
            ttl_seconds=settings.code_ttl_seconds, max_attempts=settings.code_max_attempts
        ),
    )
