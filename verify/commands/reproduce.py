"""``python -m verify reproduce [NAME] [--json] [--plots DIR]``: papers' experiments, rerun.

Every module of the built-in ``experiments`` (``derivations/experiments/``) defines ``derivation``
(kind ``experiment``, steps of :class:`~verify.Reported` claims) and optionally ``extras()`` (curves,
derived values, checks of the paper's qualitative statements). Each printed number is recomputed by the same checker as
``python -m verify all`` and listed beside the recomputed one with its settings; exit code 1 when
a number's outcome contradicts its expectation (a number expected to reproduce did not, or a
documented discrepancy vanished).
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from rich.console import Console
from rich.table import Table

from verify.errors import UsageError
from verify.model import Derivation, Reported
from verify.run.check import check_step
from verify.search.fuzz import PROFILES

HELP = "rerun papers' experiments and compare every printed number with the recomputed one"
PLOTS_HINT = "plots need matplotlib: pip install 'verify-po[plots]' (or pip install matplotlib)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "name", nargs="?", metavar="NAME", help="experiment (derivation id or module name); default all"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--plots", metavar="DIR", help="write PNG figures to DIR (needs the 'plots' extra)")


def _modules() -> dict[str, ModuleType]:
    from verify.run.bytecode import install
    from verify.run.registry import builtin_package

    install()
    package = f"{builtin_package()}.experiments"
    pkg = importlib.import_module(package)
    out = {}
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        d = getattr(module, "derivation", None)
        if isinstance(d, Derivation) and d.kind == "experiment":
            out[d.id] = module
            out.setdefault(info.name, module)
    return out


def reproduce(module: ModuleType) -> dict[str, Any]:
    """Recompute every printed number of ``module.derivation``; add ``module.extras()`` if defined."""
    d: Derivation = module.derivation
    numbers = []
    for step in d.steps:
        if not isinstance(step.claim, Reported):
            continue
        r = check_step(d, step, PROFILES["ci"])
        rep = r.reproduction or {}
        numbers.append(
            {
                "id": step.id,
                "source": d.step_source(step).location,
                "quantity": step.claim.quantity,
                "published": step.claim.published,
                "recomputed": rep.get("recomputed"),
                "tolerance": step.claim.tolerance,
                "reproduced": rep.get("reproduced", False) if r.status != "error" else False,
                "expected": "reproduced" if step.expected == "holds" else "not reproduced",
                "as_expected": not r.failed,
                "status": r.status,
                "setting": step.claim.setting,
                "diagnosis": step.diagnosis,
                "reason": r.reason,
            }
        )
    extras = module.extras() if hasattr(module, "extras") else {}
    return {
        "id": d.id,
        "title": d.title,
        "source": {"document": d.source.document, "location": d.source.location},
        "numbers": numbers,
        "derived": extras.get("derived", {}),
        "checks": extras.get("checks", []),
        "figures": extras.get("figures", []),
    }


def _plot(figures: list[dict[str, Any]], directory: Path, prefix: str) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for f in figures:
        fig, ax = plt.subplots(figsize=(6, 4))
        for label, (xs, ys) in f["series"].items():
            ax.plot(xs, ys, marker="o", markersize=3, label=label)
        ax.set_xscale(f.get("xscale", "linear"), **({"linthresh": 1e-3} if f.get("xscale") == "symlog" else {}))
        ax.set(title=f["title"], xlabel=f["xlabel"], ylabel=f["ylabel"])
        ax.legend()
        fig.tight_layout()
        path = directory / f"{prefix}_{f['id']}.png"
        fig.savefig(path, dpi=120)
        plt.close(fig)
        written.append(str(path))
    return written


def _render(console: Console, e: dict[str, Any]) -> None:
    console.print(f"[bold]{e['title']}[/bold]  ({e['source']['document']} {e['source']['location']})")
    table = Table("source", "quantity", "published", "recomputed", "reproduced", "as expected")
    for n in e["numbers"]:
        rec = "error" if n["recomputed"] is None else f"{n['recomputed']:.6g}"
        ok = "[green]yes[/green]" if n["reproduced"] else "[red]no[/red]"
        table.add_row(n["source"], n["quantity"], n["published"], rec, ok, "yes" if n["as_expected"] else "NO")
    console.print(table)
    for n in e["numbers"]:
        if n["diagnosis"]:
            console.print(f"• {n['source']}, {n['quantity']}: {n['diagnosis']}")
    console.print("[bold]settings[/bold]")
    for s in dict.fromkeys(n["setting"] for n in e["numbers"]):
        console.print(f"• {s}")
    if e["checks"]:
        console.print("[bold]statements of the text[/bold]")
        for c in e["checks"]:
            console.print(
                f"• {c['source']}: {c['claim']} — {'holds' if c['holds'] else 'does not hold'} ({c['detail']})"
            )


def run(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    modules = _modules()
    if args.name:
        if args.name not in modules:
            known = ", ".join(sorted({m.derivation.id for m in modules.values()})) or "none"
            raise UsageError(f"unknown experiment {args.name!r} (known: {known})")
        chosen = [modules[args.name]]
    else:
        chosen = list({id(m): m for m in modules.values()}.values())
    experiments = [reproduce(m) for m in chosen]
    plots: list[str] = []
    note = None
    if args.plots:
        try:
            for m, e in zip(chosen, experiments, strict=True):
                plots += _plot(e["figures"], Path(args.plots), m.derivation.id)
        except ImportError:
            note = PLOTS_HINT
        except OSError as exc:
            raise UsageError(f"cannot write --plots {args.plots!r}: {exc.strerror}") from None
    numbers = [n for e in experiments for n in e["numbers"]]
    summary = {
        "experiments": len(experiments),
        "numbers": len(numbers),
        "reproduced": sum(n["reproduced"] for n in numbers),
        "not_reproduced": sum(not n["reproduced"] for n in numbers),
        "unexpected": sum(not n["as_expected"] for n in numbers),
        "seconds": round(time.perf_counter() - start, 2),
    }
    if args.json:
        payload = {"schema": 1, "summary": summary, "experiments": experiments, "plots": plots}
        sys.stdout.write(json.dumps(payload, default=float) + "\n")
    else:
        console = Console()
        for e in experiments:
            _render(console, e)
        console.print(
            f"{summary['numbers']} printed numbers: {summary['reproduced']} reproduced, "
            f"{summary['not_reproduced']} not reproduced, {summary['unexpected']} unexpected ({summary['seconds']}s)"
        )
        for p in plots:
            console.print(f"wrote {p}")
    if note:
        print(f"verify: {note}", file=sys.stderr)
    return 1 if summary["unexpected"] else 0
