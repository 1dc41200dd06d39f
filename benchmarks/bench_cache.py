"""Cold, warm and one-changed-derivation runs of `python -m verify all` beside the import floor.

Works on a copy of the derivations in a temporary directory (the repository is not touched):

- import floor: ``python -c "import sympy, hypothesis, numpy, rich"``;
- cold: an empty cache directory, every step checked;
- warm: the cache from the cold run, nothing changed;
- one changed derivation: a new claim added to one derivation module; only it is checked.

Each is the median of ``--repeat`` runs (cold: ``--cold-repeat``). The per-step table of the
cold run is printed sorted by cost, so the slowest claims are visible.

Usage: python benchmarks/bench_cache.py [--jobs N] [--repeat R] [--cold-repeat C] [--change ID] [--top K]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    out = subprocess.run(cmd, check=False, capture_output=True, text=True, cwd=cwd, env=env)
    elapsed = time.perf_counter() - start
    if out.returncode not in (0, 1):
        sys.exit(f"bench: {' '.join(cmd)} failed with exit code {out.returncode}: {out.stderr.strip()}")
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=5, help="runs of the floor, warm and changed cases")
    ap.add_argument("--cold-repeat", type=int, default=1, help="runs of the cold case")
    ap.add_argument("--change", default="reward_inversion", help="the derivation module to change")
    ap.add_argument("--top", type=int, default=20, help="rows of the per-step table")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="verify-bench-"))
    shutil.copytree(ROOT / "derivations", work / "derivations", ignore=shutil.ignore_patterns("__pycache__"))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(work), str(ROOT)]))
    env.pop("VERIFY_CACHE_DIR", None)
    cache, out = work / "cache", work / "run.json"
    verify = [sys.executable, "-m", "verify", "all", "--quiet", "--jobs", str(args.jobs), "--json", str(out)]
    verify += ["--cache-dir", str(cache)]

    floor = statistics.median(
        timed([sys.executable, "-c", "import sympy, hypothesis, numpy, rich"], work, env) for _ in range(args.repeat)
    )
    colds = []
    for _ in range(args.cold_repeat):
        shutil.rmtree(cache, ignore_errors=True)
        colds.append(timed(verify, work, env))
    cold_data = json.loads(out.read_text())
    warm = statistics.median(timed(verify, work, env) for _ in range(args.repeat))
    warm_data = json.loads(out.read_text())

    module = work / "derivations" / f"{args.change}.py"
    original = module.read_text()
    changed_times, rechecked = [], []
    for i in range(args.repeat):
        module.write_text(
            original + "\nimport sympy as _sp\nfrom verify import Equal as _Equal, Step as _Step\n"
            f"derivation.steps.append(_Step('bench_changed_{i}_{time.time_ns()}', "
            f"_Equal(_sp.Integer({i + 2}) * 3, 3 * _sp.Integer({i + 2}))))\n"
        )
        changed_times.append(timed(verify, work, env))
        data = json.loads(out.read_text())
        rechecked.append(
            sorted(f"{d['id']}::{s['id']}" for d in data["derivations"] for s in d["steps"] if not s["cached"])
        )

    s = cold_data["summary"]
    cold = statistics.median(colds)
    print(f"machine: {os.cpu_count()} cores; --jobs {args.jobs}; {s['derivations']} derivations, {s['steps']} steps")
    print(f"import floor                {floor:7.2f} s  (median of {args.repeat})")
    print(f"cold (empty cache)          {cold:7.2f} s  (median of {len(colds)}; {[round(c, 2) for c in colds]})")
    print(
        f"warm (all cached)           {warm:7.2f} s  = {warm / floor:.2f} x floor "
        f"(median of {args.repeat}; {warm_data['summary']['cached']}/{warm_data['summary']['steps']} cached)"
    )
    print(
        f"one changed derivation      {statistics.median(changed_times):7.2f} s  (median of {args.repeat}); "
        f"rechecked: {rechecked[-1]}"
    )
    derivations = sorted({r.split("::")[0] for r in rechecked[-1]})
    print("\ntargets:")
    print(f"  warm ≤ 1.5 × floor          {'met' if warm <= 1.5 * floor else 'MISSED'} ({warm / floor:.2f} ×)")
    print(f"  cold ≤ 20 s                 {'met' if cold <= 20 else 'MISSED'} ({cold:.1f} s)")
    print(f"  change rechecks only it     {'met' if derivations == [args.change] else 'MISSED'} ({derivations})")
    steps = [(st["seconds"], d["id"], st["id"], st["status"]) for d in cold_data["derivations"] for st in d["steps"]]
    total = sum(x[0] for x in steps)
    print(f"\ncold run, checker time summed over steps: {total:.2f} s; slowest {args.top} steps:")
    for sec, did, sid, status in sorted(steps, reverse=True)[: args.top]:
        print(f"  {sec:7.2f} s  {100 * sec / total:5.1f}%  {status:9s} {did}::{sid}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
