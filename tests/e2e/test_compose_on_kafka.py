"""docker-compose.yml run without Docker: the same Kafka, commands and environments, on this host.

What Docker would do, step by step, translated by tests/support/compose.py:
- **kafka**: its ``KAFKA_*`` environment rendered into ``server.properties`` as the apache/kafka
  image renders it, storage formatted with the image's cluster id, Apache Kafka (the version the
  image tag names) started with exactly those properties; its healthcheck command run.
- **kafka-topics**: its bash script run as written, the image's tools standing in for
  ``/opt/kafka/bin``; then every topic the services use must exist as the script made it.
- **auth, deletion, survey, notifier, web**: each service's ``command`` with its compose
  ``environment`` and ``env_file`` (written by ``python -m devstack.secrets``, as the README
  says), host names mapped to loopback, ports to free ones, volumes to folders; each
  healthcheck command run until it passes, in ``depends_on`` order.
- **mailpit** is an image (no binary here): an SMTP catcher listens where it would.
Then one whole journey by e-mail, confirmation e-mail included.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from devstack.kafka_broker import JVM_OPTS, KafkaBroker, kafka_classpath
from devstack.mailcatcher import MailCatcher
from shared.topics import DLQ_SUFFIX, Topics
from tests.e2e.test_journey import Person, _journey
from tests.support.compose import (
    HostMap,
    environment_of,
    image_properties,
    interpolate,
    load_compose,
    read_env_file,
    unpersisted_log_dirs,
)
from tests.support.polling import eventually
from tests.support.stack import ROOT, Stack

APP_SERVICES = ("auth", "deletion", "survey", "notifier", "web")
# The image's command-line tools, as the classes its /opt/kafka/bin scripts run.
TOOLS = {
    "kafka-topics.sh": "org.apache.kafka.tools.TopicCommand",
    "kafka-configs.sh": "kafka.admin.ConfigCommand",
    "kafka-broker-api-versions.sh": "org.apache.kafka.tools.BrokerApiVersionsCommand",
}
# What an operator could set in the shell before `docker compose up`: a short grace period
# (as long as tests/support/stack.py's, for the same reason).
SHELL = {"DELETION_GRACE_SECONDS": "4", "DELETION_SCAN_INTERVAL_SECONDS": "0.3"}

pytestmark = [pytest.mark.kafka_only, pytest.mark.usefixtures("kafka_runnable")]


def _tools(bin_dir: Path) -> Path:
    """Scripts named as the image's, running the same classes on the project's jars.

    The first run records a class-data archive beside the jars that later runs map (as the
    image does with its kafka.jsa): a JVM start then costs about half as much.
    """
    bin_dir.mkdir(parents=True, exist_ok=True)
    classpath = kafka_classpath()
    archive = Path(classpath.removesuffix("*")) / "tools.jsa"
    java = shlex.join(["java", "-Xmx256m", *JVM_OPTS, "-Xlog:cds=off", "-cp", classpath])
    for name, main in TOOLS.items():
        script = bin_dir / name
        script.write_text(
            "#!/bin/sh\n"
            f"archive={shlex.quote(str(archive))}\n"
            'if [ -f "$archive" ]; then\n'
            f'  exec {java} -XX:SharedArchiveFile="$archive" {main} "$@"\n'
            "fi\n"
            f'{java} -XX:ArchiveClassesAtExit="$archive.$$" {main} "$@"\n'
            'code=$?; mv -n "$archive.$$" "$archive" 2>/dev/null; rm -f "$archive.$$"; exit $code\n'
        )
        script.chmod(0o755)
    return bin_dir


async def _shell(
    command: str, hosts: HostMap, own: str, tools: Path, env: Mapping[str, str], log: IO[bytes]
) -> int:
    """A CMD-SHELL or ``bash -c`` command of service ``own``, run here."""
    command = hosts.rewrite(command.replace("/opt/kafka/bin", str(tools)), own)
    process = await asyncio.create_subprocess_exec(
        "/bin/bash", "-c", command, env={**os.environ, **env}, stdout=log, stderr=log
    )
    return await process.wait()


def _healthcheck_command(service: Mapping[str, Any]) -> str:
    """The healthcheck's ``test`` as one shell command (``python`` is this interpreter)."""
    kind, *args = service["healthcheck"]["test"]
    if kind == "CMD-SHELL":
        return str(args[0])
    assert kind == "CMD", f"unexpected healthcheck form {kind}"
    return shlex.join(sys.executable if arg == "python" else arg for arg in args)


