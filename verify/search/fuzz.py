"""Numeric fuzzing: Hypothesis draws points from the symbols' domains, mpmath evaluates.

Evaluation runs at ``dps`` significant digits (30 by default). A mismatch is trusted only if
it survives doubling the precision: when ``|lhs - rhs|`` collapses by many orders of magnitude
at twice the digits, it was rounding noise from catastrophic cancellation, not a violation.
The relative error of an equation is ``|lhs - rhs| / max(|lhs|, |rhs|, |t| for t in terms)``
where the terms are the top-level summands of both sides, so that exact cancellations to 0
are measured against the size of what cancelled. A violation is shrunk by Hypothesis to a
small counterexample, then re-evaluated at higher precision and reported with both values.
Under hypotheses, only points where every hypothesis holds are tested; points that certainly
violate one (by float64 arithmetic with error bounds) are skipped before any high-precision
evaluation.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import decimal
import fractions
import functools
import itertools
import math
import numbers
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import mpmath
import sympy as sp
from hypothesis import HealthCheck, Phase, Verbosity, given, reject, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.errors import Flaky, Unsatisfiable

from verify.domains import DIRECTION, DOWNWARD, NEAR, ORDER, UPWARD, Domain, exp10
from verify.functions import SPECIAL_FUNCTIONS, rewrite_special
from verify.kernel.budget import SymbolicTimeout, solver_loaded, time_limit
from verify.kernel.obligations import (
    Conditional,
    Equation,
    Invariance,
    LimitOf,
    Obligation,
    Recomputation,
    Sign,
    free_symbols,
    nodes,
)
from verify.profiles import PROFILES, Profile  # noqa: F401 (re-exported)
from verify.search import bulk
from verify.search.points import far_values, fixed_points
from verify.search.tape import Evaluation, Tape


@dataclass
class NumericOutcome:
    status: str  # "confirmed" | "refuted" | "error"
    samples: int = 0
    max_rel_error: float = 0.0
    counterexample: dict[str, str] | None = None
    values: dict[str, str] | None = None
    reason: str | None = None
    reproduction: dict | None = None
    #: the refuting point itself (symbol name → number; an invariance's ``{"base", "alt"}``), not serialised
    point: dict | None = None


@dataclass
class _Probe:
    """The verdict of one point: ``ok`` None means the claim is undefined there (skipped)."""

    ok: bool | None
    err: float = 0.0
    #: the values behind the verdict, as numbers (formatted by :func:`_shown` only when reported)
    values: dict[str, object] = field(default_factory=dict)


class _Violation(Exception):
    pass


def _finite(x) -> bool:
    try:
        return bool(mpmath.isfinite(x))
    except (TypeError, ValueError):
        return False


def _nan(x) -> bool:
    try:
        return bool(mpmath.isnan(x))
    except (TypeError, ValueError):
        return True


def _nstr(x, digits: int) -> str:
    """``x`` to ``digits`` significant digits, rounded first: mpmath prints a number of thousands of
    digits (a limit's deep approach) through ``str`` of an integer, which Python refuses past 4300."""
    with mpmath.workdps(digits + 5):
        return mpmath.nstr(+x, digits)


def _fmt(x) -> str:
    if isinstance(x, mpmath.mpc) and x.imag != 0:
        return _nstr(x, 20)
    return _nstr(mpmath.re(x), 20)


def _shown(values: Mapping[str, object]) -> dict[str, str]:
    return {k: v if isinstance(v, str) else _fmt(v) for k, v in values.items()}


def _fmt_input(x: float) -> str:
    return repr(float(x))


def _terms(*exprs: sp.Expr) -> list[sp.Expr]:
    out: list[sp.Expr] = []
    for e in exprs:
        args = sp.Add.make_args(sp.sympify(e))
        if len(args) > 1:
            out.extend(args)
    return out


@functools.lru_cache(maxsize=256)
def _tape(exprs: tuple[sp.Expr, ...], renamings: tuple[tuple[tuple[str, str], ...], ...]) -> Tape:
    """The compiled tape of ``exprs`` (a tape is a pure function of its expressions: reused when an
    obligation is searched again, at the cross-check and then the full sample, or widened)."""
    return Tape(list(exprs), [dict(r) for r in renamings])


class _Evaluator:
    """Evaluates a list of expressions at a point (a name → float mapping) at given digits."""

    def __init__(self, symbols: list[sp.Symbol], exprs: list[sp.Expr], renamings: list[dict[str, str]] = ()):
        self.tape = _tape(tuple(exprs), tuple(tuple(sorted(r.items())) for r in renamings))

    def __call__(self, point: Mapping[str, float], dps: int) -> Evaluation | None:
        """The values (and, on demand, the largest intermediate magnitude) at ``dps`` digits, or
        None if undefined there."""
        ctx = mpmath.mp
        prec = ctx.prec
        ctx.dps = dps
        try:
            return self.tape.evaluate(point)
        except (ZeroDivisionError, ValueError, OverflowError, TypeError):
            return None
        finally:
            ctx.prec = prec


def _digits_needed(point: Mapping[str, float], dps: int) -> int:
    """Working digits for confirming a mismatch: enough to span the inputs' magnitudes."""
    span = 0.0
    for v in point.values():
        if isinstance(v, dict):
            return max(_digits_needed(v, dps) for v in point.values() if isinstance(v, dict))
        if v:
            span = max(span, abs(math.log10(abs(v))))
    return 2 * dps + 2 * int(span)


#: the most digits spent deciding one point; beyond it the point is left undecided
MAX_DPS = 3000
#: digits of headroom below which a result is treated as rounding noise
NOISE_DIGITS = 8

Getter = Callable[[int], "Evaluation | None"]


def _tol(profile: Profile, dps: int) -> float:
    """The relative tolerance at ``dps`` digits: the profile's for a claim with floats, the noise of
    the working precision (10^(8 − dps)) for an exact one (``rel_tol`` 0, see :func:`_exact_tolerance`)."""
    return profile.rel_tol or 10.0 ** (NOISE_DIGITS - dps)


#: terms this many times larger than both sides (or than the value) make an agreement at the first
#: precision suspect: the difference may have cancelled below its digits
CANCELLED = 1e6


def _cancelled(scale, *values) -> bool:
    return bool(scale) and CANCELLED * max(abs(v) for v in values) < scale


def _noise_floor(magnitude, dps: int):
    """What rounding can produce at ``dps`` digits when intermediates reach ``magnitude``."""
    return magnitude * mpmath.mpf(10) ** (NOISE_DIGITS - dps)


def _next_dps(dps: int, magnitude, value) -> int:
    """Enough digits to resolve ``value`` against intermediates of size ``magnitude``."""
    if value and magnitude:
        need = int(mpmath.log10(magnitude / abs(value))) + 2 * NOISE_DIGITS + dps // 4
        return max(2 * dps, need)
    return 2 * dps


def _scale(values: list) -> object:
    """The largest ``|v|`` among the finite values (the first one is finite).

    Picked by float64 magnitudes when every value converts to a finite float and the largest
    is nonzero (values within one float64 rounding of each other may then be picked in either
    order, which moves the scale by at most one part in 10^16); otherwise compared exactly.
    """
    try:
        magnitudes = [abs(float(v)) for v in values]
    except (TypeError, ValueError, OverflowError):  # complex values
        magnitudes = None
    if magnitudes is not None:
        top = max(magnitudes)
        if 0 < top < math.inf:
            return abs(values[magnitudes.index(top)])
    return max([abs(values[0])] + [abs(v) for v in values[1:] if _finite(v)])


def _compare(get: Getter, profile: Profile, confirm_dps: int, box: Boxes | None = None) -> _Probe:
    """Compare the first two values; the rest are terms giving the scale.

    A mismatch is trusted only when the difference stands above the rounding noise of the
    evaluation (10^-dps times the largest intermediate value, with some headroom) and stays
    the same when the precision is doubled. Otherwise the precision is raised until the
    difference resolves — into agreement (cancellation noise) or a real violation — or
    :data:`MAX_DPS` is reached; then, for an exact claim, an interval evaluation (``box``, see
    :func:`_boxed`) that shows ``lhs − rhs`` away from 0 refutes it, and otherwise the point is left
    undecided, never refuted. A side that is infinite is raised the same way (it may be a rounding):
    infinite at every precision, undecided.
    """
    got = get(profile.dps)
    if got is None:
        return _Probe(None)
    lhs, rhs, *terms = got.outputs
    one_infinite = not (_finite(lhs) and _finite(rhs))
    if one_infinite and (_nan(lhs) or _nan(rhs) or not (_finite(lhs) or _finite(rhs))):
        return _Probe(None)  # undefined at this point (nan, or infinite on both sides)

    def rel(lhs, rhs, terms) -> tuple[float, mpmath.mpf]:
        scale = _scale([lhs, rhs, *terms])
        diff = abs(lhs - rhs)
        return (float(diff / scale) if scale else float(diff != 0)), diff

    # one side infinite: an overflow or a rounding (1 − σ(100) is 0 at 30 digits, its log −∞), or a
    # pole; more digits tell them apart, and a side still infinite at every precision is undecided
    err, _ = rel(lhs, rhs, terms) if not one_infinite else (math.inf, None)
    values = {"lhs": lhs, "rhs": rhs}
    if err <= _tol(profile, profile.dps):
        if not _cancelled(_scale([lhs, rhs, *terms]), lhs, rhs):
            return _Probe(True, err, values)
        # both sides far below their terms: e^100·(1 + x/10^40) − e^100 is 0 at 30 digits and 2688·x at 60
        again = get(2 * profile.dps)
        if again is None or not all(_finite(v) for v in again.outputs[:2]):
            return _Probe(None)
        if rel(again.outputs[0], again.outputs[1], again.outputs[2:])[0] <= _tol(profile, 2 * profile.dps):
            return _Probe(True, err, values)
    dps, previous = max(confirm_dps, 2 * profile.dps), None
    while dps <= MAX_DPS:
        got = get(dps)
        if got is None:
            return _Probe(None)
        lhs, rhs, *terms = got.outputs
        if not (_finite(lhs) and _finite(rhs)) or got.lost:
            previous, dps = None, 2 * dps
            continue
        err, diff = rel(lhs, rhs, terms)
        values = {"lhs": lhs, "rhs": rhs}
        if err <= _tol(profile, dps):
            return _Probe(True, err, values)
        magnitude = got.magnitude
        if diff > _noise_floor(magnitude, dps):
            if previous is not None and abs(previous - diff) <= mpmath.mpf("1e-6") * diff:
                return _Probe(False, err, values)
            previous, dps = diff, 2 * dps
        else:
            previous, dps = None, _next_dps(dps, magnitude, diff)
    if box is not None and not profile.rel_tol:  # an exact claim: any difference at all violates it
        got = box()
        if got is not None and len(got) >= 2:
            gap = got[0] - got[1]
            if gap.a > 0 or gap.b < 0:
                return _Probe(False, math.inf, {"lhs": _inner(got[0]), "rhs": _inner(got[1])})
    return _Probe(None)


#: the interval evaluation of a point's outputs (:meth:`verify.search.tape.Tape.interval`), or None
Boxes = Callable[[], "list | None"]

#: the precision of an interval evaluation, in bits
BOX_BITS = 256


def _boxed(ev: _Evaluator, point: Mapping) -> Boxes:
    """The intervals of ``ev``'s outputs at ``point``: the last word on a point whose value the digits never
    resolved (its noise floor, set by the largest intermediate, stayed above it), each interval enclosing the
    exact value whatever the rounding (σ(−10⁸) − 10^−5000 lies in [−1.0·10^−5000, −0.99·10^−5000])."""
    return lambda: ev.tape.interval(point, BOX_BITS)


def _inner(box) -> mpmath.mpf:
    """A number inside the interval ``box`` (its lower end, or its upper end when the lower is −∞)."""
    end = box.a if mpmath.isfinite(mpmath.mpf(box.a)) else box.b
    return mpmath.mpf(end)


def _sign(
    get: Getter,
    strict: bool,
    profile: Profile,
    confirm_dps: int,
    exact_zero: Callable[[], bool] | None = None,
    box: Boxes | None = None,
) -> _Probe:
    """``value ≥ 0`` (or ``> 0``), decided only where the value stands above rounding noise.

    A value that is 0 at every precision up to :data:`MAX_DPS` digits satisfies a non-strict
    claim; it violates a strict one only when ``exact_zero()`` shows the value is exactly 0 at the
    point (1 − σ(10⁴) evaluates to 0 at 3000 digits, but it is not 0), asked as soon as the value
    sits in the rounding noise of two precisions; otherwise the point is left undecided. One that
    stays inside the noise floor is decided, in a claim without floats, by its interval (``box``) when
    that lies on one side of 0; otherwise it satisfies a non-strict claim and leaves a strict one undecided.
    """
    got = get(profile.dps)
    if got is None:
        return _Probe(None)
    v, *terms = got.outputs
    if not _finite(v):
        return _Probe(None)
    scale = _scale([v, *terms])
    values = {"value": v}
    tol = _tol(profile, profile.dps)
    if isinstance(v, mpmath.mpc) and abs(v.imag) > tol * scale:
        return _Probe(False, math.inf, values)
    v = mpmath.re(v)
    clear = v > tol * scale and not (strict and _tiny_noise(v, get, profile.dps))
    cancelled = v <= tol * scale and _cancelled(scale, v)  # about 0 far below its terms: 0 may hide a < 0
    if clear or (not strict and v >= 0 and not (cancelled and _negative_at(get, profile))):
        return _Probe(True, 0.0, values)
    if not strict and profile.rel_tol and v >= -profile.rel_tol * scale:  # a float's rounding, as for equations
        return _Probe(True, float(-v / scale) if scale else 0.0, values)
    dps, previous, noisy, tried = max(confirm_dps, 2 * profile.dps), None, 0, False
    while dps <= MAX_DPS:
        got = get(dps)
        if got is None or not _finite(got.outputs[0]):
            return _Probe(None)
        if got.lost:  # an intermediate lost to ±∞: this precision shows nothing (see Evaluation.lost)
            previous, dps = None, 2 * dps
            continue
        magnitude = got.magnitude
        v = mpmath.re(got.outputs[0])
        values = {"value": v}
        noisy = noisy + 1 if abs(v) <= _noise_floor(magnitude, dps) else 0
        if strict and noisy >= 2 and not tried and exact_zero is not None:
            tried = True  # 0 or rounding noise at two precisions: sin(π·1)² is exactly 0, which no precision shows
            if exact_zero():
                return _Probe(False, math.inf, {"value": sp.S.Zero})
        if v == 0:
            previous, dps = None, 2 * dps  # exact 0 or underflow: only more digits can tell
            if dps > MAX_DPS:  # 0 at every precision up to the cap
                if not strict:
                    return _Probe(True, 0.0, values)
                if exact_zero is not None and exact_zero():
                    return _Probe(False, math.inf, values)
                return _Probe(None)
        elif abs(v) > _noise_floor(magnitude, dps):
            if previous is not None and previous != 0 and abs(previous - v) <= mpmath.mpf("1e-6") * abs(v):
                ok = v > 0 if strict else v >= 0
                return _Probe(ok, 0.0 if ok else float(-v / scale) if scale else math.inf, values)
            previous, dps = v, 2 * dps
        else:
            previous, dps = None, _next_dps(dps, magnitude, v)
    got = box() if box is not None and not profile.rel_tol else None  # a claim with floats has a tolerance
    if got:
        if got[0].b < 0:  # below 0 whatever the rounding
            return _Probe(False, math.inf, {"value": _inner(got[0])})
        if got[0].a > 0:
            return _Probe(True, 0.0, {"value": _inner(got[0])})
    return _Probe(True, 0.0, values) if not strict else _Probe(None)


def _negative_at(get: Getter, profile: Profile) -> bool:
    """Whether a value that cancelled to about 0 at the first precision is below 0 at twice its digits
    (e^100·(1 − (1 + x²)/10^40) − e^100 is 0 at 30 digits and −2688 at 60): the loop then decides."""
    again = get(2 * profile.dps)
    return again is None or not _finite(again.outputs[0]) or mpmath.re(again.outputs[0]) < 0


#: below this size (in units of the working precision's noise, 10^(8 − dps)) a positive value of a
#: strict claim must come out the same at twice the digits before it counts
TINY = 1e10


def _tiny_noise(v, get: Getter, dps: int) -> bool:
    """Whether the small positive ``v`` may be rounding noise: an exact 0 that the evaluation could not
    show (sin(π·1)² evaluates to 1e-62 at 30 digits and 1e-124 at 60), unlike a value that is small
    (e^{−10⁴} comes out the same). Values above ``TINY`` times the noise unit are taken as they are
    (an exact 0 computed that large needs intermediates of 10¹⁰ and more)."""
    if v >= TINY * _noise_floor(1, dps):
        return False
    again = get(2 * dps)
    if again is None or not _finite(again.outputs[0]):
        return True
    return not abs(mpmath.re(again.outputs[0]) - v) <= mpmath.mpf("1e-6") * v


def _point_key(point: Mapping) -> tuple:
    return tuple((k, _point_key(v) if isinstance(v, Mapping) else v) for k, v in sorted(point.items()))


class _SearchState:
    """What a search has seen: points tested, the worst agreement, the (smallest) failure.

    Once a failure is found, Hypothesis shrinks it: every candidate it tries counts against
    ``shrink_examples``, so the counterexample a run reports depends only on the profile, never
    on how fast the machine is. ``shrink_seconds`` is a safety net against candidates so costly
    that the count would take minutes; when it stops shrinking, ``cut_short`` says so.
    """

    def __init__(
        self,
        to_point: Callable[[tuple], dict],
        probe: Callable[[dict], _Probe],
        shrink_examples: int,
        shrink_seconds: float,
        seen: dict | None = None,
    ):
        self.to_point = to_point
        self.probe = probe
        self.shrink_examples = shrink_examples
        self.shrink_seconds = shrink_seconds
        #: every point decided so far (by earlier searches of a :class:`SearchMemory` too): its verdict
        self.seen = {} if seen is None else seen
        #: distinct points decided
        self.n = sum(res.ok is not None for res in self.seen.values())
        self.worst = 0.0
        self.failure: tuple[dict, _Probe] | None = None
        self.candidates = 0  # shrinking candidates tried since the first failure
        self.deadline = math.inf
        self.cut_short = False
        #: set when the failure was found in the bulk sample and simplified there (see :func:`_sampled`)
        self.bulk_note: str | None = None

    def _budget_spent(self) -> bool:
        if self.candidates >= self.shrink_examples:
            return True
        if time.process_time() > self.deadline:
            self.cut_short = True
            return True
        return False

    def decide(self, point: dict) -> _Probe:
        """The probe's verdict at ``point``, evaluated once: a point met again (Hypothesis and the
        bulk sample both draw a domain's simple values) takes its verdict and is counted once."""
        key = _point_key(point)
        res = self.seen.get(key)
        if res is None:
            res = self.seen[key] = self.probe(point)
            self.n += res.ok is not None
        return res

    def test(self, values: tuple) -> None:
        point = self.to_point(values)
        # a replay of the smallest counterexample fails again without evaluating it; there is
        # one ``raise _Violation`` only, as Hypothesis tells failures apart by where they raise
        replay = self.failure is not None and point == self.failure[0]
        if self.failure is not None and not replay:
            if self._budget_spent():
                reject()  # shrinking budget spent: no further candidates
            self.candidates += 1
        res = self.failure[1] if replay else self.decide(point)
        if res.ok is None:
            reject()
        if res.ok:
            self.worst = max(self.worst, res.err)
            return
        if self.failure is None:
            self.deadline = time.process_time() + self.shrink_seconds
        self.failure = (point, res)
        raise _Violation


try:  # where Hypothesis keeps its pool of source constants (looked up once, not per search)
    from hypothesis.internal.conjecture import providers as _providers
except ImportError:  # a Hypothesis without providers
    _providers = None


@contextlib.contextmanager
def _without_source_constants() -> Iterator[None]:
    """Hypothesis draws without the literals of the modules this process has loaded.

    Recent Hypothesis versions mix into their draws, one in twenty, literals read from the source of
    every module loaded from outside ``site-packages``: this engine's own, the derivation
    modules', anything a user's code imported. A step's search then depends on what else the
    process loaded (``check ID`` or ``all``, a checkout or an installed copy, a module another
    step imported lazily), and so do its samples, its counterexample and in principle its verdict.
    While a search runs, that pool is empty, with a cache of permitted constants of its own, so
    a search draws from its claim's domains and Hypothesis's fixed global constants only; both
    are restored after (a user's own Hypothesis tests in the same process keep theirs).
    Hypothesis has no setting for this: its hook is swapped where it exists, and a test checks
    that a search's results do not change when a module of odd literals is loaded.
    """
    providers = _providers
    hook, cache = getattr(providers, "_get_local_constants", None), getattr(providers, "CONSTANTS_CACHE", None)
    if hook is None or cache is None:  # a Hypothesis without source constants: nothing to pin
        yield
        return
    providers._get_local_constants, providers.CONSTANTS_CACHE = _empty_pool(type(cache))
    try:
        yield
    finally:
        providers._get_local_constants, providers.CONSTANTS_CACHE = hook, cache


@functools.cache
def _empty_pool(cache: type) -> tuple[Callable[..., object], object]:
    """Hypothesis's hook returning no source constants, and a cache of permitted constants for it."""
    from hypothesis.internal.constants_ast import Constants

    empty = Constants()
    return (lambda *args, **kwargs: empty), cache(1024)


def use_storage(cache_dir: Path | None) -> None:
    """Keep Hypothesis's own files (its cache of source constants) under ``cache_dir``/hypothesis,
    or in a temporary directory removed at exit when there is no cache, never in the working directory."""
    if cache_dir is not None:
        directory = Path(cache_dir) / "hypothesis"
    else:
        directory = Path(tempfile.mkdtemp(prefix="verify-hypothesis-"))
        atexit.register(shutil.rmtree, directory, True)
    set_hypothesis_home_dir(directory)


@functools.lru_cache(maxsize=64)
def _settings(samples: int, derandomize: bool, shrink: bool = True) -> settings:
    """Hypothesis's settings; ``shrink=False`` (a profile with ``shrink_examples=0``, for screening
    where only whether a violation exists matters) leaves out the shrinking phase."""
    phases = (Phase.explicit, Phase.reuse, Phase.generate, Phase.target) + ((Phase.shrink,) if shrink else ())
    return settings(
        max_examples=samples,
        derandomize=derandomize,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
        phases=phases,  # no "explain"
        verbosity=Verbosity.quiet,
        print_blob=False,
    )


#: a search of more samples than this lets Hypothesis draw only a share of them, the rest drawn
#: in bulk (:mod:`verify.search.bulk`); a one-point search is Hypothesis's alone
BULK_ABOVE = 1
#: Hypothesis's share of a larger search, at least one example: its first examples are its edge
#: cases (the simplest point first), and each example costs it about a millisecond, many times
#: what the bulk sampler and the probe spend on a point
HYPOTHESIS_SHARE = 0.1
#: bulk points tried per sample still wanted, at most (points undefined or outside a claim's
#: hypotheses are not samples)
BULK_TRIES = 10
_BULK_BATCH = 64


def _sampled(
    sampler: _Sampler, probe: Callable[[dict], _Probe], profile: Profile, seen: dict | None = None
) -> _SearchState:
    """A search of ``profile.samples`` points: Hypothesis draws its share, the bulk sampler the rest.

    A violation in Hypothesis's share is shrunk by Hypothesis, as in :func:`_search`. One found in
    the bulk sample sends the search back to Hypothesis with the full sample count, so that the
    counterexample reported is a Hypothesis-shrunk one whenever Hypothesis can find one; if it
    cannot, the bulk point is reported, simplified value by value toward its domain's simple
    values (:meth:`verify.search.bulk.Bulk.simplified`, within ``shrink_examples`` evaluations),
    and the reason says so. Every reported counterexample was decided by the probe.

    ``seen``: the points decided by earlier searches of the same obligation (see
    :class:`SearchMemory`), which count toward ``profile.samples`` and are not evaluated again.
    """
    far = sampler.far[: profile.samples // FAR_SHARE]
    if sampler.edges or far:
        state = _SearchState(sampler.point, probe, profile.shrink_examples, profile.shrink_seconds, seen)
        timeouts: list[dict] = []
        for points, found, seconds in (
            (sampler.edges, "a point at the claim's own constants or the edge of its hypotheses", EDGE_SECONDS),
            (far, _FAR_FOUND, FAR_POINT_SECONDS),
        ):
            state.probe, start = _bounded(probe, seconds, timeouts), time.process_time()
            for point in points:
                if points is far and (timeouts or time.process_time() - start > FAR_SECONDS):
                    break  # exp(−exp(10⁸)) at one far value: the others would take as long
                if state.decide(point).ok is False:
                    return _bulk_failure(sampler, probe, profile, state, point, found)
        state.probe = probe
        seen = state.seen
    if sampler.bulk is None or profile.samples <= BULK_ABOVE:
        return _search(sampler, probe, profile, seen)
    share = max(1, math.ceil(profile.samples * HYPOTHESIS_SHARE))
    state = _search(sampler, probe, replace(profile, samples=share), seen)
    if state.failure is not None:
        return state
    if state.n == 0:  # no point of its share was decided (hypotheses rarely hold): Hypothesis searches on
        return _search(sampler, probe, profile, state.seen)
    names = tuple(sampler.bulk.cols)
    rng = bulk.generator(profile.seed, names, profile.derandomize)
    tries, limit = 0, BULK_TRIES * max(profile.samples - state.n, 0)
    while state.n < profile.samples and tries < limit:
        for point in sampler.bulk.draw(rng, min(_BULK_BATCH, limit - tries)):
            tries += 1
            res = state.decide(point)
            if res.ok is None:
                continue
            if res.ok is False:
                return _bulk_failure(sampler, probe, profile, state, point)
            state.worst = max(state.worst, res.err)
            if state.n >= profile.samples:
                break
    return state


_FAR_FOUND = "a point beyond the range the search samples"


def _bounded(probe: Callable[[dict], _Probe], seconds: float, timeouts: list[dict]) -> Callable[[dict], _Probe]:
    """``probe`` within ``seconds`` of CPU time per point; a point that takes longer is undecided (and
    appended to ``timeouts``)."""

    def bounded(point: dict) -> _Probe:
        try:
            with time_limit(seconds):
                return probe(point)
        except SymbolicTimeout:
            timeouts.append(point)
            return _Probe(None)

    return bounded


def _bulk_failure(
    sampler: _Sampler,
    probe: Callable[[dict], _Probe],
    profile: Profile,
    state: _SearchState,
    point: dict,
    found: str = "a bulk-drawn point",
) -> _SearchState:
    """The state of a search whose bulk sample (or edge points) found a violation at ``point`` (see
    :func:`_sampled`)."""
    full = _search(sampler, probe, profile, state.seen)
    if full.failure is not None:
        return full

    def fails(p: dict) -> bool:
        return probe(p).ok is False

    simple = sampler.bulk.simplified(point, fails, profile.shrink_examples) if sampler.bulk is not None else point
    state.failure = (simple, probe(simple))
    state.n = full.n
    how = ", simplified value by value" if sampler.bulk is not None else ""
    state.bulk_note = f"{found}{how}: Hypothesis's {profile.samples} examples reached no violation"
    return state


#: how many of a claim's constants become edge points, how many points at most, and how far beside
#: each constant they are also tried
EDGE_CONSTANTS = 8
EDGE_POINTS = 16
EDGE_OFFSET = 1e-12
#: the sizes of constants tried (beyond them a value such as e^(e^(10⁶)) takes mpmath half a minute), and the
#: CPU seconds one edge point may take before it is left undecided
EDGE_RANGE = (1e-30, 1e4)
EDGE_SECONDS = 1.0
#: points tried at the far values of the domains (:func:`far_points`); a search of ``n`` samples tries
#: at most ``n // FAR_SHARE`` of them, counted among its samples
FAR_POINTS = 16
FAR_SHARE = 10
#: CPU seconds one far point, and all far points of one search, may take (the far points stop at the
#: first that runs out of time)
FAR_POINT_SECONDS = 0.25
FAR_SECONDS = 1.0
#: constants the search draws anyway (Hypothesis's simple values)
_SIMPLE = frozenset({0.25, 0.5, 0.75, 1.0, 2.0, 3.0})
#: CPU seconds one point of an exact equation's closer look (:func:`_closer_look`) may take
CLOSER_SECONDS = 1.0
#: the simple points of the domains a closer look probes besides the search's worst and last
CLOSER_SIMPLE = 2
#: points just inside the edge of an implication's hypotheses (:func:`boundary_points`), at most; the
#: hypotheses solved (of at most BOUNDARY_SYMBOLS symbols: a thin region is a relation of a few), the
#: CPU seconds for one solve and for all of a search's; the relative distances from the edge
BOUNDARY_POINTS = 24
BOUNDARY_SYMBOLS = 3
BOUNDARY_SOLVE_SECONDS = 0.1
BOUNDARY_SECONDS = 0.3
BOUNDARY_OFFSETS = (1e-9, 1e-3, 1e-6)


def _constant_parts(e: sp.Basic) -> list[sp.Expr]:
    """``e``'s numbers and its largest subexpressions free of symbols (``10·π``, ``e⁴`` as well as ``31``),
    each shared subtree visited once; at most :data:`EDGE_CONSTANTS` of the latter."""
    symbolic: dict[int, bool] = {}  # node id → does it contain a symbol (computed once per node)
    order: list[sp.Basic] = []  # every distinct node, parents before their children
    todo: list[tuple[sp.Basic, bool]] = [(e, False)]
    while todo:  # post-order for ``symbolic`` (a shared node is finished before any parent reads it)
        t, done = todo.pop()
        if done:
            symbolic[id(t)] = isinstance(t, sp.Symbol) or any(symbolic[id(a)] for a in t.args)
            continue
        if id(t) in symbolic or not isinstance(t, sp.Basic):
            continue
        symbolic[id(t)] = False  # seen; set on finishing
        order.append(t)
        todo.append((t, True))
        todo.extend((a, False) for a in t.args if isinstance(a, sp.Basic))
    out: list[sp.Expr] = []
    composite, inner = 0, set()
    for t in order:  # parents first: a constant subtree is met at its top, and its parts are skipped
        if id(t) in inner:
            inner.update(id(a) for a in t.args)
            continue
        if symbolic[id(t)] or not isinstance(t, sp.Expr):
            continue
        inner.update(id(a) for a in t.args)
        if not t.is_Number:
            if composite >= EDGE_CONSTANTS:
                continue
            composite += 1
        out.append(t)
    return out


def _constants(e: sp.Basic) -> set[float]:
    """The nonzero finite real values of ``e``'s constant parts (:func:`_constant_parts`)."""
    out: set[float] = set()
    for t in _constant_parts(e):
        try:
            v = float(t)
        except (TypeError, ValueError, OverflowError):
            continue
        if math.isfinite(v) and v != 0:
            out.add(v)
    return out


def edge_points(exprs: list[sp.Expr], domains: Mapping[str, Domain]) -> tuple[dict, ...]:
    """Points where one symbol takes a constant of the claim, or a value just beside it, and the
    others a simple value of their domain: a bound ``x < 31`` fails at 31, a piece of a
    ``Piecewise`` that starts at 40 is reached there, whatever range the domain samples.

    The constants are the numbers in ``exprs`` (and their negatives) other than the simple values
    the search draws anyway, the largest in size first, at most :data:`EDGE_CONSTANTS`, and at
    most :data:`EDGE_POINTS` points; each value must lie in the symbol's domain. None for a claim
    with a float: a float stands for a nearby exact number, and at the constants such a claim
    shows only that rounding (``(z − 0.1)/(10z − 1)`` at z = 1/10)."""
    exprs = [sp.sympify(e) for e in exprs]
    if _has_float(exprs):
        return ()
    numbers = {abs(n) for e in exprs for n in _constants(e)}
    numbers = {n for n in numbers if EDGE_RANGE[0] <= n <= EDGE_RANGE[1] and n not in _SIMPLE}
    constants = sorted(numbers, reverse=True)[:EDGE_CONSTANTS]
    if not constants or not domains:
        return ()
    base = fixed_points({sp.Symbol(k): d for k, d in domains.items()}, 1)[0]
    out: dict[tuple, dict] = {}
    for c in constants:
        for name, domain in sorted(domains.items()):
            for v in (c, -c):
                beside = EDGE_OFFSET * max(1.0, abs(v))
                for x in (v, v + beside, v - beside):
                    if math.isfinite(x) and domain.contains(x) and x != base[name]:
                        point = {**base, name: x}
                        out.setdefault(_point_key(point), point)
                        if len(out) >= EDGE_POINTS:
                            return tuple(out.values())
    return tuple(out.values())


@functools.lru_cache(maxsize=256)
def boundary_points(hypotheses: tuple[Sign, ...], domain_items: tuple[tuple[str, Domain], ...]) -> tuple[dict, ...]:
    """Points just inside the edge of the region where ``hypotheses`` hold: a hypothesis ``h > 0`` of
    at most :data:`BOUNDARY_SYMBOLS` symbols solved for one of them (``s = g(others)``, within
    :data:`BOUNDARY_SOLVE_SECONDS` each and :data:`BOUNDARY_SECONDS` in all), the
    others at simple values of their domains, ``s`` moved off ``g`` by :data:`BOUNDARY_OFFSETS`
    (relative) either way; each group of a hypothesis, symbol and solution in turn.

    A region as thin as ``|x − y| < 10⁻⁶`` is almost never drawn from the domains' box:
    ``|x − y| < 10⁻⁶ ⇒ |x² − y²| ≤ 10⁻⁶``, false on most of the strip, was confirmed at the few points
    that fell inside. Points outside the hypotheses are skipped by the search as any other.
    """
    domains = dict(domain_items)
    if not hypotheses or not domains:
        return ()
    symbols = {s.name: s for h in hypotheses for s in h.expr.free_symbols}
    if set(symbols) - set(domains):
        return ()
    bases = fixed_points({sp.Symbol(k): d for k, d in domains.items()}, 3)
    groups = []
    solver_loaded()
    deadline = time.process_time() + BOUNDARY_SECONDS
    for h in hypotheses:
        if len(h.expr.free_symbols) > BOUNDARY_SYMBOLS:
            continue
        for name in sorted(n for n in symbols if symbols[n] in h.expr.free_symbols):
            if time.process_time() > deadline:
                break
            if bulk.column(domains[name]) is None:  # a domain with a strategy of its own: its values only
                continue
            try:
                with time_limit(BOUNDARY_SOLVE_SECONDS):
                    solutions = sp.solve(h.expr, symbols[name])
            except SymbolicTimeout:
                continue
            except Exception:  # SymPy cannot solve it: no boundary points from it
                continue
            for g in solutions[:2]:
                group = []
                for base in bases:
                    try:
                        at = complex(g.evalf(30, subs={symbols[k]: v for k, v in base.items() if k in symbols}))
                    except (TypeError, ValueError, ZeroDivisionError):
                        continue
                    if at.imag != 0 or not math.isfinite(at.real):
                        continue
                    for offset in BOUNDARY_OFFSETS:
                        for side in (1, -1):
                            v = at.real + side * offset * max(1.0, abs(at.real))
                            if domains[name].contains(v):
                                group.append({**base, name: v})
                groups.append(group)
    out: dict[tuple, dict] = {}
    for row in itertools.zip_longest(*groups):
        for point in row:
            if point is not None:
                out.setdefault(_point_key(point), point)
                if len(out) >= BOUNDARY_POINTS:
                    return tuple(out.values())
    return tuple(out.values())


#: the domains of a local search's own symbols (:func:`verify.model.local_check`): its hypotheses keep the
#: moves inside the claim's domain, and need no boundary points
_HELPERS = (NEAR, DIRECTION, UPWARD, DOWNWARD, ORDER)


def far_points(domains: Mapping[str, Domain]) -> tuple[dict, ...]:
    """Points where one symbol takes a far value of its domain (:func:`~verify.search.points.far_values`:
    ``±10^8``, ``10^-8``, then ``±10^40``, ``10^-40``), the others a simple value of theirs; the
    nearer values of every symbol before the farther ones, at most :data:`FAR_POINTS`. None for a
    domain with a strategy of its own (a user's subclass): what it means beyond its draws is unknown."""
    if not domains:
        return ()
    base = fixed_points({sp.Symbol(k): d for k, d in domains.items()}, 1)[0]
    far = {name: far_values(d) for name, d in sorted(domains.items()) if bulk.column(d) is not None}
    out: dict[tuple, dict] = {}
    for tier in range(max(map(len, far.values()), default=0)):
        for name, values in far.items():
            if tier < len(values):
                point = {**base, name: values[tier]}
                out.setdefault(_point_key(point), point)
    return tuple(out.values())[:FAR_POINTS]


def _search(
    sampler: _Sampler, probe: Callable[[dict], _Probe], profile: Profile, seen: dict | None = None
) -> _SearchState:
    """Run Hypothesis over ``sampler``'s points; the state holds the count, worst error and failure
    (``seen``: points decided before, as in :func:`_sampled`)."""
    state = _SearchState(sampler.point, probe, profile.shrink_examples, profile.shrink_seconds, seen)

    # a one-line test: Hypothesis reads its source (for the derandomized seed and the database
    # key) on every run, so the body lives in _SearchState.test
    def test(values: tuple) -> None: state.test(values)  # fmt: skip

    run = _settings(profile.samples, profile.derandomize, profile.shrink_examples > 0)(given(sampler.strategy)(test))
    if not profile.derandomize:
        run = hypothesis_seed(profile.seed)(run)
    try:
        with _without_source_constants():
            run()
    except _Violation:
        pass
    except Unsatisfiable:
        pass
    except Flaky:  # replays rejected once the shrinking budget is spent; the failure found stands
        if state.failure is None:
            raise
    return state


#: how one symbol is drawn: a strategy, and the function turning a drawn value into the symbol's
#: value (None: the drawn value itself)
Draw = tuple[st.SearchStrategy, Callable[[float], float] | None]


def _domains_for(symbols: list[sp.Symbol], domains: Mapping[sp.Symbol, Domain]) -> dict[str, Draw]:
    return {s.name: _draw_of(domains[s]) for s in symbols}


def _memoized(maxsize: int) -> Callable[[Callable], Callable]:
    """``functools.lru_cache(maxsize)``, except that a call with an unhashable argument (a user's domain
    or strategy) is computed each time instead of raising."""

    def decorate(fn: Callable) -> Callable:
        cached = functools.lru_cache(maxsize=maxsize)(fn)

        @functools.wraps(fn)
        def call(*args):
            try:
                return cached(*args)
            except TypeError:  # unhashable
                return fn(*args)

        return call

    return decorate


@_memoized(1024)
def _draw_of(domain: Domain) -> Draw:
    """How to draw ``domain``'s values: its strategy, built once per domain (strategies are
    immutable and reusable).

    ``Domain.strategy`` draws a log-scale domain as ``10^e`` for an exponent ``e`` drawn from
    floats, through ``.map``; a map costs Hypothesis a nested draw per symbol and example, so for
    a domain that uses ``Domain.strategy`` as it is, the exponent is drawn and raised here
    instead: the same values from the same choices. Any other domain is drawn by its strategy.
    """
    if type(domain).strategy is Domain.strategy and domain.scale == "log":
        return domain.exponent_strategy(), exp10
    return domain.strategy(), None


@dataclass(frozen=True)
class _Sampler:
    """Points to test: ``strategy`` draws plain values, ``point`` turns them into the point;
    ``bulk`` draws the same points with NumPy (None: Hypothesis draws them all).

    The point is built outside Hypothesis (a ``.map`` would add a layer of drawing to every
    example).
    """

    strategy: st.SearchStrategy
    point: Callable[[tuple], dict]
    bulk: bulk.Bulk | None = None
    #: points tried before any drawn one: the claim's own constants as values (see :func:`edge_points`),
    #: then the domains' values beyond their sampled ranges (:func:`far_points`)
    edges: tuple[dict, ...] = ()
    far: tuple[dict, ...] = ()


def _points(draws: Mapping[str, Draw], bulk_points: bulk.Bulk | None = None) -> _Sampler:
    """Points ``{name: value}`` with each value drawn as ``draws`` says, in the order given.

    Drawn as a tuple: unlike ``fixed_dictionaries`` this does not also draw a random key order,
    which halves the choices per point (and the work of generating and shrinking them).
    """
    names = tuple(draws)
    strategy = _tuples(tuple(s for s, _ in draws.values()))
    transforms = [(name, f) for name, (_, f) in draws.items() if f is not None]
    if not transforms:
        return _Sampler(strategy, lambda values: dict(zip(names, values, strict=True)), bulk_points)

    def point(values: tuple) -> dict:
        p = dict(zip(names, values, strict=True))
        for name, f in transforms:
            p[name] = f(p[name])
        return p

    return _Sampler(strategy, point, bulk_points)


@_memoized(1024)
def _tuples(strategies: tuple[st.SearchStrategy, ...]) -> st.SearchStrategy[tuple]:
    return st.tuples(*strategies)


def _sorted(symbols) -> list[sp.Symbol]:
    return sorted(symbols, key=lambda s: s.name)


class SearchMemory:
    """What successive searches of the same obligations share (one claim's cross-check sample,
    then its full search): each obligation's probe and sampler are prepared once (its evaluation
    tape built once), and every point decided is remembered, so that a later search meeting a
    point again (the same seeded draws come first) takes its verdict instead of evaluating it,
    and a search's ``samples`` counts the distinct points decided in all of them.

    The probe is deterministic, so a remembered verdict is the one a new evaluation would give.
    """

    def __init__(self) -> None:
        self._entries: dict[tuple[int, Profile], tuple[Obligation, object, dict]] = {}

    def entry(self, ob: Obligation, profile: Profile, prepare: Callable[[], object]) -> tuple[object, dict]:
        """``(prepared, seen)`` of ``ob`` under ``profile`` (whatever its sample count)."""
        key = (id(ob), replace(profile, samples=0))
        got = self._entries.get(key)
        if got is None or got[0] is not ob:
            got = self._entries[key] = (ob, prepare(), {})
        return got[1], got[2]


def fuzz(
    ob: Obligation,
    domains: Mapping[sp.Symbol, Domain],
    profile: Profile,
    samples: int | None = None,
    memory: SearchMemory | None = None,
) -> NumericOutcome:
    """Search for a violation of ``ob`` by sampling its free symbols from their domains.

    ``samples`` overrides the profile's sample count (for cross-checking proved claims).
    ``memory``: earlier searches of ``ob`` that this one extends (see :class:`SearchMemory`).
    """
    if samples is not None:
        profile = replace(profile, samples=samples)
    free = ob.free_symbols()
    missing = [s.name for s in free if s not in domains]
    if missing:
        return NumericOutcome("error", reason=f"no domain declared for symbol(s) {', '.join(sorted(missing))}")
    try:
        return _fuzz(ob, free, domains, profile, memory)
    except Exception as exc:  # evaluation bug on this claim: reported, never raised
        return NumericOutcome("error", reason=f"numeric evaluation failed: {type(exc).__name__}: {exc}")


def _decimal(x: object) -> decimal.Decimal | None:
    """``x`` (a float, an integer, a fraction, an mpmath number, a decimal) as an exact decimal, or None."""
    if isinstance(x, decimal.Decimal):
        return x
    if isinstance(x, bool | int | float):
        return decimal.Decimal(x)
    if isinstance(x, fractions.Fraction):
        with decimal.localcontext(decimal.Context(prec=200)):
            return decimal.Decimal(x.numerator) / decimal.Decimal(x.denominator)
    if isinstance(x, mpmath.mpf):
        return decimal.Decimal(_nstr(x, max(20, mpmath.mp.dps))) if mpmath.isfinite(x) else decimal.Decimal(str(x))
    if isinstance(x, numbers.Complex) and not isinstance(x, numbers.Real):
        return None  # float() of NumPy's complex128(1 + 1j) warns and keeps 1.0: see _recompute
    try:
        return decimal.Decimal(float(x))
    except (TypeError, ValueError, OverflowError):
        return None


def _recompute(ob: Recomputation) -> NumericOutcome:
    """Rerun the source's setup once and compare with the printed number."""
    if ob.compute is None:
        return NumericOutcome("error", reason="no recomputation given")
    got = ob.compute()
    if isinstance(got, numbers.Complex) and not isinstance(got, numbers.Real):
        if got.imag != 0:
            return NumericOutcome("error", samples=1, reason=f"the recomputation gave a complex number, {got!r}")
        got = got.real
    exact = _decimal(got)
    value = float(got) if exact is None else float(exact)
    finite = exact.is_finite() if exact is not None else math.isfinite(value)
    if not finite:
        return NumericOutcome("error", samples=1, reason=f"the recomputation gave {got!r}")
    if ob.published_text and exact is not None:  # the printed texts against the value as computed, exactly
        with decimal.localcontext(decimal.Context(prec=200)):
            gap = abs(exact - decimal.Decimal(ob.published_text))
            ok = gap <= decimal.Decimal(ob.tolerance_text)
            diff = float(gap)
    else:
        diff = abs(value - ob.published)
        ok = diff <= ob.tolerance
    rel = diff / abs(ob.published) if ob.published and math.isfinite(ob.published) else diff
    printed = ob.published_text or repr(ob.published)
    recomputed = f"{value:.6g}" if math.isfinite(value) else format(exact.normalize(), ".6g")  # 10⁴⁰⁰: past floats
    shown = {"published": printed, "recomputed": recomputed, "tolerance": f"{ob.tolerance:g}"}
    reproduction = {
        "quantity": ob.quantity,
        "published": ob.published,
        "recomputed": value,
        "tolerance": ob.tolerance,
        "reproduced": ok,
    }
    verdict = "reproduced" if ok else "not reproduced"
    reason = f"{verdict}: published {printed}, recomputed {recomputed} (tolerance {ob.tolerance:g})"
    if ok:
        return NumericOutcome("confirmed", samples=1, max_rel_error=rel, reason=reason, reproduction=reproduction)
    return NumericOutcome(
        "refuted",
        samples=1,
        max_rel_error=rel,
        counterexample=shown,
        values=shown,
        reason=reason,
        reproduction=reproduction,
    )


def _exact_tolerance(ob: Obligation, profile: Profile) -> Profile:
    """``profile`` with the relative tolerance of an exact claim when ``ob`` holds no float.

    The profile's ``rel_tol`` (1e-15) allows a float constant its rounding (0.1 is not 1/10); an
    exact claim off by 1e-17 (π against a 20-digit rational) is false and must not be confirmed.
    Without floats a difference counts from the rounding noise of the working precision
    (10^(8 − dps), 1e-22 at 30 digits, finer as the digits are raised) on; like any other it is
    re-evaluated at more digits, and refutes only if it stays, so rounding never refutes an
    exact claim."""
    if _holds_float(ob):
        return profile
    return replace(profile, rel_tol=0.0)  # judged at the noise of each precision (:func:`_tol`)


@functools.lru_cache(maxsize=1024)
def _holds_float(ob: Obligation) -> bool:
    """Whether a field of ``ob`` holds a float (asked of each obligation once)."""
    return _has_float(getattr(ob, f.name) for f in dataclasses.fields(ob))


def _has_float(exprs: Iterable[object]) -> bool:
    """Whether an expression among ``exprs`` holds a float (each shared subtree visited once, which
    ``has`` does not do)."""
    return any(isinstance(e, sp.Basic) and nodes(e, sp.Float) for e in exprs)


#: the functions the tape evaluates itself, continuous where defined: at a far value (1 − σ(10⁸) is 0
#: at every precision) their evaluation shows the lost digits (the magnitude of the intermediates,
#: ``Evaluation.lost``), while a jump (``sign``, ``floor``, a ``Piecewise`` condition) or a function
#: evaluated whole (``atan``, ``erf``) turns them into a wrong value that more digits do not move
_FAR_SAFE = (sp.exp, sp.log, sp.sin, sp.cos, sp.tanh, sp.Abs, sp.factorial, sp.gamma, sp.loggamma, *SPECIAL_FUNCTIONS)


def _far_safe(exprs: Iterable[object]) -> bool:
    """Whether the far values may be tried on ``exprs``: no float (its rounding grows with the argument:
    exp(0.1·x) against exp(x/10) at x = 10⁸), and only sums, products, powers, ``Max``, ``Min`` and
    :data:`_FAR_SAFE` (``Piecewise`` is a function, evaluated whole)."""
    exprs = [e for e in exprs if isinstance(e, sp.Basic)]
    if _has_float(exprs):
        return False
    return all(
        isinstance(f, _FAR_SAFE) or (isinstance(f, sp.harmonic) and len(f.args) == 1)
        for e in exprs
        for f in nodes(e, sp.Function)
    )


def _prepared(
    ob: Obligation,
    free: set[sp.Symbol],
    domains: Mapping[sp.Symbol, Domain],
    profile: Profile,
    sampled: bool = True,
) -> tuple[Callable[[dict], _Probe], _Sampler, tuple[Sign, ...]] | NumericOutcome:
    """The probe of one point of ``ob`` (an Equation, Sign, Invariance or Conditional), the sampler
    of its points, and its hypotheses; or the outcome when it has no numeric checker. Without
    ``sampled`` (the probe alone is wanted) the sampler has no edge or far points."""
    syms = _sorted(free)
    draws = _domains_for(syms, domains)
    named = {s.name: domains[s] for s in syms}
    hypotheses: tuple[Sign, ...] = ()
    if isinstance(ob, Conditional):
        if not isinstance(ob.inner, Equation | Sign):
            return NumericOutcome("error", reason="hypotheses are supported for equations and inequalities only")
        hypotheses, ob = ob.hypotheses, ob.inner
    given, profile = profile, _exact_tolerance(ob, profile)  # the hypotheses are judged each for itself
    if isinstance(ob, Equation):
        ev = _Evaluator(syms, [ob.lhs, ob.rhs, *_terms(ob.lhs, ob.rhs)])

        def probe(p: dict) -> _Probe:
            return _compare(lambda dps: ev(p, dps), profile, _digits_needed(p, profile.dps), _boxed(ev, p))

        sampler = _points(draws, bulk.of(named))
    elif isinstance(ob, Sign):
        ev = _Evaluator(syms, [ob.expr, *_terms(ob.expr)])

        def probe(p: dict) -> _Probe:
            res = _sign(
                lambda dps: ev(p, dps),
                ob.strict,
                profile,
                _digits_needed(p, profile.dps),
                lambda: _exactly_zero(ob.expr, syms, p),
                _boxed(ev, p),
            )
            if ob.shown != "value" and "value" in res.values:  # named for what it is (rhs − lhs, …)
                res = replace(res, values={ob.shown: res.values["value"]})
            return res

        sampler = _points(draws, bulk.of(named))
    elif isinstance(ob, Invariance):
        wrt = [s.name for s in _sorted(ob.wrt)]
        # one tape for both points: the second point's values of the ``wrt`` symbols are read
        # from primed names, and every subexpression free of them is computed once
        ev = _Evaluator(syms, [ob.expr, *_terms(ob.expr)], renamings=[{n: _primed(n) for n in wrt}])

        def probe(p: dict) -> _Probe:
            both = {**p["base"], **{_primed(k): v for k, v in p["alt"].items()}}

            def get(dps: int) -> Evaluation | None:
                got = ev(both, dps)
                if got is not None:  # [value, *terms, value′, *terms′] → [value, value′, *terms, *terms′]
                    half = len(got.outputs) // 2
                    got.outputs = [got.outputs[0], got.outputs[half], *got.outputs[1:half], *got.outputs[half + 1 :]]
                return got

            res = _compare(get, profile, _digits_needed(p, profile.dps))
            res.values = {"at first point": res.values.get("lhs", ""), "at second point": res.values.get("rhs", "")}
            return res

        base, alt = _points(draws), _points({n: draws[n] for n in wrt})
        sampler = _Sampler(
            st.tuples(base.strategy, alt.strategy),
            lambda pair: {"base": base.point(pair[0]), "alt": alt.point(pair[1])},
            bulk.of(named, alt=tuple(wrt)),
        )
    else:
        return NumericOutcome("error", reason=f"no numeric checker for {type(ob).__name__}")
    if hypotheses:
        probe = _under(hypotheses, probe, syms, given)
    if not sampled:
        return probe, sampler, hypotheses
    if isinstance(ob, Invariance):  # the base point simple, the other point's ``wrt`` values at the constants
        start = fixed_points({sp.Symbol(k): d for k, d in named.items()}, 1)[0]
        alts = edge_points([ob.expr], {n: named[n] for n in wrt})
        fars = far_points({n: named[n] for n in wrt}) if _far_safe([ob.expr]) else ()
        sampler = replace(
            sampler,
            edges=tuple({"base": start, "alt": alt} for alt in alts),
            far=tuple({"base": start, "alt": alt} for alt in fars),
        )
    else:
        exprs = [ob.lhs, ob.rhs] if isinstance(ob, Equation) else [ob.expr]
        everything = exprs + [h.expr for h in hypotheses]
        far = far_points(named) if _far_safe(everything) else ()
        sampler = replace(sampler, edges=edge_points(everything, named), far=far)
    return probe, sampler, hypotheses


def search_points(
    ob: Obligation, points: list[dict], domains: Mapping[sp.Symbol, Domain], profile: Profile, real: bool = False
) -> NumericOutcome:
    """``ob`` probed at the given ``points`` (no Hypothesis search), each decided as the search
    decides a point: ``refuted`` at the first violating point (reported as the search reports a
    counterexample, not shrunk), ``confirmed`` when some points were decided and none violated,
    ``error`` when none could be decided (undefined, outside a Conditional's hypotheses, an
    obligation without a point probe: limits and recomputations). With ``real``, a point where a
    compared value is not real (a logarithm of a negative number) counts as undefined there."""
    if isinstance(ob, Recomputation | LimitOf):
        return NumericOutcome("error", reason=f"no point probe for {type(ob).__name__}")
    free = ob.free_symbols()
    if any(s not in domains for s in free):
        return NumericOutcome("error", reason="a symbol has no domain")
    if isinstance(ob, Invariance):  # pairs of points differing in the ``wrt`` symbols
        wrt = {s.name for s in ob.wrt}
        flat = [p["base"] if "base" in p else p for p in points]
        points = [
            p if "base" in p else {"base": p, "alt": {k: v for k, v in flat[(i + 1) % len(flat)].items() if k in wrt}}
            for i, p in enumerate(points)
        ]
    else:
        points = [p["base"] if "base" in p else p for p in points]
    try:
        prepared = _prepared(ob, free, domains, profile, sampled=False)
        if isinstance(prepared, NumericOutcome):
            return prepared
        probe = prepared[0]
        n = 0
        for point in points:
            res = probe(dict(point))
            if real and any(isinstance(v, mpmath.mpc) and v.imag != 0 for v in res.values.values()):
                continue  # not a real number there: the point is outside what the claim means
            if res.ok is False:
                return NumericOutcome("refuted", n + 1, res.err, _format_point(point), _shown(res.values), point=point)
            n += res.ok is True
    except Exception as exc:  # an evaluation bug on this claim: reported, never raised
        return NumericOutcome("error", reason=f"numeric evaluation failed: {type(exc).__name__}: {exc}")
    if n == 0:
        return NumericOutcome("error", reason="the claim could not be evaluated at any of the points")
    return NumericOutcome("confirmed", samples=n)


def _fuzz(
    ob: Obligation,
    free: set[sp.Symbol],
    domains: Mapping[sp.Symbol, Domain],
    profile: Profile,
    memory: SearchMemory | None = None,
) -> NumericOutcome:
    """Check ``ob``, whose free symbols are ``free``."""
    if isinstance(ob, Recomputation):
        return _recompute(ob)
    if isinstance(ob, LimitOf):
        # without parameters an exact value is judged exactly (sin a/a → 1 + 10⁻²⁵ is false); with them a
        # parameter's float stands for the number it prints as (a refutation at p = 1e-06 resting on the
        # binary rounding of 10⁻⁶ would not reproduce from its text), as for the claim's own floats
        exact = not free - {ob.var}
        return _fuzz_limit(ob, free, domains, _exact_tolerance(ob, profile) if exact else profile)
    if memory is None:
        prepared, seen = _prepared(ob, free, domains, profile), None
    else:
        prepared, seen = memory.entry(ob, profile, lambda: _prepared(ob, free, domains, profile))
    if isinstance(prepared, NumericOutcome):
        return prepared
    probe, sampler, hypotheses = prepared
    stated = tuple(h for h in hypotheses if not any(domains[s] in _HELPERS for s in h.expr.free_symbols))
    if stated and not isinstance(ob, Invariance):  # the edge of an implication's hypotheses (solved once)
        named = tuple(sorted((s.name, domains[s]) for s in free))
        sampler = replace(sampler, edges=sampler.edges + boundary_points(stated, named))
    state = _sampled(sampler, probe, profile, seen)
    n, worst, failure = state.n, state.worst, state.failure
    if failure is None and n:
        state, probe = _closer_look(ob, free, domains, profile, state, sampler) or (state, probe)
        failure = state.failure
    if failure is None:
        if n == 0 and hypotheses:
            return NumericOutcome("error", reason="no sampled point satisfied the hypotheses")
        if n == 0:
            return NumericOutcome("error", reason="the claim could not be evaluated at any sampled point")
        items = tuple(sorted(((s, domains[s]) for s in free), key=lambda t: t[0].name))
        if isinstance(ob, Sign) and not _has_float([ob.expr]):  # a dip between two roots no sampled point hit
            dip = _exact_dip_of(ob.expr, items)
            if dip is not None:
                point, exact, how, value = dip
                return NumericOutcome(
                    "refuted",
                    samples=n + 1,
                    max_rel_error=math.inf,
                    counterexample=exact,
                    values={ob.shown: value},
                    reason=f"negative at {how}, between two roots closer than any sampled points",
                    point=point,
                )
        if isinstance(ob, Sign) and ob.strict:  # strict: an exact zero violates it, and no float point shows one
            zero = _exact_zero_of(ob.expr, items)
            if zero is not None:
                point, exact, how = zero
                return NumericOutcome(
                    "refuted",
                    samples=n + 1,
                    max_rel_error=math.inf,
                    counterexample=exact,
                    values={ob.shown: "0"},
                    reason=f"exactly 0 at {how}, a zero no sampled point hits; the claim is strict",
                    point=point,
                )
        return NumericOutcome("confirmed", samples=n, max_rel_error=worst)
    point, res = failure
    check = probe(point)  # re-evaluate the shrunk counterexample
    if check.ok is not False:
        return NumericOutcome("error", samples=n, reason="a violation did not reproduce on re-evaluation")
    return NumericOutcome(
        "refuted",
        samples=n,
        max_rel_error=res.err,
        counterexample=_format_point(point),
        values=_shown(check.values),
        reason=_shrink_note(state, profile),
        point=point,
    )


#: a strict inequality's exact zeros (:func:`exact_zero`): its expression, of at most ROOT_SYMBOLS symbols,
#: solved for one of them within ROOT_SOLVE_SECONDS (each solve, and each check of a solution) and
#: ROOT_SECONDS in all
ROOT_SYMBOLS = 3
ROOT_SOLVE_SECONDS = 0.25
ROOT_SECONDS = 0.75


def exact_zero(expr: sp.Expr, domains: Mapping[sp.Symbol, Domain]) -> tuple[dict, dict[str, str], str] | None:
    """A point of the domains where ``expr`` is exactly 0 — there a strict ``expr > 0`` fails, and no float point
    shows it (``(3p − 1)²`` at p = 1/3, ``(x − √2)²`` at √2): for one symbol at a time, the others at simple
    values of their domains (as the exact rationals they are), the zeros of ``expr`` in that symbol — a
    polynomial's real roots (exact algebraic numbers, zeros by construction), else SymPy's ``solve``'s
    solutions that are real and where SymPy shows ``expr`` exactly 0 — each kept only when it lies in its
    symbol's domain, compared exactly. Returns the point (as floats, the nearest inside the domain), the exact
    values as text and the zero in words; None when none is found in time."""
    solver_loaded()
    for s, exact, g in _slices(expr, domains):
        try:
            with time_limit(ROOT_SOLVE_SECONDS):
                found = _zeros(g, s, domains[s])
        except (SymbolicTimeout, Exception):  # SymPy cannot solve it (in time): no zeros from it
            continue
        if found is not None:
            return _exact_point(s, found, exact, domains[s])
    return None


def _slices(expr: sp.Expr, domains: Mapping[sp.Symbol, Domain]) -> Iterator[tuple[sp.Symbol, dict, sp.Expr]]:
    """``(s, the others' values, expr there)`` for one symbol ``s`` of ``expr`` at a time, the others at simple
    values of their domains (as the exact rationals they are), three sets of them, within :data:`ROOT_SECONDS`;
    nothing for more than :data:`ROOT_SYMBOLS` symbols or a symbol without a numeric domain."""
    syms = sorted(expr.free_symbols, key=lambda s: s.name)
    if not syms or len(syms) > ROOT_SYMBOLS or any(s not in domains or bulk.column(domains[s]) is None for s in syms):
        return
    f = rewrite_special(expr)
    bases = fixed_points({s: domains[s] for s in syms}, 3)
    deadline = time.process_time() + ROOT_SECONDS
    for s in syms:
        for base in bases:
            if time.process_time() > deadline:
                return
            exact = {t: sp.Rational(base[t.name]) for t in syms if t is not s}
            yield s, exact, f.xreplace(exact)


def _exact_point(s: sp.Symbol, value: sp.Expr, exact: dict, domain: Domain) -> tuple[dict, dict[str, str], str]:
    """A point of :func:`_slices` with ``s`` at ``value``: as floats (``s`` the nearest inside ``domain``), as exact
    text, and in words."""
    point = {t.name: float(v) for t, v in exact.items()} | {s.name: _float_inside(value, domain)}
    shown = {t.name: str(v) for t, v in exact.items()} | {s.name: str(value)}
    others = f" ({', '.join(f'{t} = {v}' for t, v in exact.items())})" if exact else ""
    return point, shown, f"{s} = {value}{others}"


def _zeros(g: sp.Expr, s: sp.Symbol, domain: Domain) -> sp.Expr | None:
    """An exact zero of ``g`` (a function of ``s`` alone) in ``domain``, or None (see :func:`exact_zero`)."""
    integer = domain.scale == "integer"
    if g.is_polynomial(s):
        poly = sp.Poly(g, s)
        if poly.domain in (sp.ZZ, sp.QQ) and poly.degree() > 0:
            for root in poly.real_roots():
                if (not integer or root.is_integer) and domain.contains_exactly(root):
                    return root
            return None
    for value in sp.solve(g, s)[:4]:
        if value.is_extended_real is not True or (integer and value.is_integer is not True):
            continue
        if not domain.contains_exactly(value):
            continue
        at = g.xreplace({s: value})
        if at.is_zero or sp.simplify(at) == 0:
            return value
    return None


def exact_dip(expr: sp.Expr, domains: Mapping[sp.Symbol, Domain]) -> tuple[dict, dict[str, str], str, str] | None:
    """A rational point of the domains where the polynomial ``expr`` is negative, between two adjacent real roots:
    a dip narrower than any search's spacing (``(x² − 2)² − 10⁻³⁰`` is negative only within 4·10⁻¹⁶ of √2). For
    one symbol at a time, the others at simple values of their domains (as exact rationals), the roots are
    isolated in disjoint rational intervals (``Poly.intervals``); a rational strictly between two such intervals
    lies between the two roots, and the polynomial's value there is an exact rational. Returns the point (as
    floats, the nearest inside the domain), the exact values as text, the point in words and the value; None
    when none is found (a non-polynomial, coefficients outside ℚ, no dip, or out of time)."""
    done: set[sp.Symbol] = set()  # not a polynomial with rational coefficients in it
    for s, exact, g in _slices(expr, domains):
        if s in done or not g.is_polynomial(s):
            done.add(s)
            continue
        try:
            with time_limit(ROOT_SOLVE_SECONDS):
                poly = sp.Poly(g, s)
                if poly.domain not in (sp.ZZ, sp.QQ) or poly.degree() < 2:
                    done.add(s)
                    continue
                found = _dip(poly, [iv for iv, _ in poly.intervals()], domains[s])
        except (SymbolicTimeout, Exception):  # SymPy cannot isolate the roots (in time): no dip from it
            continue
        if found is not None:
            return (*_exact_point(s, found[0], exact, domains[s]), str(sp.N(found[1], 20)))
    return None


def _dip(poly: sp.Poly, ends: list[tuple], domain: Domain) -> tuple[sp.Rational, sp.Rational] | None:
    """A rational of ``domain`` strictly between two adjacent isolating intervals ``ends`` where ``poly`` is
    negative, with that value; the float nearest the gap's middle when it lies in the gap, else the middle; in an
    integer domain the first integer of the gap, if any."""
    for (_, hi), (lo, _) in itertools.pairwise(ends):
        hi, lo = sp.Rational(hi), sp.Rational(lo)
        if domain.scale == "integer":
            q = sp.floor(hi) + 1
            if not q < lo:
                continue
        else:
            middle = (hi + lo) / 2
            near = sp.Rational(float(middle))
            q = near if hi < near < lo else middle
        if not domain.contains_exactly(q):
            continue
        value = poly.eval(q)
        if value < 0:
            return q, value
    return None


@_memoized(256)
def _exact_dip_of(expr: sp.Expr, domain_items: tuple) -> tuple[dict, dict[str, str], str, str] | None:
    """:func:`exact_dip`, once per expression."""
    return exact_dip(expr, dict(domain_items))


def _float_inside(value: sp.Expr, domain: Domain) -> float:
    """``value`` as a float, moved to the nearest float inside ``domain`` when it rounds onto an open end
    (1 − 10⁻²⁰ is 1.0): the point the diagnosis probes beside the exact one."""
    x = float(value)
    lower, upper, _, _ = domain.support
    for _ in range(64):  # a few ulps at most (an integer domain's non-integer is no point of it at any step)
        if domain.contains(x) or not lower <= x <= upper:
            break
        x = math.nextafter(x, lower if x > lower else upper)
    return x


@_memoized(256)
def _exact_zero_of(expr: sp.Expr, domain_items: tuple) -> tuple[dict, dict[str, str], str] | None:
    """:func:`exact_zero`, once per expression (the cross-check and the full search ask again)."""
    return exact_zero(expr, dict(domain_items))


def _point_of(key: tuple) -> dict:
    """The point a :func:`_point_key` stands for."""
    return {k: _point_of(v) if isinstance(v, tuple) else v for k, v in key}


def _closer_look(
    ob: Obligation,
    free: set[sp.Symbol],
    domains: Mapping[sp.Symbol, Domain],
    profile: Profile,
    state: _SearchState,
    sampler: _Sampler,
) -> tuple[_SearchState, Callable[[dict], _Probe]] | None:
    """A search again at more digits, with its violation and the probe at those digits, when an exact
    equation that agreed at every sampled point within the working precision's noise (10⁻²² at 30
    digits) does not agree at more digits at its worst point or its last one; else None.

    ``e^{π√163} = 640320³ + 744`` is off by 3·10⁻³⁰ relative, ``x = x(1 + 10⁻²⁵)`` by 10⁻²⁵ and
    ``σ(x/10³⁰⁰) = 1/2`` by ``x·10⁻³⁰⁰``: below the noise of 30 digits, so no point saw a difference.
    The two points, and :data:`CLOSER_SIMPLE` simple points of the domains (``1 + e^{−x²−100} = 1`` is off
    by 4·10⁻⁴⁴ at x = 0 and by less than 10⁻⁶⁰ beyond |x| = 5), are probed at twice the digits plus those of
    the claim's largest or smallest constant (:func:`_scale_bits`), each within :data:`CLOSER_SECONDS`; a
    difference there is a violation only as any other is (it stays above the noise when the digits are
    doubled, :func:`_compare`). Not for an integral: mpmath's quadrature is never exact to the working digits.
    The search is then repeated at those digits, so the counterexample is shrunk as usual (the
    probed point if that search misses it).
    """
    inner = ob.inner if isinstance(ob, Conditional) else ob
    if not isinstance(inner, Equation | Invariance):
        return None
    exprs = [inner.lhs, inner.rhs] if isinstance(inner, Equation) else [inner.expr]
    if _has_float(exprs):
        return None  # a float's rounding is allowed for; a finer look would only see it
    if any(isinstance(e, sp.Basic) and e.has(sp.Integral) for e in exprs):
        return None  # mpmath's quadrature resolves about 2/3 of the digits: never exact at any precision
    decided = [(key, res) for key, res in state.seen.items() if res.ok]
    if not decided:
        return None
    digits = 2 * profile.dps + math.ceil(_scale_bits(exprs) * math.log10(2))
    deep = replace(profile, dps=min(digits, MAX_DPS // 2))
    prepared = _prepared(ob, free, domains, deep, sampled=False)
    if isinstance(prepared, NumericOutcome):
        return None
    probe = _bounded(prepared[0], CLOSER_SECONDS, [])
    worst = max(decided, key=lambda item: item[1].err)[0]
    plain = isinstance(inner, Equation) and free  # an invariance's points pair two values of its symbols
    simple = [_point_key(p) for p in fixed_points({s: domains[s] for s in free}, CLOSER_SIMPLE)] if plain else []
    for key in dict.fromkeys([worst, decided[-1][0], *simple]):
        point = _point_of(key)
        res = probe(point)
        if res.ok is False:
            probe, sampler, _ = _prepared(ob, free, domains, deep)  # with its edge and far points
            again = _sampled(sampler, probe, deep)
            if again.failure is None:
                again.failure = (point, res)
            return again, probe
    return None


def _shrink_note(state: _SearchState, profile: Profile) -> str | None:
    """What to say about a counterexample whose shrinking the safety limit cut short, or that the
    bulk sample found."""
    if state.bulk_note is not None:
        return state.bulk_note
    if not state.cut_short:
        return None
    return (
        f"shrinking stopped at its {profile.shrink_seconds:g} s safety limit after {state.candidates} candidates:"
        " the counterexample may not be the simplest"
    )


def _exactly_zero(expr: sp.Expr, syms: list[sp.Symbol], point: Mapping[str, float]) -> bool:
    """Whether ``expr`` is exactly 0 at ``point``: the point's floats substituted as the exact
    rationals they are, and SymPy's evaluation deciding (within one CPU second; undecided → False)."""
    exact = {s: sp.Rational(point[s.name]) for s in syms if s.name in point}
    try:
        with time_limit(1.0):
            value = rewrite_special(expr).xreplace(exact)
            return bool(value.is_zero)
    except (SymbolicTimeout, Exception):
        return False


def _certainly_violated(tape: Tape, point: Mapping[str, float], strict: bool) -> bool:
    """Whether ``value ≥ 0`` (``> 0`` if strict) certainly fails at ``point``, where ``value`` is
    the tape's first output: by float64 arithmetic with error bounds (:meth:`Tape.float_bounds`),
    the bound counted four times over, the exact value is below 0 (at most 0 if strict; a bound
    of 0 means every operation was exact).

    Only ever used to skip a point; False decides nothing.
    """
    got = tape.float_bounds(point)
    if got is None:
        return False
    (value, *_), (bound, *_) = got
    if not (math.isfinite(value) and math.isfinite(bound)):
        return False
    highest = value + 4 * bound
    return highest <= 0 if strict else highest < 0


def _reusing(first: Evaluation, dps: int, ev: _Evaluator, point: Mapping[str, float]) -> Getter:
    """A getter at ``point`` that answers ``dps`` digits with ``first`` (already evaluated there)."""
    return lambda d: first if d == dps else ev(point, d)


def _under(
    hypotheses: tuple[Sign, ...], probe: Callable[[dict], _Probe], syms: list[sp.Symbol], profile: Profile
) -> Callable[[dict], _Probe]:
    """``probe`` restricted to points where every hypothesis holds (decided above rounding noise).

    Cheapest first: a point that certainly violates some hypothesis (by the float64 bounds of
    :func:`_certainly_violated`), or where one is clearly negative at the working precision, is
    skipped before any hypothesis is confirmed at higher precision. A point is a test point only
    once every hypothesis is decided to hold by :func:`_sign`, as if each were checked alone.
    """
    evaluators = [_Evaluator(syms, [h.expr, *_terms(h.expr)]) for h in hypotheses]
    judged = [_exact_tolerance(h, profile) for h in hypotheses]  # exact, or with a float's allowance

    def restricted(p: dict) -> _Probe:
        if any(_certainly_violated(ev.tape, p, h.strict) for h, ev in zip(hypotheses, evaluators, strict=True)):
            return _Probe(None)
        first = []
        for ev in evaluators:
            got = ev(p, profile.dps)
            if got is None or not _finite(got.outputs[0]):
                return _Probe(None)
            v, *terms = got.outputs
            if mpmath.re(v) < -1e-6 * _scale([v, *terms]):
                return _Probe(None)  # clearly outside: skip without confirming at higher precision
            first.append(got)
        shown = {}
        confirm_dps = _digits_needed(p, profile.dps)
        for i, (h, ev, got, tol) in enumerate(zip(hypotheses, evaluators, first, judged, strict=True), 1):
            res = _sign(_reusing(got, profile.dps, ev, p), h.strict, tol, confirm_dps)
            if res.ok is not True:
                return _Probe(None)  # outside the hypotheses (or undecided there): not a test point
            shown[f"{h.label or f'hypothesis {i}'} (holds by)"] = res.values.get("value", "")
        res = probe(p)
        res.values = {**res.values, **shown}
        return res

    return restricted


def _primed(name: str) -> str:
    """The name of a symbol's copy at the second point of an invariance (not an identifier, so
    it cannot clash with a declared symbol)."""
    return f"{name}′"


def _format_point(point: dict) -> dict[str, str]:
    if "base" in point and isinstance(point["base"], dict):
        out = {k: _fmt_input(v) for k, v in point["base"].items()}
        out.update({_primed(k): _fmt_input(v) for k, v in point["alt"].items()})
        return out
    return {k: _fmt_input(v) for k, v in point.items()}


#: the approach points of a limit, per side: ``to ± 2^-k`` (``±2^k`` at ``±∞``) for
#: ``k = j·depth/_APPROACH_POINTS``, ``j = 1 … _APPROACH_POINTS``
_APPROACH_POINTS = 50
#: the depth in bits of the approach, and of the deeper one a refutation must survive (four times as
#: deep); a claim with a number of more than ``_DEPTH/2 - 32`` bits either way (10³⁰⁰, 10⁻⁴⁰) is
#: approached at ``2·bits + 64`` (``x/(x + 10³⁰⁰)`` still grows like ``x`` at ``x = 2^800``), at most
#: ``_MAX_DEPTH``; beyond it a refutation is left undecided
_DEPTH = 200
_RECHECK = 4
_MAX_DEPTH = 4000
#: how many of the last approach points a verdict on a limit is read from
_TAIL = 6
#: successive differences shrinking at least this fast (and steadily) make a geometric tail
_GEOMETRIC = 0.9
#: increasing values whose differences decay like ``k^-p`` in the bits ``k`` with ``p ≤`` this diverge
_DIVERGENT_P = 0.8
#: ``|f| ~ 2^(b k)`` with ``b ≥`` this is power-like growth (``|f| ≳ |x - to|^-b``)
_POWER_GROWTH = 0.05
#: a value is resolved when its rounding noise is at most this fraction of it
_RESOLVED = mpmath.mpf(10) ** -15
#: how often the digits of an unresolved tail are doubled
_ESCALATIONS = 3


def _limit_dps(ob: LimitOf, profile: Profile, depth: int) -> int:
    """Working digits: the profile's, plus the digits the last approach point needs (``to ± 2^-depth``
    or ``2^depth``), plus headroom for the noise floor."""
    extra = math.ceil(depth * math.log10(2)) + NOISE_DIGITS
    to = sp.sympify(ob.to)
    if to.is_finite and to != 0:
        extra += max(0, math.ceil(math.log10(abs(float(to)))))
    return profile.dps + extra


def _scale_bits(exprs: list[sp.Basic]) -> int:
    """The size in bits, either way, of the largest or smallest constant in ``exprs`` (``10³⁰⁰``: 997,
    ``10⁻⁴⁰``: 133, ``e¹⁰⁰⁰``: 1443): a rational's numerator and denominator without evaluating it, any
    other constant part (:func:`_constant_parts`) evaluated to a few digits."""
    bits = 0
    for e in exprs:
        for n in _constant_parts(sp.sympify(e)):
            if n.is_Rational:
                if n != 0:
                    bits = max(bits, abs(int(n.p)).bit_length(), int(n.q).bit_length())
                continue
            try:
                v = abs(mpmath.mpmathify(n.evalf(15)))
            except (TypeError, ValueError, OverflowError):
                continue
            if mpmath.isfinite(v) and v != 0:
                bits = max(bits, abs(int(mpmath.floor(mpmath.log(v, 2)))) + 1)
    return bits


def _depths(ob: LimitOf, target: sp.Expr) -> tuple[int, int, bool]:
    """The approach's depth, the recheck's depth and whether a refutation can be trusted at them:
    the approach must go well past the claim's own numbers (:data:`_DEPTH`)."""
    want = max(_DEPTH, 2 * _scale_bits([ob.expr, target, sp.sympify(ob.to)]) + 64)
    want = -(-want // _APPROACH_POINTS) * _APPROACH_POINTS  # evenly spaced bits: a log's steps are equal
    depth = min(want, _MAX_DEPTH)
    return depth, _RECHECK * depth, want <= _MAX_DEPTH


def _approach(ob: LimitOf, side: str, domain: Domain, dps: int, depth: int, first: int = 1, sequence: int = 0) -> list:
    """``(k, x_k, x_k as text)`` for the approach points ``j ≥ first`` of ``side`` inside the domain.

    The steps are ``c·2^-k`` (``c·2^k`` at ``±∞``, whole for an integer domain) with ``c = (√5 − 1)/2``
    (``sequence`` 0) or ``c = e/4`` (``sequence`` 1): dyadic points alone would sample ``sin(π/x)`` only
    at its zeros, and one constant alone samples ``sin(πφx)`` only near its zeros (at ``x = 2^k/φ``),
    so a verdict must hold along both.
    """
    to = sp.sympify(ob.to)
    out = []
    with mpmath.workdps(dps):
        a = None if to.is_infinite else mpmath.mpmathify(to.evalf(dps + 5))
        c = (mpmath.sqrt(5) - 1) / 2 if sequence == 0 else mpmath.e / 4
        for j in range(first, _APPROACH_POINTS + 1):
            k = j * depth // _APPROACH_POINTS
            if a is None:
                x = mpmath.ldexp(c, k) * (1 if to is sp.oo else -1)
                x = mpmath.floor(x) if domain.scale == "integer" else x
                shown = _nstr(x, 20)
            else:
                step = mpmath.ldexp(c, -k)
                x, shown = (a + step, a - step)[side == "-"], f"{to} {side} {_nstr(step, 20)}"
            if domain.contains(x):
                out.append((k, x, shown))
    return out


def _steps(values: list, noises: list) -> tuple[list, list, bool]:
    """The differences of successive ``values`` (None where within rounding noise), their noise,
    and whether the sequence has settled (its last two differences are noise)."""
    floors = [na + nb for na, nb in itertools.pairwise(noises)]
    ds = [b - a if abs(b - a) > fl else None for (a, b), fl in zip(itertools.pairwise(values), floors, strict=True)]
    return ds, floors, len(ds) >= 2 and ds[-1] is None and ds[-2] is None


def _remainder(values: list, noises: list):
    """A bound on ``|lim v - v_last|`` when the tail is geometric, else None.

    Geometric: the differences ``d_j`` keep one direction and shrink steadily or ever faster,
    ``ρ = max |d_{j+1}/d_j| ≤ 0.9`` with ``min |d_{j+1}/d_j| ≥ ρ/4`` or the ratios decreasing; the
    remainder is then ``|d_last| ρ/(1 − ρ)``. A tail settled within rounding noise has remainder 0.
    """
    ds, _, settled = _steps(values, noises)
    if settled:
        return mpmath.mpf(0)
    if any(d is None for d in ds) or any(mpmath.re(a * mpmath.conj(b)) <= 0 for a, b in itertools.pairwise(ds)):
        return None
    ratios = [abs(b) / abs(a) for a, b in itertools.pairwise(ds)]
    rho = max(ratios)
    accelerating = all(b < a for a, b in itertools.pairwise(ratios))
    if rho > _GEOMETRIC or not (min(ratios) >= rho / 4 or accelerating):
        return None
    return abs(ds[-1]) * rho / (1 - rho)


def _divergence(values: list, noises: list, bits: list[int]) -> tuple[bool | None, str]:
    """Whether the real ``values`` tend to +∞ along the tail, with what was seen.

    With ``d_j`` the differences and ``p_j = -log(|d_{j+1}|/|d_j|) / log(k_{j+1}/k_j)`` their decay
    exponent in the bits ``k`` (``|d| ~ k^-p``): True when they increase with every ``p_j ≤ 0.8``
    (``Σ d = ∞``; ``log(1/x)`` has ``d`` constant, ``x^-α`` growing ``d``). False when they settle or
    converge geometrically (:func:`_remainder`), or decrease without slowing (``|d_{j+1}| ≥ |d_j|``).
    None otherwise: a slower convergence may be a divergence that has not set in yet.
    """
    ds, floors, settled = _steps(values, noises)
    if settled and not _resolved(values, noises):
        return None, "is lost in rounding"
    if _remainder(values, noises) is not None:
        return False, "settles" if settled else "converges"
    if any(d is None for d in ds) or not (all(d > 0 for d in ds) or all(d < 0 for d in ds)):
        return None, "is not monotone"
    size = [abs(d) for d in ds]
    if ds[0] > 0:
        steps = zip(size, size[1:], bits[1:], bits[2:], strict=False)
        ps = [-mpmath.log(b / a) / math.log(kb / ka) for a, b, ka, kb in steps]
        return (True, "grows") if max(ps) <= _DIVERGENT_P else (None, "grows too slowly to judge")
    if all(b >= a - fa - fb for a, b, fa, fb in zip(size, size[1:], floors, floors[1:], strict=False)):
        return False, "decreases"
    return None, "decreases ever more slowly"


def _resolved(values: list, noises: list) -> bool:
    """Whether every value's rounding noise is at most 10^-15 of it."""
    return all(n <= _RESOLVED * abs(v) for v, n in zip(values, noises, strict=True))


def _clear_growth(values: list, noises: list, bits: list[int]) -> bool:
    """Whether the real ``values`` grow without bound beyond doubt: increasing like a power,
    every ``d_{j+1}/d_j ≥ 2^(0.05 (k_{j+2} - k_{j+1}))`` in the bits ``k``, or exactly like a
    logarithm, every ``d_{j+1} = d_j`` within rounding noise."""
    ds, floors, _ = _steps(values, noises)
    if any(d is None or d <= 0 for d in ds):
        return False
    steps = list(zip(ds, ds[1:], bits[1:], bits[2:], strict=False))
    if all(b / a >= 2 ** (_POWER_GROWTH * (kb - ka)) for a, b, ka, kb in steps):
        return True
    return all(abs(b - a) <= fa + fb for (a, b, _, _), fa, fb in zip(steps, floors, floors[1:], strict=False))


def _limit_side(ob: LimitOf, early: list, tail: list, profile: Profile) -> _Probe:
    """The verdict on one side from ``(k, f, claimed)`` at the first points and ``(k, f, claimed,
    noise)`` on the tail.

    A finite claim ``L``, with ``e = |f - L|`` at the last point, is refuted when the tail is
    geometric (:func:`_remainder` ``R``) and ``e > 10 (R + tol)`` (it settles elsewhere); when
    ``|f - L|`` rises and falls on the tail and reaches half its largest value at the first points
    (it oscillates without decaying); or when ``|f|`` grows like a power or exactly like a logarithm
    (:func:`_clear_growth`; a growth only nearly logarithmic may still turn, as ``x^a log x`` does
    for small ``a``). It is confirmed when the tail is resolved and ``e ≤ tol`` or
    ``e ≤ 2R + tol``, or when ``e + noise ≤ 10^-20`` of the largest error at the first fifth of
    the points; else undecided. ``tol`` is the rounding noise plus ``rel_tol |L|``. A claim ``±∞``
    (``zoo``: ``|f| → ∞``): the verdict of :func:`_divergence` on ``±f``, refuted also when ``f``
    is not real.
    """
    bits = [k for k, *_ in tail]
    fs = [f for _, f, _, _ in tail]
    noises = [n for *_, n in tail]
    target = sp.sympify(ob.value)
    if target.is_infinite:
        if all(abs(mpmath.im(f)) > n + _RESOLVED * abs(f) for f, n in zip(fs, noises, strict=True)):
            return _Probe(False, math.inf, {"why": "f is not real"})
        sign = {sp.oo: 1, sp.S.NegativeInfinity: -1}.get(target)
        gs = [abs(f) if sign is None else sign * mpmath.re(f) for f in fs]
        ok, why = _divergence(gs, noises, bits)
        what = "|f|" if sign is None else "f" if sign > 0 else "-f"
        return _Probe(ok, 0.0 if ok else math.inf, {"why": f"{what} {why}"})
    claimed = tail[-1][2]
    gap, tol = abs(fs[-1] - claimed), noises[-1] + profile.rel_tol * abs(claimed)
    scale = max([abs(claimed), *(abs(f - L) for _, f, L in early[: max(1, len(early) // 5)])])
    err = float(gap / scale) if scale else 0.0
    remainder = _remainder(fs, noises)
    if remainder is not None and gap > 10 * (remainder + tol):
        why = (
            f"f settles at {_fmt(fs[-1])} (within {_nstr(remainder + tol, 3)}), not at {_fmt(claimed)} "
            f"(off by {_nstr(fs[-1] - claimed, 3)})"
        )
        return _Probe(False, err, {"why": why})
    errs = [abs(f - L) for _, f, L, _ in tail]
    moves = [(b - a, na + nb) for (a, b), (na, nb) in zip(*map(itertools.pairwise, (errs, noises)), strict=True)]
    swings = any(m > n for m, n in moves) and any(m < -n for m, n in moves)  # rises and falls beyond the noise
    first = max((abs(f - L) for _, f, L in early), default=0)
    if swings and first and max(errs) >= first / 2 and max(errs) > 10 * (max(noises) + tol):
        why = f"|f - L| keeps returning to {_nstr(max(errs), 5)} (half its largest value at the first points)"
        return _Probe(False, err, {"why": why})
    sizes = [max(abs(f), abs(L)) for _, f, L, _ in tail]
    if _resolved(sizes, noises) and (gap <= tol or (remainder is not None and gap <= 2 * remainder + tol)):
        return _Probe(True, err)
    if gap + noises[-1] <= mpmath.mpf(10) ** -20 * scale:
        return _Probe(True, err)
    if _clear_growth([abs(f) for f in fs], noises, bits):
        return _Probe(False, math.inf, {"why": "|f| grows without bound"})
    return _Probe(None)


#: an evaluation on a limit's tail whose digits were lost (see ``Evaluation.lost_in_products``)
_LOST: list = []


def _pinned(ev: _Evaluator, point: Mapping, got: Evaluation) -> bool:
    """Whether interval arithmetic pins ``got``'s outputs to their digits after all: a sum that cancelled
    completely may be exactly 0 (``(a − 1)²·t`` at ``a = 1``), which the digits cannot tell from a cancellation
    to rounding noise, and an interval can (``[0, 0]``, and the outputs' intervals as narrow as their rounding).
    At the evaluation's own precision, which holds its inputs exactly."""
    boxes = ev.tape.interval(point, got.precision)
    if boxes is None:
        return False
    for box, v in zip(boxes, got.outputs, strict=True):
        if not isinstance(v, mpmath.mpf):  # a complex value: intervals are real
            return False
        lo, hi = mpmath.mpf(box.a), mpmath.mpf(box.b)
        slack = mpmath.ldexp(abs(v), PIN_SLACK_BITS - got.precision)
        if not (mpmath.isfinite(lo) and mpmath.isfinite(hi)) or hi - lo > slack or not lo - slack <= v <= hi + slack:
            return False
    return True


#: how much wider than the last bit of an output its interval may be, in bits, to pin it
PIN_SLACK_BITS = 40


def _degenerate_points(ob: LimitOf, domains: Mapping[sp.Symbol, Domain]) -> tuple[dict, ...]:
    """Points of the other symbols where a part of the limit free of its variable vanishes exactly
    (:meth:`~verify.kernel.obligations.LimitOf.parameter_parts`, :func:`exact_zero`): ``a = 1`` for
    ``(a − 1)²·t/(1 + (a − 1)²·t)``, where the limit is 0, not the 1 it is elsewhere. The other symbols take a
    simple value of their domain."""
    others = {s: domains[s] for s in sorted(free_symbols(ob.expr, ob.value) - {ob.var}, key=lambda s: s.name)}
    if not others:
        return ()
    base = fixed_points(others, 1)[0]
    out = []
    for part in ob.parameter_parts():
        if _has_float([part]) or not part.free_symbols <= set(others):
            continue
        items = tuple(sorted(((s, others[s]) for s in part.free_symbols), key=lambda i: i[0].name))
        found = _exact_zero_of(part, items)
        if found is not None:
            out.append({**base, **found[0]})
    return tuple(out)


def _fuzz_limit(
    ob: LimitOf, free: set[sp.Symbol], domains: Mapping[sp.Symbol, Domain], profile: Profile
) -> NumericOutcome:
    """Evaluate ``f`` (and the claimed value) along ``x_k → to`` on every side, for sampled values of
    the other symbols; the verdict on each side is :func:`_limit_side`'s, read from the tail.

    A sampled point refutes the limit when some side refutes it, and does again along the other
    sequence of :func:`_approach`, and along it four times as deep (``2^-800``, at the digits that
    needs; deeper for a claim with large or tiny numbers, :func:`_depths`); it confirms it when every
    side confirms it, on the tail of the other sequence too; otherwise it is skipped. Samples are
    counted as sampled points × approach points per side.
    """
    x = ob.var
    target = sp.sympify(ob.value)
    if not target.is_infinite and target.has(sp.oo, sp.S.NegativeInfinity, sp.zoo, sp.nan):
        return NumericOutcome("error", reason=f"the claimed value {target} cannot be evaluated numerically")
    others = _sorted(free - {x})
    ev = _Evaluator([*others, x], [ob.expr] if target.is_infinite else [ob.expr, target])
    approach: dict[tuple[str, int, int], tuple[int, list]] = {}
    depth, recheck, trusted = _depths(ob, target)

    def points_of(side: str, bits: int, sequence: int = 0) -> tuple[int, list]:
        if (side, bits, sequence) not in approach:
            dps = _limit_dps(ob, profile, bits)
            first = 1 if bits == depth else _APPROACH_POINTS - _TAIL + 1  # the recheck needs the tail only
            approach[side, bits, sequence] = dps, _approach(ob, side, domains[x], dps, bits, first, sequence)
        return approach[side, bits, sequence]

    def cancels_in(got: Evaluation) -> bool:
        """Whether a sum of the parameters alone cancelled to exactly 0 (``a − 1`` at ``a = 1``): worth an interval
        evaluation, unlike a sum of the approach variable rounded to 0 (``1 − tanh t`` far out)."""
        return got.cancelled_to_zero(ev.tape.free_of(x.name))

    def outputs(p: dict, t, digits: int, tail: bool = False) -> list | None:
        """The values at ``t``, None where undefined. On the tail :data:`_LOST` where digits were lost: a sum
        cancelled to its rounding under a product, a log or a power (e^x·(1 − σ(x)) at x = 2^200 is 0 at
        every precision), or a value undefined or infinite at these digits (a radicand
        ``(m + 1) − √((m + 1)² − m·k²)`` of size ``k²`` rounds to 0 and is divided by)."""
        got = ev({**p, x.name: t}, digits)
        if got is None or not all(_finite(v) for v in got.outputs):
            return _LOST if tail else None
        if tail and got.lost_in_products() and not (cancels_in(got) and _pinned(ev, {**p, x.name: t}, got)):
            return _LOST
        return got.outputs

    def judge(
        p: dict, side: str, bits: int, early: list | None = None, sequence: int = 0
    ) -> tuple[_Probe, tuple, str, list] | None:
        """The side's verdict along approach ``sequence``, the last tail row ``(k, f, claimed, noise)``,
        the last point as text and the rows ``(k, f, claimed)`` of the first points (given as ``early``:
        only the tail is evaluated).

        The noise of a tail value is its change at twice the digits; while the verdict is open and
        the tail is not resolved, the digits are doubled (at most :data:`_ESCALATIONS` times).
        """
        digits, points = points_of(side, bits, sequence)
        if len(points) < _TAIL:
            return None
        first = [] if early is not None else points[:-_TAIL]
        early = [] if early is None else early  # the recheck reuses the first points of the approach
        with mpmath.workdps(digits):
            for k, t, _ in first:
                got = outputs(p, t, digits)
                if got is not None:  # undefined far from the point: skipped
                    early.append((k, got[0], got[1] if len(got) > 1 else target))
        for level in range(_ESCALATIONS + 1):
            d = digits * 2**level
            tail = []
            with mpmath.workdps(2 * d):
                for k, t, _ in points[-_TAIL:]:
                    coarse, fine = outputs(p, t, d, tail=True), outputs(p, t, 2 * d, tail=True)
                    if coarse is None or fine is None:
                        return None
                    if coarse is _LOST or fine is _LOST:
                        break  # digits lost at this precision: more may show the value
                    noise = _noise_floor(sum(abs(v) for v in coarse), d) + 4 * sum(
                        abs(u - v) for u, v in zip(coarse, fine, strict=True)
                    )
                    tail.append((k, coarse[0], coarse[1] if len(coarse) > 1 else target, noise))
                else:
                    res = _limit_side(ob, early, tail, profile)
                    sizes = [abs(f) + (abs(L) if len(coarse) > 1 else 0) for _, f, L, _ in tail]
                    if res.ok is not None or _resolved(sizes, [n for *_, n in tail]):
                        break
                    continue
            if level == _ESCALATIONS:
                return None  # lost at every precision tried: undecided
        return res, tail[-1], points[-1][2], early

    def probe(p: dict) -> _Probe:
        verdicts = []
        for side in ob.sides():
            got = judge(p, side, depth)
            if got is None:
                return _Probe(None)
            if got[0].ok is False:  # a refutation must hold along the other sequence, and deeper too
                other = judge(p, side, depth, sequence=1)
                if other is None or other[0].ok is not False:
                    return _Probe(None)
                got = judge(p, side, recheck, other[3], sequence=1)
                if got is None or got[0].ok is not False or not trusted:
                    return _Probe(None)
                res, (_, f, claimed, _), last, _ = got
                shown = str(target) if target.is_infinite else claimed
                values = {"side": side, f"{x.name} at last point": last, "f at last point": f, "claimed": shown}
                return _Probe(False, res.err, {**values, **res.values})
            if got[0].ok:  # so must a confirmation: the tail along the other sequence
                again = judge(p, side, depth, list(got[3]), sequence=1)
                if again is None or again[0].ok is not True:
                    return _Probe(None)
            verdicts.append(got[0])
        if all(r.ok for r in verdicts):
            return _Probe(True, max(r.err for r in verdicts))
        return _Probe(None)

    per_side = max(len(points_of(side, depth)[1]) for side in ob.sides())
    draws = _domains_for(others, domains)
    small = replace(profile, samples=max(5, profile.samples // 10))
    edges = edge_points([ob.expr, target], {s.name: domains[s] for s in others}) + _degenerate_points(ob, domains)
    # no far values of the parameters: at β = 10⁻⁴⁰ the approach to 2^-800 stops short of the limit
    state = _sampled(replace(_points(draws), edges=edges), probe, small)
    n, worst, failure = state.n, state.worst, state.failure
    if failure is None:
        if n == 0:
            return NumericOutcome(
                "error",
                reason="the limit could not be decided at any sampled point (undefined near the limit point, "
                "or a tail too slow or irregular to judge)",
            )
        return NumericOutcome("confirmed", samples=n * per_side, max_rel_error=worst)
    point, res = failure
    side = res.values.get("side", "")
    where = f"{x.name} → {ob.to}" if sp.sympify(ob.to).is_infinite else f"{x.name} → {ob.to}{side}"
    note = _shrink_note(state, small)
    return NumericOutcome(
        "refuted",
        samples=n * per_side,
        max_rel_error=res.err,
        counterexample=_format_point(point),
        values=_shown(res.values),
        reason=f"{where}: {res.values.get('why', '')}" + (f"; {note}" if note else ""),
    )
