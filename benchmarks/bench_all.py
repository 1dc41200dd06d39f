"""Time `python -m verify all` against the import floor, and list the slowest steps.

Usage: python benchmarks/bench_all.py [--jobs N] [--repeat R]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=False, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    floor = min(timed([sys.executable, "-c", "import sympy, hypothesis, numpy, rich"]) for _ in range(3))
    out = Path(tempfile.mkdtemp()) / "r.json"
    runs = [
        timed([sys.executable, "-m", "verify", "all", "--quiet", "--jobs", str(args.jobs), "--json", str(out)])
        for _ in range(args.repeat)
    ]
    data = json.loads(out.read_text())
    print(f"import floor            {floor:6.2f} s")
    print(f"verify all --jobs {args.jobs}     {min(runs):6.2f} s  (best of {args.repeat})")
    print(
        f"steps: {data['summary']['steps']}, checker time summed over steps: "
        f"{sum(s['seconds'] for d in data['derivations'] for s in d['steps']):.2f} s"
    )
    rows = sorted(
        ((s["seconds"], d["id"], s["id"], s["status"]) for d in data["derivations"] for s in d["steps"]),
        reverse=True,
    )
    print("\nslowest steps:")
    for sec, did, sid, status in rows[:15]:
        print(f"  {sec:7.2f} s  {status:9s} {did}.{sid}")


if __name__ == "__main__":
    main()
