"""Apache Kafka as a local broker: the jars from Maven Central, one KRaft node on loopback.

``devstack/kafka/pom.xml`` pins the version; :func:`kafka_classpath` copies its jars once into
a cache folder keyed by that file's contents and reuses them. :class:`KafkaBroker` runs one
combined broker+controller (the single-node set-up of the apache/kafka image) whose log dirs
live in a state folder, so a restart keeps topics and committed offsets. Start-up waits until
the broker answers a metadata request. See docs/kafka.md for the figures.
"""

from __future__ import annotations

import asyncio
import base64
import fcntl
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Mapping
from pathlib import Path

from devstack.broker import port_in_use

__all__ = [
    "KafkaBroker",
    "KafkaUnavailable",
    "base_properties",
    "kafka_classpath",
    "kafka_version",
    "metadata_answers",
    "new_cluster_id",
]

ROOT = Path(__file__).resolve().parents[1]
POM = ROOT / "devstack" / "kafka" / "pom.xml"
DEFAULT_CACHE = ROOT / ".cache" / "kafka"
# Small enough for a 2-core laptop beside four services; Kafka's own default is 1 GiB.
DEFAULT_HEAP_OPTS = "-Xms64m -Xmx512m"
# Serial GC and C1 only: less CPU and memory at start-up, plenty for one local node.
JVM_OPTS = ("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true")
_LOG4J2 = """\
status = warn
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = OUT
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
# Every config is echoed at INFO on start; it buries the lines that explain a failure.
logger.config.name = org.apache.kafka.common.config.AbstractConfig
logger.config.level = WARN
"""


class KafkaUnavailable(RuntimeError):
    """Apache Kafka cannot be fetched or started here; the message says why and what to do."""


def kafka_version(pom: Path = POM) -> str:
    """The Kafka version the project's Maven descriptor pins."""
    found = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", pom.read_text())
    if found is None:
        raise KafkaUnavailable(f"{pom} pins no <kafka.version>")
    return found.group(1).strip()


