"""``python -m devstack.deathsig PARENT_PID -- COMMAND...``: run COMMAND, dying with its parent.

The launcher starts every child (Tansu, the services, a Kafka broker) through this, so a child
never outlives the launcher however the launcher dies — a SIGKILL included, when no handler of
ours can run. Before exec'ing COMMAND it asks the kernel for a parent-death signal
(``prctl(PR_SET_PDEATHSIG)``, kept across ``execve``), then checks that the parent is still the
one that started it: if the launcher died in between, COMMAND is never started.

Why not ``preexec_fn``: the launcher has threads (one per child's output), and code between
fork and exec in a threaded parent can deadlock. The exec'd process keeps this wrapper's pid,
so the launcher's handle on it is unchanged. Outside Linux there is no such signal: COMMAND
just runs (and the launcher's own stop remains the only way down).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Sequence

__all__ = ["guarded", "main"]

_PR_SET_PDEATHSIG = 1
# SIGTERM, not SIGKILL: each child stops as it would on Ctrl-C (state is in SQLite anyway).
_SIGNAL = signal.SIGTERM


def guarded(command: Sequence[str]) -> list[str]:
    """``command`` wrapped so that it dies with the calling process."""
    return [sys.executable, "-m", "devstack.deathsig", str(os.getpid()), "--", *command]


def _ask_for_parent_death_signal() -> None:
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, int(_SIGNAL), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")


def main(argv: Sequence[str]) -> int:
    """Set the signal, check the parent, exec the command (returns only on a usage error)."""
    if len(argv) < 3 or argv[1] != "--":
        print("usage: python -m devstack.deathsig PARENT_PID -- COMMAND...", file=sys.stderr)
        return 2
    parent, command = int(argv[0]), list(argv[2:])
    _ask_for_parent_death_signal()
    if os.getppid() != parent:
        return 1  # the launcher is already gone: start nothing
    try:
        os.execvp(command[0], command)  # noqa: S606  # the launcher's own command line, no shell
    except OSError as exc:
        print(f"devstack.deathsig: cannot run {command[0]}: {exc.strerror}", file=sys.stderr)
    return 127


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
