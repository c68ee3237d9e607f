"""Wiring: builds auth's database, Faust app, agents and HTTP API. Connects nothing."""

from __future__ import annotations

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
from shared.service import AssembledService, build_api
from shared.tokens import TokenIssuer, TokenVerifier, public_key_for

__all__ = ["Service", "bootstrap"]


Service = AssembledService[handlers.Deps]
"""The auth service, assembled."""


def bootstrap(
    settings: Settings,
    clock: Clock | None = None,
    passwords: Passwords | None = None,
    new_code: CodeGenerator | None = None,
) -> Service:
    """Assemble auth from its settings; clock, passwords and codes default to the real ones."""
    clock = clock or SystemClock()
    deps = _deps(settings, clock, passwords or Passwords(), new_code or random_code)
    runtime = _runtime(settings, deps)
    return Service(api=_http_api(settings, runtime, deps), runtime=runtime, deps=deps)


def _deps(
    settings: Settings, clock: Clock, passwords: Passwords, new_code: CodeGenerator
) -> handlers.Deps:
    platform = settings.platform
    vault = IdentifierVault(
        lookup_key=settings.identifier_hmac_key_bytes(),
        cipher=FieldCipher(settings.identifier_encryption_key_bytes()),
    )
    db = Database(
        settings.database_path("auth"),
        SCHEMA + GUARD_SCHEMA + REVOCATION_SCHEMA + SEALING_SCHEMA + ROLLING_SCHEMA,
        migrations(vault),
    )
    signing_key = settings.token_signing_key.get_secret_value()
    wrong_codes, new_codes = settings.code_limits()
    return handlers.Deps(
        db=db,
        clock=clock,
        topics=platform.topics,
        passwords=passwords,
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
        revocations=Revocations(db, clock, platform.token_max_lifetime_seconds),
        pictures=PictureStore(settings.data_dir / "auth" / "pictures", settings.picture_limits()),
        vault=vault,
        redaction_key=settings.redaction_key_bytes(),
        hide_unknown_accounts=settings.hide_unknown_accounts,
        account_throttle=settings.account_throttle(),
        account_any_throttle=settings.account_any_throttle(),
        address_throttle=settings.address_throttle(),
        codes=settings.code_policy(),
        wrong_codes=wrong_codes,
        new_codes=new_codes,
        sign_ups=settings.sign_up_limit(),
        new_code=new_code,
    )


def _runtime(settings: Settings, deps: handlers.Deps) -> ServiceRuntime:
    platform, db = settings.platform, deps.db
    faust_app = create_faust_app("auth", platform, settings.data_dir)
    wiring = Wiring(db, deps.clock, platform.topics, platform.consumer_max_attempts)
    register_agents(faust_app, agents.MESSAGING, deps, wiring)

    async def prune_codes() -> int:
        return await resets.prune(deps)

    periodic = [
        Periodic("auth-revocation-prune", 3600, deps.revocations.prune),
        Periodic("auth-held-expiry", 5.0, lambda: expire_held(db, deps.sealer)),
        Periodic("auth-code-prune", 3600, prune_codes),
    ]
    created = agents.MESSAGING.topics_to_create(platform.topics)
    return ServiceRuntime(platform, db, faust_app, periodic=periodic, topics=created)


def _http_api(settings: Settings, runtime: ServiceRuntime, deps: handlers.Deps) -> FastAPI:
    """The routes, the error map and what the routes take from ``app.state``."""
    public_key = public_key_for(settings.token_signing_key.get_secret_value())
    verifier = TokenVerifier(public_key, deps.clock, settings.platform.token_max_lifetime_seconds)
    api = build_api("auth", runtime, routes.router)
    map_errors(api, ERRORS)
    api.state.deps, api.state.public_key = deps, public_key
    api.state.claims = bearer_dependency(verifier, deps.revocations.is_revoked)
    # The client address sign-ins are throttled by (services.auth.api._client).
    api.state.addresses = ClientAddresses(settings.proxies(), deps.clock, settings.edge_key_bytes())
    return api
