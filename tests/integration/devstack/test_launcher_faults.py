"""The launcher's two faults from issue 17: a port "in use" that nothing listens on, and
children that outlived a killed launcher (still serving, holding the next run's ports)."""

from __future__ import annotations

import errno
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devstack.broker import port_in_use

ROOT = Path(__file__).resolve().parents[3]


def _leave_time_wait(port: int) -> None:
    """Serve one connection on ``port`` and close it from the server's side first, as the mail
    catcher does: the server's end of it then lingers in TIME_WAIT."""
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", port))
        server.listen()
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = server.accept()
        accepted.close()
        assert client.recv(1) == b""  # the server's FIN arrived
        client.close()


def test_a_port_whose_last_connections_linger_in_time_wait_is_free() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _leave_time_wait(port)
    with socket.socket() as naive, pytest.raises(OSError, match="in use") as refused:
        naive.bind(("127.0.0.1", port))  # what port_in_use used to do
    assert refused.value.errno == errno.EADDRINUSE
    assert not port_in_use(port)


def test_a_port_something_listens_on_is_in_use() -> None:
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen()
        assert port_in_use(server.getsockname()[1])


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has died and waits only to be reaped


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_the_broker_and_children_die_with_a_launcher_killed_by_sigkill() -> None:
    pids: list[int] = []
    launcher = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.devstack.launcher_stub"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert launcher.stdout is not None
        with launcher.stdout:
            pids = [int(pid) for pid in launcher.stdout.readline().split()]
        assert len(pids) == 2
        assert all(_alive(pid) for pid in pids)
        launcher.send_signal(signal.SIGKILL)  # no handler of ours runs
        launcher.wait()

        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in pids):
            assert time.monotonic() < deadline, "Tansu or the child outlived the launcher"
            time.sleep(0.05)  # a synchronous poll with a deadline, like ``eventually``
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()
        for pid in pids:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
