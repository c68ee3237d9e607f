"""docker-compose.yml, checked without Docker: against the Compose specification's JSON schema,
and against the settings classes the services really read.

The schema is vendored from compose-spec/compose-spec (schema/compose-spec.json) under data/.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic_settings import BaseSettings

from devstack.kafka_broker import kafka_version
from devstack.secrets import COMPOSE_FILES
from shared.config import PlatformSettings
from shared.topics import DLQ_SUFFIX, Topics

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = Path(__file__).parent / "data" / "compose-spec.json"
# Every settings class a container reads: the platform's, and each service's own.
SETTINGS_MODULES = (
    "services.auth.config",
    "services.deletion.config",
    "services.survey.config",
    "services.notifier.config",
    "services.web.config",
)
APP_SERVICES = ("auth", "deletion", "survey", "notifier", "web")
_INTERPOLATION = re.compile(r"(?<!\$)\$\{([A-Z0-9_]+)(?::?-[^}]*)?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def _settings_classes() -> Iterator[type[BaseSettings]]:
    yield PlatformSettings
    for module in SETTINGS_MODULES:
        yield importlib.import_module(module).Settings


def _variables(settings: type[BaseSettings]) -> dict[str, bool]:
    """Environment variable name → whether the setting is required, for one settings class."""
    prefix = str(settings.model_config.get("env_prefix", ""))
    names: dict[str, bool] = {}
    for field_name, field in settings.model_fields.items():
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseSettings):
            continue  # the embedded PlatformSettings reads ADIEU_* itself
        alias = field.validation_alias
        name = alias if isinstance(alias, str) else prefix + field_name
        names[name.upper()] = field.is_required()
    return names


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(key): str(value) for key, value in env.items()}


def _secret_files(service: dict[str, Any]) -> set[str]:
    """Variables the service's env files hold, as ``python -m devstack.secrets`` writes them."""
    files = service.get("env_file", [])
    names: set[str] = set()
    for entry in [files] if isinstance(files, str) else files:
        path = entry if isinstance(entry, str) else entry["path"]
        file_name = Path(path).name
        assert file_name in COMPOSE_FILES, f"devstack.secrets does not write {path}"
        names.update(COMPOSE_FILES[file_name])
    return names


def test_the_file_is_valid_compose(compose: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.validate(compose, schema, cls=jsonschema.Draft7Validator)


def test_every_variable_set_for_a_service_is_a_setting(compose: dict[str, Any]) -> None:
    known: set[str] = set()
    for settings in _settings_classes():
        known |= set(_variables(settings))
    for name in APP_SERVICES:
        service = compose["services"][name]
        unknown = (set(_environment(service)) | _secret_files(service)) - known
        assert unknown == set(), f"{name} sets variables no settings class reads: {unknown}"


@pytest.mark.parametrize(
    ("name", "module"),
    [(name, f"services.{name}.config") for name in APP_SERVICES],
)
def test_every_required_setting_is_given(compose: dict[str, Any], name: str, module: str) -> None:
    service = compose["services"][name]
    given = set(_environment(service)) | _secret_files(service)
    settings = importlib.import_module(module).Settings
    required = {var for var, needed in _variables(settings).items() if needed}
    if "platform" in settings.model_fields:
        required |= {var for var, needed in _variables(PlatformSettings).items() if needed}
    assert required - given == set(), f"{name} misses required settings"


def test_services_wait_for_what_they_need_and_keep_their_database(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    for name in ("auth", "deletion", "survey", "notifier"):
        service = services[name]
        conditions = {dep: spec["condition"] for dep, spec in service["depends_on"].items()}
        assert conditions["kafka"] == "service_healthy"
        assert conditions["kafka-topics"] == "service_completed_successfully"
        assert "healthcheck" in service
        volume = f"{name}-data"
        assert f"{volume}:/data" in service["volumes"]
        assert volume in compose["volumes"]
        assert _environment(service)[f"{name.upper()}_DATA_DIR"] == "/data"
    # The image runs the version the tests run (devstack/kafka/pom.xml).
    assert services["kafka"]["image"] == f"apache/kafka:{kafka_version()}"
    assert services["kafka-topics"]["image"] == services["kafka"]["image"]
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"


def test_the_topic_init_creates_every_topic_and_its_dead_letters(
    compose: dict[str, Any],
) -> None:
    script = "\n".join(compose["services"]["kafka-topics"]["command"])
    topics = Topics(prefix="")
    for topic in topics.all():
        assert re.search(rf"\b{re.escape(topic)}\b", script), topic
    assert f'"$${{PREFIX}}$${{name}}{DLQ_SUFFIX}"' in script
    assert "retention.ms=" in script


def test_interpolated_variables_have_defaults_or_are_documented(
    compose: dict[str, Any],
) -> None:
    # ${X:-default} keeps `docker compose up` working without an .env file.
    text = (ROOT / "docker-compose.yml").read_text()
    bare = [m.group(0) for m in _INTERPOLATION.finditer(text) if ":-" not in m.group(0)]
    assert bare == []
