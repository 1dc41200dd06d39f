"""Checking one step: search for a violation, attempt the proof, and let the kernel decide.

The order saves work without changing any verdict: every obligation the claim implies is first
fuzzed with the small cross-check sample a proof gets (a counterexample there settles the step
without spending the symbolic budget on a false claim); then the obligations of the proof are
attempted symbolically; if the proof does not go through, the implied obligations are searched
with the profile's full sample count. :func:`verify.kernel.verdict.decide` turns the outcomes
into the status; nothing here can make a step ``proved``.
"""

from __future__ import annotations

import copy
import os
import time

import sympy as sp

from verify.domains import Domain, domain_of, latex_of
from verify.errors import ClaimError, VerifyError
from verify.kernel.obligations import Conditional, Obligation
from verify.kernel.prover import prove
from verify.kernel.verdict import Evidence, decide
from verify.model import Derivation, ForSizes, Step
from verify.printing import to_latex
from verify.profiles import Profile
from verify.results import StepResult
from verify.search.fuzz import NumericOutcome, fuzz

_LAST: tuple[Derivation, Step, dict] | None = None


def base_fields(derivation: Derivation, step: Step, printed: bool = True) -> dict:
    """The fields of a step's result that come from the step itself, not from checking it.

    ``printed=False`` leaves out what costs time (printing the claim, its correction and scope):
    for a step stopped before it was printed. The printed fields of the last step asked for are
    kept, so a worker that reported them before checking (see :mod:`verify.run.runner`) does not
    print the claim twice.
    """
    global _LAST
    if printed and _LAST is not None and _LAST[0] is derivation and _LAST[1] is step:
        return copy.deepcopy(_LAST[2])
    src = derivation.step_source(step)
    if printed:
        try:
            latex = step.claim.latex()
        except Exception as exc:
            latex = rf"\text{{(claim cannot be printed: {type(exc).__name__})}}"
    else:
        latex = r"\text{(not printed: the step was stopped before its claim was)}"
    fields = {
        "id": step.id,
        "source": {"document": src.document, "location": src.location},
        "uses": list(step.uses),
        "claim_latex": latex,
        "justification": step.justification,
        "expected": step.expected,
        "correction_latex": step.correction_latex() if printed else None,
        "diagnosis": step.diagnosis,
        "scope": step.claim.scope() if printed and isinstance(step.claim, ForSizes) else None,
        "anchors": list(step.anchor) or None,
        "trivial": step.trivial,
        "assumes": step.assumes,
        **location(step.defined_at),
    }
    if printed:
        _LAST = (derivation, step, fields)
    return copy.deepcopy(fields)


def location(defined_at: tuple[str, int] | None) -> dict:
    """``file`` (relative to the working directory when inside it) and ``line``, e.g. of a ``Step(...)`` call."""
    if defined_at is None:
        return {"file": None, "line": None}
    path, line = defined_at
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive
        relative = path
    return {"file": path if relative.startswith("..") else relative, "line": line}


def claim_domains(obligations: list[Obligation]) -> dict[sp.Symbol, Domain]:
    """The declared domain of every free symbol; two different symbols of one name are an error
    (the numeric checker evaluates by name)."""
    domains: dict[sp.Symbol, Domain] = {}
    names: dict[str, sp.Symbol] = {}
    for ob in obligations:
        for s in ob.free_symbols():
            other = names.setdefault(s.name, s)
            if other != s:
                raise ClaimError(
                    f"two different symbols are named {s.name!r} in one claim (declared with other domains or "
                    f"LaTeX names: {domain_of(other).name} {latex_of(other)!r}, {domain_of(s).name} "
                    f"{latex_of(s)!r}); rename one of them or declare it once"
                )
            domains[s] = domain_of(s)
    return domains


def counterexample_latex(
    counterexample: dict[str, str] | None, domains: dict[sp.Symbol, Domain]
) -> dict[str, str] | None:
    """The LaTeX a report prints for each symbol of ``counterexample`` (its declared name, as in the
    claim); a primed copy of a symbol (the second point of an invariance) is the name primed."""
    if not counterexample:
        return None
    names = {s.name: to_latex(s) for s in domains}
    out = {}
    for key in counterexample:
        if key in names:
            out[key] = names[key]
        elif key.endswith("′") and key[:-1] in names:
            out[key] = "{" + names[key[:-1]] + "}'"
    return out or None


def _samples_first(ob: Obligation, profile: Profile) -> int:
    if isinstance(ob, Conditional):
        return profile.samples  # a search for an instance of the hypotheses violating the conclusion
    return profile.family_samples if ob.numeric_only else profile.crosscheck_samples


def check_step(derivation: Derivation, step: Step, profile: Profile) -> StepResult:
    """Check one step of ``derivation`` under ``profile``."""
    start = time.perf_counter()
    base = base_fields(derivation, step)

    def result(status: str, **kw) -> StepResult:
        return StepResult(**base, status=status, seconds=round(time.perf_counter() - start, 4), **kw)

    try:
        obligations = step.claim.obligations()
        domains = claim_domains(obligations)
    except (VerifyError, TypeError, ValueError, sp.SympifyError) as exc:
        return result("error", method=None, reason=f"malformed claim: {exc}")

    fuzzed = [i for i, ob in enumerate(obligations) if ob.fuzzed]
    numeric: dict[int, NumericOutcome] = {}
    symbolic = {}
    samples, worst = 0, 0.0
    reproduction = None
    notes: list[str] = []

    def search(i: int, n: int) -> bool:
        """Fuzz obligation ``i`` with ``n`` samples; True when it was refuted."""
        nonlocal samples, worst, reproduction
        ob = obligations[i]
        num = fuzz(ob, domains, profile, samples=n)
        if num.reproduction is not None:  # a reported number: say what was recomputed either way
            reproduction = num.reproduction
            if num.status == "confirmed" and num.reason:
                notes.append(num.reason)
        samples += num.samples
        worst = max(worst, num.max_rel_error)
        numeric[i] = num
        return num.status == "refuted"

    def verdict() -> StepResult:
        evidence = {i: Evidence(n.status, n.samples, n.reason) for i, n in numeric.items()}
        v = decide(obligations, symbolic, evidence, notes)
        refuting = numeric[v.refuting] if v.refuting is not None else None
        reason = v.reason
        if refuting is not None and reproduction is not None:
            reason = refuting.reason
        return result(
            v.status,
            method=v.method,
            samples=samples,
            max_rel_error=refuting.max_rel_error if refuting is not None else worst,
            counterexample=refuting.counterexample if refuting is not None else None,
            counterexample_latex=counterexample_latex(refuting.counterexample, domains) if refuting else None,
            values=refuting.values if refuting is not None else None,
            symbolic_method=v.symbolic_method,
            reason=reason,
            reproduction=reproduction,
            final=v.final,
            crosschecked=v.crosschecked,
        )

    for i in fuzzed:
        ob = obligations[i]
        if isinstance(ob, Conditional) and ob.numeric_only:
            notes.append(f"{ob.label + ': ' if ob.label else ''}hypotheses: searched numerically only")
        if search(i, _samples_first(ob, profile)):
            return verdict()
    for i, ob in enumerate(obligations):
        if ob.proof_part:
            symbolic[i] = prove(ob, profile.symbolic_budget)
    if all(symbolic[i].status == "proved" for i in symbolic) and symbolic:
        return verdict()
    for i in fuzzed:  # not proved: the full search (a Conditional had it already)
        ob = obligations[i]
        if isinstance(ob, Conditional) or ob.numeric_only or numeric[i].status == "error":
            continue
        if search(i, profile.samples):
            return verdict()
    return verdict()
