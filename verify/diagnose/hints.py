"""Repair hints: single edits of a refuted claim that the engine then proves or confirms.

The search is bounded and deterministic, cheapest test first:

1. each candidate edit (:func:`verify.diagnose.repairs.repairs`, at most ``hint_candidates``)
   must hold at the refuting counterexample and at a few fixed points of the domains — a
   point probe at the search's precision, no Hypothesis run;
2. survivors, most telling kind first (:data:`~verify.diagnose.repairs.PRIORITY`), get a short
   search (``hint_screen_samples`` points per implied obligation, at most ``hint_screens``);
3. the first ``hint_checks`` that pass are checked as a step is (:func:`verify.run.attempt.attempt`,
   symbolic budget ``hint_symbolic_budget``), and only an edit whose claim comes out ``proved``
   or ``confirmed`` becomes a hint, with that status. A hint is never a claim the engine did not
   check.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace

import sympy as sp

from verify.diagnose.repairs import REFUSED, Repair, ranked, repairs
from verify.domains import Domain, var
from verify.kernel.budget import Deadline, SymbolicTimeout
from verify.kernel.obligations import Obligation
from verify.model import Claim, Equal, ForSizes
from verify.profiles import Profile
from verify.run.attempt import attempt, claim_domains
from verify.search.fuzz import NumericOutcome, fuzz, search_points
from verify.search.points import fixed_points

#: fixed points of the domains a candidate must also hold at (besides the counterexample)
EXTRA_POINTS = 3


@dataclass(frozen=True)
class Hint:
    """An edit of a refuted claim, in words, and the engine's verdict on the edited claim."""

    edit: str
    kind: str
    status: str  # "proved" | "confirmed"
    claim_latex: str
    samples: int
    method: str | None = None
    #: the edited claim itself (not part of the JSON)
    claim: Claim | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict:
        """The JSON fields: every field but the edited claim."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "claim"}


def _screened(claim: Claim, size: int | None) -> list[Obligation]:
    """The obligations a candidate is screened on: a family's member at the refuting size only."""
    if isinstance(claim, ForSizes):
        sizes = [*claim.symbolic, *claim.numeric]
        return claim.claim(size if size in sizes else min(sizes)).obligations()
    return claim.obligations()


def _size(label: str, claim: Claim) -> int | None:
    """The size in a family member's label (``"n=3, …"`` → 3)."""
    if not isinstance(claim, ForSizes):
        return None
    m = re.match(rf"{re.escape(claim.size_name)}=(\d+)", label or "")
    return int(m.group(1)) if m else None


Screened = tuple[Repair, list[Obligation], dict[sp.Symbol, Domain]]


def _survives(
    r: Repair, size: int | None, counterexample: dict | None, points: list[dict], profile: Profile
) -> Screened | None:
    """The candidate with the implied obligations it is screened on, when it holds at the refuting
    counterexample (decided there, not merely undefined) and fails at none of the other points."""
    try:
        obligations = [o for o in _screened(r.claim, size) if o.fuzzed]
        domains = claim_domains(obligations)
    except REFUSED:
        return None
    if counterexample is not None:
        there = [search_points(o, [counterexample], domains, profile).status for o in obligations]
        if "refuted" in there or "confirmed" not in there:
            return None
    if any(search_points(o, points, domains, profile).status == "refuted" for o in obligations):
        return None
    return r, obligations, domains


def _checked(r: Repair) -> tuple[list[Obligation], dict[sp.Symbol, Domain]] | None:
    try:
        obligations = r.claim.obligations()
        return obligations, claim_domains(obligations)
    except REFUSED:
        return None


def repair_hints(
    claim: Claim,
    refuting: NumericOutcome | None,
    label: str,
    domains: dict[sp.Symbol, Domain],
    profile: Profile,
    deadline: Deadline | float,
    only: Mapping[str, str] | None = None,
) -> list[Hint]:
    """Hints for ``claim``, refuted by ``refuting`` (the search outcome on the obligation labelled
    ``label``), at most ``profile.hints_shown``; the search stops at the CPU time ``deadline``
    (``time.process_time``). ``only`` restricts the edits to some parts of the claim (see
    :func:`~verify.diagnose.repairs.repairs`)."""
    deadline = Deadline.of(deadline)
    point = refuting.point if refuting is not None else None
    points = fixed_points(domains, EXTRA_POINTS, profile.seed)
    size = _size(label, claim)
    survivors: list[Screened] = []
    try:  # each edit within the deadline too: one point of an edited integral can take minutes
        for n, r in enumerate(repairs(claim, only)):
            if n >= profile.hint_candidates:
                break
            with deadline.within():
                if (survivor := _survives(r, size, point, points, profile)) is not None:
                    survivors.append(survivor)
    except SymbolicTimeout:
        pass
    hints: list[Hint] = []
    screens = checks = 0
    screen = replace(profile, samples=profile.hint_screen_samples, shrink_examples=0)
    # a rejected edit's counterexample is never shown: no shrinking
    full = replace(profile, symbolic_budget=profile.hint_symbolic_budget, shrink_examples=0)
    for r, screened, screened_domains in ranked(survivors, lambda x: x[0].kind):
        if len(hints) >= profile.hints_shown or checks >= profile.hint_checks or screens >= profile.hint_screens:
            break
        prepared = _checked(r)
        if prepared is None:
            continue
        obligations, doms = prepared
        screens += 1
        try:
            with deadline.within():
                if any(fuzz(o, screened_domains, screen).status == "refuted" for o in screened):
                    continue
                checks += 1
                done = attempt(obligations, doms, full)
        except SymbolicTimeout:
            break
        if done.verdict.status in ("proved", "confirmed"):
            try:
                latex = r.claim.latex()
            except Exception:  # a claim that cannot be printed is still a checked hint
                latex = ""
            status, method = done.verdict.status, done.verdict.method
            hints.append(Hint(r.description, r.kind, status, latex, done.samples, method, r.claim))
    return hints


def comparison_hints(
    claimed: sp.Expr, true: sp.Expr, domains: Mapping[str, Domain], what: str, profile: Profile
) -> list[Hint]:
    """Hints for ``claimed = true`` where only ``claimed`` may be edited (a hand-derived gradient
    against the true one): its symbols, plain SymPy symbols, get ``domains`` by name; ``what``
    names the claimed side in the descriptions. Empty when the equation is not refuted."""
    symbols = claimed.free_symbols | true.free_symbols
    if any(s.name not in domains for s in symbols):
        return []
    sub = {s: var(s.name, domains[s.name]) for s in symbols}
    claim = Equal(claimed.xreplace(sub), true.xreplace(sub))
    obligations = claim.obligations()
    doms = claim_domains(obligations)
    done = attempt(obligations, doms, profile)
    if done.verdict.status != "refuted":
        return []
    deadline = time.process_time() + profile.diagnosis_seconds
    return repair_hints(claim, done.refuting, "", doms, profile, deadline, only={"lhs": what})
