"""Running: the steps of derivations, in worker processes, reusing cached verdicts.

Each step is checked by :func:`verify.run.check.check_step`; the status it gets is decided by
:func:`verify.kernel.verdict.decide` alone.
"""

from __future__ import annotations

import contextlib
import gc
import math
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import sympy as sp

from verify import __version__
from verify.model import Derivation, ForSizes, Implies, Limit, Step
from verify.profiles import Profile
from verify.results import DerivationResult, RunResult, StepResult
from verify.run import pool
from verify.run.cache import VerdictCache
from verify.run.check import base_fields, check_step, location
from verify.run.interrupts import USER_EXITS, from_user
from verify.run.reads import recording
from verify.run.registry import Registry

ProgressCallback = Callable[[str, str], None]

#: the cyclic garbage collector's thresholds while steps are checked (Python's are 700, 10, 10).
#: SymPy, mpmath and Hypothesis allocate millions of short-lived objects, few of them in cycles:
#: with Python's thresholds a serial check of the built-in derivations spent 6–9 % of its CPU time
#: in collections, most of it in full collections of a heap SymPy's caches keep large; with these,
#: 2–3 %, for about 27 MB more memory per process. Collections free memory only: they decide
#: nothing, and a symbolic budget (CPU time) spends less of itself in them.
COLLECTOR_THRESHOLDS = (50_000, 100, 1_000)


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Checking under :data:`COLLECTOR_THRESHOLDS` (inherited by the worker processes forked meanwhile);
    the process's own thresholds are restored after."""
    before = gc.get_threshold()
    gc.set_threshold(*COLLECTOR_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def expected_weight(step: Step) -> float:
    """A guess at how long ``step`` takes to check, read from its claim without building it: for
    ordering a run that has no measured times, so that the long steps (families checked at large
    sizes, theorems with hypotheses, limits) start first and no core idles at the end."""
    claim = step.claim
    if isinstance(claim, ForSizes):
        try:
            return float(sum(n * n for n in {*claim.symbolic, *claim.numeric}))
        except TypeError:  # malformed sizes: its check reports them
            return 1.0
    return 10.0 if isinstance(claim, Implies | Limit) else 1.0


def check_derivation(
    derivation: Derivation, profile: Profile, progress: ProgressCallback | None = None
) -> DerivationResult:
    steps = []
    for step in derivation.steps:
        try:
            steps.append(check_step(derivation, step, profile))
        except USER_EXITS as exc:  # the derivation's own code raised: that step's error
            if not from_user(exc):
                raise
            steps.append(crash_result(derivation, step, f"{type(exc).__name__}: {exc}", 0.0))
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
        [r.to_json() for r in derivation.records],
    )


def load_error_result(module: str, reason: str, where: tuple[str, int] | None = None) -> DerivationResult:
    """A module that could not be loaded, as a derivation with one ``error`` step (at ``where``)."""
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
        **location(where),
    )
    return DerivationResult(ident, f"module {module}", "core", {"document": module, "location": ""}, [step])


