"""``python -m verify coverage DOC``: which displays of a Markdown/LaTeX document have no proof object.

Every display of ``DOC`` is listed as covered (the steps whose anchors reach it), recorded (the
reason a derivation gives) or missing, from the derivations of ``--package`` that cite ``DOC``
by its file name. Exit 0 when every display is accounted for, every anchor is found and every
module loads, 1 otherwise, 2 when ``DOC`` cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from verify.coverage import Record, displays, ledger, read_document, resolve
from verify.errors import UsageError

HELP = "list the displays of a Markdown/LaTeX document and the steps or records that account for each"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("document", metavar="DOC", help="a Markdown/LaTeX file")
    parser.add_argument(
        "--package",
        action="append",
        metavar="NAME",
        help="derivations to match against DOC (repeatable; default: derivations)",
    )
    parser.add_argument("--json", action="store_true", help="print the ledger as JSON")


def run(args: argparse.Namespace) -> int:
    from verify.run.registry import default_packages, load

    path = Path(args.document)
    try:
        text = read_document(path)
    except OSError as exc:
        raise UsageError(f"cannot read DOC {args.document!r}: {exc.strerror}; give a Markdown or LaTeX file") from None
    name = path.name
    registry = load(args.package or default_packages())
    for e in registry.errors:
        print(f"verify: {e.module}: {e.reason}", file=sys.stderr)
    anchors: list[tuple[str, str]] = []
    records: list[tuple[str, Record]] = []
    for d in registry.derivations.values():
        if d.source.document == name:
            records.extend((d.id, r) for r in d.records)
        for s in d.steps:
            if d.step_source(s).document == name:
                anchors.extend((f"{d.id}.{s.id}", a) for a in s.anchor)
    cov = ledger(name, text, anchors, records)
    found = displays(text)
    by_display: dict[int, list[str]] = {}
    for owner, a in anchors:
        for i in resolve(a, text, found) or []:
            by_display.setdefault(i, []).append(owner)
    rows = []
    for d in found:
        if d.index in by_display:
            state = "covered by " + ", ".join(sorted(set(by_display[d.index])))
        elif d.index in cov.recorded:
            state = f"recorded: {cov.recorded[d.index]}"
        else:
            state = "missing"
        rows.append((d, state))
    if args.json:
        out = cov.to_json()
        out["rows"] = [{"display": d.index, "line": d.line, "numbers": list(d.numbers), "state": s} for d, s in rows]
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        for d, state in rows:
            snippet = " ".join(d.text.split())
            snippet = snippet if len(snippet) <= 70 else snippet[:67] + "..."
            print(f"{d.name}: {state}\n    {snippet}")
        for e in cov.errors:
            print(f"error: {e}")
        print(f"{name}: {cov.line()}")
    return 0 if cov.ok and not registry.errors else 1
