"""Command line: parse, dispatch, exit codes. No checking or rendering logic lives here.

Exit codes: 0 everything as expected, 1 a verification failure, 2 usage or input error (with
a one-line reason on stderr).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from rich.console import Console

from verify import __version__
from verify.config import apply_config, load_config
from verify.coverage import package_roots, run_ledgers
from verify.errors import UsageError, VerifyError
from verify.options import RunOptions, add_run_options, run_options
from verify.profiles import PROFILES
from verify.render.console import Summary, render_list, render_run
from verify.render.junit import render_junit
from verify.render.plain import github_annotations, recap, step_lines, summary_line
from verify.results import RunResult
from verify.run import interrupts, snapshot
from verify.run.bytecode import install
from verify.run.registry import DEFAULT_PACKAGES, Registry, default_packages, load, select_ids

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL, EXIT_NOTHING = 0, 1, 2, 3, 5

# Further subcommands live in verify/commands/<name>.py; each module defines
# HELP (one line), add_arguments(parser) and run(args) -> exit code.
COMMANDS: tuple[str, ...] = ("audits", "code", "coverage", "crosscheck", "init", "loss", "reproduce", "report")


def _command_module(name: str) -> ModuleType:
    return importlib.import_module(f"verify.commands.{name}")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        raise UsageError(message)

    def parse_known_args(self, args=None, namespace=None):
        args = list(sys.argv[1:] if args is None else args)
        command = next((a for a in args if not a.startswith("-")), None)
        if command in COMMANDS and hasattr(module := _command_module(command), "protect_arguments"):
            args = module.protect_arguments(args)  # e.g. `loss -logsigmoid(...)`: an expression, not an option
        return super().parse_known_args(args, namespace)


def add_check_arguments(sp_: argparse.ArgumentParser, console_format: bool = True) -> None:
    """The options of `all` and `check` (also used by commands that run the checks, such as `report`,
    which has its own ``--format``: ``console_format=False``)."""
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
        help="import derivations from this package (repeatable; default: [tool.verify] packages, else this "
        "project's derivations)",
    )
    sp_.add_argument("--quiet", action="store_true", help="print only the failed steps and the summary")
    if console_format:
        sp_.add_argument(
            "--format",
            choices=["auto", "table", "plain"],
            default="auto",
            help="tables, or one line per step (default: tables in a terminal, plain lines otherwise)",
        )
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
        if command in ("all", "check", "list") or (command in COMMANDS and command != name):
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
    args.jobs = min(args.jobs, os.cpu_count() or 1)  # more processes than cores only add memory and contention
    packages = args.package or default_packages()
    ids = getattr(args, "ids", None)
    kinds = getattr(args, "only", None)
    options = run_options(args, PROFILES[args.profile])
    sources = snapshot.SourceFiles()  # read once for the snapshot's key, the engine's and the modules' digests
    key = snapshot.fingerprint(packages, options.profile, sources) if options.cache_dir else None
    stored = snapshot.read(options.cache_dir, options.messages) if key and options.cache_dir else None
    hit = stored is not None and stored.key == key and stored.current()
    result = _from_snapshot(options, stored, ids, kinds, start) if hit else None
    if result is None:
        result = _run_checks(args, console, options, packages, key, stored, sources)
    result.coverage = run_ledgers(result, package_roots(packages))
    for warning in options.warnings():
        _stderr(f"warning: {warning}")
    return result


def _from_snapshot(
    options: RunOptions, stored: snapshot.Snapshot, ids: list[str] | None, kinds: list[str] | None, start: float
) -> RunResult | None:
    chosen = select_ids(stored.listing, ids, kinds)
    if not stored.covers(chosen):
        return None
    results = [stored.results[i] for i in chosen]
    return RunResult(results, time.perf_counter() - start, __version__, options.profile.name, stored.environment)


def _run_checks(
    args: argparse.Namespace,
    console: Console,
    options: RunOptions,
    packages: list[str],
    key: str | None,
    stored: snapshot.Snapshot | None = None,
    sources: snapshot.SourceFiles | None = None,
) -> RunResult:
    """Load and check. When the snapshot holds every module and only some of them changed since (the
    engine, the settings and the set of modules being the same), only those are imported and
    checked; the derivations of the others are taken from the snapshot."""
    from verify.search.fuzz import use_storage

    use_storage(options.cache_dir)
    engine = snapshot.engine_fingerprint(packages, options.profile, sources) if key else None
    digests = snapshot.module_digests(packages, sources) if key else None
    changed = stored.changed_modules(engine, digests) if stored is not None else None
    with interrupts.watching():
        registry = load(packages, only=changed) if changed is not None else load(packages)
        if changed is not None and stored is not None:
            clash = set(stored.kept(changed)) & set(registry.derivations)
            if registry.errors or clash:  # reported as a whole load reports them
                registry, changed = load(packages), None
        reused = Reused(stored, changed) if changed is not None and stored is not None else None
        return _load_and_run(args, console, options, packages, key, registry, reused, engine, digests, sources)


@dataclass
class Reused:
    """A snapshot some of whose modules changed: the others' derivations are taken from it."""

    stored: snapshot.Snapshot
    changed: list[str]

    def listing(self, registry: Registry) -> tuple[dict[str, str], dict[str, list[str]]]:
        """Every derivation (id → kind) in module order, and every module's derivation ids: the
        changed modules' as loaded now, the others' as stored."""
        listing: dict[str, str] = {}
        modules: dict[str, list[str]] = {}
        for m, (_, stored_ids) in self.stored.modules.items():
            got = registry.modules.get(m, []) if m in self.changed else stored_ids
            modules[m] = list(got)
            for i in got:
                listing[i] = registry.derivations[i].kind if m in self.changed else self.stored.listing[i]
        return listing, modules


