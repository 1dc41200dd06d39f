"""What the diagnosis costs: cold `verify all` with and without repair hints and assumption ledgers.

Runs ``python -m verify all`` cold (a fresh cache directory each time) ``--repeat`` times with
``--no-diagnosis`` and as many times without it, alternating, and prints the CPU seconds (user
+ system, worker processes included) and wall seconds of each, their medians and the ratio of
the medians. CPU is the measure that does not depend on the machine's load; the issue's goal is
a ratio of at most 1.25.

Usage: python benchmarks/bench_diagnosis.py [--repeat N] [--jobs N] [--only KIND]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time


def _run(jobs: int, diagnosis: bool, only: list[str]) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as cache:
        cmd = [sys.executable, "-m", "verify", "all", "--cache-dir", cache, "--jobs", str(jobs), "--quiet"]
        cmd += [] if diagnosis else ["--no-diagnosis"]
        for kind in only:
            cmd += ["--only", kind]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", action="append", default=[])
    args = parser.parse_args()
    runs: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
    for i in range(args.repeat):
        for diagnosis in (False, True):
            cpu, wall = _run(args.jobs, diagnosis, args.only)
            runs[diagnosis].append((cpu, wall))
            print(f"run {i + 1} {'with' if diagnosis else 'without':7s} diagnosis: {cpu:6.1f} s CPU {wall:6.1f} s wall")
    off = statistics.median(c for c, _ in runs[False])
    on = statistics.median(c for c, _ in runs[True])
    off_wall = statistics.median(w for _, w in runs[False])
    on_wall = statistics.median(w for _, w in runs[True])
    print(f"median CPU: {off:.1f} s without, {on:.1f} s with: ratio {on / off:.2f}")
    print(f"median wall: {off_wall:.1f} s without, {on_wall:.1f} s with: ratio {on_wall / off_wall:.2f}")


if __name__ == "__main__":
    main()
