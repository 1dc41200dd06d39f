"""Result objects of the loss checker: per-property results with counterexamples, and reports.

Checking produces these; rendering (``verify.render.loss``) and JSON consume them. A
counterexample lists every point it evaluates the loss (or a partial derivative) at and the
relation between those values that the property forbids, so it can be re-evaluated
independently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SEVERITIES = ("ok", "info", "warning", "error")
STATUSES = ("holds", "violated", "info", "n/a", "undecided")
SCHEMA = 1


def _num(x: float) -> float | str:
    """A float for JSON (non-finite values as strings)."""
    x = float(x)
    return x if x == x and abs(x) != float("inf") else repr(x)


@dataclass
class Evaluation:
    """``quantity`` (``"L"`` or ``"dL/d<variable>"``) evaluated at ``point``."""

    label: str
    quantity: str
    point: dict[str, float]
    value: float

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "quantity": self.quantity,
            "point": {k: _num(v) for k, v in self.point.items()},
            "value": _num(self.value),
        }


@dataclass
class Counterexample:
    """A concrete violation: ``relation = (label, op, label or "0")`` holds between the values.

    ``op`` is one of ``>``, ``<``, ``!=``; the property requires its negation.
    """

    point: dict[str, float]
    evaluations: list[Evaluation]
    relation: tuple[str, str, str]
    explanation: str

    def value(self, label: str) -> float:
        for e in self.evaluations:
            if e.label == label:
                return e.value
        raise KeyError(label)

    def to_json(self) -> dict[str, Any]:
        return {
            "point": {k: _num(v) for k, v in self.point.items()},
            "evaluations": [e.to_json() for e in self.evaluations],
            "relation": list(self.relation),
            "explanation": self.explanation,
        }


@dataclass
class PropertyResult:
    """The outcome of one property: status, severity, a one-line summary and details."""

    id: str
    title: str
    status: str
    severity: str
    summary: str
    method: str = "numeric"
    details: dict[str, Any] = field(default_factory=dict)
    counterexample: Counterexample | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status={self.status!r} is not one of {STATUSES}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity={self.severity!r} is not one of {SEVERITIES}")

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "severity": self.severity,
            "summary": self.summary,
            "method": self.method,
            "details": self.details,
            "counterexample": self.counterexample.to_json() if self.counterexample else None,
        }


def worst(severities: list[str]) -> str:
    """The verdict of a list of severities: ``error`` > ``warning`` > ``ok`` (``info`` counts as ok)."""
    if "error" in severities:
        return "error"
    if "warning" in severities:
        return "warning"
    return "ok"


@dataclass
class LossReport:
    """Every property of one loss, with its formula, gradient and verdict."""

    name: str
    expression: str
    params: dict[str, str]
    latex: str
    gradient_latex: dict[str, str]
    properties: list[PropertyResult]
    source: str | None = None
    title: str | None = None
    documented: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    formula: str | None = None  # a catalog variant's short formula, in the margin h
    understood: str | None = None  # the expression with canonical names, as the checker read it
    aliases: list[str] = field(default_factory=list)  # each alias and definition that was applied

    @property
    def verdict(self) -> str:
        return worst([p.severity for p in self.properties])

    def property(self, property_id: str) -> PropertyResult:
        for p in self.properties:
            if p.id == property_id:
                return p
        raise KeyError(property_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "source": self.source,
            "expression": self.expression,
            "formula": self.formula,
            "understood": self.understood,
            "aliases": self.aliases,
            "params": self.params,
            "latex": self.latex,
            "gradient_latex": self.gradient_latex,
            "verdict": self.verdict,
            "documented": self.documented,
            "seconds": round(self.seconds, 3),
            "properties": [p.to_json() for p in self.properties],
        }


def reports_json(reports: list[LossReport], tool_version: str) -> dict[str, Any]:
    """The JSON document of a loss check: ``verdict`` is the worst verdict of all losses."""
    return {
        "schema": SCHEMA,
        "tool_version": tool_version,
        "kind": "loss",
        "verdict": worst([r.verdict for r in reports]),
        "losses": [r.to_json() for r in reports],
    }
