"""Seconds per implementation check (``python -m verify code``), start-up included.

Each check runs in a fresh interpreter, as a user runs it: importing the package, PyTorch or JAX
and SymPy, the user's file, then every property. Goal: under 5 s for a PyTorch function. Wall-clock
seconds depend on what else the machine runs; the CPU seconds of the child process do much less.
A JAX function compiles each operation once per array shape, which dominates its first check; cases
whose framework is not installed are skipped.

    python benchmarks/bench_code.py [--repeat N]
"""

from __future__ import annotations

import argparse
import importlib.util
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "tests" / "code_examples"
CASES = [
    ("torch dpo_loss (sigmoid) vs dpo", "trl_torch.py:dpo_loss", ["--against", "dpo", "--param", "beta=0.1"]),
    (
        "torch dpo_loss (ipo) vs ipo",
        "trl_torch.py:dpo_loss",
        ["--against", "ipo", "--param", "beta=0.1", "--param", "loss_type=ipo"],
    ),
    (
        "torch simpo_loss vs simpo",
        "trl_torch.py:simpo_loss",
        ["--against", "simpo", "--param", "beta=2", "--param", "gamma=0.5"],
    ),
    ("torch mutant_mean (per-example calls)", "trl_torch.py:mutant_mean", ["--param", "beta=0.1"]),
    ("jax dpo_loss (jit) vs dpo", "jax_losses.py:dpo_loss", ["--against", "dpo", "--param", "beta=0.1"]),
    ("jax ipo_loss vs ipo", "jax_losses.py:ipo_loss", ["--against", "ipo", "--param", "beta=0.5"]),
    (
        "jax simpo_loss_tokens (B, T) vs simpo",
        "jax_losses.py:simpo_loss_tokens",
        ["--against", "simpo", "--param", "beta=2", "--param", "gamma=0.5"],
    ),
    (
        "torch dpo_loss_tokens (B, T) vs dpo",
        "trl_torch.py:dpo_loss_tokens",
        ["--against", "dpo", "--param", "beta=0.1"],
    ),
    ("numpy dpo_loss vs dpo", "numpy_losses.py:dpo_loss", ["--against", "dpo", "--param", "beta=0.1"]),
    ("numpy dpo_loss, properties only", "numpy_losses.py:dpo_loss", ["--param", "beta=0.1"]),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"{'case':42} {'exit':>4} {'best s':>7} {'mean s':>7} {'CPU s':>6}")
    for label, spec, extra in CASES:
        framework = label.split()[0]
        if framework in ("torch", "jax") and importlib.util.find_spec(framework) is None:
            print(f"{label:42} skipped ({framework} not installed)")
            continue
        times, cpu, code = [], [], None
        for _ in range(args.repeat):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "verify", "code", spec, *extra, "--quiet"],
                cwd=EXAMPLES,
                capture_output=True,
                text=True,
            )
            times.append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
            code = done.returncode
        print(f"{label:42} {code:>4} {min(times):7.2f} {sum(times) / len(times):7.2f} {min(cpu):6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
