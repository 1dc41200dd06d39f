"""``python -m verify code FILE.py:FUNCTION``: check a loss implementation against its formula and the properties.

Exit codes: 0 no error (warnings allowed), 1 an error verdict (a sign, orientation, formula or
gradient error), 2 bad input — a missing file or function, an unexpected signature, a function
that raises, returns NaN or the wrong shape — with a one-line reason on stderr.
"""

from __future__ import annotations

import argparse
import json

from rich.console import Console

from verify import __version__
from verify.code.check import REDUCTIONS, check_spec, code_json
from verify.code.load import CodeInputError, _one_line
from verify.code.signature import parse_pairs, parse_value
from verify.errors import UsageError
from verify.render.code import render_code
from verify.run.interrupts import from_user, watching

HELP = "check a loss implementation (NumPy, PyTorch or JAX function) against its formula and the preference properties"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("function", metavar="FILE.py:FUNCTION", help="the loss function (or package.module:FUNCTION)")
    parser.add_argument("--against", metavar="NAME|EXPR", help="a catalog loss (dpo, ipo, …) or a loss expression")
    parser.add_argument(
        "--param",
        "--bind",
        dest="param",
        action="append",
        metavar="NAME=VALUE",
        help="bind an argument of the function and/or give a hyperparameter of the formula (repeatable)",
    )
    parser.add_argument(
        "--map",
        action="append",
        metavar="ARG=INPUT",
        help="argument ARG is logp_w, logp_l, ref_logp_w, …, token_logp_w, mask_w, … (repeatable)",
    )
    parser.add_argument(
        "--reduction", choices=REDUCTIONS, default="none", help="what the function returns: per-example losses or mean"
    )
    parser.add_argument("--json", metavar="PATH", help="write the report as JSON to PATH ('-' for stdout)")
    parser.add_argument("--quiet", action="store_true", help="no table")


def run(args: argparse.Namespace) -> int:
    from verify.cli import write_text

    params = {k: parse_value(v) for k, v in parse_pairs(args.param, "--param").items()}
    mapping = parse_pairs(args.map, "--map")
    if not args.function.strip():
        raise UsageError("code needs FILE.py:FUNCTION or package.module:FUNCTION")
    with watching():  # a real Ctrl-C stops the check; the code's own sys.exit() or KeyboardInterrupt is its error
        try:
            report = check_spec(args.function, args.against, params, mapping=mapping, reduction=args.reduction)
        except (SystemExit, KeyboardInterrupt) as exc:
            if not from_user(exc):
                raise
            raise CodeInputError(f"{args.function}: the code raised {_one_line(exc)}") from None
    if args.json:
        write_text(
            args.json, json.dumps(code_json([report], __version__), indent=2, ensure_ascii=False) + "\n", "--json"
        )
    if not args.quiet and args.json != "-":
        Console().print(render_code(report))
    return 1 if report.verdict == "error" else 0