class _Compose:
    """The set-up's processes on this host; stopped in reverse order."""

    def __init__(self, base: Path) -> None:
        self.services: dict[str, Any] = load_compose(ROOT / "docker-compose.yml")["services"]
        self.base = base
        self.hosts = HostMap(self.services, base)
        self.log_path = base / "compose.log"
        self.log = self.log_path.open("ab")
        self.tools = _tools(base / "opt-kafka-bin")
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.kafka: KafkaBroker | None = None
        self.catcher: MailCatcher | None = None

    async def start_kafka(self) -> KafkaBroker:
        service = self.services["kafka"]
        properties, cluster_id = image_properties(environment_of(service, SHELL))
        assert unpersisted_log_dirs(service, properties) == [], "Kafka's data would be lost"
        on_host = {k: self.hosts.rewrite(v, "kafka", service) for k, v in properties.items()}
        self.kafka = KafkaBroker(
            self.hosts.port("kafka", 9092),
            self.base / "kafka-state",
            self.hosts.port("kafka", 9093),
            properties=on_host,
            cluster_id=cluster_id,
        )
        await asyncio.to_thread(self.kafka.start)
        assert self.kafka.log_dirs[0].is_relative_to(self.hosts.volume("kafka-data"))
        await self.healthy("kafka")
        return self.kafka

    async def create_topics(self) -> None:
        service = self.services["kafka-topics"]
        assert service["entrypoint"] == ["/bin/bash", "-c"]
        script = interpolate(service["command"][0], {})  # only $$ → $: bash expands the rest
        env = environment_of(service, SHELL)
        code = await _shell(script, self.hosts, "kafka-topics", self.tools, env, self.log)
        assert code == 0, f"kafka-topics failed ({code}):\n{self.tail()}"

    def start_mail(self) -> None:
        # Mailpit's SMTP port, as the notifier reaches it; .eml files where the test reads them.
        self.catcher = MailCatcher(self.base / "mail", self.hosts.port("mailpit", 1025))
        self.catcher.start()

    def start_service(self, name: str, secrets: Path) -> None:
        service = self.services[name]
        env: dict[str, str] = {}
        for entry in service.get("env_file") or []:
            env.update(read_env_file(secrets / Path(entry).name))
        env.update(environment_of(service, SHELL))
        ours = tuple(f"{prefix}_" for prefix in ("ADIEU", *(s.upper() for s in APP_SERVICES)))
        clean = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
        command = [sys.executable if part == "python" else part for part in service["command"]]
        popen = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**clean, **self.hosts.environment(name, service, env)},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.children.append((name, popen))

    async def healthy(self, name: str) -> None:
        """Run the service's healthcheck command until it passes (a child dying fails)."""
        command = _healthcheck_command(self.services[name])

        async def passes() -> bool:
            for child, popen in self.children:
                assert popen.poll() is None, f"{child} exited ({popen.returncode}):\n{self.tail()}"
            return await _shell(command, self.hosts, name, self.tools, {}, self.log) == 0

        await eventually(passes, timeout=90, interval=0.5, what=f"{name}'s healthcheck")

    def tail(self, lines: int = 60) -> str:
        self.log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        for _, popen in reversed(self.children):
            popen.send_signal(signal.SIGTERM)
        for _, popen in reversed(self.children):
            try:
                popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                popen.kill()
                popen.wait()
        if self.catcher is not None:
            self.catcher.stop()
        if self.kafka is not None:
            self.kafka.stop()
        self.log.close()


async def _topics_as_the_services_expect(bootstrap: str, prefix: str) -> None:
    """Every topic and dead-letter twin, with 4 partitions; notifications kept 7 days."""
    expected = {name + suffix for name in Topics(prefix).all() for suffix in ("", DLQ_SUFFIX)}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(sorted(expected))
        partitions = {t["topic"]: len(t["partitions"]) for t in described if t["error_code"] == 0}
        assert partitions == dict.fromkeys(expected, 4)
        notifications = Topics(prefix).notifications
        resources = [ConfigResource(ConfigResourceType.TOPIC, notifications)]
        (answer,) = await admin.describe_configs(resources)
        configs = {entry[0]: entry[1] for entry in answer.resources[0][4]}
        assert configs["retention.ms"] == "604800000"
    finally:
        await admin.close()


@pytest.fixture
def compose(tmp_path: Path) -> Iterator[_Compose]:
    running = _Compose(tmp_path)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def secrets(tmp_path: Path) -> Path:
    """secrets/*.env as the README says to write them before the first `docker compose up`."""
    folder = tmp_path / "secrets"
    made = subprocess.run(
        [sys.executable, "-m", "devstack.secrets", str(folder)], cwd=ROOT, check=False
    )
    assert made.returncode == 0
    return folder


# The topic script starts a JVM fourteen times, as it does in its container.
@pytest.mark.timeout(420)
async def test_docker_compose_runs_a_whole_journey_on_apache_kafka(
    compose: _Compose, secrets: Path, tmp_path: Path
) -> None:
    kafka = await compose.start_kafka()
    await compose.create_topics()
    await _topics_as_the_services_expect(kafka.bootstrap, "adieu.")
    compose.start_mail()
    for name in ("auth", "deletion", "survey", "notifier"):
        compose.start_service(name, secrets)
    for name in ("auth", "deletion", "survey", "notifier"):
        await compose.healthy(name)
    compose.start_service("web", secrets)
    await compose.healthy("web")

    urls = {
        name: f"http://127.0.0.1:{compose.hosts.port(name, port)}"
        for name, port in (
            ("auth", 8001),
            ("deletion", 8002),
            ("survey", 8003),
            ("notifier", 8004),
            ("web", 8000),
        )
    }
    # The mail, the volumes and Kafka's own data: where _journey looks for traces of the person.
    stack = Stack(var_dir=tmp_path, log=compose.log_path, env={}, urls=urls)
    person = Person(
        email="kari.compose@example.org",
        phone_typed="412 34 568",
        phone_e164="+4741234568",
        phone_retyped="0047 41234568",
        password="compose horse battery",
    )
    await _journey(stack, person, "email")
