"""The deletion service as real processes: killed after confirming, it still purges once; two
processes on one data directory purge each request once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from devstack.broker import free_port
from shared.config import PlatformSettings
from shared.crypto import new_key
from tests.integration.deletion.support import account_events, one_event
from tests.support.account_keys import AccountKeys
from tests.support.kafka import read_events
from tests.support.platform import Keys, platform_environment
from tests.support.polling import eventually
from tests.support.services import bearer

ROOT = Path(__file__).resolve().parents[3]
GRACE_SECONDS = 3
SCAN_SECONDS = 0.3


def _environment(platform: PlatformSettings, data_dir: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ADIEU_", "DELETION_"))}
    # The broker kind's own group timeouts (shared.faust_app, patch 2): a SIGKILLed worker never
    # leaves its group, so on Apache Kafka the restarted one gets the partitions once the dead
    # one's session lapses; this proves the default lapses in time for failover.
    env.update(platform_environment(platform))
    env.update(
        DELETION_HMAC_KEY=new_key(),
        DELETION_GRACE_SECONDS=str(GRACE_SECONDS),
        DELETION_SCAN_INTERVAL_SECONDS=str(SCAN_SECONDS),
        DELETION_DATA_DIR=str(data_dir),
        DELETION_HTTP_PORT=str(port),
        DELETION_SURVEY_REQUIRED="false",
        DELETION_PURGE_LEAD_SECONDS="0",
        # The killed process's lease lapses this fast, so the restarted one leads soon.
        DELETION_LEASE_SECONDS="2",
    )
    return env


class _Process:
    """``python -m services.deletion``, started and stopped by the test."""

    def __init__(self, env: dict[str, str], log: IO[bytes]) -> None:
        self._env = env
        self.url = f"http://127.0.0.1:{env['DELETION_HTTP_PORT']}"
        self._log = log
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "services.deletion"],
            cwd=ROOT,
            env=self._env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        assert self.popen is not None
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.terminate()
        try:
            self.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=10)


@pytest.fixture
def process(platform: PlatformSettings, tmp_path: Path) -> Iterator[_Process]:
    env = _environment(platform, tmp_path, free_port())
    with (tmp_path / "deletion.log").open("ab") as log:
        running = _Process(env, log)
        try:
            yield running
        finally:
            running.stop()


async def _healthy(client: httpx.AsyncClient) -> None:
    async def probe() -> bool:
        try:
            return (await client.get("/healthz")).status_code == 200
        except httpx.TransportError:
            return False

    await eventually(probe, timeout=45, interval=0.2, what="the deletion service's /healthz")


# Stands in for the notifier: issues the account keys and opens what deletion sealed.
KEYS = AccountKeys()


async def test_a_purge_survives_a_crash_and_is_announced_once(
    process: _Process, platform: PlatformSettings, keys: Keys
) -> None:
    account = str(uuid.uuid4())
    topics = platform.topics
    headers = bearer(keys.signing_key, account)
    # As the notifier would: the account's key, which deletion seals the code to.
    await KEYS.announce(platform.kafka_bootstrap, topics.notifier_events, account)
    async with httpx.AsyncClient(base_url=process.url, timeout=10) as client:
        process.start()
        await _healthy(client)
        created = await client.post(
            "/v1/deletion-requests",
            json={"understood_consequences": True, "accepted_terms": True, "channel": "sms"},
            headers=headers,
        )
        assert created.status_code == 201, created.text
        assert created.json()["status"] == "awaiting_code"
        request_id = created.json()["request_id"]

        delivery: Any = await one_event(
            platform, topics.notifications, "CodeDeliveryRequested", account
        )
        code = KEYS.open(delivery.payload.code_enc, account)
        confirmed = await client.post(
            f"/v1/deletion-requests/{request_id}/confirm", json={"code": code}, headers=headers
        )
        assert confirmed.status_code == 202, confirmed.text
        deadline = datetime.fromisoformat(confirmed.json()["purge_deadline"])
        await one_event(platform, topics.deletion_events, "CodeVerified", account)
        process.kill()

        process.start()
        await _healthy(client)
        # Long enough past the deadline for many timer runs, then count.
        settled_at = time.time() + 2.0 + 10 * SCAN_SECONDS

        async def settled() -> list[Any] | None:
            events = await account_events(
                platform, topics.deletion_events, "AccountPurged", account
            )
            past = time.time() > max(settled_at, deadline.timestamp() + 10 * SCAN_SECONDS)
            return events if events and past else None

        purged = await eventually(settled, timeout=30, what="AccountPurged after the restart")
        assert [event.payload.request_id for event in purged] == [request_id]
        status = await client.get(f"/v1/deletion-requests/{request_id}", headers=headers)
        assert status.json()["status"] == "purging"


@pytest.fixture
def pair(platform: PlatformSettings, tmp_path: Path) -> Iterator[tuple[_Process, _Process]]:
    """Two deletion processes on one data directory (one SQLite file), one consumer group."""
    shared = _environment(platform, tmp_path, free_port())
    with (tmp_path / "deletion.log").open("ab") as log:
        first = _Process(shared, log)
        second = _Process({**shared, "DELETION_HTTP_PORT": str(free_port())}, log)
        try:
            yield first, second
        finally:
            first.stop()
            second.stop()


async def test_two_processes_purge_each_request_once(
    pair: tuple[_Process, _Process], platform: PlatformSettings, keys: Keys
) -> None:
    topics = platform.topics
    accounts = [str(uuid.uuid4()) for _ in range(6)]
    for account in accounts:
        await KEYS.announce(platform.kafka_bootstrap, topics.notifier_events, account)
    clients = [httpx.AsyncClient(base_url=p.url, timeout=10) for p in pair]
    try:
        for process in pair:
            process.start()
        for client in clients:
            await _healthy(client)
        requests: dict[str, str] = {}
        for index, account in enumerate(accounts):
            client, headers = clients[index % 2], bearer(keys.signing_key, account)
            created = await client.post(
                "/v1/deletion-requests",
                json={"understood_consequences": True, "accepted_terms": True, "channel": "sms"},
                headers=headers,
            )
            assert created.status_code == 201, created.text
            requests[account] = created.json()["request_id"]
        for index, account in enumerate(accounts):
            delivery: Any = await one_event(
                platform, topics.notifications, "CodeDeliveryRequested", account
            )
            code = KEYS.open(delivery.payload.code_enc, account)
            # Confirmed through the other process than the one that took the request.
            confirmed = await clients[(index + 1) % 2].post(
                f"/v1/deletion-requests/{requests[account]}/confirm",
                json={"code": code},
                headers=bearer(keys.signing_key, account),
            )
            assert confirmed.status_code == 202, confirmed.text
        settled_at = time.time() + GRACE_SECONDS + 10 * SCAN_SECONDS

        async def all_purged() -> list[Any] | None:
            events = [
                event
                for event in await read_events(platform.kafka_bootstrap, topics.deletion_events)
                if event.event_type == "AccountPurged"
            ]
            done = {event.account_id for event in events} == set(accounts)
            return events if done and time.time() > settled_at else None

        purged = await eventually(all_purged, timeout=30, what="one AccountPurged per request")
        # The relay publishes at least once: when a slow leader's lease lapses mid-batch, the new
        # leader may send the same outbox row again, and consumers drop it by its event id. A
        # second purge would be a second event, with an id of its own.
        distinct = {event.event_id: event for event in purged}.values()
        assert sorted(event.payload.request_id for event in distinct) == sorted(requests.values())
    finally:
        for client in clients:
            await client.aclose()