class ClaimsInFlight:
    """The claims the worker processes of one run are checking: a marker file per claim key in a
    private temporary directory, created by the first worker to reach the claim.

    Two steps of one run may make the same claim (an audit restating a core derivation's step):
    their cache key is the same, and so is their verdict. The worker that reaches such a claim
    while another is checking it holds its step back (:class:`verify.run.pool.Later`) until that
    verdict is stored, and the cache then answers it. A step is held back once only: if the
    verdict was not stored (the other step timed out, crashed, or its verdict is never cached),
    it is checked.
    """

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="verify-claims-"))

    def take(self, key: str) -> bool:
        """Claim ``key`` for this process: False when another process took it first."""
        if not re.fullmatch(r"[0-9a-f]{16,128}", key):  # not a key this cache makes: never shared
            return True
        try:
            os.close(os.open(self.directory / key, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except FileExistsError:
            return False
        return True

    def close(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


#: what forked workers check: set by :func:`check_steps` just before the workers start
_WORK: (
    tuple[Profile, dict[tuple[str, int], tuple[Derivation, Step]], VerdictCache | None, ClaimsInFlight | None] | None
) = None


def check_or_reuse(
    derivation: Derivation,
    step: Step,
    profile: Profile,
    cache: VerdictCache | None,
    in_flight: ClaimsInFlight | None = None,
) -> tuple[StepResult | None, str | None, list[str]]:
    """The cached verdict of the step's claim if there is one, else a fresh check.

    Returns the result, the claim's cache key (None: not cacheable) and the cache's warnings;
    the result is None, and nothing is checked, when the claim is not cached and ``in_flight``
    says another process is checking it now. Computing the key builds the claim's obligations,
    which can be costly (a family of claims up to a large size), so this runs in the worker
    processes, not in the parent; a fresh check reuses them (the verdict is then of exactly the
    obligations the key describes).
    """
    if cache is None:
        with recording() as read:  # reported as with a cache, though nothing reuses the result
            result = check_step(derivation, step, profile)
        result.reads = read or None
        return result, None, []
    start = time.perf_counter()
    with recording(exclude=(cache.directory,)) as built_from:  # a family may build its sizes from a table
        try:
            obligations = step.claim.obligations()
        except Exception:  # a malformed claim: the key and the check each report it their own way
            obligations = None
    before = len(cache.warnings)
    key = cache.claim_key(step, obligations)
    hit = cache.load_step(key, lambda: base_fields(derivation, step)) if key else None
    warnings = cache.warnings[before:]
    del cache.warnings[before:]  # handed to the caller, which may be another process
    if hit is not None:
        hit.reads = {**built_from, **(hit.reads or {})} or None
        return hit, key, warnings
    if key and in_flight is not None and not in_flight.take(key):
        return None, key, []  # the warnings come again when it is answered
    with recording(exclude=(cache.directory,)) as checked_with:  # a recomputation may read a log
        result = check_step(derivation, step, profile, obligations)
    result.reads = {**built_from, **checked_with} or None
    result.seconds = round(time.perf_counter() - start, 4)  # building the claim included, as without a cache
    return result, key, warnings


#: a step to check in a worker: its derivation's id, its index in the work, and whether it may be
#: held back while another worker checks the same claim (once only)
Task = tuple[str, int, bool]


def _worker(task: Task) -> tuple[StepResult, str | None, list[str]]:
    assert _WORK is not None, "workers are forked after the work is set"
    profile, steps, cache, in_flight = _WORK
    ident, index, may_wait = task
    derivation, step = steps[(ident, index)]
    result, key, warnings = check_or_reuse(derivation, step, profile, cache, in_flight if may_wait else None)
    if result is None:  # another worker is checking the same claim: wait for its verdict
        raise pool.Later((ident, index, False), after=key)
    return result, key, warnings


def _prelude(task: Task) -> dict:
    """What a stopped step is reported with (its printed claim), computed in the worker under the limit."""
    assert _WORK is not None, "workers are forked after the work is set"
    derivation, step = _WORK[1][task[:2]]
    return base_fields(derivation, step)


def _stopped_fields(derivation: Derivation, step: Step, prelude: dict | None) -> dict:
    """The step's own fields for a step whose worker was stopped: the worker's, else those that cost nothing."""
    return prelude if prelude is not None else base_fields(derivation, step, printed=False)


def timeout_result(
    derivation: Derivation, step: Step, limit: float, elapsed: float, prelude: dict | None = None
) -> StepResult:
    """The result of a step stopped at the hard limit (nothing here can take long: the limit bounds the step)."""
    return StepResult(
        **_stopped_fields(derivation, step, prelude),
        status="timeout",
        method=None,
        reason=f"exceeded the hard limit of {limit:g} s per step (--step-timeout); its worker process was stopped",
        seconds=round(elapsed, 4),
    )


def crash_result(
    derivation: Derivation, step: Step, message: str, elapsed: float, prelude: dict | None = None
) -> StepResult:
    """The result of a step whose checking process crashed."""
    return StepResult(
        **_stopped_fields(derivation, step, prelude),
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
    cache: VerdictCache | None = None,
) -> Iterator[tuple[int, tuple[StepResult, str | None, list[str]]]]:
    """Check steps (reusing ``cache``'s verdicts); yield ``(index into work, check_or_reuse(…))`` as they complete.

    With ``step_timeout`` (seconds) every step runs in a worker process that is killed at the
    limit (the step is reported ``timeout``), even with ``jobs=1``. Without it and with
    ``jobs=1`` the steps are checked in this process. With a cache and several workers, a step
    whose claim another worker is checking waits for that verdict (:class:`ClaimsInFlight`).
    """
    global _WORK
    if not work:
        return
    if jobs <= 1 and not step_timeout:
        for i, (d, s) in enumerate(work):
            try:
                yield i, check_or_reuse(d, s, profile, cache)
            except USER_EXITS as exc:  # the derivation's own code raised: that step's error
                if not from_user(exc):
                    raise
                yield i, (crash_result(d, s, f"{type(exc).__name__}: {exc}", 0.0), None, [])
        return
    in_flight = ClaimsInFlight() if cache is not None and jobs > 1 else None
    _WORK = (profile, {(d.id, i): (d, s) for i, (d, s) in enumerate(work)}, cache, in_flight)
    tasks = [(d.id, i, True) for i, (d, _) in enumerate(work)]
    limit = step_timeout or None
    try:
        yield from pool.run_tasks(
            tasks,
            _worker,
            jobs,
            limit,
            on_timeout=lambda t, elapsed, pre: (timeout_result(*work[t[1]], float(limit or 0), elapsed, pre), None, []),
            on_crash=lambda t, message, elapsed, pre: (crash_result(*work[t[1]], message, elapsed, pre), None, []),
            prelude=_prelude,
            settles=lambda done: done[1],  # a claim's verdict, once stored, answers the steps waiting for it
        )
    finally:
        _WORK = None
        if in_flight is not None:
            in_flight.close()


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

    Steps whose verdict is cached are not checked; the others are checked slowest first (by the
    times the cache remembers; steps it has no time for come first, the heaviest by
    :func:`expected_weight` first), each under the hard limit ``step_timeout`` (seconds; None or
    0 for none), with :func:`fewer_collections`. No process is started when nothing needs checking.
    """
    start = time.perf_counter()
    results: list[DerivationResult] = []
    if include_load_errors:
        results.extend(load_error_result(e.module, e.reason, e.where) for e in registry.errors)
    slots: dict[str, list[StepResult | None]] = {}
    derivation_keys: dict[str, str] = {}
    todo: list[tuple[Derivation, int]] = []
    for d in derivations:
        dkey = cache.derivation_key(d) if cache else None
        whole = cache.load_derivation(dkey, d, registry.reads) if cache and dkey else None
        if whole is not None:
            slots[d.id] = list(whole)
            for s in d.steps:
                if progress:
                    progress(d.id, s.id)
            continue
        if dkey:
            derivation_keys[d.id] = dkey
        slots[d.id] = [None] * len(d.steps)
        todo.extend((d, i) for i in range(len(d.steps)))
    timings = cache.timings() if cache else {}

    def slowest_first(task: tuple[Derivation, int]) -> tuple[float, float]:
        step = task[0].steps[task[1]]
        seconds = timings.get(f"{task[0].id}::{step.id}")
        return (-math.inf, -expected_weight(step)) if seconds is None else (-seconds, 0.0)

    todo.sort(key=slowest_first)
    measured: dict[str, float] = {}
    work = [(d, d.steps[i]) for d, i in todo]
    with fewer_collections():
        for n, (result, key, warnings) in check_steps(work, profile, jobs, step_timeout, cache):
            d, i = todo[n]
            slots[d.id][i] = result
            if cache:
                cache.warnings.extend(warnings)
                if not result.cached:
                    measured[f"{d.id}::{result.id}"] = result.seconds
                    if key:
                        cache.store_step(key, result)
            if progress:
                progress(d.id, result.id)
    for d in derivations:
        steps = [s for s in slots[d.id] if s is not None]
        results.append(_derivation_result(d, steps))
        if cache and d.id in derivation_keys:
            cache.store_derivation(derivation_keys[d.id], steps, registry.reads)
    if cache:
        cache.record_timings(measured)
    return RunResult(results, time.perf_counter() - start, __version__, profile.name, environment(profile))
