"""Cold, warm and one-changed-derivation runs of `python -m verify all` beside the import floor.

Works on a copy of the derivations in a temporary directory (the repository is not touched):

- import floor: ``python -c "import sympy, hypothesis, numpy, rich"``;
- cold: an empty cache directory, every step checked, with ``--jobs N`` and with ``--jobs 1``
  (the parallel speed-up), wall-clock and CPU seconds (worker processes included);
- warm: the cache from the cold run, nothing changed;
- one changed derivation: a new claim added to one derivation module; only it is checked.

Bytecode is written and reused (``PYTHONDONTWRITEBYTECODE`` is removed from the commands' environment).

Each is the median of ``--repeat`` runs (cold: ``--cold-repeat``). Every time is also printed
as a ratio to the import floor, with the targets it is held to; CPU seconds (children included)
are printed beside, as on a shared machine they vary less than wall-clock time. The per-step table of the cold
run is printed sorted by cost, so the slowest claims are visible.

Usage: python benchmarks/bench_cache.py [--jobs N] [--repeat R] [--cold-repeat C] [--change ID] [--top K]
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


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


CPU: list[float] = []  # the CPU seconds of each timed command, in order


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Wall-clock seconds of ``cmd`` (its CPU seconds, children included, appended to CPU)."""
    cpu, start = _children_cpu(), time.perf_counter()
    out = subprocess.run(cmd, check=False, capture_output=True, text=True, cwd=cwd, env=env)
    elapsed = time.perf_counter() - start
    CPU.append(_children_cpu() - cpu)
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
    # bytecode is written and reused, as for an installed package (its modules compiled at install time,
    # as the floor's packages are); without it every run would compile the engine's modules again
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    cache, out = work / "cache", work / "run.json"
    verify = [sys.executable, "-m", "verify", "all", "--quiet", "--jobs", str(args.jobs), "--json", str(out)]
    verify += ["--cache-dir", str(cache)]

    floor = statistics.median(
        timed([sys.executable, "-c", "import sympy, hypothesis, numpy, rich"], work, env) for _ in range(args.repeat)
    )
    floor_cpu = statistics.median(CPU[-args.repeat :])
    colds, serial, cold_cpu, serial_cpu = [], [], [], []
    one_job = [*verify[: verify.index("--jobs")], "--jobs", "1", *verify[verify.index("--jobs") + 2 :]]
    for _ in range(args.cold_repeat):  # alternated, so that a change in the machine's load hits both
        shutil.rmtree(cache, ignore_errors=True)
        serial.append(timed(one_job, work, env))
        serial_cpu.append(CPU[-1])
        shutil.rmtree(cache, ignore_errors=True)
        colds.append(timed(verify, work, env))
        cold_cpu.append(CPU[-1])
    cold_data = json.loads(out.read_text())
    warm = statistics.median(timed(verify, work, env) for _ in range(args.repeat))
    warm_cpu = statistics.median(CPU[-args.repeat :])
    warm_data = json.loads(out.read_text())

    module = work / "derivations" / f"{args.change}.py"
    original = module.read_text()
    changed_times, changed_cpu, rechecked = [], [], []
    for i in range(args.repeat):
        module.write_text(
            original + "\nimport sympy as _sp\nfrom verify import Equal as _Equal, Step as _Step\n"
            f"derivation.steps.append(_Step('bench_changed_{i}_{time.time_ns()}', "
            f"_Equal(_sp.Integer({i + 2}) * 3, 3 * _sp.Integer({i + 2}))))\n"
        )
        changed_times.append(timed(verify, work, env))
        changed_cpu.append(CPU[-1])
        data = json.loads(out.read_text())
        rechecked.append(
            sorted(f"{d['id']}::{s['id']}" for d in data["derivations"] for s in d["steps"] if not s["cached"])
        )

    s = cold_data["summary"]
    cold, one = statistics.median(colds), statistics.median(serial)
    changed = statistics.median(changed_times)
    print(f"machine: {os.cpu_count()} cores; --jobs {args.jobs}; {s['derivations']} derivations, {s['steps']} steps")
    print(f"import floor                {floor:7.2f} s  (median of {args.repeat}); {floor_cpu:.2f} s CPU")
    print(
        f"cold, --jobs {args.jobs}              {cold:7.2f} s  = {cold / floor:5.1f} x floor; "
        f"{statistics.median(cold_cpu):6.1f} s CPU (median of {len(colds)}; {[round(c, 2) for c in colds]})"
    )
    print(
        f"cold, --jobs 1              {one:7.2f} s  = {one / floor:5.1f} x floor; "
        f"{statistics.median(serial_cpu):6.1f} s CPU; --jobs {args.jobs} is {one / cold:.2f} x faster"
    )
    print(
        f"warm (all cached)           {warm:7.2f} s  = {warm / floor:.2f} x floor "
        f"(median of {args.repeat}; {warm_data['summary']['cached']}/{warm_data['summary']['steps']} cached); "
        f"{warm_cpu:.2f} s CPU = {warm_cpu / floor_cpu:.2f} x the floor's CPU"
    )
    print(
        f"one changed derivation      {changed:7.2f} s  = {changed / floor:.2f} x floor (median of {args.repeat}); "
        f"{statistics.median(changed_cpu):.2f} s CPU = {statistics.median(changed_cpu) / floor_cpu:.2f} x the "
        f"floor's CPU; rechecked: {rechecked[-1]}"
    )
    derivations = sorted({r.split("::")[0] for r in rechecked[-1]})

    def met(ok: bool) -> str:
        return "met   " if ok else "MISSED"

    print("\ntargets:")
    print(f"  cold ≤ 10 × floor           {met(cold <= 10 * floor)} ({cold / floor:.1f} ×)")
    print(f"  --jobs {args.jobs} ≥ 1.8 × --jobs 1    {met(one / cold >= 1.8)} ({one / cold:.2f} ×)")
    print(f"  warm ≤ 1.5 × floor          {met(warm <= 1.5 * floor)} ({warm / floor:.2f} ×)")
    print(f"  one changed ≤ 1.5 × floor   {met(changed <= 1.5 * floor)} ({changed / floor:.2f} ×)")
    print(f"  change rechecks only it     {met(derivations == [args.change])} ({derivations})")
    steps = [(st["seconds"], d["id"], st["id"], st["status"]) for d in cold_data["derivations"] for st in d["steps"]]
    total = sum(x[0] for x in steps)
    print(f"\ncold run, checker time summed over steps: {total:.2f} s; slowest {args.top} steps:")
    for sec, did, sid, status in sorted(steps, reverse=True)[: args.top]:
        print(f"  {sec:7.2f} s  {100 * sec / total:5.1f}%  {status:9s} {did}::{sid}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
