"""Command line: parse, dispatch, exit codes. No checking or rendering logic lives here.

Exit codes: 0 everything as expected, 1 a verification failure, 2 usage or input error (with
a one-line reason on stderr).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from pathlib import Path
from types import ModuleType

from rich.console import Console

from verify import __version__
from verify.coverage import package_roots, run_ledgers
from verify.errors import UsageError, VerifyError
from verify.options import RunOptions, add_run_options, run_options
from verify.profiles import PROFILES
from verify.render.console import render_list, render_run
from verify.render.junit import render_junit
from verify.results import RunResult
from verify.run import snapshot
from verify.run.registry import DEFAULT_PACKAGES, load, select_ids

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

# Further subcommands live in verify/commands/<name>.py; each module defines
# HELP (one line), add_arguments(parser) and run(args) -> exit code.
COMMANDS: tuple[str, ...] = ("audits", "coverage", "crosscheck", "loss", "reproduce", "report")


def _command_module(name: str) -> ModuleType:
    return importlib.import_module(f"verify.commands.{name}")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        raise UsageError(message)


def add_check_arguments(sp_: argparse.ArgumentParser) -> None:
    """The options of `all` and `check` (also used by commands that run the checks, such as `report`)."""
    sp_.add_argument("--json", metavar="PATH", help="write results as JSON to PATH ('-' for stdout)")
    sp_.add_argument("--junit", metavar="PATH", help="write results as JUnit XML to PATH (one test case per step)")
    sp_.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="parallel processes (default: all cores)",
    )
    sp_.add_argument("--profile", choices=sorted(PROFILES), default="ci", help="fuzzing profile")
    sp_.add_argument(
        "--package",
        action="append",
        metavar="NAME",
        help="import derivations from this package (repeatable; default: derivations)",
    )
    sp_.add_argument("--quiet", action="store_true", help="no progress bar or tables")
    add_run_options(sp_)


def _parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; for ``command`` all/check/list the other commands' modules are not imported."""
    p = _Parser(prog="python -m verify", description="Check preference-optimization derivations.")
    p.add_argument("--version", action="version", version=f"verify {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    common = add_check_arguments

    a = sub.add_parser("all", help="check every registered derivation")
    common(a)
    a.add_argument("--only", action="append", choices=["core", "audit", "experiment"], help="check only this kind")
    c = sub.add_parser("check", help="check the derivations with these ids")
    c.add_argument("ids", nargs="+", metavar="ID")
    common(c)
    ls = sub.add_parser("list", help="list derivations")
    ls.add_argument("--package", action="append", metavar="NAME")
    for name in COMMANDS:
        if command in ("all", "check", "list"):
            sub.add_parser(name)  # known, so that usage lists it; its options are not needed here
            continue
        module = _command_module(name)
        module.add_arguments(sub.add_parser(name, help=module.HELP))
    return p


def _stderr(message: str) -> None:
    print(f"verify: {message}", file=sys.stderr)


def run_checks(args: argparse.Namespace, console: Console) -> RunResult:
    """Load, select and check as `all`/`check` do, with a progress bar on ``console``.

    When the run snapshot covers the selection (no source, setting or tool version changed
    since it was stored) its results are returned without importing any derivation.
    """
    start = time.perf_counter()
    if args.jobs < 1:
        raise UsageError(f"--jobs={args.jobs} must be at least 1")
    packages = args.package or list(DEFAULT_PACKAGES)
    ids = getattr(args, "ids", None)
    kinds = getattr(args, "only", None)
    options = run_options(args, PROFILES[args.profile])
    key = snapshot.fingerprint(packages, options.profile) if options.cache_dir else None
    result = _from_snapshot(options, key, ids, kinds, start) if key else None
    if result is None:
        result = _run_checks(args, console, options, packages, key)
    result.coverage = run_ledgers(result, package_roots(packages))
    for warning in options.warnings():
        _stderr(f"warning: {warning}")
    return result


def _from_snapshot(
    options: RunOptions, key: str, ids: list[str] | None, kinds: list[str] | None, start: float
) -> RunResult | None:
    assert options.cache_dir is not None
    stored = snapshot.load(options.cache_dir, key, options.messages)
    if stored is None:
        return None
    chosen = select_ids(stored.listing, ids, kinds)
    if not stored.covers(chosen):
        return None
    results = [stored.results[i] for i in chosen]
    return RunResult(results, time.perf_counter() - start, __version__, options.profile.name, stored.environment)


def _run_checks(
    args: argparse.Namespace, console: Console, options: RunOptions, packages: list[str], key: str | None
) -> RunResult:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from verify.run.runner import run

    registry = load(packages)
    ids = getattr(args, "ids", None)
    for e in registry.errors:
        _stderr(f"{e.module}: {e.reason}")
    chosen = registry.select(ids, getattr(args, "only", None))
    total = sum(len(d.steps) for d in chosen)
    show = not args.quiet and console.is_terminal
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not show,
    ) as progress:
        task = progress.add_task("checking", total=total)

        def tick(derivation_id: str, step_id: str) -> None:
            progress.update(task, advance=1, description=f"{derivation_id}.{step_id}")

        result = run(
            registry,
            chosen,
            options.profile,
            jobs=args.jobs,
            progress=tick,
            include_load_errors=not ids,
            cache=options.cache,
            step_timeout=options.step_timeout,
        )
    # stored only when every module loaded and the sources are as they were before loading them
    if key and options.cache_dir and not registry.errors and snapshot.fingerprint(packages, options.profile) == key:
        listing = {d.id: d.kind for d in registry.derivations.values()}
        snapshot.store(options.cache_dir, key, listing, result.derivations, result.environment, options.messages)
    return result


def _check(args: argparse.Namespace) -> int:
    to_stdout = args.json == "-"
    console = Console(stderr=to_stdout)
    result = run_checks(args, console)
    if args.json:
        _write(args.json, result)
    if args.junit:
        write_text(args.junit, render_junit(result), "--junit")
    if not args.quiet and not to_stdout:
        console.print(render_run(result))
    return EXIT_FAILED if result.failed else EXIT_OK


def write_text(path: str, text: str, option: str) -> None:
    """Write ``text`` to ``path`` ('-' for stdout); an unwritable path is a usage error naming ``option``."""
    if path == "-":
        sys.stdout.write(text)
        return
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {option} {path!r}: {exc.strerror}") from None


def _write(path: str, result: RunResult) -> None:
    write_text(path, result.dumps() + "\n", "--json")


def _list(args: argparse.Namespace) -> int:
    registry = load(args.package or DEFAULT_PACKAGES)
    rows = [
        (d.id, d.kind, d.title, len(d.steps), f"{d.source.document} {d.source.location}".strip())
        for d in registry.derivations.values()
    ]
    Console().print(render_list(rows))
    for e in registry.errors:
        _stderr(f"{e.module}: {e.reason}")
    return EXIT_FAILED if registry.errors else EXIT_OK


def main(argv: list[str] | None = None) -> int:
    try:
        argv = sys.argv[1:] if argv is None else argv
        args = _parser(next((a for a in argv if not a.startswith("-")), None)).parse_args(argv)
        if args.command is None:
            raise UsageError("a command is required: all, check ID…, or list")
        if args.command == "list":
            return _list(args)
        if args.command in COMMANDS:
            return int(_command_module(args.command).run(args))
        return _check(args)
    except UsageError as exc:
        _stderr(str(exc))
        return EXIT_USAGE
    except VerifyError as exc:
        _stderr(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        _stderr("interrupted")
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
