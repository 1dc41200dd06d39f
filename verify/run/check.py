"""Checking one step: its obligations attempted (:mod:`verify.run.attempt`), the kernel's verdict
made a :class:`StepResult`, and the step diagnosed (:mod:`verify.diagnose`)."""

from __future__ import annotations

import copy
import os
import time
from dataclasses import replace

import mpmath
import sympy as sp

from verify.diagnose import diagnose
from verify.domains import Domain
from verify.errors import VerifyError
from verify.kernel.obligations import Obligation
from verify.model import Claim, Derivation, ForSizes, Step
from verify.printing import to_latex
from verify.profiles import Profile
from verify.results import StepResult
from verify.run.attempt import attempt, claim_domains

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


#: mpmath's default working precision (bits), which the engine's numeric code assumes outside the
#: contexts it sets itself: a step is checked under it whatever the process's global precision
#: (a derivation's own code may have set ``mpmath.mp.dps``), and what the step changes ends with it
MPMATH_PREC = 53


def check_step(
    derivation: Derivation, step: Step, profile: Profile, obligations: list[Obligation] | None = None
) -> StepResult:
    """Check one step of ``derivation`` under ``profile``; with ``profile.diagnose``, a refuted step
    gets repair hints and a proved or confirmed one its assumption ledger. ``obligations``: the
    claim's, when the caller built them already (for its cache key). mpmath works at
    :data:`MPMATH_PREC` bits outside the engine's own contexts, so that neither an earlier step
    nor a module's global setting moves the result."""
    start = time.perf_counter()
    base = base_fields(derivation, step)

    def result(status: str, **kw) -> StepResult:
        return StepResult(**base, status=status, seconds=round(time.perf_counter() - start, 4), **kw)

    try:
        if obligations is None:
            obligations = step.claim.obligations()
        domains = claim_domains(obligations)
    except (VerifyError, TypeError, ValueError, sp.SympifyError) as exc:
        return result("error", method=None, reason=f"malformed claim: {exc}")

    with mpmath.workprec(MPMATH_PREC):
        done = attempt(obligations, domains, profile)
        extra = diagnose(step.claim, obligations, done, domains, profile) if profile.diagnose else {}
    v, refuting = done.verdict, done.refuting
    reason = v.reason
    if refuting is not None and done.reproduction is not None:
        reason = refuting.reason
    corrected: dict = {}
    if isinstance(step.correction, Claim):
        status, why, final = check_correction(step.correction, profile)
        corrected = {"correction_status": status, "correction_reason": why}
        v = replace(v, final=v.final and final)
    return result(
        v.status,
        method=v.method,
        samples=done.samples,
        max_rel_error=refuting.max_rel_error if refuting is not None else done.worst,
        counterexample=refuting.counterexample if refuting is not None else None,
        counterexample_latex=counterexample_latex(refuting.counterexample, domains) if refuting else None,
        values=refuting.values if refuting is not None else None,
        symbolic_method=v.symbolic_method,
        reason=reason,
        reproduction=done.reproduction,
        final=v.final,
        crosschecked=v.crosschecked,
        **corrected,
        **extra,
    )


#: the share of the profile's symbolic budget a corrected form's proof gets (its status is shown beside the
#: step's; a failed proof attempt spends the whole budget)
CORRECTION_BUDGET = 1 / 3


def check_correction(correction: Claim, profile: Profile) -> tuple[str, str | None, bool]:
    """A step's corrected form checked as a claim is (without a diagnosis), with :data:`CORRECTION_BUDGET`
    of the symbolic budget: its status, the reason (with the counterexample when refuted) and whether
    the verdict is final. A corrected form is shown as the right statement, so it must hold: a refuted
    one fails the step. The search is the claim's own, so only the proof, not a refutation, depends
    on the smaller budget."""
    try:
        obligations = correction.obligations()
        domains = claim_domains(obligations)
    except (VerifyError, TypeError, ValueError, sp.SympifyError) as exc:
        return "error", f"malformed corrected form: {exc}", True
    with mpmath.workprec(MPMATH_PREC):
        done = attempt(
            obligations, domains, replace(profile, symbolic_budget=profile.symbolic_budget * CORRECTION_BUDGET)
        )
    v, refuting = done.verdict, done.refuting
    reason = v.reason
    if refuting is not None and refuting.counterexample:
        shown = ", ".join(f"{k} = {x}" for k, x in refuting.counterexample.items())
        reason = f"{reason or 'counterexample found'} at {shown}"
    return v.status, reason, v.final