def _require(tool: str, hint: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise KafkaUnavailable(f"Apache Kafka needs `{tool}` on PATH: {hint}")
    return path


def _java() -> str:
    return _require("java", "install Java 17+ (Debian: apt-get install openjdk-17-jre-headless)")


def kafka_classpath(cache: Path | None = None, pom: Path = POM) -> str:
    """The broker's classpath, fetching the jars with Maven the first time.

    The cache folder is named by version and by a digest of the descriptor, so a change to it
    (say, another logging binding) fetches again instead of reusing stale jars.
    """
    root = cache or Path(os.environ.get("DEVSTACK_KAFKA_CACHE", DEFAULT_CACHE))
    digest = hashlib.sha256(pom.read_bytes()).hexdigest()[:12]
    lib = root / f"{kafka_version(pom)}-{digest}"
    done = lib / ".complete"
    if not done.exists():
        lib.mkdir(parents=True, exist_ok=True)
        # Two test sessions may start at once; one fetches while the other waits.
        with (root / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not done.exists():
                _fetch_jars(pom, lib)
                done.touch()
    return str(lib / "*")


def _fetch_jars(pom: Path, lib: Path) -> None:
    mvn = _require("mvn", "install Maven 3.8+ (Debian: apt-get install maven)")
    command = [mvn, "-q", "-B", "-f", str(pom), "dependency:copy-dependencies"]
    result = subprocess.run(
        [*command, f"-DoutputDirectory={lib}"], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
        raise KafkaUnavailable(f"Maven could not fetch Apache Kafka ({pom}):\n{tail}")


def new_cluster_id() -> str:
    """A cluster id as ``kafka-storage random-uuid`` prints it (URL-safe base64, 22 chars)."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


def base_properties(
    host: str,
    port: int,
    controller_port: int,
    log_dir: Path,
    proxied: tuple[int, int] | None = None,
) -> dict[str, str]:
    """One combined broker+controller on ``host``, light enough for a small machine.

    ``proxied`` = (port, advertised port) adds a listener that tells clients to come back
    through the advertised port, where a test can put a proxy and cut it.
    """
    listeners = [f"PLAINTEXT://{host}:{port}", f"CONTROLLER://{host}:{controller_port}"]
    advertised = [f"PLAINTEXT://{host}:{port}"]
    if proxied is not None:
        listeners.append(f"PROXIED://{host}:{proxied[0]}")
        advertised.append(f"PROXIED://{host}:{proxied[1]}")
    return {
        "process.roles": "broker,controller",
        "node.id": "1",
        "listeners": ",".join(listeners),
        "advertised.listeners": ",".join(advertised),
        "inter.broker.listener.name": "PLAINTEXT",
        "controller.listener.names": "CONTROLLER",
        "listener.security.protocol.map": (
            "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,PROXIED:PLAINTEXT"
        ),
        # A static voter, as the compose file's node has: the ports may change between runs.
        "controller.quorum.voters": f"1@{host}:{controller_port}",
        "log.dirs": str(log_dir),
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        # A new consumer group gets its partitions at once, not after Kafka's 3 s default.
        "group.initial.rebalance.delay.ms": "0",
        # As in docker-compose.yml: topics are created explicitly, a typo creates nothing.
        "auto.create.topics.enable": "false",
        "num.partitions": "4",
        # Kafka's defaults (50 partitions each, 1 GiB segments, 128 MiB cleaner buffer, 8 I/O
        # threads) are sized for a server; these keep one local node small.
        "offsets.topic.num.partitions": "4",
        "transaction.state.log.num.partitions": "4",
        "share.coordinator.state.topic.num.partitions": "1",
        "log.segment.bytes": str(16 * 1024 * 1024),
        "log.cleaner.dedupe.buffer.size": str(8 * 1024 * 1024),
        "num.io.threads": "2",
        "num.network.threads": "2",
        "num.recovery.threads.per.data.dir": "1",
        "background.threads": "2",
    }


def _write_properties(path: Path, properties: Mapping[str, str]) -> None:
    lines = [f"{key}={value}" for key, value in sorted(properties.items())]
    path.write_text("\n".join(lines) + "\n")


def metadata_answers(bootstrap: str, timeout: float = 3.0) -> bool:
    """Whether a broker at ``bootstrap`` answers a metadata request naming at least one broker.

    Runs aiokafka in a thread of its own, so it works whether or not the caller has a loop.
    """
    host, _, port = bootstrap.rpartition(":")
    try:  # nothing listens yet: say so without aiokafka's connection warnings
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError:
        return False
    answered: list[bool] = []

    async def probe() -> None:
        from aiokafka.client import AIOKafkaClient

        client = AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000))
        try:
            await asyncio.wait_for(client.bootstrap(), timeout)
            answered.append(bool(client.cluster.brokers()))
        except Exception:  # any failure means "not ready yet"; we poll again
            answered.append(False)
        finally:
            await client.close()

    thread = threading.Thread(target=asyncio.run, args=(probe(),), daemon=True)
    thread.start()
    thread.join(timeout + 2)
    return bool(answered and answered[0])


class KafkaBroker:
    """One Apache Kafka node (KRaft, combined mode) whose data lives under ``state_dir``."""

    def __init__(
        self,
        port: int,
        state_dir: Path,
        controller_port: int | None = None,
        host: str = "127.0.0.1",
        properties: Mapping[str, str] | None = None,
        cluster_id: str | None = None,
        proxied: tuple[int, int] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.controller_port = controller_port or port + 1
        self.state_dir = state_dir
        self.log_path = state_dir / "kafka.log"
        # Given properties replace ours whole (the compose test passes the image's rendering).
        log_dir = state_dir / "kraft-logs"
        self.properties = dict(
            properties or base_properties(host, port, self.controller_port, log_dir, proxied)
        )
        self._cluster_id = cluster_id
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        """The bootstrap address clients connect to."""
        return f"{self.host}:{self.port}"

    @property
    def log_dirs(self) -> list[Path]:
        """The folders Kafka keeps its topics in."""
        return [Path(d) for d in self.properties["log.dirs"].split(",")]

    def start(self, timeout: float = 180.0) -> None:
        """Fetch (first time), format (first time), start, and wait for a metadata answer."""
        for taken in (p for p in (self.port, self.controller_port) if port_in_use(p, self.host)):
            raise KafkaUnavailable(
                f"port {taken} is in use; stop what listens there or choose other ports"
            )
        java, classpath, config = self.format_storage()
        started = time.monotonic()
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [*self._jvm(java, classpath), "kafka.Kafka", str(config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                process_group=0,  # like Tansu: Ctrl-C reaches the services first
            )
        self._wait_ready(started, timeout)

    def format_storage(self) -> tuple[str, str, Path]:
        """Write the configuration and format the storage unless formatted already.

        Returns the java binary, the classpath and the configuration file a start uses.
        """
        java = _java()
        classpath = kafka_classpath()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        config = self.state_dir / "server.properties"
        _write_properties(config, self.properties)
        (self.state_dir / "log4j2.properties").write_text(_LOG4J2)
        self._format_once(java, classpath, config)
        return java, classpath, config

    def _jvm(self, java: str, classpath: str) -> list[str]:
        heap = os.environ.get("KAFKA_HEAP_OPTS", DEFAULT_HEAP_OPTS).split()
        log4j = f"-Dlog4j2.configurationFile={self.state_dir / 'log4j2.properties'}"
        return [java, *heap, *JVM_OPTS, log4j, "-cp", classpath]

    def _format_once(self, java: str, classpath: str, config: Path) -> None:
        if all((d / "meta.properties").exists() for d in self.log_dirs):
            return  # formatted by an earlier run: keep its topics and offsets
        cluster_id = self._cluster_id or new_cluster_id()
        result = subprocess.run(
            [
                *self._jvm(java, classpath),
                "kafka.tools.StorageTool",
                "format",
                "--ignore-formatted",
                # One argument: an id may start with "-" (URL-safe base64), which the tool's
                # parser would take for an option ("expected one argument").
                f"--cluster-id={cluster_id}",
                "--config",
                str(config),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).splitlines()[-20:])
            raise KafkaUnavailable(
                f"formatting Kafka's storage in {self.state_dir} failed:\n{tail}"
            )

    def _wait_ready(self, started: float, timeout: float) -> None:
        process = self._process
        assert process is not None
        while time.monotonic() - started < timeout:
            if process.poll() is not None:
                raise KafkaUnavailable(
                    f"Kafka exited with code {process.returncode}; its log ends:\n{self.log_tail()}"
                )
            if metadata_answers(self.bootstrap):
                return
            time.sleep(0.5)
        self.stop()
        raise KafkaUnavailable(
            f"Kafka did not answer on {self.bootstrap} within {timeout:.0f}s;"
            f" its log ends:\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the broker's own log."""
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def pid(self) -> int | None:
        """The JVM's process id while it runs."""
        return self._process.pid if self._process is not None else None

    def kill(self) -> None:
        """Stop the broker without asking (SIGKILL), as a crash or a power cut would."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()

    def stop(self, timeout: float = 30.0) -> None:
        """Controlled shutdown (SIGTERM), then a kill if it takes longer than ``timeout``."""
        process = self._process
        self._process = None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


if __name__ == "__main__":
    # `python -m devstack.kafka_broker fetch` (scripts/ensure-kafka): the jars, ahead of a run.
    import sys

    if sys.argv[1:] != ["fetch"]:
        sys.exit("usage: python -m devstack.kafka_broker fetch")
    try:
        print(f"Apache Kafka {kafka_version()}: {kafka_classpath()}")
    except KafkaUnavailable as exc:
        sys.exit(f"ensure-kafka: {exc}")