def _load_and_run(
    args: argparse.Namespace,
    console: Console,
    options: RunOptions,
    packages: list[str],
    key: str | None,
    registry: Registry,
    reused: Reused | None = None,
    engine: str | None = None,
    digests: dict[str, str] | None = None,
    sources: snapshot.SourceFiles | None = None,
) -> RunResult:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from verify.run.runner import run

    ids = getattr(args, "ids", None)
    for e in registry.errors:
        _stderr(f"{e.module}: {e.reason}")
    if reused is not None:
        listing, modules = reused.listing(registry)
        chosen_ids = select_ids(listing, ids, getattr(args, "only", None))
        chosen = [registry.derivations[i] for i in chosen_ids if i in registry.derivations]
    else:
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
    stored_results, kept = result.derivations, None
    if reused is not None:  # the unchanged modules' derivations, as stored, in order
        checked = {r.id: r for r in result.derivations}
        result.derivations = [checked.get(i) or reused.stored.results[i] for i in chosen_ids]
        # stored: the unchanged modules' results and what was checked now, never a changed module's old ones
        stored_results = list(checked.values())
        kept = {i: reused.stored.raw[i] for i in reused.stored.kept(reused.changed)}  # stored again as read
    else:
        listing = {d.id: d.kind for d in registry.derivations.values()}
        modules = registry.modules
    # stored only when every module loaded and the sources are as they were before loading them
    again = sources.again() if sources is not None else None
    if (
        key
        and options.cache_dir
        and not registry.errors
        and snapshot.fingerprint(packages, options.profile, again) == key
    ):
        digested = None
        if digests is not None and list(digests) == list(modules):
            digested = {m: (digests[m], ids_of) for m, ids_of in modules.items()}
        reads = {**reused.stored.reads, **registry.reads} if reused is not None else registry.reads
        snapshot.store(
            options.cache_dir,
            key,
            listing,
            stored_results,
            result.environment,
            options.messages,
            engine,
            digested,
            reads,
            kept,
        )
    return result


