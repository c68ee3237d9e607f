"""docker-compose.yml as Docker would run it, translated for this host (no Docker here).

- :func:`interpolate` expands ``${VAR:-default}`` and ``$$`` as Compose does.
- :func:`image_properties` turns the kafka service's environment into ``server.properties`` the
  way the apache/kafka image does (its ``configureDefaults`` fills unset variables, then
  ``utility render-properties`` maps ``KAFKA_FOO_BAR`` to ``foo.bar``).
- :class:`HostMap` maps compose host names to loopback, container ports to free ones and volume
  paths to folders, so every service can run here with its own compose environment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from devstack.broker import free_port

__all__ = [
    "IMAGE_DEFAULTS",
    "ComposeDefect",
    "HostMap",
    "convert_key",
    "environment_of",
    "image_properties",
    "interpolate",
    "load_compose",
    "read_env_file",
    "unpersisted_log_dirs",
]

# apache/kafka's docker/resources/common-scripts/configureDefaults: what an unset (or empty)
# variable becomes before the properties are rendered.
IMAGE_DEFAULTS = {
    "CLUSTER_ID": "5L6g3nShT-eMCtK--X86sw",
    "KAFKA_NODE_ID": "1",
    "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": (
        "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,PLAINTEXT_HOST:PLAINTEXT"
    ),
    "KAFKA_LISTENERS": (
        "PLAINTEXT://localhost:29092,CONTROLLER://localhost:29093,PLAINTEXT_HOST://0.0.0.0:9092"
    ),
    "KAFKA_ADVERTISED_LISTENERS": "PLAINTEXT://localhost:29092,PLAINTEXT_HOST://localhost:9092",
    "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
    "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
    "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
    "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
    "KAFKA_PROCESS_ROLES": "broker,controller",
    "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:29093",
    "KAFKA_INTER_BROKER_LISTENER_NAME": "PLAINTEXT",
    "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
    # The image's default keeps the data inside the container: lost when it is recreated.
    "KAFKA_LOG_DIRS": "/tmp/kraft-combined-logs",  # noqa: S108  # the image's value, quoted
}
# kafka-propertiesSpec.json's "excludes": JVM and logging options, not broker properties.
_EXCLUDED = {
    "KAFKA_VERSION",
    "KAFKA_HEAP_OPT",
    "KAFKA_LOG4J_OPTS",
    "KAFKA_OPTS",
    "KAFKA_JMX_OPTS",
    "KAFKA_JVM_PERFORMANCE_OPTS",
    "KAFKA_GC_LOG_OPTS",
    "KAFKA_LOG4J_ROOT_LOGLEVEL",
    "KAFKA_LOG4J_LOGGERS",
    "KAFKA_TOOLS_LOG4J_LOGLEVEL",
}
_SINGLE = re.compile(r"[^_]_[^_]")
_VARIABLE = re.compile(r"\$(?:\$|\{(?P<braced>[^}]*)\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))")


class ComposeDefect(AssertionError):
    """Something in docker-compose.yml that would break a real ``docker compose up``."""


def load_compose(path: Path) -> dict[str, Any]:
    """The compose file with its anchors and ``<<`` merges resolved."""
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    return loaded


def interpolate(value: str, env: Mapping[str, str]) -> str:
    """Compose's interpolation: ``$$`` is a ``$``; ``${X}``, ``${X:-d}``, ``${X-d}``, ``$X``."""

    def expand(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        if match.group("bare"):
            return env.get(match.group("bare"), "")
        expression = match.group("braced")
        for operator in (":-", "-"):
            name, found, default = expression.partition(operator)
            if found:
                current = env.get(name)
                empty = current is None or (operator == ":-" and current == "")
                return default if empty else str(current)
        return env.get(expression, "")

    return _VARIABLE.sub(expand, value)


def environment_of(service: Mapping[str, Any], shell: Mapping[str, str]) -> dict[str, str]:
    """A service's ``environment`` (mapping or list form), interpolated from ``shell``."""
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) if "=" in item else (item, "") for item in raw)
    return {str(key): interpolate(str(value), shell) for key, value in raw.items()}


def read_env_file(path: Path) -> dict[str, str]:
    """An ``env_file``: ``KEY=VALUE`` lines; blank lines and ``#`` comments ignored."""
    pairs = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def convert_key(name: str) -> str:
    """The image's ``ConvertKey``: ``_`` → ``.``, ``__`` → ``_``, ``___`` → ``-``, lower case.

    Like the image's Go code, single underscores are found by non-overlapping matches of
    ``[^_]_[^_]``, so a one-letter segment (``A_B_C``) keeps its second underscore.
    """
    single = _SINGLE.sub(lambda m: m.group(0).replace("_", "."), name)
    return single.replace("___", "-").replace("__", "_").lower()


