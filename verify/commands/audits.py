"""``python -m verify audits``: the per-document audit tables (``docs/audits.md``), generated from results."""

from __future__ import annotations

import argparse
import os
import sys

from verify.coverage import package_roots, run_ledgers
from verify.errors import UsageError
from verify.render.audits import AUDIT_KINDS, audits_markdown
from verify.run.registry import builtin_package, load
from verify.run.runner import run as run_checks
from verify.search.fuzz import PROFILES

HELP = "write the audits of the source documents as Markdown (docs/audits.md), from a run or a saved JSON result"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--output", metavar="PATH", default="-", help="Markdown file to write ('-': stdout)")
    parser.add_argument("--from-json", metavar="PATH", help="render a saved `all --json` result instead of checking")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N", help="parallel processes")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="ci", help="fuzzing profile")


def run(args: argparse.Namespace) -> int:
    from verify.cli import write_text
    from verify.commands.report import load_result

    if args.from_json:
        result = load_result(args.from_json)
    else:
        if args.jobs < 1:
            raise UsageError(f"--jobs={args.jobs} must be at least 1")
        packages = [builtin_package()]
        registry = load(packages)
        result = run_checks(registry, registry.select(None, list(AUDIT_KINDS)), PROFILES[args.profile], jobs=args.jobs)
        result.coverage = run_ledgers(result, package_roots(packages))
    write_text(args.output, audits_markdown(result), "--output")
    if args.output != "-":
        print(f"wrote {args.output}", file=sys.stderr)
    return 1 if result.failed else 0
