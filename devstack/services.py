"""The services as the launcher sees them: their module, env prefix, port and environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from devstack.config import DevstackSettings
from devstack.secrets import COMPOSE_FILES
from shared.tokens import public_key_for

__all__ = [
    "CROWD_BEHIND_ONE_ADDRESS",
    "SERVICES",
    "ServiceSpec",
    "own_secrets_only",
    "service_environment",
]

# For a stack whose many people all come from 127.0.0.1 (the fault suite, the burst bench):
# auth's per-address budgets are meant for one person or one guesser, and N at once exhaust
# them (sign-ins are counted while argon2 runs; 20 sign-ups an hour). A town behind one address.
CROWD_BEHIND_ONE_ADDRESS = {
    "AUTH_ADDRESS_SLOW_AFTER": "10000",
    "AUTH_ADDRESS_LOCK_AFTER": "100000",
    "AUTH_SIGN_UP_ADDRESS_LIMIT": "100000",
}


@dataclass(frozen=True)
class ServiceSpec:
    """One service: ``python -m services.<name>``, configured by ``<PREFIX>_*`` variables."""

    name: str
    default_port: int

    @property
    def prefix(self) -> str:
        """The service's environment variable prefix, e.g. ``AUTH_``."""
        return f"{self.name.upper()}_"

    @property
    def module(self) -> str:
        """The module that runs the service."""
        return f"services.{self.name}"

    def address(self, env: Mapping[str, str]) -> tuple[str, int]:
        """Where the service listens, read from the same variables the service reads."""
        host = env.get(f"{self.prefix}HTTP_HOST", "127.0.0.1")
        if host in ("0.0.0.0", "::", ""):  # noqa: S104  # a wildcard bind is reached on loopback
            host = "127.0.0.1"
        return host, int(env.get(f"{self.prefix}HTTP_PORT", str(self.default_port)))


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("auth", 8001),
    ServiceSpec("deletion", 8002),
    ServiceSpec("survey", 8003),
    ServiceSpec("notifier", 8004),
    ServiceSpec("web", 8000),
)
# The web edge calls these services' APIs; its WEB_<NAME>_URL defaults follow their ports.
_WEB_UPSTREAMS = ("auth", "deletion", "survey", "notifier")


def service_environment(
    settings: DevstackSettings,
    secrets: Mapping[str, str],
    broker_bootstrap: str,
    caller: Mapping[str, str] | None = None,
    broker_kind: str = "tansu",
) -> dict[str, str]:
    """The environment every child gets: local defaults, overridden by the caller's own.

    The same environment serves every service; each reads only its own prefix and
    ``ADIEU_*``.
    """
    state = settings.state_dir
    defaults: dict[str, str] = {
        "ADIEU_KAFKA_BOOTSTRAP": broker_bootstrap,
        "ADIEU_BROKER_KIND": broker_kind,
        "ADIEU_LOG_FORMAT": "text",
        # make run is development: each service serves its /docs.
        "ADIEU_API_DOCS": "true",
        "NOTIFIER_SMS_DIR": str(state / "sms"),
        "NOTIFIER_SMTP_HOST": "127.0.0.1",
        "NOTIFIER_SMTP_PORT": str(settings.smtp_port),
        # Children write through a pipe; without this their lines would arrive in bursts.
        "PYTHONUNBUFFERED": "1",
        **{f"{spec.prefix}DATA_DIR": str(state) for spec in SERVICES},
        **secrets,
    }
    given = os.environ if caller is None else caller
    env = {**defaults, **given}
    if "ADIEU_TOKEN_PUBLIC_KEY" not in given:
        # A caller who brings their own signing key must not get our unrelated public key.
        env["ADIEU_TOKEN_PUBLIC_KEY"] = public_key_for(env["AUTH_TOKEN_SIGNING_KEY"])
    _web_defaults(env)
    return env


def _web_defaults(env: dict[str, str]) -> None:
    """Point the web edge at the services as configured, unless the caller already did."""
    specs = {spec.name: spec for spec in SERVICES}
    for name in _WEB_UPSTREAMS:
        host, port = specs[name].address(env)
        env.setdefault(f"WEB_{name.upper()}_URL", f"http://{host}:{port}")
    # make run serves plain http on loopback, where a Secure cookie would never come back.
    env.setdefault("WEB_COOKIE_SECURE", "false")


def own_secrets_only(spec: ServiceSpec, env: Mapping[str, str]) -> dict[str, str]:
    """``env`` without the other services' variables: a child sees only its own secrets.

    The notifier's wrapping key, say, must reach no process but the notifier's (as in the
    compose files).
    """
    others = tuple(other.prefix for other in SERVICES if other.name != spec.name)
    # A secret two services share (ADIEU_EDGE_KEY, say) goes where the compose files send it.
    shared = {key for keys in COMPOSE_FILES.values() for key in keys if key.startswith("ADIEU_")}
    mine = set(COMPOSE_FILES.get(f"{spec.name}.env", ())) | set(COMPOSE_FILES["platform.env"])
    return {
        key: value
        for key, value in env.items()
        if not key.startswith(others) and (key not in shared or key in mine)
    }
