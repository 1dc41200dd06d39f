"""DPO loss + gradient through the logits: the evaluator (NumPy) beside torch on CPU when installed.

Usage: python benchmarks/bench_crosscheck.py [--pairs 64] [--tokens 256] [--vocab 4096] [--repeat 3]

Each variant runs in a fresh process: time is the best of ``--repeat`` runs of the forward pass,
loss and backward pass; peak extra memory is the growth of the process's maximum resident set
during that work (inputs already allocated), reported relative to one (B, T, V) logits array.
Targets: peak extra ≤ 2× the logits array, time ≤ 1.5× torch on CPU.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import tracemalloc


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def _inputs(b: int, t: int, v: int, dtype: str):
    import numpy as np

    rng = np.random.default_rng(0)
    arrays = {}
    for side in ("chosen", "rejected"):
        arrays[f"policy_{side}_logits"] = rng.standard_normal((b, t, v), dtype=np.float32).astype(dtype)
        arrays[f"{side}_labels"] = rng.integers(0, v, (b, t))
        arrays[f"{side}_mask"] = (rng.random((b, t)) < 0.9).astype(np.int8)
        arrays[f"{side}_mask"][:, 0] = 1
        arrays[f"reference_{side}_logps"] = -rng.uniform(100, 300, b)
    return arrays


def _numpy(arrays, beta: float):
    from verify.evaluator.batch import validate
    from verify.evaluator.crosscheck import crosscheck

    r = crosscheck(validate(arrays), "dpo", beta, grads=True)
    return r.loss, r.grads


def _torch(arrays, beta: float):
    import torch
    from torch.nn.functional import logsigmoid

    logps, leaves = {}, {}
    for side in ("chosen", "rejected"):
        x = torch.from_numpy(arrays[f"policy_{side}_logits"]).requires_grad_()
        labels = torch.from_numpy(arrays[f"{side}_labels"])
        mask = torch.from_numpy(arrays[f"{side}_mask"]).to(x.dtype)
        tok = torch.log_softmax(x, dim=-1).gather(-1, labels[..., None]).squeeze(-1)
        logps[side], leaves[side] = (tok * mask).sum(-1), x
    ref = {s: torch.from_numpy(arrays[f"reference_{s}_logps"]).to(logps[s].dtype) for s in logps}
    margin = (logps["chosen"] - ref["chosen"]) - (logps["rejected"] - ref["rejected"])
    loss = -logsigmoid(beta * margin).mean()
    loss.backward()
    return float(loss), {s: leaves[s].grad for s in leaves}


def one(impl: str, dtype: str, b: int, t: int, v: int, repeat: int) -> dict:
    arrays = _inputs(b, t, v, dtype)
    fn = _numpy if impl == "numpy" else _torch
    if impl == "numpy":
        import verify.evaluator.crosscheck  # noqa: F401  (imports outside the measured window)
    else:
        import torch  # noqa: F401
    best, extra = float("inf"), 0.0
    for i in range(repeat):
        traced = impl == "numpy" and i == 0  # NumPy reports its allocations to tracemalloc (exact)
        if traced:
            tracemalloc.start()
        before = _rss_mib()
        start = time.perf_counter()
        loss, grads = fn(arrays, 0.1)
        elapsed = time.perf_counter() - start
        if traced:
            extra = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        else:
            best = min(best, elapsed)
            if i == 0:  # torch: the growth of the maximum resident set over the first run
                extra = _rss_mib() - before
        del grads
    logits_mib = (arrays["policy_chosen_logits"].nbytes + arrays["policy_rejected_logits"].nbytes) / 2**20
    return {"impl": impl, "dtype": dtype, "seconds": best, "peak_extra_mib": extra,
            "logits_mib": logits_mib, "extra_over_logits": extra / logits_mib, "loss": loss}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=64)
    ap.add_argument("--tokens", type=int, default=256)
    ap.add_argument("--vocab", type=int, default=4096)
    ap.add_argument("--repeat", type=int, default=4)
    ap.add_argument("--one", nargs=2, metavar=("IMPL", "DTYPE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    shape = (args.pairs, args.tokens, args.vocab)
    if args.one:
        print(json.dumps(one(*args.one, *shape, args.repeat)))
        return
    try:
        import torch  # noqa: F401

        impls = ("numpy", "torch")
    except ImportError:
        impls = ("numpy",)
        print("torch is not installed: the torch column is skipped")
    rows = []
    for dtype in ("float64", "float32"):
        for impl in impls:
            cmd = [sys.executable, __file__, "--one", impl, dtype, *map(str, _flags(args))]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            rows.append(json.loads(out.strip().splitlines()[-1]))
    b, t, v = shape
    print(f"DPO loss + gradient through logits, B={b} pairs, T={t}, V={v} (chosen and rejected logits each (B,T,V))")
    print(f"{'dtype':8} {'impl':6} {'seconds':>8} {'peak extra MiB':>15} {'÷ logits':>15} {'loss':>12}")
    for r in rows:
        print(f"{r['dtype']:8} {r['impl']:6} {r['seconds']:8.3f} {r['peak_extra_mib']:15.0f} "
              f"{r['extra_over_logits']:15.2f} {r['loss']:12.6f}")  # fmt: skip
    for dtype in ("float64", "float32"):
        got = {r["impl"]: r for r in rows if r["dtype"] == dtype}
        if "torch" in got:
            print(f"{dtype}: numpy/torch time ratio {got['numpy']['seconds'] / got['torch']['seconds']:.2f}")


def _flags(args: argparse.Namespace) -> list:
    return ["--pairs", args.pairs, "--tokens", args.tokens, "--vocab", args.vocab, "--repeat", args.repeat]


if __name__ == "__main__":
    main()