def check_output_paths(args: argparse.Namespace, *options: str) -> None:
    """Refuse, before any checking, output paths that cannot be written (``--json PATH`` and the like)."""
    for option in options:
        path = getattr(args, option.lstrip("-").replace("-", "_"), None)
        if not path or path == "-":
            continue
        target = Path(path)
        if target.is_dir():
            raise UsageError(f"{option} {path!r} is a directory; give a file path")
        parent = target.parent if str(target.parent) else Path(".")
        if not parent.is_dir():
            raise UsageError(f"cannot write {option} {path!r}: the directory {str(parent)!r} does not exist")
        if not os.access(parent, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
            raise UsageError(f"cannot write {option} {path!r}: permission denied")


def _check(args: argparse.Namespace) -> int:
    check_output_paths(args, "--json", "--junit")
    to_stdout = args.json == "-"
    console = Console(stderr=to_stdout)
    result = run_checks(args, console)
    if args.json:
        _write(args.json, result)
    if args.junit:
        write_text(args.junit, render_junit(result), "--junit")
    if not to_stdout:
        print_run(console, result, args)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for line in github_annotations(result):
            print(line, file=sys.stderr if to_stdout else sys.stdout)
    if not result.summary()["steps"]:
        packages = ", ".join(args.package or DEFAULT_PACKAGES)
        kinds = f" of kind {', '.join(args.only)}" if getattr(args, "only", None) else ""
        _stderr(
            f"nothing was checked: no derivation{kinds} found in {packages} (a module defines one as "
            "`derivation = Derivation(...)` or `DERIVATIONS = [...]`)"
        )
        return EXIT_NOTHING
    return EXIT_FAILED if result.failed else EXIT_OK


def print_run(console: Console, result: RunResult, args: argparse.Namespace) -> None:
    """Tables in a terminal (or ``--format table``), else one plain line per step; then the recap of
    failures and the summary. ``--quiet``: only the recap and the summary."""
    fmt = args.format if args.format != "auto" else ("table" if console.is_terminal else "plain")
    if fmt == "table" and not args.quiet:
        console.print(render_run(result, summary=False))
        for line in recap(result):
            console.print(line, markup=False, highlight=False, soft_wrap=True)
        console.print(Summary(result))
        return
    lines = [] if args.quiet else step_lines(result)
    lines += [*recap(result), summary_line(result)]
    console.file.write("\n".join(lines) + "\n")
    console.file.flush()


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
    registry = load(args.package or default_packages())
    rows = [
        (d.id, d.kind, d.title, len(d.steps), f"{d.source.document} {d.source.location}".strip())
        for d in registry.derivations.values()
    ]
    Console().print(render_list(rows))
    for e in registry.errors:
        _stderr(f"{e.module}: {e.reason}")
    return EXIT_FAILED if registry.errors else EXIT_OK


def command() -> int:
    """The ``verify`` command and ``python -m verify``: :func:`main` in a process that ends after it.

    The heap is frozen (``gc.freeze``) before the process exits: the interpreter's finalisation
    runs full collections over the whole heap (SymPy's caches, the derivations loaded), which
    cost 150 ms of a 0.8 s run that checked one changed derivation; frozen objects are not walked
    (they are released with the process). Exit handlers still run and the streams are flushed.

    Project modules imported from here on run from their source (:mod:`verify.run.bytecode`):
    the derivations and, in a checkout, the engine's own checking modules.
    """
    install()
    code = main()
    gc.freeze()
    return code


#: options whose value is a loss expression, which often starts with "-" (``-logsigmoid(…)``): argparse would take
#: such a value for an option and answer "expected one argument"
_EXPRESSION_OPTIONS = ("--against", "--claimed-grad", "--define")


def _joined(argv: list[str]) -> list[str]:
    """``--against -logsigmoid(…)`` as ``--against=-logsigmoid(…)`` (a value that is not an option's name)."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        if argv[i] == "--":  # the rest is positional, as the user said
            return out + argv[i:]
        if argv[i] in _EXPRESSION_OPTIONS and i + 1 < len(argv) and argv[i + 1].startswith("-") and "(" in argv[i + 1]:
            out.append(f"{argv[i]}={argv[i + 1]}")
            i += 2
            continue
        out.append(argv[i])
        i += 1
    return out


def main(argv: list[str] | None = None) -> int:
    try:
        argv = _joined(sys.argv[1:] if argv is None else argv)
        args = _parser(next((a for a in argv if not a.startswith("-")), None)).parse_args(argv)
        if args.command is None:
            raise UsageError("a command is required: all, check ID…, or list")
        if args.command in ("all", "check", "list", "report"):
            apply_config(args, argv, load_config())
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
    except Exception as exc:  # a bug of this tool, not of the user's input or derivations
        if os.environ.get("VERIFY_DEBUG"):
            raise
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        _stderr(
            f"internal error: {type(exc).__name__}: {text} — please report it with the command that caused it "
            "(VERIFY_DEBUG=1 shows the traceback)"
        )
        return EXIT_INTERNAL
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
