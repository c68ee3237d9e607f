"""Apache Kafka for devstack and the tests: the pinned version and the errors a person sees."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

from devstack.broker import free_port
from devstack.kafka_broker import KafkaBroker, KafkaUnavailable, kafka_version, new_cluster_id
from tests.support.brokers import in_ci


def test_the_descriptor_pins_one_kafka_4_version() -> None:
    assert kafka_version().startswith("4.")


def test_a_cluster_id_looks_like_the_storage_tools() -> None:
    ids = {new_cluster_id() for _ in range(50)}
    assert len(ids) == 50
    assert all(len(i) == 22 and "=" not in i for i in ids)


def test_without_java_the_error_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no java, no mvn
    broker = KafkaBroker(free_port(), tmp_path / "state", free_port())
    with pytest.raises(KafkaUnavailable, match=r"`java`.*openjdk-17-jre-headless"):
        broker.start()


def test_a_taken_port_is_named(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        broker = KafkaBroker(port, tmp_path / "state", free_port())
        with pytest.raises(KafkaUnavailable, match=f"port {port} is in use"):
            broker.start()


def test_a_broker_that_cannot_start_shows_its_own_output(tmp_path: Path) -> None:
    if shutil.which("java") is None and not in_ci():
        pytest.skip("no Java here")
    broken = {"process.roles": "broker,controller", "node.id": "1", "num.io.threads": "0"}
    broker = KafkaBroker(free_port(), tmp_path / "state", free_port(), properties={
        **broken, "log.dirs": str(tmp_path / "logs"),
        "controller.quorum.voters": "1@127.0.0.1:1", "controller.listener.names": "CONTROLLER",
        "listeners": "PLAINTEXT://127.0.0.1:1,CONTROLLER://127.0.0.1:2",
    })  # fmt: skip
    with pytest.raises(KafkaUnavailable, match=r"(?s)failed:.*num\.io\.threads"):
        broker.start(timeout=60)


def test_a_cluster_id_that_starts_with_a_dash_formats_the_storage(tmp_path: Path) -> None:
    # One id in 64 starts with "-"; the storage tool took it for an option and the session's
    # Kafka did not start ("--cluster-id: expected one argument").
    if shutil.which("java") is None and not in_ci():
        pytest.skip("no Java here")
    cluster_id = "-L6g3nShT-eMCtK--X86sw"
    broker = KafkaBroker(free_port(), tmp_path / "state", free_port(), cluster_id=cluster_id)
    broker.format_storage()
    [log_dir] = broker.log_dirs
    assert f"cluster.id={cluster_id}" in (log_dir / "meta.properties").read_text()
