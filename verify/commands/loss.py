"""``python -m verify loss``: check a preference loss (or a file of them, or the catalog).

Exit codes: 0 no error (warnings allowed), 1 a sign or orientation error in some loss,
2 bad input (a one-line reason on stderr; in a file of variants, each bad variant is reported
by name and the others are still checked and reported).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from verify import __version__
from verify.errors import UsageError
from verify.kernel.budget import SymbolicTimeout, time_limit
from verify.losses.catalog import CATALOG
from verify.losses.check import check_catalog, check_loss, check_variant
from verify.losses.parse import parse_defines, parse_params
from verify.losses.results import LossReport, reports_json, worst
from verify.losses.variants import is_variant_file, load_variants
from verify.render.loss import render_reports, reports_latex

HELP = "check a preference loss for sign errors and its properties (or --catalog)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "expr",
        nargs="?",
        metavar="EXPR",
        help="loss in logp_w, logp_l, ref_logp_w, ref_logp_l, beta, len_w, len_l; or a .toml/.yaml file of variants",
    )
    parser.add_argument("--param", action="append", metavar="NAME=VALUE", help="hyperparameter value (repeatable)")
    parser.add_argument(
        "--define",
        action="append",
        metavar="NAME=EXPR",
        help="an intermediate used in EXPR, e.g. h=logp_w-logp_l (repeatable)",
    )
    parser.add_argument("--against", metavar="NAME", help=f"compare with a catalog loss ({', '.join(CATALOG)})")
    parser.add_argument(
        "--claimed-grad", metavar="[VAR=]EXPR", help="a hand-derived ∂L/∂VAR to check (VAR defaults to logp_w)"
    )
    parser.add_argument("--catalog", action="store_true", help="check every published variant")
    parser.add_argument("--json", metavar="PATH", help="write the report as JSON to PATH ('-' for stdout)")
    parser.add_argument("--latex", metavar="PATH", help="write the formulas and gradients as LaTeX to PATH ('-')")
    parser.add_argument("--quiet", action="store_true", help="no table")
    parser.add_argument(
        "--time-limit",
        type=float,
        default=TIME_LIMIT,
        metavar="SECONDS",
        help=f"CPU seconds allowed per loss (default {TIME_LIMIT:g}); a loss over it is refused (exit 2)",
    )


TIME_LIMIT = 60.0


def _within_budget(seconds: float, what: str, check: Callable[[], LossReport]) -> LossReport:
    """``check()`` under a budget of ``seconds`` of CPU time; over it, a usage error naming ``what``."""
    try:
        with time_limit(seconds):
            return check()
    except SymbolicTimeout:
        raise UsageError(
            f"{what}: checking took more than {seconds:g} CPU seconds (--time-limit); "
            "simplify the expression or raise the limit"
        ) from None


def protect_arguments(argv: list[str]) -> list[str]:
    """``argv`` with each expression that starts with ``-`` (``-logsigmoid(…)``) marked as a value.

    argparse reads any word starting with ``-`` as an option; after ``loss``, a word that starts
    with a single ``-`` and is not ``-h`` gets a leading space, which the expression parser ignores.
    """
    out, seen = [], False
    for a in argv:
        if seen and a.startswith("-") and not a.startswith("--") and a != "-h" and len(a) > 1:
            a = " " + a
        seen = seen or a == "loss"
        out.append(a)
    return out


def _write(path: str, text: str, what: str) -> None:
    if path == "-":
        sys.stdout.write(text)
        return
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {what} {path!r}: {exc.strerror}") from None


def _check_file(path: str, seconds: float) -> tuple[list[LossReport], list[tuple[str, str]]]:
    """Every variant of a file; a bad variant is reported by name and the others are still checked."""
    reports, bad = [], []
    for v in load_variants(path):
        if v.error is not None:
            bad.append((v.name, v.error))
            continue
        try:
            reports.append(
                _within_budget(
                    seconds,
                    "the variant",
                    lambda v=v: check_loss(
                        v.expr, v.params, name=v.name, against=v.against, claimed_grad=v.claimed_grad, defines=v.define
                    ),
                )
            )
        except UsageError as exc:
            bad.append((v.name, f"{path}: variants.{v.name}: {exc}"))
    return reports, bad


def _reports(args: argparse.Namespace) -> tuple[list[LossReport], list[tuple[str, str]]]:
    if not (args.time_limit > 0 and math.isfinite(args.time_limit)):
        raise UsageError(f"--time-limit {args.time_limit:g} must be a positive number of seconds")
    if args.catalog:
        if args.expr or args.param or args.against or args.claimed_grad or args.define:
            raise UsageError("--catalog takes no EXPR, --param, --define, --against or --claimed-grad")
        return check_catalog(), []
    if not args.expr:
        raise UsageError("loss needs EXPR (e.g. '-logsigmoid(beta*(logp_w - logp_l))'), a variant file, or --catalog")
    if is_variant_file(args.expr):
        if args.param or args.against or args.claimed_grad or args.define:
            raise UsageError(f"{args.expr}: give params, define, against and claimed_grad inside the variant file")
        if not Path(args.expr).is_file():
            raise UsageError(f"variant file {args.expr!r} does not exist")
        return _check_file(args.expr, args.time_limit)
    params = parse_params(args.param)
    defines = parse_defines(args.define)
    variant = CATALOG.get(args.expr.strip())  # a catalog name: that variant, at its hyperparameters unless given
    options = {"against": args.against, "claimed_grad": args.claimed_grad, "defines": defines}
    report = _within_budget(
        args.time_limit,
        f"loss {args.expr!r}",
        lambda: check_variant(variant, params, **options) if variant else check_loss(args.expr, params, **options),
    )
    return [report], []


def run(args: argparse.Namespace) -> int:
    """Exit 2 when some variant of a file is bad input (after reporting the others), else 1 on an error verdict."""
    reports, bad = _reports(args)
    for _, reason in bad:
        print(f"verify: {reason}", file=sys.stderr)
    if args.json:
        doc = reports_json(reports, __version__)
        if bad:
            doc["input_errors"] = [{"name": name, "error": reason} for name, reason in bad]
        _write(args.json, json.dumps(doc, indent=2, ensure_ascii=False) + "\n", "--json")
    if args.latex:
        _write(args.latex, reports_latex(reports), "--latex")
    if reports and not args.quiet and "-" not in (args.json, args.latex):
        Console().print(render_reports(reports, catalog=args.catalog))
    if bad:
        return 2
    return 1 if worst([r.verdict for r in reports]) == "error" else 0
