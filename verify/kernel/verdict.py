"""The verdict rule: the one place that turns checking outcomes into a step's status.

A pure function of data. The symbolic outcomes come from :mod:`verify.kernel.prover`; the numeric
evidence comes from the fuzzer (:mod:`verify.search`), which can refute or confirm but never
prove. With ``proof`` the obligations whose role makes them part of the proof (``exact`` and
``sufficient``) and ``fuzzed`` those the claim implies (``exact`` and ``necessary``):

- ``refuted`` — the fuzzer found a violation of a fuzzed obligation (a necessary condition of the
  claim fails at a point, so the claim fails there). A failed *sufficient* condition is never
  fuzzed, so it can never refute a claim.
- ``proved`` — ``proof`` is not empty, SymPy proved every obligation in it, and the fuzzer found
  no violation of a fuzzed obligation. When some fuzzed obligation could not be decided at any
  point (a limit converging too slowly to judge, an expression the evaluator cannot take), the
  verdict says so: ``crosschecked`` is False and the reason names the obligation, and every
  surface shows it.
- ``confirmed`` — not proved, and every fuzzed obligation was searched without a violation.
- ``error`` — a fuzzed obligation could not be evaluated (and the claim is not refuted).

A verdict is ``final`` unless a symbolic budget cut an attempt short on a step that is not
proved: more time might prove it, so such a verdict is not cached (the same claim is checked
again next run) and cannot differ between an idle and a loaded machine once it is replayed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from verify.kernel.obligations import Obligation
from verify.kernel.prover import SymbolicOutcome

STATUSES = ("proved", "confirmed", "refuted", "error", "timeout")


@dataclass(frozen=True)
class Evidence:
    """What a numeric search reports about one obligation: data only, no power to prove."""

    status: str  # "confirmed" | "refuted" | "error"
    samples: int = 0
    reason: str | None = None


@dataclass(frozen=True)
class Verdict:
    status: str
    method: str | None = None  # "symbolic" | "numeric" | None
    symbolic_method: str | None = None
    reason: str | None = None
    final: bool = True
    #: False when a proof's numeric cross-check could not decide some implied obligation
    crosschecked: bool = True
    #: the index of the obligation whose violation refutes the claim
    refuting: int | None = None


def _label(ob: Obligation) -> str:
    return f"{ob.label}: " if ob.label else ""


def _group(items: list[tuple[str, str]]) -> str:
    """``[(label, reason)]`` → "label1, label2: reason; label3: other reason"."""
    by_reason: dict[str, list[str]] = {}
    for label, reason in items:
        by_reason.setdefault(reason, []).append(label)
    return "; ".join(
        (", ".join(x for x in labels if x) + ": " if any(labels) else "") + reason
        for reason, labels in by_reason.items()
    )


def decide(
    obligations: Sequence[Obligation],
    symbolic: Mapping[int, SymbolicOutcome],
    numeric: Mapping[int, Evidence],
    notes: Sequence[str] = (),
) -> Verdict:
    """The status of a claim from its obligations' outcomes (indices into ``obligations``)."""
    fuzzed = [i for i, ob in enumerate(obligations) if ob.fuzzed]
    proof = [i for i, ob in enumerate(obligations) if ob.proof_part]
    for i in fuzzed:
        ev = numeric.get(i)
        if ev is not None and ev.status == "refuted":
            why = _label(obligations[i]) + "counterexample found" + (f" ({ev.reason})" if ev.reason else "")
            return Verdict("refuted", "numeric", reason=why, refuting=i)

    outcomes = [symbolic.get(i) for i in proof]
    proved = bool(proof) and all(o is not None and o.status == "proved" for o in outcomes)
    methods = ", ".join(sorted({o.method or "" for o in outcomes if o is not None and o.status == "proved"})) or None
    unchecked = []
    for i in fuzzed:
        ev = numeric.get(i)
        if ev is None:
            unchecked.append((obligations[i].label, "not searched"))
        elif ev.status == "error" or ev.samples <= 0:
            unchecked.append((obligations[i].label, ev.reason or "no point could be evaluated"))
    extra = [n for n in notes if n]
    if proved:
        if unchecked:
            why = "not cross-checked numerically: " + _group(unchecked)
            return Verdict("proved", "symbolic", methods, "; ".join([why, *extra]), crosschecked=False)
        return Verdict("proved", "symbolic", methods, "; ".join(extra) or None)
    if unchecked:
        return Verdict("error", "numeric", methods, "; ".join([_group(unchecked), *extra]))
    failed = [
        (obligations[i].label, o.reason or o.status)
        for i, o in zip(proof, outcomes, strict=True)
        if o is not None and o.status != "proved"
    ]
    cut_short = any(o is not None and o.status == "timeout" for o in outcomes)
    reasons = (["not proved symbolically: " + _group(failed)] if failed else []) + extra
    return Verdict("confirmed", "numeric", methods, "; ".join(reasons) or None, final=not cut_short)
