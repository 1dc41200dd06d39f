"""Results: the only objects that cross from checking to rendering, and their JSON.

The JSON schema (version :data:`SCHEMA`) is a contract: fields may be added, never renamed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any

from verify.coverage import Coverage

STATUSES = ("proved", "confirmed", "refuted", "error", "timeout")
#: what a summary counts: the statuses, with a refuted step checked under an assumption the document does
#: not state counted apart as ``not_reproduced`` (it is no evidence against the document)
COUNTS = ("proved", "confirmed", "refuted", "not_reproduced", "error", "timeout")
SCHEMA = 1


def _copied(value: Any) -> Any:
    """``value`` with its dicts, lists and tuples copied (what ``dataclasses.asdict`` does to a step's
    fields, without its generic deep copy of every leaf, which dominated writing a run's JSON)."""
    if isinstance(value, dict):
        return {k: _copied(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_copied(v) for v in value)
    return value


def step_failed(expected: str, status: str) -> bool:
    """A step fails when its status contradicts its expectation.

    Expected ``holds``: fails on ``refuted``, ``error`` or ``timeout``. Expected ``refuted``:
    fails unless the checker actually refuted it (``proved``/``confirmed`` mean the source's
    error is no longer caught; ``error``/``timeout`` mean it could not be caught).
    """
    if expected == "holds":
        return status in ("refuted", "error", "timeout")
    return status != "refuted"


@dataclass
class StepResult:
    id: str
    source: dict[str, str]
    uses: list[str]
    claim_latex: str
    justification: str
    expected: str
    status: str
    method: str | None
    samples: int = 0
    max_rel_error: float = 0.0
    counterexample: dict[str, str] | None = None
    #: the declared LaTeX of each counterexample symbol, by its key (absent in results of older versions)
    counterexample_latex: dict[str, str] | None = None
    correction_latex: str | None = None
    reason: str | None = None
    seconds: float = 0.0
    values: dict[str, str] | None = None
    symbolic_method: str | None = None
    scope: str | None = None
    diagnosis: str | None = None
    reproduction: dict[str, Any] | None = None
    file: str | None = None  # where the step is written (the Step(...) call)
    line: int | None = None
    cached: bool = False  # the verdict was reused from the verdict cache, not checked in this run
    #: False when a symbolic budget cut an attempt short on a step not proved: never cached
    final: bool = True
    #: False for a proof whose numeric cross-check could not decide some obligation (see reason)
    crosschecked: bool = True
    #: what the step transcribes, checked against its document (see verify/coverage.py)
    anchors: list[str] | None = None
    #: why a line SymPy closes when it is built is still evidence (audits; see Step.trivial)
    trivial: str | None = None
    #: an assumption of ours the document does not state (see Step.assumes)
    assumes: str | None = None
    #: a refuted step: single edits of its claim the engine proved or confirmed (verify/diagnose/hints.py);
    #: [] when none was found, None when not searched
    hints: list[dict[str, Any]] | None = None
    #: a proved or confirmed step: each declared assumption widened and searched (verify/diagnose/ledger.py)
    ledger: list[dict[str, Any]] | None = None
    #: why a diagnosis is missing or incomplete
    diagnosis_note: str | None = None
    #: data files building the claim or recomputing its number read: path → sha256 (verify/run/reads.py);
    #: the verdict is reused only while they are unchanged (absent from the JSON when there are none)
    reads: dict[str, str] | None = None
    #: the corrected form's own status, checked as a claim is (None: no correction, or a display only)
    correction_status: str | None = None
    #: why the corrected form has that status (its counterexample when refuted)
    correction_reason: str | None = None
    failed: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status={self.status!r} is not one of {STATUSES}")
        if self.correction_status is not None and self.correction_status not in STATUSES:
            raise ValueError(f"correction_status={self.correction_status!r} is not one of {STATUSES}")
        # a corrected form that is itself false is an error of the audit, whatever the step's status
        self.failed = step_failed(self.expected, self.status) or self.correction_status == "refuted"

    @property
    def not_reproduced(self) -> bool:
        """Refuted only under an assumption the document does not state (``assumes``): the number or claim
        is not reproduced under that assumption, which is not a refutation of the document."""
        return self.status == "refuted" and bool(self.assumes)

    @property
    def count(self) -> str:
        """The key of :data:`COUNTS` this step is counted under."""
        return "not_reproduced" if self.not_reproduced else self.status

    def to_json(self) -> dict[str, Any]:
        d = {f.name: _copied(getattr(self, f.name)) for f in fields(self)}
        order = [
            "id",
            "source",
            "uses",
            "claim_latex",
            "justification",
            "expected",
            "status",
            "failed",
            "method",
            "samples",
            "max_rel_error",
            "counterexample",
            "correction_latex",
            "reason",
            "seconds",
        ]
        out = {k: d[k] for k in order}
        out.update({k: v for k, v in d.items() if k not in out})
        if not out["reads"]:
            del out["reads"]
        out["not_reproduced"] = self.not_reproduced
        return out

    @classmethod
    def from_json(cls, d: Any, where: str = "step") -> StepResult:
        """A step from its JSON; ValueError naming the field when ``d`` is not one (unknown fields are ignored)."""
        _require(d, dict, where)
        fields = {}
        for name, kinds in _STEP_FIELDS.items():
            if name in d:
                fields[name] = field_value(d[name], kinds, f"{where}.{name}")
            elif name in _REQUIRED:
                raise ValueError(f"{where}: the field {name!r} is missing")
        if fields["expected"] not in ("holds", "refuted"):
            raise ValueError(f"{where}.expected: {fields['expected']!r} is neither 'holds' nor 'refuted'")
        if fields["status"] not in STATUSES:
            raise ValueError(f"{where}.status: {fields['status']!r} is not one of {', '.join(STATUSES)}")
        return cls(**fields)


@dataclass
class DerivationResult:
    id: str
    title: str
    kind: str
    source: dict[str, str]
    steps: list[StepResult]
    summary: str = ""
    #: displays of the source document recorded as needing no step: {anchor, reason, note}
    records: list[dict[str, str]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(s.failed for s in self.steps)

    def verified(self) -> dict[str, bool]:
        """Blueprint-style status per step: it holds as expected and all it uses is verified."""
        ok: dict[str, bool] = {}
        for s in self.steps:
            own = s.status in ("proved", "confirmed") and s.expected == "holds"
            ok[s.id] = own and all(ok.get(u, False) for u in s.uses)
        return ok

    def to_json(self) -> dict[str, Any]:
        verified = self.verified()
        return {
            "id": self.id,
            "title": self.title,
            "kind": self.kind,
            "source": self.source,
            "summary": self.summary,
            "failed": self.failed,
            "steps": [{**s.to_json(), "verified": verified[s.id]} for s in self.steps],
            **({"records": self.records} if self.records else {}),
        }

    @classmethod
    def from_json(cls, d: Any, where: str = "derivation") -> DerivationResult:
        """A derivation from its JSON; ValueError naming the field when ``d`` is not one."""
        _require(d, dict, where)
        for name in ("id", "title", "kind", "source", "steps"):
            if name not in d:
                raise ValueError(f"{where}: the field {name!r} is missing")
        steps = _require(d["steps"], list, f"{where}.steps")
        return cls(
            field_value(d["id"], _TEXT, f"{where}.id"),
            field_value(d["title"], _TEXT, f"{where}.title"),
            field_value(d["kind"], _TEXT, f"{where}.kind"),
            field_value(d["source"], _TABLE, f"{where}.source"),
            [StepResult.from_json(s, f"{where}.steps[{i}]") for i, s in enumerate(steps)],
            field_value(d.get("summary", ""), _TEXT, f"{where}.summary"),
            [
                field_value(r, _TABLE, f"{where}.records[{i}]")
                for i, r in enumerate(_require(d.get("records", []), list, f"{where}.records"))
            ],
        )


@dataclass
class RunResult:
    derivations: list[DerivationResult]
    seconds: float
    tool_version: str
    profile: str = "ci"
    environment: dict[str, str] = field(default_factory=dict)
    #: the coverage ledger of each source document the run's anchors and records cite
    coverage: list[Coverage] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(d.failed for d in self.derivations) or any(not c.ok for c in self.coverage)

    def summary(self) -> dict[str, Any]:
        steps = [s for d in self.derivations for s in d.steps]
        out: dict[str, Any] = {"derivations": len(self.derivations), "steps": len(steps)}
        for key in COUNTS:
            out[key] = sum(s.count == key for s in steps)
        out["failed"] = sum(s.failed for s in steps)
        out["cached"] = sum(s.cached for s in steps)
        if self.coverage:
            out["displays_missing"] = sum(len(c.missing) for c in self.coverage)
        out["seconds"] = round(self.seconds, 3)
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "tool_version": self.tool_version,
            "profile": self.profile,
            "environment": self.environment,
            "summary": self.summary(),
            "derivations": [d.to_json() for d in self.derivations],
            **({"coverage": [c.to_json() for c in self.coverage]} if self.coverage else {}),
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False)

    @classmethod
    def from_json(cls, d: Any) -> RunResult:
        """A run from its JSON (``all --json``); ValueError naming the field when ``d`` is not one."""
        _require(d, dict, "result")
        if d.get("schema") != SCHEMA:
            raise ValueError(f"schema={d.get('schema')!r}: this tool reads schema {SCHEMA}")
        derivations = _require(d.get("derivations"), list, "derivations")
        summary = _require(d.get("summary", {}), dict, "summary")
        return cls(
            [DerivationResult.from_json(x, f"derivations[{i}]") for i, x in enumerate(derivations)],
            float(field_value(summary.get("seconds", 0.0), _NUMBER, "summary.seconds")),
            field_value(d.get("tool_version"), _TEXT, "tool_version"),
            field_value(d.get("profile", "ci"), _TEXT, "profile"),
            field_value(d.get("environment", {}), _TABLE, "environment"),
            [
                Coverage.from_json(c, f"coverage[{i}]")
                for i, c in enumerate(_require(d.get("coverage", []), list, "coverage"))
            ],
        )


# ---------------------------------------------------------------------------------------------
# reading JSON that anyone may have written: every field checked for its type


_TEXT = (str,)
_OPTIONAL_TEXT = (str, type(None))
_NUMBER = (int, float)
_TABLE = ("table",)  # an object whose keys and values are text
_OPTIONAL_TABLE = ("table", type(None))
_STEP_FIELDS: dict[str, tuple[Any, ...]] = {
    "id": _TEXT,
    "source": _TABLE,
    "uses": ("texts",),
    "claim_latex": _TEXT,
    "justification": _TEXT,
    "expected": _TEXT,
    "status": _TEXT,
    "method": _OPTIONAL_TEXT,
    "samples": (int,),
    "max_rel_error": _NUMBER,
    "counterexample": _OPTIONAL_TABLE,
    "counterexample_latex": _OPTIONAL_TABLE,
    "correction_latex": _OPTIONAL_TEXT,
    "reason": _OPTIONAL_TEXT,
    "seconds": _NUMBER,
    "values": _OPTIONAL_TABLE,
    "symbolic_method": _OPTIONAL_TEXT,
    "scope": _OPTIONAL_TEXT,
    "diagnosis": _OPTIONAL_TEXT,
    "reproduction": (dict, type(None)),
    "file": _OPTIONAL_TEXT,
    "line": (int, type(None)),
    "cached": (bool,),
    "final": (bool,),
    "crosschecked": (bool,),
    "anchors": ("texts", type(None)),
    "trivial": _OPTIONAL_TEXT,
    "assumes": _OPTIONAL_TEXT,
    "hints": ("records", type(None)),
    "ledger": ("records", type(None)),
    "diagnosis_note": _OPTIONAL_TEXT,
    "reads": _OPTIONAL_TABLE,
    "correction_status": _OPTIONAL_TEXT,
    "correction_reason": _OPTIONAL_TEXT,
}
_REQUIRED = ("id", "source", "uses", "claim_latex", "justification", "expected", "status", "method")


def _record_value(v: Any) -> bool:
    """A value of a hint or ledger entry: text, a number, null, or an object of texts."""
    if isinstance(v, dict):
        return all(isinstance(k, str) and isinstance(x, str) for k, x in v.items())
    return v is None or (isinstance(v, str | int | float) and not isinstance(v, bool))


def _require(value: Any, kind: type, where: str) -> Any:
    if not isinstance(value, kind):
        raise ValueError(f"{where}: expected {'an object' if kind is dict else 'a list'}, got {_name(value)}")
    return value


def _name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def field_value(value: Any, kinds: tuple[Any, ...], where: str) -> Any:
    """``value`` (a copy of a table, list or record list) if it is one of ``kinds`` (a type, or
    ``"table"``, ``"texts"``, ``"records"``), else ValueError naming ``where``: for untrusted JSON."""
    for kind in kinds:
        if kind == "table" and isinstance(value, dict):
            if all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
                return dict(value)
        elif kind == "texts" and isinstance(value, list):
            if all(isinstance(x, str) for x in value):
                return list(value)
        elif kind == "records" and isinstance(value, list):
            if all(isinstance(x, dict) and all(_record_value(v) for v in x.values()) for x in value):
                return [dict(x) for x in value]
        elif isinstance(kind, type) and isinstance(value, kind) and not (isinstance(value, bool) and kind is not bool):
            return value
    names = {
        "table": "an object of texts",
        "texts": "a list of texts",
        "records": "a list of objects of texts, numbers and objects of texts",
        type(None): "null",
    }
    wanted = " or ".join(names.get(k) or k.__name__ for k in kinds)
    raise ValueError(f"{where}: expected {wanted}, got {_name(value)}")
