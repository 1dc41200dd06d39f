"""``python -m verify crosscheck BATCH.npz --loss NAME --beta B``: a trainer's numbers, recomputed.

Reads a batch (log-prob or logits form, see :mod:`verify.evaluator.batch`), prints per-pair
losses, the mean loss, the implicit rewards, reward accuracy and margin; ``--grad-out`` writes the
gradients of the mean loss with respect to the policy log-probs (and logits) to an ``.npz``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from verify.errors import UsageError
from verify.evaluator.batch import load_batch
from verify.evaluator.crosscheck import CrosscheckResult, crosscheck
from verify.evaluator.losses import ALIASES, LOSSES, LossDomainError

HELP = "recompute a trainer's preference loss, rewards and gradients from a batch (.npz)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("batch", metavar="BATCH.npz", help="batch in log-prob or logits form (see DESIGN.md)")
    names = ", ".join(LOSSES)
    parser.add_argument("--loss", required=True, metavar="NAME", help=f"one of: {names}")
    parser.add_argument("--beta", required=True, type=str, metavar="B", help="β > 0 (ORPO: the weight λ)")
    parser.add_argument(
        "--param", action="append", default=[], metavar="K=V", help="loss hyperparameter, e.g. eps=0.1 (repeatable)"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--grad-out", metavar="PATH", help="write gradients of the mean loss to this .npz")


def _params(items: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"--param {item!r} must look like NAME=VALUE, e.g. --param eps=0.1")
        try:
            number = float(value)
        except ValueError:
            raise UsageError(f"--param {key}={value!r}: the value is not a number") from None
        if not math.isfinite(number):
            raise UsageError(f"--param {key}={value!r} must be finite")
        out[key] = number
    return out


def _beta(text: str) -> float:
    try:
        beta = float(text)
    except ValueError:
        raise UsageError(f"--beta {text!r} is not a number (give β > 0, e.g. --beta 0.1)") from None
    if not (math.isfinite(beta) and beta > 0):
        raise UsageError(f"--beta {text!r} must be a positive finite number")
    return beta


def _render(r: CrosscheckResult, ignored: list[str]) -> None:
    console = Console()
    shown = ", ".join(f"{k}={v:g}" for k, v in r.params.items())
    console.print(f"[bold]{r.loss_name}[/bold] β={r.beta:g}" + (f" ({shown})" if shown else "") + f", {r.form} form")
    table = Table("pair", "loss", "chosen reward", "rejected reward", "margin")
    n = r.losses.shape[0]
    rows = list(range(n)) if n <= 20 else [*range(10), -1, *range(n - 5, n)]
    for i in rows:
        if i < 0:
            table.add_row("…", "", "", "", "")
            continue
        cw, cl = r.chosen_rewards[i], r.rejected_rewards[i]
        table.add_row(str(i), f"{r.losses[i]:.10g}", f"{cw:.6g}", f"{cl:.6g}", f"{cw - cl:.6g}")
    console.print(table)
    console.print(
        f"mean loss {r.loss:.12g}   reward accuracy {r.reward_accuracy:.6g}   reward margin {r.reward_margin:.6g}"
    )
    if ignored:
        console.print(f"ignored keys: {', '.join(ignored)}")


def _check_grad_out(args: argparse.Namespace) -> None:
    """``--grad-out`` must be writable and must not be the batch itself (it would be overwritten)."""
    from verify.cli import check_output_paths

    if not args.grad_out:
        return
    if args.grad_out == "-":
        raise UsageError("--grad-out needs a file path (an .npz cannot go to standard output)")
    check_output_paths(args, "--grad-out")
    out, batch = Path(args.grad_out), Path(args.batch)
    same = out.resolve() == batch.resolve() or (out.exists() and batch.exists() and os.path.samefile(out, batch))
    if same:
        raise UsageError(f"--grad-out {args.grad_out!r} is the batch file itself; give another path")


def run(args: argparse.Namespace) -> int:
    beta = _beta(args.beta)
    params = _params(args.param)
    if args.loss not in LOSSES and args.loss not in ALIASES:
        raise UsageError(f"--loss {args.loss!r} is unknown; choose one of: {', '.join(LOSSES)}")
    _check_grad_out(args)
    batch = load_batch(args.batch)
    try:
        result = crosscheck(batch, args.loss, beta, params, grads=bool(args.grad_out))
    except LossDomainError as exc:
        raise UsageError(f"{args.batch}: {exc}") from None
    if not np.all(np.isfinite(result.losses)):
        raise UsageError(f"{args.batch}: loss {result.loss_name!r} is not finite on this batch (inputs at its edge)")
    if args.grad_out:
        try:
            with open(args.grad_out, "wb") as fh:
                np.savez(fh, **result.grads)
        except OSError as exc:
            raise UsageError(f"cannot write --grad-out {args.grad_out!r}: {exc.strerror}") from None
    if args.json:
        payload = result.to_json()
        payload["ignored_keys"] = batch.ignored
        if args.grad_out:
            payload["grad_out"] = {"path": args.grad_out, "keys": sorted(result.grads)}
        sys.stdout.write(json.dumps(payload) + "\n")
    else:
        _render(result, batch.ignored)
    return 0
