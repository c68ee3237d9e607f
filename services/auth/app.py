"""Wiring: builds auth's database, Faust app, agents and HTTP API. Connects nothing."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from services.auth import agents, handlers, resets
from services.auth import api as routes
from services.auth.api_errors import ERRORS
from services.auth.config import Settings
from services.auth.guard_store import GUARD_SCHEMA
from services.auth.migrations import migrations
from services.auth.passwords import Passwords
from services.auth.pictures import PictureStore
from services.auth.store import SCHEMA
from services.auth.vault import IdentifierVault
from shared.client_address import ClientAddresses
from shared.clock import Clock, SystemClock
from shared.codes import CodeGenerator, random_code
from shared.crypto import FieldCipher, derive_key
from shared.db import Database
from shared.faust_app import create_faust_app
from shared.http import bearer_dependency, map_errors
from shared.messaging import Wiring, register_agents
from shared.periodic import Periodic
from shared.recipient_keys import SEALING_SCHEMA, Sealer, expire_held
from shared.revocation import REVOCATION_SCHEMA, Revocations
from shared.rolling_limits import ROLLING_SCHEMA
from shared.runtime import ServiceRuntime
from shared.service import build_api
from shared.tokens import TokenIssuer, TokenVerifier, public_key_for

__all__ = ["Service", "bootstrap"]


@dataclass
class Service:
    """The auth service, assembled."""

    api: FastAPI
    runtime: ServiceRuntime
    deps: handlers.Deps


def bootstrap(
    settings: Settings,
    clock: Clock | None = None,
    passwords: Passwords | None = None,
    new_code: CodeGenerator | None = None,
) -> Service:
    """Assemble auth from its settings; clock, passwords and codes default to the real ones."""
    clock = clock or SystemClock()
    platform = settings.platform
    signing_key = settings.token_signing_key.get_secret_value()
    vault = IdentifierVault(
        lookup_key=settings.identifier_hmac_key_bytes(),
        cipher=FieldCipher(settings.identifier_encryption_key_bytes()),
    )
    db = Database(
        settings.database_path("auth"),
        SCHEMA + GUARD_SCHEMA + REVOCATION_SCHEMA + SEALING_SCHEMA + ROLLING_SCHEMA,
        migrations(vault),
    )
    revocations = Revocations(db, clock, platform.token_max_lifetime_seconds)
    deps = handlers.Deps(
        db=db,
        clock=clock,
        topics=platform.topics,
        passwords=passwords or Passwords(),
        tokens=TokenIssuer(signing_key, clock, settings.token_lifetime_seconds),
        sealer=Sealer(
            holding=FieldCipher(
                derive_key(settings.identifier_encryption_key_bytes(), "held notification fields")
            ),
            clock=clock,
            hold_seconds=platform.sealing_hold_seconds,
        ),
        identifier_key=settings.identifier_hmac_key_bytes(),
        phone_region=settings.default_phone_region,
        revocations=revocations,
        pictures=PictureStore(settings.data_dir / "auth" / "pictures", settings.picture_limits()),
        vault=vault,
        redaction_key=settings.redaction_key_bytes(),
        hide_unknown_accounts=settings.hide_unknown_accounts,
        account_throttle=settings.account_throttle(),
        account_any_throttle=settings.account_any_throttle(),
        address_throttle=settings.address_throttle(),
        codes=settings.code_policy(),
        wrong_codes=settings.code_limits()[0],
        new_codes=settings.code_limits()[1],
        sign_ups=settings.sign_up_limit(),
        new_code=new_code or random_code,
    )
    faust_app = create_faust_app("auth", platform, settings.data_dir)
    wiring = Wiring(db, clock, platform.topics, platform.consumer_max_attempts)
    register_agents(faust_app, agents.MESSAGING, deps, wiring)
    pruning = Periodic("auth-revocation-prune", 3600, revocations.prune)
    held = Periodic("auth-held-expiry", 5.0, lambda: expire_held(db, deps.sealer))

    async def prune_codes() -> int:
        return await resets.prune(deps)

    code_pruning = Periodic("auth-code-prune", 3600, prune_codes)
    created = agents.MESSAGING.topics_to_create(platform.topics)
    runtime = ServiceRuntime(
        platform, db, faust_app, periodic=[pruning, held, code_pruning], topics=created
    )
    public_key = public_key_for(signing_key)
    claims = bearer_dependency(
        TokenVerifier(public_key, clock, platform.token_max_lifetime_seconds),
        revocations.is_revoked,
    )
    api = build_api("auth", runtime, routes.router)
    map_errors(api, ERRORS)
    api.state.deps, api.state.claims, api.state.public_key = deps, claims, public_key
    # The client address sign-ins are throttled by (services.auth.api._client).
    api.state.addresses = ClientAddresses(settings.proxies(), clock, settings.edge_key_bytes())
    return Service(api=api, runtime=runtime, deps=deps)
