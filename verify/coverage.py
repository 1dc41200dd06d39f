r"""The coverage ledger: every display of a source document, covered by a step or recorded with a reason.

A *display* is a block of display mathematics of a Markdown/LaTeX document: ``$$ … $$``,
``\[ … \]``, or a top-level ``\begin{equation|align|gather|multline|eqnarray}`` environment
(starred or not). Text inside Markdown code spans (backticks) and fenced code blocks is not
mathematics, nor is a cross-reference link ``[\[eq:foo\]](#eq:foo)``. A display's *numbers* are
the equation numbers it prints (``\quad (12)``, ``\tag{12}``) and its *labels* its ``\label{…}``
keys.

A step cites what it transcribes by an *anchor*, checked against the document:

- ``"eq. (12)"`` (or ``"(12)"``): the displays printing equation number 12;
- ``"display 7"``: the 7th display of the document, in reading order;
- ``"label:eq:foo"``: the displays carrying ``\label{eq:foo}``;
- any other text: a verbatim quote (whitespace ignored) of a display or of a sentence. A quote
  covers every display it lies in and every display lying wholly inside it; a quote of prose
  covers no display but must still be found.

An anchor found nowhere in the document is an error. A display no anchor reaches is either
*recorded* (:class:`Record`: the document states it without a claim to check, with the reason)
or *missing*.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Why a display needs no step.
REASONS = (
    "definition",  # introduces a name for an expression (":=", "let", "define")
    "notation",  # a symbol or an expression shown on its own, no claim
    "prose",  # mathematics used as text: a heading, an example of wording, a list of assumptions
    "assumption",  # the document's hypothesis or setup, used by steps as given
    "restatement",  # repeats a display covered by a step
    "unverifiable",  # a claim the document gives no data or definition to check ("unverifiable: …")
)

_ENVIRONMENTS = r"(?:equation|align|alignat|gather|multline|eqnarray|flalign)\*?"
_DISPLAY = re.compile(
    r"\$\$(?P<dollar>.+?)\$\$"
    r"|\\\[(?P<bracket>.+?)\\\]"
    rf"|\\begin\{{(?P<env>{_ENVIRONMENTS})\}}(?P<body>.+?)\\end\{{(?P=env)\}}",
    re.DOTALL,
)
_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.DOTALL | re.MULTILINE)
_CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.DOTALL)
#: a Markdown link whose text is an escaped bracket, ``[\[eq:foo\]](#eq:foo)`` (a cross-reference, not a display)
_REF_LINK = re.compile(r"\[\\\[[^\]\n]*\\\]\]\([^)\n]*\)")
_NUMBER = re.compile(r"\\q?quad\s*\(\s*([A-Za-z]?\d+(?:\.\d+)*[a-z]?)\s*\)|\\tag\*?\{\s*([^{}\\]+?)\s*\}")
_LABEL = re.compile(r"\\label\{([^{}]+)\}")
_EQ_ANCHOR = re.compile(r"^(?:eq(?:uation)?\.?\s*)?\(\s*([A-Za-z]?\d+(?:\.\d+)*[a-z]?)\s*\)$", re.IGNORECASE)
_DISPLAY_ANCHOR = re.compile(r"^display\s+(\d+)$", re.IGNORECASE)


@dataclass(frozen=True)
class Display:
    """One display of a document: its index (1-based, reading order), line, text, numbers and labels."""

    index: int
    line: int
    text: str
    numbers: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """``display 7 (eq. (12), line 40)``."""
        nums = ", ".join(f"eq. ({n})" for n in self.numbers)
        return f"display {self.index} ({nums + ', ' if nums else ''}line {self.line})"


@dataclass(frozen=True)
class Record:
    """A display the document states without a claim to check: ``anchor`` as for a step, and why."""

    anchor: str
    reason: str
    note: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.anchor, str) or not self.anchor.strip():
            raise ValueError(f"Record anchor={self.anchor!r} must be non-empty text")
        if self.reason.split(":", 1)[0] not in REASONS:
            raise ValueError(f"Record reason={self.reason!r} must be one of {', '.join(REASONS)}")

    def to_json(self) -> dict[str, str]:
        return {"anchor": self.anchor, "reason": self.reason, "note": self.note}


def _blank(match: re.Match[str]) -> str:
    """The matched text with every character but newlines replaced by spaces (offsets kept)."""
    return re.sub(r"[^\n]", " ", match.group(0))


def displays(text: str) -> list[Display]:
    """Every display of ``text`` in reading order (code spans and fenced code are skipped)."""
    masked = _REF_LINK.sub(_blank, _CODE_SPAN.sub(_blank, _FENCE.sub(_blank, text)))
    out = []
    for m in _DISPLAY.finditer(masked):
        body = text[m.start() : m.end()]
        numbers = tuple(a or b for a, b in _NUMBER.findall(body) if (a or b))
        labels = tuple(_LABEL.findall(body))
        out.append(Display(len(out) + 1, text.count("\n", 0, m.start()) + 1, body, numbers, labels))
    return out


@functools.lru_cache(maxsize=4096)
def _squash(text: str) -> str:
    """``text`` without white space (memoized: every anchor compares against the same document and displays)."""
    return re.sub(r"\s+", "", text)


def resolve(anchor: str, document: str, found: Sequence[Display]) -> list[int] | None:
    """The indices of the displays ``anchor`` reaches ([] for a quote of prose); None if not in the document."""
    anchor = anchor.strip()
    m = _EQ_ANCHOR.match(anchor)
    if m:
        hits = [d.index for d in found if m.group(1) in d.numbers]
        return hits or None
    m = _DISPLAY_ANCHOR.match(anchor)
    if m:
        n = int(m.group(1))
        return [n] if 1 <= n <= len(found) else None
    if anchor.startswith("label:"):
        key = anchor[len("label:") :].strip()
        hits = [d.index for d in found if key in d.labels]
        return hits or None
    quote = _squash(anchor)
    if not quote or quote not in _squash(document):
        return None
    return [d.index for d in found if quote in _squash(d.text) or _squash(d.text) in quote]


@dataclass
class Coverage:
    """The ledger of one document: which displays are covered, recorded or missing, and bad anchors."""

    document: str
    displays: int
    covered: list[int] = field(default_factory=list)
    recorded: dict[int, str] = field(default_factory=dict)  # display index → reason
    missing: list[Display] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # anchors not found in the document

    @property
    def ok(self) -> bool:
        return not self.missing and not self.errors

    def line(self) -> str:
        """``12 displays: 9 covered, 3 recorded, 0 missing``."""
        return (
            f"{self.displays} displays: {len(self.covered)} covered, {len(self.recorded)} recorded, "
            f"{len(self.missing)} missing"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "document": self.document,
            "displays": self.displays,
            "covered": len(self.covered),
            "recorded": len(self.recorded),
            "missing": [{"display": d.index, "line": d.line, "numbers": list(d.numbers)} for d in self.missing],
            "errors": list(self.errors),
        }

    @classmethod
    def from_json(cls, d: Any, where: str = "coverage") -> Coverage:
        """A ledger from its JSON; ValueError naming the field when ``d`` is not one."""
        if not isinstance(d, dict):
            raise ValueError(f"{where}: expected an object")
        document, total = d.get("document"), d.get("displays")
        covered, recorded = d.get("covered"), d.get("recorded")
        if not isinstance(document, str):
            raise ValueError(f"{where}.document: expected text")
        for name, value in (("displays", total), ("covered", covered), ("recorded", recorded)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{where}.{name}: expected a non-negative integer")
        missing, errors = d.get("missing", []), d.get("errors", [])
        if not isinstance(missing, list) or not isinstance(errors, list) or not all(isinstance(e, str) for e in errors):
            raise ValueError(f"{where}.missing/errors: expected lists")
        gaps = []
        for i, m in enumerate(missing):
            if not (
                isinstance(m, dict)
                and isinstance(m.get("display"), int)
                and isinstance(m.get("line"), int)
                and isinstance(m.get("numbers", []), list)
                and all(isinstance(n, str) for n in m.get("numbers", []))
            ):
                raise ValueError(f"{where}.missing[{i}]: expected {{display, line, numbers}}")
            gaps.append(Display(m["display"], m["line"], "", tuple(m.get("numbers", []))))
        out = cls(document, total, list(range(covered)), {i: "" for i in range(recorded)}, gaps, list(errors))
        return out


def ledger(
    name: str, text: str, anchors: Iterable[tuple[str, str]], records: Iterable[tuple[str, Record]] = ()
) -> Coverage:
    """The coverage of document ``name`` (contents ``text``) by ``anchors`` and ``records``.

    ``anchors`` are ``(owner, anchor)`` pairs (owner: the step that cites, for error messages),
    ``records`` ``(owner, record)`` pairs. A display reached by a step's anchor is covered even
    if a record also reaches it.
    """
    found = displays(text)
    cov = Coverage(name, len(found))
    covered: set[int] = set()
    for owner, anchor in anchors:
        hits = resolve(anchor, text, found)
        if hits is None:
            cov.errors.append(f"{owner}: anchor {anchor!r} is not found in {name}")
        else:
            covered.update(hits)
    recorded: dict[int, str] = {}
    for owner, record in records:
        hits = resolve(record.anchor, text, found)
        if hits is None:
            cov.errors.append(f"{owner}: record anchor {record.anchor!r} is not found in {name}")
            continue
        if not hits:
            cov.errors.append(f"{owner}: record anchor {record.anchor!r} reaches no display of {name}")
        for i in hits:
            recorded.setdefault(i, record.reason)
    cov.covered = sorted(covered)
    cov.recorded = {i: r for i, r in sorted(recorded.items()) if i not in covered}
    cov.missing = [d for d in found if d.index not in covered and d.index not in recorded]
    return cov


def find_document(name: str, roots: Iterable[Path]) -> Path | None:
    """The file ``name`` in a ``sources`` directory under one of ``roots`` (first match), or None."""
    if not name or "/" in name or "\\" in name or name in (".", ".."):
        return None
    for root in roots:
        for directory in sorted(root.rglob("sources")):
            path = directory / name
            if "__pycache__" not in path.parts and path.is_file():
                return path
    return None


def read_document(path: Path) -> str:
    """The text of a document (UTF-8, undecodable bytes replaced)."""
    return path.read_bytes().decode("utf-8", "replace")


def package_roots(packages: Iterable[str]) -> list[Path]:
    """The directories of the derivation packages ``packages`` (found without importing them)."""
    import importlib.util

    roots = []
    for name in packages:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        for location in (spec.submodule_search_locations or []) if spec else []:
            roots.append(Path(location))
    return roots


def run_ledgers(result: Any, roots: Sequence[Path]) -> list[Coverage]:
    """The ledger of every document cited by an anchor or a record of ``result`` (a :class:`RunResult`).

    A step's anchors apply to the step's document, a derivation's records to the derivation's.
    A cited document not found in a ``sources`` directory under ``roots`` is a ledger with one error.
    """
    anchors: dict[str, list[tuple[str, str]]] = {}
    records: dict[str, list[tuple[str, Record]]] = {}
    for d in result.derivations:
        for r in d.records:
            records.setdefault(d.source.get("document", ""), []).append(
                (d.id, Record(r.get("anchor", ""), r.get("reason", ""), r.get("note", "")))
            )
        for s in d.steps:
            for a in s.anchors or []:
                anchors.setdefault(s.source.get("document", ""), []).append((f"{d.id}.{s.id}", a))
    out = []
    for name in sorted(set(anchors) | set(records)):
        path = find_document(name, roots)
        if path is None:
            out.append(Coverage(name, 0, errors=[f"{name} is cited by anchors but not found in a sources/ directory"]))
            continue
        out.append(ledger(name, read_document(path), anchors.get(name, []), records.get(name, [])))
    return out
