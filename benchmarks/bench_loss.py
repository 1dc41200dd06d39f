"""How long `verify loss` takes: checker time per variant, and a TOML batch end to end.

1. Checker time (``LossReport.seconds``: parsing, every property, rendering excluded) for each
   published variant and mutant of ``tests/test_losses_corpus.py``, in one process; the median,
   90th percentile and maximum are printed (target: median < 1 s).
2. A TOML file of 20 variants (the first 20 published ones) checked by
   ``python -m verify loss FILE --quiet`` in a fresh process, wall-clock time including
   start-up (target: < 15 s).

Usage: python benchmarks/bench_loss.py [--batch N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=20, help="variants in the TOML batch")
    args = ap.parse_args()

    from tests.test_losses_corpus import MUTANTS, PUBLISHED
    from verify.losses import check_loss

    cases = [(n, e, p) for n, (e, p) in PUBLISHED.items()] + [(n, e, p) for n, (e, p, _) in MUTANTS.items()]
    check_loss(*cases[0][1:])  # warm-up: imports and first compilation
    times = []
    for name, expr, params in cases:
        r = check_loss(expr, params, name=name)
        times.append((r.seconds, name))
    secs = sorted(t for t, _ in times)
    p90 = secs[int(0.9 * (len(secs) - 1))]
    print(
        f"checker time per variant ({len(secs)} variants): median {statistics.median(secs):.3f} s, "
        f"p90 {p90:.3f} s, max {secs[-1]:.3f} s ({max(times)[1]})"
    )

    chosen = list(PUBLISHED.items())[: args.batch]
    lines = []
    for name, (expr, params) in chosen:
        lines.append(f"[variants.{name}]\nexpr = {toml_string(expr)}")
        if params:
            lines.append("params = { " + ", ".join(f"{k} = {toml_string(v)}" for k, v in params.items()) + " }")
        lines.append("")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "batch.toml"
        path.write_text("\n".join(lines), encoding="utf-8")
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "verify", "loss", str(path), "--quiet"], cwd=ROOT, capture_output=True, text=True
        )
        wall = time.perf_counter() - start
    print(f"TOML batch of {len(chosen)} variants: {wall:.2f} s wall clock (exit {proc.returncode})")
    if proc.returncode not in (0, 1):
        print(proc.stderr, file=sys.stderr)


if __name__ == "__main__":
    main()
