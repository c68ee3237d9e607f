"""A launcher in miniature for the parent-death test: Tansu and one child, as devstack starts
them; prints their pids, then waits to be killed."""

from __future__ import annotations

import subprocess
import sys
import time

from devstack.broker import TansuBroker, free_port
from devstack.deathsig import guarded


def main() -> None:
    broker = TansuBroker(free_port())
    broker.start()
    child = subprocess.Popen(
        guarded([sys.executable, "-c", "import time; time.sleep(600)"]), process_group=0
    )
    print(broker.pid, child.pid, flush=True)
    time.sleep(600)


if __name__ == "__main__":
    main()
