"""``python -m faults`` (what ``make faults`` runs): every scenario on each broker, one row each.

    python -m faults                              # Tansu, then Apache Kafka; 30 journeys each
    python -m faults --broker tansu --only "smtp down"   # one scenario on one broker
    KAFKA_BOOTSTRAP=host:port python -m faults --broker kafka   # an Apache Kafka of yours
                                                  # (not restarted: that row is not run)

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

from faults.accounting import Outcome
from faults.launcher import run_launcher_scenario
from faults.platform import own_broker, running_platform
from faults.scenarios import SCENARIOS, Settings, run_scenario
from shared.config import BrokerKind

_KINDS: tuple[BrokerKind, ...] = ("tansu", "kafka")
_LAUNCHER = {"launcher SIGTERM": signal.SIGTERM, "launcher SIGKILL": signal.SIGKILL}
_HEADER = (
    "| broker | scenario | tried | completed | lost | purged twice | e-mails missing |"
    " duplicated (same Message-ID / other) | neither sent nor failed | recovery s | result |"
)


def _row(kind: str, o: Outcome) -> str:
    lost = f"{o.lost}" + (f" ({o.lost_allowed} in flight, allowed)" if o.lost_allowed else "")
    recovery = "-" if o.recovery_seconds is None else f"{o.recovery_seconds:.1f}"
    result = "ok" if not o.failures else "FAIL: " + "; ".join(o.failures)
    return (
        f"| {kind} | {o.scenario} | {o.tried} | {o.completed} | {lost} | {o.purged_twice} |"
        f" {o.mails_missing} | {o.dup_same_id} / {o.dup_other} | {o.unresolved} |"
        f" {recovery} | {result} |"
    )


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    names = [*SCENARIOS, *_LAUNCHER]
    parser.add_argument("--only", action="append", choices=names, help="run only these")
    parser.add_argument(
        "--broker", action="append", choices=_KINDS, help="only this broker (default: both)"
    )
    parser.add_argument("-n", "--journeys", type=int, default=30)
    parser.add_argument("--journey-timeout", type=float, default=240.0)
    parser.add_argument("--smtp-down-seconds", type=float, default=60.0)
    parser.add_argument("--var-dir", type=Path, default=Path("var/faults"))
    return parser.parse_args()


async def _on_broker(
    kind: BrokerKind, settings: Settings, chosen: list[str], run_dir: Path
) -> list[Outcome]:
    """The chosen scenarios on one broker: started here, unless KAFKA_BOOTSTRAP names one."""
    external = os.environ.get("KAFKA_BOOTSTRAP") if kind == "kafka" else None
    broker = None if external else own_broker(kind, run_dir / "kafka")
    bootstrap = external or (broker.bootstrap if broker is not None else "")
    outcomes = []
    try:
        names = [n for n in chosen if n in SCENARIOS]
        if broker is None and "broker restart" in names:
            names.remove("broker restart")
            print(f"| {kind} | broker restart | not run: KAFKA_BOOTSTRAP's broker is not ours |")
        if names:
            log = run_dir / "platform.log"
            with running_platform(run_dir / "platform", kind, broker, bootstrap, log) as platform:
                for name in names:
                    outcome = await run_scenario(platform, settings, SCENARIOS[name])
                    outcomes.append(outcome)
                    print(_row(kind, outcome), flush=True)
        for name in (n for n in chosen if n in _LAUNCHER):
            base = run_dir / name.replace(" ", "-")
            base.mkdir(parents=True, exist_ok=True)
            outcome = await run_launcher_scenario(base, settings, bootstrap, kind, _LAUNCHER[name])
            outcomes.append(outcome)
            print(_row(kind, outcome), flush=True)
    finally:
        if broker is not None:
            broker.stop()
    return outcomes


async def _main(args: argparse.Namespace) -> list[tuple[str, Outcome]]:
    chosen = args.only or [*SCENARIOS, *_LAUNCHER]
    run_dir = args.var_dir / datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    kinds: list[BrokerKind] = args.broker or list(_KINDS)
    print(f"fault suite: {args.journeys} journeys per scenario; state and logs in {run_dir}")
    print(_HEADER)
    print("|" + "---|" * 11, flush=True)
    rows: list[tuple[str, Outcome]] = []
    for kind in kinds:
        settings = Settings(args.journeys, args.journey_timeout, args.smtp_down_seconds, kind)
        for outcome in await _on_broker(kind, settings, chosen, run_dir / kind):
            rows.append((kind, outcome))
    return rows


def _stop_on_sigterm(signum: int, frame: object) -> None:
    # As Ctrl-C: the finally blocks stop what the suite started (Apache Kafka is not tied to
    # us by a parent-death signal, so without them a SIGTERMed run left its JVM running).
    raise KeyboardInterrupt


def main() -> int:
    args = _arguments()
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    started = time.monotonic()
    rows = asyncio.run(_main(args))
    print(f"\n{len(rows)} scenarios in {time.monotonic() - started:.0f} s; notes:")
    for kind, outcome in rows:
        print(f"- {kind}, {outcome.scenario}: " + "; ".join(outcome.notes))
    return 1 if any(o.failures for _, o in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
