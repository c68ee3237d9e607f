"""``python -m bench`` (what ``make bench`` runs): every benchmark, each on a stack of its own.

Prints each bench's figures beside its target and the broker's own round trip from the same
stack, then one Markdown table of everything (for docs/performance.md). Smaller runs::

    python -m bench --only timers --timers 100000
    python -m bench --rates 25,50 --seconds 5 --burst 20 --purges 5000

With ``ADIEU_KAFKA_BOOTSTRAP`` set, the stacks use that broker instead of starting Tansu.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import time
from pathlib import Path

from bench.journey import run_journeys
from bench.journey_burst import run_burst
from bench.purge_burst import run_purge_burst
from bench.report import Row, table
from bench.roundtrip import RoundTrip
from bench.timers import run_timers

__all__ = ["main"]

_BENCHES = ("journey", "purge_burst", "timers")


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=_BENCHES, action="append", help="run just these")
    parser.add_argument("--rates", default="25,50,100,200", help="paced journeys per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per paced rate")
    parser.add_argument("--burst", type=int, default=50, help="journeys at once (0: none)")
    parser.add_argument("--purges", type=int, default=100_000, help="N of purge_burst")
    parser.add_argument("--purge-timeout", type=float, default=1800.0)
    parser.add_argument("--timers", type=int, default=1_000_000, help="scheduled requests")
    parser.add_argument("--due-now", type=int, default=1000, help="of them already due")
    parser.add_argument("--var-dir", type=Path, default=Path("var/bench"))
    parser.add_argument("--keep", action="store_true", help="keep each stack's state")
    parser.add_argument(
        "--profile", type=Path, help="py-spy every process into DIR (see bench.profile)"
    )
    return parser.parse_args()


def _floor(bench: str, trip: RoundTrip) -> Row:
    return Row(
        bench,
        "raw broker round trip, same run (one hop: p50 / p99)",
        f"{trip.single_p50_ms:.0f} / {trip.single_p99_ms:.0f} ms",
    )


async def _run(args: argparse.Namespace) -> list[Row]:
    chosen = args.only or list(_BENCHES)
    rows: list[Row] = []
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for bench in chosen:
        trip: RoundTrip | None
        var_dir = args.var_dir / f"{bench}-{stamp}"
        if bench == "journey":
            rates = [float(part) for part in args.rates.split(",") if part]
            journey = await run_journeys(var_dir, rates, args.seconds)
            found, trip = [*journey.rows(), _floor(bench, journey.round_trip)], None
            if args.burst:
                burst_dir = var_dir.with_name(var_dir.name + "-burst")
                crowd = await run_burst(burst_dir, args.burst)
                found += [*crowd.rows(), _floor("journey (burst)", crowd.round_trip)]
                if not args.keep:
                    shutil.rmtree(burst_dir, ignore_errors=True)
        elif bench == "purge_burst":
            burst = await run_purge_burst(var_dir, args.purges, args.purge_timeout)
            found, trip = burst.rows(), burst.round_trip
        else:
            timers = await run_timers(var_dir, args.timers, args.due_now)
            found, trip = timers.rows(), timers.round_trip
        if trip is not None:
            found.append(_floor(bench, trip))
        print(table(found), flush=True)
        rows += found
        if not args.keep:
            shutil.rmtree(var_dir, ignore_errors=True)
    return rows


def main() -> None:
    """Run the chosen benchmarks and print the combined table."""
    args = _args()
    if args.profile:
        os.environ["BENCH_PROFILE_DIR"] = str(args.profile.resolve())
    broker = os.environ.get("ADIEU_KAFKA_BOOTSTRAP") or "Tansu (started per bench)"
    load = os.getloadavg()
    print(f"broker: {broker}; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    rows = asyncio.run(_run(args))
    print("\nAll figures:\n" + table(rows))


if __name__ == "__main__":
    main()
