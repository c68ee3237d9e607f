"""``python -m bench`` (what ``make bench`` runs): every benchmark, each on a stack of its own.

Prints each bench's figures beside its target and the broker's own round trip from the same
stack, then one Markdown table of everything (for docs/performance.md). Every bench runs once
per broker of ``--brokers``: Tansu, then Apache Kafka where it can run here (Java and the jars
of devstack/kafka/pom.xml; ``scripts/ensure-kafka`` gets them), each bench on a broker started
for it. Smaller runs::

    python -m bench --only timers --timers 100000
    python -m bench --rates 25,50 --seconds 5 --burst 20 --purges 5000 --brokers tansu

With ``ADIEU_KAFKA_BOOTSTRAP`` set, one pass on that cluster instead (taken as Apache Kafka).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
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
from devstack.kafka_broker import KafkaUnavailable, kafka_classpath

__all__ = ["main"]

_BENCHES = ("journey", "purge_burst", "timers")


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=_BENCHES, action="append", help="run just these")
    parser.add_argument("--brokers", default="tansu,kafka", help="passes, in order")
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


async def _journeys(args: argparse.Namespace, var_dir: Path) -> list[Row]:
    rates = [float(part) for part in args.rates.split(",") if part]
    paced = await run_journeys(var_dir, rates, args.seconds)
    found = [*paced.rows(), _floor("journey", paced.round_trip)]
    if args.burst:
        burst_dir = var_dir.with_name(var_dir.name + "-burst")
        crowd = await run_burst(burst_dir, args.burst)
        found += [*crowd.rows(), _floor("journey (burst)", crowd.round_trip)]
        if not args.keep:
            shutil.rmtree(burst_dir, ignore_errors=True)
    return found


async def _one(args: argparse.Namespace, bench: str, var_dir: Path) -> list[Row]:
    if bench == "journey":
        return await _journeys(args, var_dir)
    if bench == "purge_burst":
        burst = await run_purge_burst(var_dir, args.purges, args.purge_timeout)
        trip = burst.round_trip
        return [*burst.rows(), *([_floor(bench, trip)] if trip is not None else [])]
    timers = await run_timers(var_dir, args.timers, args.due_now)
    return [*timers.rows(), _floor(bench, timers.round_trip)]


def _passes(args: argparse.Namespace) -> list[str]:
    """The brokers to run on; Apache Kafka only where it can run (else it says why)."""
    if os.environ.get("ADIEU_KAFKA_BOOTSTRAP"):
        return [os.environ.get("BENCH_BROKER", "kafka")]
    passes = []
    for kind in (part.strip() for part in args.brokers.split(",") if part.strip()):
        if kind == "kafka":
            try:
                kafka_classpath()
            except KafkaUnavailable as exc:
                print(f"no Apache Kafka pass: {exc}")
                continue
        passes.append(kind)
    return passes


async def _run(args: argparse.Namespace) -> list[Row]:
    chosen = args.only or list(_BENCHES)
    rows: list[Row] = []
    for broker in _passes(args):
        os.environ["BENCH_BROKER"] = broker
        for bench in chosen:
            stamp = time.strftime("%Y%m%d-%H%M%S")
            var_dir = args.var_dir / f"{bench}-{broker}-{stamp}"
            print(f"\n== {bench} on {broker} (load average {os.getloadavg()[0]:.1f})", flush=True)
            found = [
                dataclasses.replace(row, bench=f"{row.bench} · {broker}")
                for row in await _one(args, bench, var_dir)
            ]
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
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} cores)")
    rows = asyncio.run(_run(args))
    load = os.getloadavg()
    print(f"\nAll figures (load average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}):")
    print(table(rows))


if __name__ == "__main__":
    main()
