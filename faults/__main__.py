"""``python -m faults`` (what ``make faults`` runs): every scenario, one row each.

    python -m faults                      # Tansu, started here; 30 journeys per scenario
    python -m faults --only "smtp down"   # one scenario
    KAFKA_BOOTSTRAP=host:port python -m faults --broker kafka   # an Apache Kafka of yours

Exits 1 when any scenario breaks a promise (see :mod:`faults.accounting`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from devstack.broker import TansuBroker, free_port
from faults.accounting import Outcome
from faults.launcher import run_launcher_scenario
from faults.platform import running_platform
from faults.scenarios import SCENARIOS, Settings, run_scenario

_LAUNCHER = {"launcher SIGTERM": signal.SIGTERM, "launcher SIGKILL": signal.SIGKILL}
_HEADER = (
    "| scenario | tried | completed | lost | purged twice | e-mails missing |"
    " duplicated (same Message-ID / other) | neither sent nor failed | recovery s | result |"
)


def _row(o: Outcome) -> str:
    lost = f"{o.lost}" + (f" ({o.lost_allowed} in flight, allowed)" if o.lost_allowed else "")
    recovery = "-" if o.recovery_seconds is None else f"{o.recovery_seconds:.1f}"
    result = "ok" if not o.failures else "FAIL: " + "; ".join(o.failures)
    return (
        f"| {o.scenario} | {o.tried} | {o.completed} | {lost} | {o.purged_twice} |"
        f" {o.mails_missing} | {o.dup_same_id} / {o.dup_other} | {o.unresolved} |"
        f" {recovery} | {result} |"
    )


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    names = [*SCENARIOS, *_LAUNCHER]
    parser.add_argument("--only", action="append", choices=names, help="run only these")
    parser.add_argument("-n", "--journeys", type=int, default=30)
    parser.add_argument("--journey-timeout", type=float, default=240.0)
    parser.add_argument("--smtp-down-seconds", type=float, default=60.0)
    parser.add_argument("--broker", choices=("tansu", "kafka"), default="tansu")
    parser.add_argument("--var-dir", type=Path, default=Path("var/faults"))
    return parser.parse_args()


async def _main(args: argparse.Namespace) -> list[Outcome]:
    settings = Settings(args.journeys, args.journey_timeout, args.smtp_down_seconds, args.broker)
    chosen = args.only or [*SCENARIOS, *_LAUNCHER]
    run_dir = args.var_dir / datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    external = os.environ.get("KAFKA_BOOTSTRAP") if args.broker == "kafka" else None
    if args.broker == "kafka" and not external:
        raise SystemExit("--broker kafka needs KAFKA_BOOTSTRAP")
    print(f"fault suite: {settings}; state and logs in {run_dir}", flush=True)
    print(_HEADER)
    print("|" + "---|" * 10, flush=True)
    outcomes = []
    platform_scenarios = [name for name in chosen if name in SCENARIOS]
    if platform_scenarios:
        with running_platform(run_dir / "platform", external, run_dir / "platform.log") as platform:
            for name in platform_scenarios:
                outcome = await run_scenario(platform, settings, SCENARIOS[name])
                outcomes.append(outcome)
                print(_row(outcome), flush=True)
    for name in (n for n in chosen if n in _LAUNCHER):
        broker = None
        bootstrap = external
        if bootstrap is None:
            broker = TansuBroker(free_port())
            broker.start()
            bootstrap = broker.bootstrap
        try:
            base = run_dir / name.replace(" ", "-")
            base.mkdir(parents=True, exist_ok=True)
            outcome = await run_launcher_scenario(base, settings, bootstrap, _LAUNCHER[name])
        finally:
            if broker is not None:
                broker.stop()
        outcomes.append(outcome)
        print(_row(outcome), flush=True)
    return outcomes


def main() -> int:
    args = _arguments()
    started = time.monotonic()
    outcomes = asyncio.run(_main(args))
    print(f"\n{len(outcomes)} scenarios in {time.monotonic() - started:.0f} s; notes:")
    for outcome in outcomes:
        print(f"- {outcome.scenario}: " + "; ".join(outcome.notes))
    return 1 if any(o.failures for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
