"""Verdicts must not depend on machine load: ``verify all`` idle, then beside a CPU hog on every core.

    python benchmarks/load_check.py [--jobs N] [--hogs N] [--package NAME]

Runs ``python -m verify all --no-cache --json`` twice — on an idle machine and with ``--hogs``
busy-looping processes (default: one per core) — and compares the status of every step. Prints
both wall times and every step whose status differs; exits 1 if any does.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _hog() -> None:
    while True:
        pass


def _run(jobs: int, package: str | None) -> tuple[dict[str, str], float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run.json"
        cmd = [sys.executable, "-m", "verify", "all", "--no-cache", "--jobs", str(jobs), "--json", str(out)]
        if package:
            cmd += ["--package", package]
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        seconds = time.perf_counter() - start
        data = json.loads(out.read_text(encoding="utf-8"))
    statuses = {f"{d['id']}::{s['id']}": s["status"] for d in data["derivations"] for s in d["steps"]}
    return statuses, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--hogs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--package")
    args = parser.parse_args()
    idle, idle_s = _run(args.jobs, args.package)
    hogs = [multiprocessing.Process(target=_hog, daemon=True) for _ in range(args.hogs)]
    for h in hogs:
        h.start()
    try:
        loaded, loaded_s = _run(args.jobs, args.package)
    finally:
        for h in hogs:
            h.terminate()
    differ = sorted(k for k in idle.keys() | loaded.keys() if idle.get(k) != loaded.get(k))
    print(f"steps: {len(idle)}; idle {idle_s:.1f} s, beside {args.hogs} CPU hog(s) {loaded_s:.1f} s")
    for k in differ:
        print(f"  {k}: idle {idle.get(k)}, loaded {loaded.get(k)}")
    print(f"statuses that differ: {len(differ)}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
