"""``python -m verify audits``: the per-document audit tables (``docs/audits.md``), generated from results."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from verify.errors import UsageError
from verify.numeric import PROFILES
from verify.registry import DEFAULT_PACKAGES, load
from verify.render.audits import AUDIT_KINDS, audits_markdown
from verify.results import RunResult
from verify.runner import run as run_checks

HELP = "write the audits of the source documents as Markdown (docs/audits.md), from a run or a saved JSON result"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--output", metavar="PATH", default="-", help="Markdown file to write ('-': stdout)")
    parser.add_argument("--from-json", metavar="PATH", help="render a saved `all --json` result instead of checking")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N", help="parallel processes")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="ci", help="fuzzing profile")


def _load(path: str) -> RunResult:
    try:
        return RunResult.from_json(json.loads(Path(path).read_text(encoding="utf-8")))
    except OSError as exc:
        raise UsageError(f"cannot read --from-json {path!r}: {exc.strerror}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"--from-json {path!r} is not a verify JSON result ({exc})") from None


def run(args: argparse.Namespace) -> int:
    if args.from_json:
        result = _load(args.from_json)
    else:
        if args.jobs < 1:
            raise UsageError(f"--jobs={args.jobs} must be at least 1")
        registry = load(DEFAULT_PACKAGES)
        result = run_checks(registry, registry.select(None, list(AUDIT_KINDS)), PROFILES[args.profile], jobs=args.jobs)
    text = audits_markdown(result)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write --output {args.output!r}: {exc.strerror}") from None
        print(f"wrote {args.output}", file=sys.stderr)
    return 1 if result.failed else 0
