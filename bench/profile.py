"""Where a benchmark's processes spend their time: py-spy on each, and a summary of its samples.

``python -m bench --profile DIR …`` records every process the stack starts with ``py-spy
record --format raw`` (collapsed stacks, one line per distinct stack and its sample count) into
``DIR/<process>.txt`` until the process stops. ``python -m bench.profile DIR/*.txt`` prints,
per file, of the samples not waiting (see ``_WAITING``), the share by the innermost frame
(where the CPU was), by the innermost of the project's frames (which of our functions, with
the library code it called, the CPU was spent for; "outside" when none: the event loop,
Faust's and aiokafka's own machinery) and by each frame anywhere on the stack (what it was
doing on behalf of), the project's own frames first. The bench starts py-spy once a process
is healthy, so imports and start-up are not in the files.

py-spy samples through ptrace: it must be allowed to attach to the benchmark's children
(it is, when they are ours and ``kernel.yama.ptrace_scope`` is 0 or 1).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections import Counter
from pathlib import Path

__all__ = ["start_profiler", "summarize"]

_RATE = 50  # samples a second: enough for a minute-long run, cheap for the sampled process
_OURS = ("services/", "shared/", "examples/", "bench/")
# Innermost frames of a thread that is waiting, not working (py-spy counts some of them as
# active): the event loop's poll, aiosqlite's and the thread pool's queue waits.
_WAITING = (
    "EpollSelector.select (selectors.py",
    "_connection_worker_thread (aiosqlite/core.py:59)",
    "_worker (concurrent/futures/thread.py:81)",
    "Condition.wait (threading.py",  # anyio's worker threads waiting for work
)
# The entry frames every sample of a service has: not what it was doing.
_ENTRY = ("serve (shared/runtime.py", "<module> (")


def start_profiler(pid: int, out: Path) -> subprocess.Popen[bytes]:
    """``py-spy record`` of ``pid`` into ``out`` (it stops when the process does)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    spy = Path(sys.executable).with_name("py-spy")
    command = [str(spy), "record", "--pid", str(pid), "--rate", str(_RATE), "--format", "raw"]
    log = out.with_suffix(".log").open("ab")
    return subprocess.Popen(  # noqa: S603  # our venv's py-spy, fixed arguments
        [*command, "--output", str(out)],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _ours(frame: str) -> bool:
    return any(p in frame for p in _OURS) and not frame.startswith(_ENTRY)


def _function(frame: str) -> str:
    """``name (path:line)`` without the line: one entry per function."""
    name, _, where = frame.partition(" (")
    return f"{name} ({where.rpartition(':')[0] or where.rstrip(')')})"


def _frames(path: Path) -> tuple[int, Counter[str], Counter[str], Counter[str]]:
    total, inner, anywhere, for_ours = 0, Counter[str](), Counter[str](), Counter[str]()
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        if frames[-1].startswith(_WAITING):
            continue
        total += count
        inner[frames[-1]] += count
        ours = [frame for frame in frames if _ours(frame)]
        for_ours[_function(ours[-1]) if ours else "(outside the project's code)"] += count
        for frame in set(frames):
            anywhere[frame] += count
    return total, inner, anywhere, for_ours


def summarize(path: Path, top: int = 15) -> str:
    """The busiest frames of one raw py-spy file, as text."""
    total, inner, anywhere, for_ours = _frames(path)
    if not total:
        return f"{path.name}: no samples"
    lines = [f"{path.name}: {total} working samples ({total / _RATE:.0f} s at {_RATE}/s)"]
    lines.append("  innermost frame:")
    lines += [f"    {n / total:6.1%}  {frame}" for frame, n in inner.most_common(top)]
    lines.append("  innermost project function (with the library code it called):")
    lines += [f"    {n / total:6.1%}  {frame}" for frame, n in for_ours.most_common(top)]
    ours = [(f, n) for f, n in anywhere.most_common() if any(p in f for p in _OURS)]
    lines.append("  project frames anywhere on the stack:")
    lines += [f"    {n / total:6.1%}  {frame}" for frame, n in ours[:top]]
    return "\n".join(lines)


def main() -> None:
    """Print the summary of each file named."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    for path in args.files:
        print(summarize(path, args.top), end="\n\n")


if __name__ == "__main__":
    main()
