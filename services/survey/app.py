"""Wiring: builds the survey's database, Faust app, agents and HTTP API. Connects nothing."""

from __future__ import annotations

from services.survey import agents, handlers
from services.survey import api as routes
from services.survey.config import Settings
from services.survey.questionnaire import load_questionnaire
from services.survey.store import SCHEMA
from shared.clock import Clock, SystemClock
from shared.db import Database
from shared.faust_app import create_faust_app
from shared.http import bearer_dependency, map_errors, operator_dependency
from shared.messaging import Wiring, register_agents
from shared.periodic import Periodic
from shared.revocation import REVOCATION_SCHEMA, Revocations
from shared.runtime import ServiceRuntime
from shared.service import AssembledService, build_api
from shared.tokens import TokenVerifier

__all__ = ["Service", "bootstrap"]


Service = AssembledService[handlers.Deps]
"""The survey service, assembled."""


def bootstrap(settings: Settings, clock: Clock | None = None) -> Service:
    """Assemble the survey service from its settings; ``clock`` defaults to the real one.

    Raises:
        QuestionnaireError: the questionnaire file is missing or breaks a rule.
    """
    clock = clock or SystemClock()
    platform = settings.platform
    db = Database(settings.database_path("survey"), SCHEMA + REVOCATION_SCHEMA)
    revocations = Revocations(db, clock, platform.token_max_lifetime_seconds)
    deps = handlers.Deps(
        db=db,
        clock=clock,
        topics=platform.topics,
        revocations=revocations,
        questionnaire=load_questionnaire(settings.questionnaire_file),
        answer_wait_seconds=settings.answer_wait_seconds,
        redaction_key=settings.redaction_key_bytes(),
    )
    db.on_commit(deps.arrivals.ring)
    faust_app = create_faust_app("survey", platform, settings.data_dir)
    wiring = Wiring(deps.db, deps.clock, platform.topics, platform.consumer_max_attempts)
    register_agents(faust_app, agents.MESSAGING, deps, wiring)
    pruning = Periodic("survey-revocation-prune", 3600, revocations.prune)
    digests = Periodic("survey-digest-prune", 3600, lambda: handlers.prune_digests(deps))
    created = agents.MESSAGING.topics_to_create(platform.topics)
    runtime = ServiceRuntime(platform, db, faust_app, periodic=[pruning, digests], topics=created)
    verifier = TokenVerifier(platform.token_public_key, clock, platform.token_max_lifetime_seconds)
    claims = bearer_dependency(verifier, revocations.is_revoked)
    routers = [routes.router]
    # Without an operator token the report routes do not exist, so they answer 404.
    if settings.admin_token is not None:
        routers.append(routes.report_router)
    api = build_api("survey", runtime, *routers)
    map_errors(api, routes.ERRORS)
    api.state.deps, api.state.claims = deps, claims
    if settings.admin_token is not None:
        token = settings.admin_token.get_secret_value()
        api.state.operator = operator_dependency(token, description="The SURVEY_ADMIN_TOKEN")
    return Service(api=api, runtime=runtime, deps=deps)
