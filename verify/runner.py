"""Running: each step is checked symbolically, then numerically, and the two are merged.

Status of a step: ``proved`` when every obligation the symbolic checker was asked to prove
is proved (and none of them is contradicted by the fuzzer); ``confirmed`` when the fuzzer
found no violation but some obligation was not proved symbolically; ``refuted`` with the
shrunk counterexample; ``error`` when the claim could not be evaluated — including the case
of the two checkers disagreeing, which signals a bug rather than a verdict.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator

import sympy as sp

from verify import __version__, pool
from verify.cache import VerdictCache
from verify.domains import SYMBOL_TABLE
from verify.errors import VerifyError
from verify.model import Derivation, ForSizes, Step
from verify.numeric import fuzz
from verify.obligations import Conditional
from verify.profiles import Profile
from verify.registry import Registry
from verify.results import DerivationResult, RunResult, StepResult
from verify.symbolic import prove

ProgressCallback = Callable[[str, str], None]


def _base(derivation: Derivation, step: Step) -> dict:
    src = derivation.step_source(step)
    try:
        latex = step.claim.latex()
    except Exception as exc:
        latex = rf"\text{{(claim cannot be printed: {type(exc).__name__})}}"
    return {
        "id": step.id,
        "source": {"document": src.document, "location": src.location},
        "uses": list(step.uses),
        "claim_latex": latex,
        "justification": step.justification,
        "expected": step.expected,
        "correction_latex": step.correction_latex(),
        "diagnosis": step.diagnosis,
        "scope": step.claim.scope() if isinstance(step.claim, ForSizes) else None,
    }


def _group(items: list[tuple[str, str]]) -> str:
    """``[(label, reason)]`` → "label1, label2: reason; label3: other reason"."""
    by_reason: dict[str, list[str]] = {}
    for label, reason in items:
        by_reason.setdefault(reason, []).append(label)
    return "; ".join(
        (", ".join(x for x in labels if x) + ": " if any(labels) else "") + reason
        for reason, labels in by_reason.items()
    )


def check_step(derivation: Derivation, step: Step, profile: Profile) -> StepResult:
    """Check one step: every obligation symbolically (unless numeric-only), then by fuzzing."""
    start = time.perf_counter()
    base = _base(derivation, step)

    def result(status: str, **kw) -> StepResult:
        return StepResult(**base, status=status, seconds=round(time.perf_counter() - start, 4), **kw)

    try:
        obligations = step.claim.obligations()
        domains = {s: SYMBOL_TABLE.domain_of(s) for ob in obligations for s in ob.free_symbols()}
    except (VerifyError, TypeError, ValueError, sp.SympifyError) as exc:
        return result("error", method=None, reason=f"malformed claim: {exc}")

    samples, worst = 0, 0.0
    reproduction = None
    notes: list[str] = []
    symbolic_methods: list[str] = []
    unproved: list[tuple[str, str]] = []
    attempted = 0
    for ob in obligations:
        label = f"{ob.label}: " if ob.label else ""
        sym = None
        if not ob.numeric_only:
            attempted += 1
            sym = prove(ob, profile.symbolic_budget)
            if sym.status == "proved":
                symbolic_methods.append(sym.method or "")
            else:
                unproved.append((ob.label, sym.reason or sym.status))
        if isinstance(ob, Conditional):
            n = profile.samples  # a search for an instance of the hypotheses violating the conclusion
            if ob.numeric_only:
                notes.append(f"{label}hypotheses: searched numerically only")
        elif ob.numeric_only:
            n = profile.family_samples
        elif sym is not None and sym.status == "proved":
            n = profile.crosscheck_samples
        else:
            n = profile.samples
        num = fuzz(ob, domains, profile, samples=n)
        if num.reproduction is not None:  # a reported number: say what was recomputed either way
            reproduction = num.reproduction
            if num.status == "confirmed":
                notes.append(num.reason or "")
        samples += num.samples
        worst = max(worst, num.max_rel_error)
        if num.status == "refuted":
            if sym is not None and sym.status == "proved":
                return result(
                    "error",
                    method="symbolic",
                    samples=samples,
                    counterexample=num.counterexample,
                    values=num.values,
                    reason=f"{label}checkers disagree: SymPy simplified it ({sym.method}) but a "
                    "numeric counterexample exists; the symbolic pipeline or a domain is wrong",
                )
            return result(
                "refuted",
                method="numeric",
                samples=samples,
                max_rel_error=num.max_rel_error,
                counterexample=num.counterexample,
                values=num.values,
                reason=num.reason
                if reproduction
                else f"{label}counterexample found"
                if label
                else "counterexample found",
                reproduction=reproduction,
            )
        if num.status == "error":
            if not (sym is not None and sym.status == "proved"):
                return result("error", method="numeric", samples=samples, reason=label + (num.reason or ""))
            notes.append(f"{label}numeric cross-check did not run: {num.reason}")

    methods = ", ".join(sorted(set(symbolic_methods))) or None
    if attempted and not unproved:
        return result(
            "proved",
            method="symbolic",
            samples=samples,
            max_rel_error=worst,
            symbolic_method=methods,
            reason="; ".join(notes) or None,
        )
    reasons = (["not proved symbolically: " + _group(unproved)] if unproved else []) + notes
    return result(
        "confirmed",
        method="numeric",
        samples=samples,
        max_rel_error=worst,
        symbolic_method=methods,
        reason="; ".join(reasons) or None,
        reproduction=reproduction,
    )


def check_derivation(
    derivation: Derivation, profile: Profile, progress: ProgressCallback | None = None
) -> DerivationResult:
    steps = []
    for step in derivation.steps:
        steps.append(check_step(derivation, step, profile))
        if progress:
            progress(derivation.id, step.id)
    return _derivation_result(derivation, steps)


def _derivation_result(derivation: Derivation, steps: list[StepResult]) -> DerivationResult:
    return DerivationResult(
        derivation.id,
        derivation.title,
        derivation.kind,
        {"document": derivation.source.document, "location": derivation.source.location},
        steps,
        derivation.summary,
    )


def load_error_result(module: str, reason: str) -> DerivationResult:
    """A module that could not be loaded, as a derivation with one ``error`` step."""
    ident = module.rsplit(".", 1)[-1]
    step = StepResult(
        id="module_loads",
        source={"document": module, "location": ""},
        uses=[],
        claim_latex=r"\text{module loads}",
        justification="",
        expected="holds",
        status="error",
        method=None,
        reason=reason,
    )
    return DerivationResult(ident, f"module {module}", "core", {"document": module, "location": ""}, [step])


#: what forked workers check: set by :func:`run` just before the workers start
_WORK: tuple[Profile, dict[tuple[str, int], tuple[Derivation, Step]]] | None = None


def _worker(task: tuple[str, int]) -> StepResult:
    assert _WORK is not None, "workers are forked after the work is set"
    profile, steps = _WORK
    derivation, step = steps[task]
    return check_step(derivation, step, profile)


def timeout_result(derivation: Derivation, step: Step, limit: float, elapsed: float) -> StepResult:
    """The result of a step stopped at the hard limit."""
    return StepResult(
        **_base(derivation, step),
        status="timeout",
        method=None,
        reason=f"exceeded the hard limit of {limit:g} s per step (--step-timeout); its worker process was stopped",
        seconds=round(elapsed, 4),
    )


def crash_result(derivation: Derivation, step: Step, message: str, elapsed: float) -> StepResult:
    """The result of a step whose checking process crashed."""
    return StepResult(
        **_base(derivation, step),
        status="error",
        method=None,
        reason=f"checking crashed: {message}",
        seconds=round(elapsed, 4),
    )


def check_steps(
    work: list[tuple[Derivation, Step]],
    profile: Profile,
    jobs: int = 1,
    step_timeout: float | None = None,
) -> Iterator[tuple[int, StepResult]]:
    """Check steps; yield ``(index into work, result)`` in completion order.

    With ``step_timeout`` (seconds) every step runs in a worker process that is killed at the
    limit (the step is reported ``timeout``), even with ``jobs=1``. Without it and with
    ``jobs=1`` the steps are checked in this process.
    """
    global _WORK
    if not work:
        return
    if jobs <= 1 and not step_timeout:
        for i, (d, s) in enumerate(work):
            yield i, check_step(d, s, profile)
        return
    _WORK = (profile, {(d.id, i): (d, s) for i, (d, s) in enumerate(work)})
    tasks = [(d.id, i) for i, (d, _) in enumerate(work)]
    limit = step_timeout or None
    try:
        yield from pool.run_tasks(
            tasks,
            _worker,
            jobs,
            limit,
            on_timeout=lambda t, elapsed: timeout_result(*work[t[1]], float(limit or 0), elapsed),
            on_crash=lambda t, message, elapsed: crash_result(*work[t[1]], message, elapsed),
        )
    finally:
        _WORK = None


def environment(profile: Profile) -> dict[str, str]:
    import platform

    import hypothesis
    import mpmath

    return {
        "python": platform.python_version(),
        "sympy": sp.__version__,
        "hypothesis": hypothesis.__version__,
        "mpmath": mpmath.__version__,
        "profile": profile.name,
    }


def run(
    registry: Registry,
    derivations: list[Derivation],
    profile: Profile,
    jobs: int = 1,
    progress: ProgressCallback | None = None,
    include_load_errors: bool = True,
    cache: VerdictCache | None = None,
    step_timeout: float | None = None,
) -> RunResult:
    """Check ``derivations`` in ``jobs`` processes, reusing the verdicts of ``cache``.

    Steps whose verdict is cached are not checked; the others are checked slowest first
    (by the times the cache remembers), each under the hard limit ``step_timeout`` (seconds;
    None or 0 for none). No process is started when nothing needs checking.
    """
    start = time.perf_counter()
    results: list[DerivationResult] = []
    if include_load_errors:
        results.extend(load_error_result(e.module, e.reason) for e in registry.errors)
    slots: dict[str, list[StepResult | None]] = {}
    derivation_keys: dict[str, str] = {}
    todo: list[tuple[Derivation, int, str | None]] = []
    for d in derivations:
        dkey = cache.derivation_key(d) if cache else None
        whole = cache.load_derivation(dkey, d) if cache and dkey else None
        if whole is not None:
            slots[d.id] = list(whole)
            for s in d.steps:
                if progress:
                    progress(d.id, s.id)
            continue
        if dkey:
            derivation_keys[d.id] = dkey
        slots[d.id] = [None] * len(d.steps)
        for i, s in enumerate(d.steps):
            key = cache.claim_key(s) if cache else None
            hit = cache.load_step(key, _base(d, s)) if cache and key else None
            if hit is not None:
                slots[d.id][i] = hit
                if progress:
                    progress(d.id, s.id)
            else:
                todo.append((d, i, key))
    timings = cache.timings() if cache else {}
    todo.sort(key=lambda t: -timings.get(f"{t[0].id}::{t[0].steps[t[1]].id}", math.inf))
    measured: dict[str, float] = {}
    work = [(d, d.steps[i]) for d, i, _ in todo]
    for n, result in check_steps(work, profile, jobs, step_timeout):
        d, i, key = todo[n]
        slots[d.id][i] = result
        measured[f"{d.id}::{result.id}"] = result.seconds
        if cache and key:
            cache.store_step(key, result)
        if progress:
            progress(d.id, result.id)
    for d in derivations:
        steps = [s for s in slots[d.id] if s is not None]
        results.append(_derivation_result(d, steps))
        if cache and d.id in derivation_keys:
            cache.store_derivation(derivation_keys[d.id], steps)
    if cache:
        cache.record_timings(measured)
    return RunResult(results, time.perf_counter() - start, __version__, profile.name, environment(profile))
