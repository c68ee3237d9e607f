"""The translation tests/e2e/test_compose_on_kafka.py runs docker-compose.yml through.

It must read the file as Docker and the apache/kafka image would, so that a defect in the file
fails there: the image's key rules and defaults, Compose's interpolation, a log dir off the
volume, a topic the services use that the topic script does not create.
"""

from __future__ import annotations

import copy
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from shared.topics import DLQ_SUFFIX, Topics
from tests.support.compose import (
    HostMap,
    convert_key,
    environment_of,
    image_properties,
    interpolate,
    load_compose,
    unpersisted_log_dirs,
)

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def compose() -> dict[str, Any]:
    return load_compose(ROOT / "docker-compose.yml")


@pytest.mark.parametrize(
    ("variable", "name"),
    [
        ("NODE_ID", "node.id"),
        ("LOG_DIRS", "log.dirs"),
        ("OFFSETS_TOPIC_REPLICATION_FACTOR", "offsets.topic.replication.factor"),
        ("LISTENER_NAME_INTERNAL_SSL__KEYSTORE", "listener.name.internal.ssl_keystore"),
        ("CONFLUENT___METRICS", "confluent-metrics"),
        # The image's Go code matches [^_]_[^_] without overlap: a one-letter part keeps "_".
        ("A_B_C", "a.b_c"),
    ],
)
def test_variable_names_become_property_names_as_the_image_maps_them(
    variable: str, name: str
) -> None:
    assert convert_key(variable) == name


def test_the_kafka_service_renders_the_properties_it_means(compose: dict[str, Any]) -> None:
    kafka = compose["services"]["kafka"]
    properties, cluster_id = image_properties(environment_of(kafka, {}))
    assert properties["log.dirs"] == "/var/lib/kafka/data"
    assert properties["process.roles"] == "broker,controller"
    assert properties["auto.create.topics.enable"] == "false"
    assert properties["advertised.listeners"] == "PLAINTEXT://kafka:9092"
    # Unset in the file, so the image's defaults apply.
    assert properties["inter.broker.listener.name"] == "PLAINTEXT"
    assert cluster_id == "5L6g3nShT-eMCtK--X86sw"
    assert unpersisted_log_dirs(kafka, properties) == []


@pytest.mark.parametrize(
    "broken",
    [
        {"drop": "KAFKA_LOG_DIRS"},
        {"rename": ("KAFKA_LOG_DIRS", "KAFKA_LOG_DIR")},  # log.dir: not what the image sets
        {"set": ("KAFKA_LOG_DIRS", "/var/lib/kafka")},  # beside the volume, not on it
    ],
)
def test_a_broken_log_dir_setting_is_data_lost_on_recreate(
    compose: dict[str, Any], broken: dict[str, Any]
) -> None:
    kafka = copy.deepcopy(compose["services"]["kafka"])
    env = kafka["environment"]
    if "drop" in broken:
        del env[broken["drop"]]
    elif "rename" in broken:
        old, new = broken["rename"]
        env[new] = env.pop(old)
    else:
        key, value = broken["set"]
        env[key] = value
    properties, _ = image_properties(environment_of(kafka, {}))
    assert unpersisted_log_dirs(kafka, properties) != []


def test_a_value_holding_an_equals_sign_is_dropped_as_the_image_drops_it() -> None:
    properties, _ = image_properties({"KAFKA_SASL_JAAS_CONFIG": "a=b", "KAFKA_NODE_ID": "7"})
    assert "sasl.jaas.config" not in properties
    assert properties["node.id"] == "7"


def test_interpolation_follows_compose() -> None:
    env = {"SET": "x", "EMPTY": ""}
    assert interpolate("${SET:-d} ${EMPTY:-d} ${EMPTY-d} ${UNSET-d} $SET $$PREFIX", env) == (
        "x d  d x $PREFIX"
    )


def test_host_names_ports_and_volumes_map_to_this_host(tmp_path: Path) -> None:
    hosts = HostMap(["kafka", "auth", "mailpit"], tmp_path)
    service = {"volumes": ["auth-data:/data"]}
    kafka = hosts.port("kafka", 9092)
    assert hosts.rewrite("PLAINTEXT://:9092,CONTROLLER://:9093", "kafka") == (
        f"PLAINTEXT://127.0.0.1:{kafka},CONTROLLER://127.0.0.1:{hosts.port('kafka', 9093)}"
    )
    assert hosts.rewrite("kafka:9092", "auth") == f"127.0.0.1:{kafka}"
    given = {
        "AUTH_HTTP_HOST": "0.0.0.0",  # noqa: S104  # what the compose file binds in a container
        "AUTH_HTTP_PORT": "8001",
        "AUTH_DATA_DIR": "/data/x",
        "N_SMTP_HOST": "mailpit",
        "N_SMTP_PORT": "1025",
        "AUTH_PARTICIPANTS": "kafka",
    }
    env = hosts.environment("auth", service, given)
    assert env["AUTH_HTTP_HOST"] == "127.0.0.1"
    assert env["AUTH_HTTP_PORT"] == str(hosts.port("auth", 8001))
    assert env["AUTH_DATA_DIR"] == str(tmp_path / "volumes" / "auth-data" / "x")
    assert (env["N_SMTP_HOST"], env["N_SMTP_PORT"]) == (
        "127.0.0.1",
        str(hosts.port("mailpit", 1025)),
    )
    assert env["AUTH_PARTICIPANTS"] == "kafka"  # not a host variable: left alone


def _topics_the_script_creates(service: dict[str, Any], tmp_path: Path) -> set[str]:
    """Run the kafka-topics script with tools that only record the topics they are given."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    created = tmp_path / "created"
    for tool in ("kafka-topics.sh", "kafka-configs.sh"):
        script = bin_dir / tool
        script.write_text(
            '#!/bin/bash\nwhile [ $# -gt 0 ]; do case "$1" in --topic|--entity-name)'
            f' echo "$2" >> {created}; shift;; esac; shift; done\n'
        )
        script.chmod(0o755)
    command = interpolate(service["command"][0], {}).replace("/opt/kafka/bin", str(bin_dir))
    env = {**os.environ, **environment_of(service, {})}
    subprocess.run(["/bin/bash", "-c", command], env=env, check=True)
    return set(created.read_text().split())


def test_the_topic_script_creates_every_topic_the_services_use(
    compose: dict[str, Any], tmp_path: Path
) -> None:
    wanted = {t + suffix for t in Topics("adieu.").all() for suffix in ("", DLQ_SUFFIX)}
    assert _topics_the_script_creates(compose["services"]["kafka-topics"], tmp_path) >= wanted


def test_a_misspelt_topic_in_the_script_is_caught(compose: dict[str, Any], tmp_path: Path) -> None:
    service = copy.deepcopy(compose["services"]["kafka-topics"])
    service["command"][0] = service["command"][0].replace("purge.completions", "purge.complete")
    wanted = {t + suffix for t in Topics("adieu.").all() for suffix in ("", DLQ_SUFFIX)}
    missing = wanted - _topics_the_script_creates(service, tmp_path)
    assert missing == {"adieu.purge.completions", "adieu.purge.completions.dlq"}
