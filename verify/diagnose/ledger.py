"""The assumption ledger of a true step: which declared assumptions the claim really needs.

Each assumption is widened on its own and the claim searched where only the widened assumption
could fail: a symbol's domain is sampled *outside* its declared support (a positive β at β ≤ 0,
a probability at p ≥ 1, a log-probability above 0, an integer length between integers); a
distribution built from normalised weights (``p_i = w_i / Σ w``) has its normalisation dropped
(the weights themselves); each hypothesis of an :class:`~verify.model.Implies` is dropped. The
symbols of one vector (``r_1 … r_n``) are widened together. Verdicts:

- ``necessary`` — the widened claim fails at some point (shown);
- ``needed to be defined`` — the claim has no real value at any point outside the assumption
  (a logarithm of a negative number);
- ``not used`` — no violation at any of the points decided (their number is reported);
- ``undecided`` — the widened claim could not be evaluated (the reason is given).

The points are fixed (:func:`verify.search.points.fixed_points`: simple values first, then
seeded pseudo-random ones; ``ledger_samples`` of them), each decided at high precision as the
search decides a point: a cheap search, as a ledger is computed for every true step.

The claim is widened as built: SymPy may already have used an assumption when the claim's
expressions were constructed (``|x| → x`` for a positive ``x``), and such a use cannot be seen
here. A ``not used`` entry is numeric evidence, never a proof.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, replace

import sympy as sp

from verify.domains import Domain, families
from verify.kernel.budget import Deadline, SymbolicTimeout
from verify.kernel.obligations import Conditional, LimitOf, Obligation, Recomputation, nodes
from verify.printing import to_latex
from verify.profiles import Profile
from verify.search.fuzz import search_points
from verify.search.mutants import shown, substitute
from verify.search.points import fixed_points

#: the implied obligations searched per widened assumption (a family: its smallest size)
MAX_OBLIGATIONS = 1


def _outside(name: str, lo: float, hi: float, scale: str = "linear") -> Domain:
    return Domain(f"outside: {name}", lo, hi, (("real", True),), scale=scale, support=(lo, hi, True, True))


_NONPOSITIVE = _outside("≤ 0", -30.0, 0.0)
#: declared domain → (the assumption in words and in LaTeX, the region outside it in words, its sampler)
_OUTSIDE: dict[str, tuple[str, str, str, Domain]] = {
    "positive": ("> 0", "> 0", "≤ 0", _NONPOSITIVE),
    "weight": ("> 0", "> 0", "≤ 0", _NONPOSITIVE),
    "probability": ("∈ (0, 1)", r"\in (0, 1)", "≥ 1", _outside("≥ 1", 1.0, 1e3, "log")),
    "unit_interval": ("∈ (0, 1)", r"\in (0, 1)", "≥ 1", _outside("≥ 1", 1.0, 1e3, "log")),
    "log_probability": ("≤ 0", r"\leq 0", "> 0", _outside("> 0", 1e-3, 30.0, "log")),
    "positive_integer": ("an integer", r"\in \mathbb{Z}", "not an integer", _outside("not an integer", 1.0, 64.0)),
}


@dataclass(frozen=True)
class Entry:
    """One assumption of a step and what widening it showed."""

    assumption: str
    assumption_latex: str
    widened: str
    verdict: str  # "necessary" | "needed to be defined" | "not used" | "undecided"
    samples: int = 0
    counterexample: dict[str, str] | None = None
    values: dict[str, str] | None = None
    reason: str | None = None
    #: the counterexample in the symbols' declared notation, for logs (``β=-1.0``)
    shown_at: str | None = None

    def to_json(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class _Widening:
    assumption: str
    assumption_latex: str
    widened: str
    obligations: list[Obligation]
    domains: dict[sp.Symbol, Domain]


def _who(symbols: list[sp.Symbol]) -> tuple[str, str]:
    if len(symbols) == 1:
        return shown(symbols[0]), to_latex(symbols[0])
    return f"{shown(symbols[0])} … {shown(symbols[-1])}", rf"{to_latex(symbols[0])}, \dots, {to_latex(symbols[-1])}"


def _domain_widenings(obligations: list[Obligation], domains: dict[sp.Symbol, Domain]) -> Iterator[_Widening]:
    fixed = {ob.var for ob in obligations if isinstance(ob, LimitOf)}  # a limit's variable keeps its side
    for group in families(domains):
        if any(s in fixed for s in group) or domains[group[0]].name not in _OUTSIDE:
            continue
        words, latex, out_words, outside = _OUTSIDE[domains[group[0]].name]
        who, who_latex = _who(group)
        yield _Widening(
            f"{who} {words}",
            f"{who_latex} {latex}",
            f"{who} {out_words}",
            obligations,
            {**domains, **dict.fromkeys(group, outside)},
        )


def _normalisations(obligations: list[Obligation], domains: dict[sp.Symbol, Domain]) -> Iterator[_Widening]:
    """Each ``Σ w`` over all the weights of one vector, replaced by 1 (an unnormalised distribution)."""
    weights = [g for g in families(domains) if domains[g[0]].name == "weight" and len(g) > 1]
    for group in weights:
        total = sp.Add(*group)
        if not any(total in nodes(e, sp.Add) for ob in obligations for e in _expressions(ob)):
            continue
        widened = [_replaced(ob, {total: sp.Integer(1)}) for ob in obligations]
        who = shown(group[0]).rsplit("_", 1)[0]
        yield _Widening(
            f"the distribution of weights {who} normalised",
            rf"\textstyle\sum_i {to_latex(group[0]).rsplit('_', 1)[0]}_i \text{{ normalises}}",
            f"the weights {who} not normalised",
            widened,
            domains,
        )


def _expressions(ob: Obligation) -> list[sp.Basic]:
    out = [getattr(ob, f) for f in ob.__dataclass_fields__ if isinstance(getattr(ob, f), sp.Basic)]
    if isinstance(ob, Conditional):
        out += [e for h in ob.hypotheses for e in _expressions(h)]
        if ob.inner is not None:
            out += _expressions(ob.inner)
    return out


def _replaced(ob: Obligation, sub: dict) -> Obligation:
    fields = ob.__dataclass_fields__
    changes = {f: substitute(getattr(ob, f), sub) for f in fields if isinstance(getattr(ob, f), sp.Basic)}
    if isinstance(ob, Conditional):
        changes["hypotheses"] = tuple(_replaced(h, sub) for h in ob.hypotheses)
        if ob.inner is not None:
            changes["inner"] = _replaced(ob.inner, sub)
    return replace(ob, **changes)


def _hypotheses(obligations: list[Obligation], domains: dict[sp.Symbol, Domain]) -> Iterator[_Widening]:
    """Each hypothesis of a Conditional dropped, one at a time."""
    first = next((ob for ob in obligations if isinstance(ob, Conditional)), None)
    if first is None:
        return
    for i, h in enumerate(first.hypotheses):
        name = h.label or f"hypothesis {i + 1}"
        widened = []
        for ob in obligations:
            if isinstance(ob, Conditional) and len(ob.hypotheses) == len(first.hypotheses):
                rest = ob.hypotheses[:i] + ob.hypotheses[i + 1 :]
                widened.append(replace(ob, hypotheses=rest) if rest else replace(ob.inner, role="necessary"))
            else:
                widened.append(ob)
        text = f"{name}: {shown(h.expr)} {'>' if h.strict else '≥'} 0"
        relation = ">" if h.strict else r"\geq"
        latex = f"{to_latex(h.expr)} {relation} 0"
        yield _Widening(text, latex, f"{name} dropped", widened, domains)


def _judge(w: _Widening, profile: Profile) -> Entry:
    searched = _searched(w.obligations)
    samples, undefined, reasons = 0, 0, []
    for ob in searched:
        domains = {s: w.domains[s] for s in ob.free_symbols()}
        points = fixed_points(domains, profile.ledger_samples, profile.seed)
        num = search_points(ob, points, domains, profile, real=True)
        samples += num.samples
        if num.status == "refuted":
            names = {s.name: shown(s) for s in domains}
            at = ", ".join(f"{names.get(k, k)}={v}" for k, v in (num.counterexample or {}).items())
            found = (num.counterexample, num.values, None, at)
            return Entry(w.assumption, w.assumption_latex, w.widened, "necessary", samples, *found)
        if num.status == "error":
            if num.reason and "could not be evaluated" in num.reason:
                undefined += 1
            else:
                reasons.append(num.reason or "not evaluated")
    if reasons:
        return Entry(w.assumption, w.assumption_latex, w.widened, "undecided", samples, reason="; ".join(reasons))
    if undefined == len(searched):
        return Entry(w.assumption, w.assumption_latex, w.widened, "needed to be defined", samples)
    return Entry(w.assumption, w.assumption_latex, w.widened, "not used", samples)


def _searched(obligations: list[Obligation]) -> list[Obligation]:
    """The implied obligations a widening is searched on (a family: its smallest sizes)."""
    return [ob for ob in obligations if ob.fuzzed and not isinstance(ob, Recomputation)][:MAX_OBLIGATIONS]


def assumption_ledger(
    obligations: list[Obligation],
    domains: dict[sp.Symbol, Domain],
    profile: Profile,
    deadline: Deadline | float = math.inf,
) -> list[Entry]:
    """The ledger of a claim whose ``obligations`` hold on ``domains``: one entry per assumption,
    until the CPU time ``deadline`` (``time.process_time``)."""
    entries = []
    deadline = Deadline.of(deadline)
    searched = _searched(obligations)
    used = {s: domains[s] for ob in searched for s in ob.free_symbols() if s in domains}
    for stream in (_domain_widenings, _normalisations, _hypotheses):
        for w in stream(searched, used):
            try:
                with deadline.within():  # one widening's search may not run past the deadline either
                    entries.append(_judge(w, profile))
            except SymbolicTimeout:
                return entries
    return entries
