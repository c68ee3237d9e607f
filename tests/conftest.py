"""Fixtures for every test layer: one real broker per session and kind, fresh topics and keys
per test. Tests that touch the broker run once on Tansu and once on Apache Kafka
(tests/support/brokers.py)."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from devstack.broker import TansuBroker, free_port
from devstack.kafka_broker import KafkaBroker, KafkaUnavailable, kafka_classpath
from devstack.mailcatcher import MailCatcher
from shared.config import PlatformSettings
from tests.support.brokers import (
    BrokerCounts,
    BrokerUnderTest,
    broker_kinds,
    in_ci,
    warm_up,
)
from tests.support.platform import Keys, new_keys, platform_settings

_counts = BrokerCounts()


class _KafkaBoot:
    """Apache Kafka started in a thread as the session begins, so its JVM boots while the
    Tansu half runs (a cold start took 10-80 s here, depending on the machine's load)."""

    def __init__(self, base: Path) -> None:
        self.proxied = (free_port(), free_port())
        self.broker = KafkaBroker(free_port(), base, free_port(), proxied=self.proxied)
        self.error: KafkaUnavailable | None = None
        self._thread = threading.Thread(target=self._start, name="kafka-boot", daemon=True)
        self._thread.start()

    def _start(self) -> None:
        try:
            self.broker.start(timeout=240)
            asyncio.run(warm_up(self.broker.bootstrap))
        except KafkaUnavailable as exc:
            self.error = exc
        except Exception as exc:  # a warm-up that failed says so in every Kafka test
            self.error = KafkaUnavailable(f"Kafka started but did not serve groups: {exc!r}")

    def wait(self) -> KafkaBroker:
        self._thread.join()
        if self.error is not None:
            raise self.error
        return self.broker


_boot: list[_KafkaBoot] = []


def pytest_sessionfinish(session: pytest.Session) -> None:
    for boot in _boot:
        boot.broker.stop()
        shutil.rmtree(boot.broker.state_dir, ignore_errors=True)


@pytest.fixture(scope="session", params=broker_kinds())
def broker(request: pytest.FixtureRequest) -> Iterator[BrokerUnderTest]:
    """A real broker for this session: Tansu, or Apache Kafka (or KAFKA_BOOTSTRAP's)."""
    kind = request.param
    if kind == "tansu":
        tansu = TansuBroker(free_port())
        tansu.start()
        try:
            yield BrokerUnderTest("tansu", tansu.bootstrap)
        finally:
            tansu.stop()
        return
    external = os.environ.get("KAFKA_BOOTSTRAP")
    if external:
        yield BrokerUnderTest("kafka", external)
        return
    try:
        kafka = _boot[0].wait()
    except KafkaUnavailable as exc:
        if in_ci():
            pytest.fail(f"Apache Kafka is required in CI: {exc}", pytrace=False)
        pytest.skip(f"Apache Kafka tests did NOT run: {exc}")
    yield BrokerUnderTest("kafka", kafka.bootstrap, _boot[0].proxied)


@pytest.fixture(scope="session")
def kafka_runnable() -> None:
    """Java and the Kafka jars, for the tests that start an Apache Kafka of their own."""
    try:
        if shutil.which("java") is None:
            raise KafkaUnavailable(
                "`java` is not on PATH (apt-get install openjdk-17-jre-headless)"
            )
        kafka_classpath()
    except KafkaUnavailable as exc:
        if in_ci():
            pytest.fail(f"Apache Kafka is required in CI: {exc}", pytrace=False)
        pytest.skip(f"Apache Kafka tests did NOT run: {exc}")


@pytest.fixture(scope="session")
def kafka_bootstrap(broker: BrokerUnderTest) -> str:
    """The session broker's bootstrap address."""
    return broker.bootstrap


@pytest.fixture
def keys() -> Keys:
    return new_keys()


@pytest.fixture
def platform(broker: BrokerUnderTest, keys: Keys) -> PlatformSettings:
    """Platform settings with a topic prefix (and so consumer groups) of this test's own."""
    return platform_settings(broker, keys)


@pytest.fixture
async def mail_catcher(tmp_path: Path) -> AsyncIterator[MailCatcher]:
    """A real SMTP server on loopback storing every message under tmp_path/mail."""
    catcher = MailCatcher(tmp_path / "mail", free_port())
    catcher.start()
    try:
        yield catcher
    finally:
        catcher.stop()


@pytest.hookimpl(tryfirst=True)  # before -m deselects by the markers added here
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Remember which broker each broker-touching test runs on, for the closing summary, and
    start booting Apache Kafka if any test will want it."""
    kafka_wanted = "kafka" in broker_kinds()
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "broker" in callspec.params:
            item.stash[_KIND] = callspec.params["broker"]
        elif item.get_closest_marker("kafka_only") is not None:
            item.stash[_KIND] = "kafka"
            if not kafka_wanted:
                item.add_marker(pytest.mark.skip(reason="ADIEU_TEST_BROKERS leaves Kafka out"))
        kind = item.stash.get(_KIND, None)
        if kind is not None:
            item.add_marker(f"broker_{kind}")
    wanted = any(
        item.stash.get(_KIND, None) == "kafka" and item.get_closest_marker("kafka_only") is None
        for item in items
    )
    booting = wanted and not _boot and not config.option.collectonly
    if booting and not os.environ.get("KAFKA_BOOTSTRAP"):
        _boot.append(_KafkaBoot(Path(tempfile.mkdtemp(prefix="adieu-kafka-"))))


_KIND = pytest.StashKey[str]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    report = yield
    kind = item.stash.get(_KIND, None)
    assert isinstance(report, pytest.TestReport)
    # A test's outcome is its call's, or its setup's when that failed or skipped.
    if kind is not None and (
        report.when == "call" or (report.when == "setup" and report.outcome != "passed")
    ):
        _counts.add(kind, report.outcome)
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The count of broker-touching tests run on each broker."""
    lines = _counts.lines()
    if lines:
        terminalreporter.write_sep("=", "tests that touch the broker")
        for line in lines:
            terminalreporter.write_line(line)
