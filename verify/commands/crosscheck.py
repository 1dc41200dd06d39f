"""``python -m verify crosscheck BATCH.npz --loss NAME --beta B``: a trainer's numbers, recomputed.

Reads a batch (log-prob or logits form, our names or current TRL's, see
:mod:`verify.evaluator.batch`), prints per-pair losses, the mean loss, the rewards by the loss's
own definition, reward accuracy and margin; ``--grad-out`` writes the gradients of the mean loss
with respect to the policy log-probs (and logits) to an ``.npz``; ``--metrics FILE`` compares
the metrics a trainer logged for this batch (see :mod:`verify.evaluator.metrics`) with the
recomputed ones. Exit codes: 0 computed (and every logged metric agrees), 1 a logged metric
disagrees, 2 bad input (batch, options or metrics file), with a one-line reason.
"""

from __future__ import annotations

import argparse
import json
import math
import os
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from verify.errors import UsageError
from verify.evaluator.batch import Batch, load_batch
from verify.evaluator.crosscheck import METRICS, CrosscheckResult, crosscheck
from verify.evaluator.losses import ALIASES, LOSSES, LossDomainError, get_loss
from verify.evaluator.metrics import MetricCheck, compare, read_logged

HELP = "recompute a trainer's preference loss, rewards and gradients from a batch (.npz)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "batch",
        metavar="BATCH.npz",
        nargs="?",
        help="batch in log-prob or logits form; keys in docs/guide.md (Cross-checking a trainer's numbers)",
    )
    names = ", ".join(LOSSES)
    parser.add_argument("--loss", required=True, metavar="NAME", help=f"one of: {names}")
    parser.add_argument("--beta", required=True, type=str, metavar="B", help="β > 0 (ORPO: the weight λ)")
    parser.add_argument(
        "--param", action="append", default=[], metavar="K=V", help="loss hyperparameter, e.g. eps=0.1 (repeatable)"
    )
    parser.add_argument(
        "--json",
        nargs="?",
        const="-",
        metavar="PATH",
        help="write the results as JSON to PATH ('-' or no value: stdout)",
    )
    parser.add_argument("--grad-out", metavar="PATH", help="write gradients of the mean loss to this .npz")
    parser.add_argument(
        "--metrics",
        metavar="FILE",
        help="compare a trainer's logged metrics (JSON lines or trainer_state.json) with the recomputed ones",
    )
    parser.add_argument("--step", type=int, metavar="N", help="with --metrics: the record of this step (default: last)")
    parser.add_argument(
        "--rtol", default="1e-3", metavar="R", help="with --metrics: relative tolerance (default: 1e-3)"
    )
    parser.add_argument(
        "--atol", default="1e-6", metavar="A", help="with --metrics: absolute tolerance (default: 1e-6)"
    )


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


def _tolerance(option: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"{option} {text!r} is not a number (e.g. {option} 1e-3)") from None
    if not (math.isfinite(value) and value >= 0):
        raise UsageError(f"{option} {text!r} must be a finite number ≥ 0")
    return value


def _render(r: CrosscheckResult, batch: Batch, checks: list[MetricCheck] | None, metrics_file: str | None) -> None:
    console = Console()
    shown = ", ".join(f"{k}={v:g}" for k, v in r.params.items())
    console.print(f"[bold]{r.loss_name}[/bold] β={r.beta:g}" + (f" ({shown})" if shown else "") + f", {r.form} form")
    console.print("keys read: " + ", ".join(escape(k if k == v else f"{k} (as {v})") for k, v in batch.keys.items()))
    console.print(f"rewards: {r.reward_definition}")
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
    if batch.ignored:
        console.print(f"ignored keys: {escape(', '.join(batch.ignored))}")
    if checks is None:
        return
    table = Table(
        "metric", "logged", "recomputed", "rel. error", "", title=f"logged metrics: {escape(metrics_file or '')}"
    )
    for c in checks:
        mark = "[green]pass[/green]" if c.passed else "[bold red]FAIL[/bold red]"
        table.add_row(c.key, f"{c.logged:.8g}", f"{c.recomputed:.8g}", f"{c.error:.2e}", mark)
    console.print(table)
    failed = [c.key for c in checks if not c.passed]
    missing = [m for m in METRICS if m not in {c.name for c in checks}]
    console.print(
        f"{len(checks) - len(failed)} of {len(checks)} logged metrics agree"
        + (f"; FAILED: {', '.join(failed)}" if failed else "")
    )
    if missing:
        console.print(f"not logged: {', '.join(missing)}")


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


def _batch_argument(args: argparse.Namespace) -> None:
    """The batch, also when given after the old flag form ``--json BATCH.npz``."""
    if args.batch is None and args.json not in (None, "-") and args.json.endswith(".npz"):
        args.batch, args.json = args.json, "-"
    if args.batch is None:
        raise UsageError("give the batch: crosscheck BATCH.npz --loss NAME --beta B")


def run(args: argparse.Namespace) -> int:
    from verify.cli import check_output_paths, write_text

    _batch_argument(args)
    beta = _beta(args.beta)
    params = _params(args.param)
    rtol, atol = _tolerance("--rtol", args.rtol), _tolerance("--atol", args.atol)
    if args.loss not in LOSSES and args.loss not in ALIASES:
        raise UsageError(f"--loss {args.loss!r} is unknown; choose one of: {', '.join(LOSSES)}")
    if args.step is not None and not args.metrics:
        raise UsageError("--step selects a record of --metrics FILE; give --metrics too")
    check_output_paths(args, "--json")
    _check_grad_out(args)
    logged, step = read_logged(args.metrics, METRICS, args.step) if args.metrics else ({}, None)
    batch = load_batch(args.batch, reference=get_loss(args.loss).needs_reference)
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
    checks = compare(logged, result.metrics(), rtol, atol) if args.metrics else None
    if args.json:
        payload = result.to_json()
        payload["keys"] = batch.keys
        payload["ignored_keys"] = batch.ignored
        if args.grad_out:
            payload["grad_out"] = {"path": args.grad_out, "keys": sorted(result.grads)}
        if checks is not None:
            payload["logged_metrics"] = {
                "file": args.metrics,
                "step": step,
                "rtol": rtol,
                "atol": atol,
                "checks": [c.to_json() for c in checks],
                "passed": all(c.passed for c in checks),
            }
        write_text(args.json, json.dumps(payload) + "\n", "--json")
    if args.json != "-":
        _render(result, batch, checks, args.metrics)
    return 1 if checks and not all(c.passed for c in checks) else 0