def image_properties(environment: Mapping[str, str]) -> tuple[dict[str, str], str]:
    """``server.properties`` and cluster id, as the apache/kafka image derives them."""
    env = dict(environment)
    for key, default in IMAGE_DEFAULTS.items():
        if not env.get(key):
            env[key] = default
    properties = {}
    for key, value in env.items():
        # The image reads its environment through "KEY=VALUE" split at every "=": a value that
        # holds one is silently dropped.
        if key.startswith("KAFKA") and key not in _EXCLUDED and "=" not in value:
            properties[convert_key(key[len("KAFKA") + 1 :])] = value
    return properties, env["CLUSTER_ID"]


def _volume_targets(service: Mapping[str, Any]) -> list[str]:
    """Container paths of the service's named volumes (``name:/path``)."""
    targets = []
    for volume in service.get("volumes") or []:
        source, _, rest = str(volume).partition(":")
        if rest and not source.startswith((".", "/")):
            targets.append(rest.split(":")[0])
    return targets


def unpersisted_log_dirs(service: Mapping[str, Any], properties: Mapping[str, str]) -> list[str]:
    """Kafka log dirs that are not on one of the service's named volumes (lost on recreate)."""
    targets = _volume_targets(service)
    dirs = [d for d in properties.get("log.dirs", properties.get("log.dir", "")).split(",") if d]
    return [
        d for d in dirs if not any(d == t or d.startswith(t.rstrip("/") + "/") for t in targets)
    ]


@dataclass
class HostMap:
    """Compose's network on one host: every service is 127.0.0.1, every port a free one."""

    services: Iterable[str]
    base: Path
    ports: dict[tuple[str, int], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.services = tuple(self.services)

    def port(self, service: str, container_port: int) -> int:
        """The host port standing in for ``service``'s ``container_port``."""
        return self.ports.setdefault((service, container_port), free_port())

    def volume(self, name: str) -> Path:
        """The folder standing in for the named volume ``name``."""
        path = self.base / "volumes" / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def rewrite(self, value: str, own: str, service: Mapping[str, Any] | None = None) -> str:
        """``value`` as seen from the host, for a process of service ``own``.

        ``kafka:9092`` → ``127.0.0.1:<free>``; a port on ``localhost``, ``127.0.0.1``, a wildcard
        or no host → ``own``'s port; a path on one of ``service``'s volumes → its folder.
        """
        names = "|".join(re.escape(s) for s in self.services)

        def hosted(match: re.Match[str]) -> str:
            host, port = match.group("host") or "", int(match.group("port"))
            target = own if host in ("", "localhost", "127.0.0.1", "0.0.0.0") else host  # noqa: S104
            return f"{match.group('lead')}127.0.0.1:{self.port(target, port)}"

        pattern = (
            rf"(?P<lead>^|[/@,\s'\"=])(?P<host>{names}|localhost|127\.0\.0\.1|0\.0\.0\.0)?"
            r":(?P<port>\d{2,5})\b"
        )
        value = re.sub(pattern, hosted, value)
        for volume in service.get("volumes") or [] if service else []:
            source, _, target = str(volume).partition(":")
            target = target.split(":")[0]
            if target and (value == target or value.startswith(target.rstrip("/") + "/")):
                return str(self.volume(source)) + value[len(target.rstrip("/")) :]
        return value

    def environment(
        self, own: str, service: Mapping[str, Any], env: Mapping[str, str]
    ) -> dict[str, str]:
        """A service's environment for the host: addresses, ports and paths rewritten.

        A variable holding only a port number is paired with its ``*_HOST`` sibling
        (``NOTIFIER_SMTP_PORT`` with ``NOTIFIER_SMTP_HOST``): the port of that host, or the
        service's own when it binds a wildcard address.
        """
        out = {key: self.rewrite(value, own, service) for key, value in env.items()}
        for key, value in env.items():
            if key.endswith("_HOST") and value in (*self.services, "0.0.0.0"):  # noqa: S104
                out[key] = "127.0.0.1"
            if key.endswith("_PORT") and value.isdigit():
                host = env.get(key[: -len("PORT")] + "HOST", "0.0.0.0")  # noqa: S104
                target = host if host in self.services else own
                out[key] = str(self.port(target, int(value)))
        return out
