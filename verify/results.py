"""Results: the only objects that cross from checking to rendering, and their JSON.

The JSON schema (version :data:`SCHEMA`) is a contract: fields may be added, never renamed.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

STATUSES = ("proved", "confirmed", "refuted", "error", "timeout")
SCHEMA = 1


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
    correction_latex: str | None = None
    reason: str | None = None
    seconds: float = 0.0
    values: dict[str, str] | None = None
    symbolic_method: str | None = None
    scope: str | None = None
    diagnosis: str | None = None
    reproduction: dict[str, Any] | None = None
    cached: bool = False  # the verdict was reused from the verdict cache, not checked in this run
    #: False when a symbolic budget cut an attempt short on a step not proved: never cached
    final: bool = True
    #: False for a proof whose numeric cross-check could not decide some obligation (see reason)
    crosschecked: bool = True
    failed: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status={self.status!r} is not one of {STATUSES}")
        self.failed = step_failed(self.expected, self.status)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
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
        return out

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> StepResult:
        d = dict(d)
        d.pop("failed", None)
        return cls(**d)


@dataclass
class DerivationResult:
    id: str
    title: str
    kind: str
    source: dict[str, str]
    steps: list[StepResult]
    summary: str = ""

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
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> DerivationResult:
        steps = [StepResult.from_json({k: v for k, v in s.items() if k != "verified"}) for s in d["steps"]]
        return cls(d["id"], d["title"], d["kind"], d["source"], steps, d.get("summary", ""))


@dataclass
class RunResult:
    derivations: list[DerivationResult]
    seconds: float
    tool_version: str
    profile: str = "ci"
    environment: dict[str, str] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return any(d.failed for d in self.derivations)

    def summary(self) -> dict[str, Any]:
        steps = [s for d in self.derivations for s in d.steps]
        out: dict[str, Any] = {"derivations": len(self.derivations), "steps": len(steps)}
        for status in STATUSES:
            out[status] = sum(s.status == status for s in steps)
        out["failed"] = sum(s.failed for s in steps)
        out["cached"] = sum(s.cached for s in steps)
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
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> RunResult:
        if d.get("schema") != SCHEMA:
            raise ValueError(f"schema={d.get('schema')!r}: this tool reads schema {SCHEMA}")
        return cls(
            [DerivationResult.from_json(x) for x in d["derivations"]],
            d["summary"]["seconds"],
            d["tool_version"],
            d.get("profile", "ci"),
            d.get("environment", {}),
        )
