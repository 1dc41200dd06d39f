"""``python -m verify report``: the proof report as LaTeX (optionally compiled to PDF) or Markdown.

Runs the checks exactly as ``all`` does (same options), or renders a saved result
(``--from-json PATH`` of ``all --json``). The document depends on the verdicts only: a run that
reused cached verdicts writes the same bytes as one that checked everything (no timings, no cache
notes). ``--fragment`` writes a LaTeX body to ``\\input`` into another document. Exit code 1
when the result has a failing step, as for ``all``: the report is written either way.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rich.console import Console

from verify.errors import UsageError
from verify.render.latex import compile_pdf, render_latex
from verify.render.markdown import render_markdown
from verify.results import RunResult

HELP = "write a proof report (LaTeX, optionally compiled to PDF, or Markdown)"

EXTENSIONS = {"latex": ".tex", "markdown": ".md"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from verify.cli import add_check_arguments

    parser.add_argument("--format", choices=sorted(EXTENSIONS), default="latex", help="report format (default: latex)")
    parser.add_argument("--output", metavar="PATH", default="-", help="write the report to PATH (default: stdout)")
    parser.add_argument("--pdf", action="store_true", help="compile the LaTeX report to PDF next to --output")
    parser.add_argument(
        "--fragment",
        action="store_true",
        help="LaTeX body to \\input into a paper (no preamble); the paper loads amsmath, amssymb, graphicx, "
        "array, booktabs, longtable and xcolor",
    )
    parser.add_argument("--title", default="Proof report", help="the report's title")
    parser.add_argument("--from-json", metavar="PATH", help="render a saved result of `all --json` instead of checking")
    parser.add_argument("--only", action="append", choices=["core", "audit", "experiment"], help="check only this kind")
    add_check_arguments(parser, console_format=False)


def load_result(path: str) -> RunResult:
    """A saved ``all --json`` result; any problem is a one-line :class:`UsageError`."""
    try:
        data: Any = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read --from-json {path!r}: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"--from-json {path!r} is not JSON ({exc}); pass a file written by `all --json`") from None
    except RecursionError:
        raise UsageError(f"--from-json {path!r} is nested too deeply to be a verify result") from None
    if not isinstance(data, dict):
        raise UsageError(f"--from-json {path!r} is not a verify result (a JSON object from `all --json`)")
    try:
        return RunResult.from_json(data)
    except ValueError as exc:
        raise UsageError(f"--from-json {path!r} is not a verify result ({exc})") from None


def run(args: argparse.Namespace) -> int:
    from verify.cli import EXIT_FAILED, EXIT_OK, _write, check_output_paths, run_checks, write_text
    from verify.render.junit import render_junit

    check_output_paths(args, "--output", "--json", "--junit")

    if args.fragment and args.format != "latex":
        raise UsageError("--fragment needs --format latex")
    if args.fragment and args.pdf:
        raise UsageError("--pdf compiles a whole document; drop --fragment (or \\input the fragment into yours)")
    if args.pdf and args.format != "latex":
        raise UsageError("--pdf needs --format latex")
    if args.pdf and args.output == "-":
        raise UsageError("--pdf needs --output PATH.tex (the PDF is written beside it)")
    if args.pdf and not args.output.endswith(".tex"):
        raise UsageError(f"--output {args.output!r} must end in .tex with --pdf")
    if args.from_json:
        result = load_result(args.from_json)
    else:
        result = run_checks(args, Console(stderr=True))
        if args.json:
            _write(args.json, result)
    if args.junit:  # also from a saved result: JSON → JUnit for CI
        write_text(args.junit, render_junit(result), "--junit")
    if args.format == "latex":
        document = render_latex(result, args.title, fragment=args.fragment)
    else:
        document = render_markdown(result, args.title)
    write_text(args.output, document, "--output")
    if args.output != "-":  # (with --pdf the output is always a file)
        print(f"report: {args.output}")
    if args.pdf:
        print(f"pdf: {compile_pdf(Path(args.output))}")
    return EXIT_FAILED if result.failed else EXIT_OK
