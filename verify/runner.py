"""Running: each step is checked symbolically, then numerically, and the two are merged.

Status of a step: ``proved`` when every obligation the symbolic checker was asked to prove
is proved (and none of them is contradicted by the fuzzer); ``confirmed`` when the fuzzer
found no violation but some obligation was not proved symbolically; ``refuted`` with the
shrunk counterexample; ``error`` when the claim could not be evaluated — including the case
of the two checkers disagreeing, which signals a bug rather than a verdict.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

import sympy as sp

from verify import __version__
from verify.domains import SYMBOL_TABLE
from verify.errors import VerifyError
from verify.model import Derivation, ForSizes, Step
from verify.numeric import PROFILES, Profile, fuzz
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
        if ob.numeric_only:
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


_WORKER_REGISTRY: Registry | None = None


def _worker(args: tuple[str, str, str]) -> StepResult:
    derivation_id, step_id, profile_name = args
    assert _WORKER_REGISTRY is not None, "workers are forked after the registry is loaded"
    derivation = _WORKER_REGISTRY.derivations[derivation_id]
    return check_step(derivation, derivation.step(step_id), PROFILES[profile_name])


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
) -> RunResult:
    """Check ``derivations`` (in parallel processes when ``jobs > 1``)."""
    global _WORKER_REGISTRY
    start = time.perf_counter()
    results: list[DerivationResult] = []
    if include_load_errors:
        results.extend(load_error_result(e.module, e.reason) for e in registry.errors)
    if jobs > 1 and sum(len(d.steps) for d in derivations) > 1 and profile.name in PROFILES:
        _WORKER_REGISTRY = registry
        tasks = [(d.id, s.id, profile.name) for d in derivations for s in d.steps]
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
            steps = iter(pool.map(_worker, tasks))
            for d in derivations:
                checked = []
                for s in d.steps:
                    checked.append(next(steps))
                    if progress:
                        progress(d.id, s.id)
                results.append(_derivation_result(d, checked))
    else:
        for d in derivations:
            results.append(check_derivation(d, profile, progress))
    return RunResult(results, time.perf_counter() - start, __version__, profile.name, environment(profile))
