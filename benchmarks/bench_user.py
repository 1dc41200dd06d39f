"""A cold `python -m verify all --package bench_derivations` of a user's package of unseen derivations.

The corpus, ``benchmarks/user_package/bench_derivations/``, stands in for a researcher's own
appendix (DPO, IPO, SimPO, KTO and the inequalities they use; multi-size claims, theorems with
hypotheses and documented errors expected ``refuted``). It is checked once, as a user would the
first time: an empty temporary cache directory, the corpus folder on ``PYTHONPATH``, run from a
temporary working directory (no ``pyproject.toml`` configures it). Printed:

- wall-clock and CPU seconds (the child processes' rusage, workers included);
- the number of steps, whether each came out as expected, and the median seconds per step;
- the targets ``cold ≤ 30 s`` and ``no step over 5 s unless proved``, each met or MISSED;
- the slowest steps with their status (from the run's ``--json``).

Usage: python benchmarks/bench_user.py [--jobs N] [--no-diagnosis] [--top K]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "benchmarks" / "user_package"
PACKAGE = "bench_derivations"
COLD_TARGET = 30.0  # seconds for the whole cold run
STEP_LIMIT = 5.0  # seconds a step may take unless SymPy proved it


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=2, help="worker processes of the run (default 2)")
    ap.add_argument("--no-diagnosis", action="store_true", help="pass --no-diagnosis (no repair hints, no ledger)")
    ap.add_argument("--top", type=int, default=10, help="how many of the slowest steps to list")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="verify-bench-user-"))
    try:
        out = work / "run.json"
        cmd = [sys.executable, "-m", "verify", "all", "--package", PACKAGE, "--jobs", str(args.jobs), "--quiet"]
        cmd += ["--cache-dir", str(work / "cache"), "--json", str(out)]
        if args.no_diagnosis:
            cmd.append("--no-diagnosis")
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(CORPUS), str(ROOT)]))
        env.pop("VERIFY_CACHE_DIR", None)

        cpu, start = _children_cpu(), time.perf_counter()
        run = subprocess.run(cmd, check=False, capture_output=True, text=True, cwd=work, env=env)
        wall, cpu = time.perf_counter() - start, _children_cpu() - cpu
        if run.returncode not in (0, 1) or not out.is_file():
            sys.exit(f"bench_user: {' '.join(cmd)} failed with exit code {run.returncode}: {run.stderr.strip()}")
        data = json.loads(out.read_text(encoding="utf-8"))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    steps = [(st["seconds"], d["id"], st["id"], st["status"]) for d in data["derivations"] for st in d["steps"]]
    summary = data["summary"]
    counts = ", ".join(f"{summary[k]} {k}" for k in ("proved", "confirmed", "refuted", "error", "timeout"))
    slow = [(sec, did, sid, status) for sec, did, sid, status in steps if sec > STEP_LIMIT and status != "proved"]

    def met(ok: bool) -> str:
        return "met   " if ok else "MISSED"

    diagnosis = "off" if args.no_diagnosis else "on"
    print(f"machine: {os.cpu_count()} cores; --jobs {args.jobs}; diagnosis {diagnosis}; package {PACKAGE}")
    print(f"cold run        {wall:7.2f} s wall, {cpu:7.2f} s CPU (children)")
    print(f"steps           {len(steps)} in {summary['derivations']} derivations: {counts}")
    print(f"as expected     {'all' if not summary['failed'] else 'NO: ' + str(summary['failed']) + ' failed'}")
    print(f"per step        median {statistics.median(s[0] for s in steps):.3f} s")
    print("\ntargets:")
    print(f"  {f'cold ≤ {COLD_TARGET:.0f} s':34s}{met(wall <= COLD_TARGET)} ({wall:.1f} s)")
    worst = max((s for s in steps if s[3] != "proved"), default=None)
    worst_text = f"slowest not proved: {worst[0]:.2f} s {worst[1]}::{worst[2]}" if worst else "every step proved"
    print(f"  {f'no step over {STEP_LIMIT:.0f} s unless proved':34s}{met(not slow)} ({len(slow)} over; {worst_text})")
    print(f"\nslowest {args.top} steps:")
    for sec, did, sid, status in sorted(steps, reverse=True)[: args.top]:
        print(f"  {sec:7.2f} s  {status:9s}  {did}::{sid}")


if __name__ == "__main__":
    main()
