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

import functools
import itertools
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import mpmath
import sympy as sp
from hypothesis import HealthCheck, Phase, Verbosity, given, reject, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.errors import Flaky, Unsatisfiable

from verify.domains import Domain, exp10
from verify.kernel.obligations import Conditional, Equation, Invariance, LimitOf, Obligation, Recomputation, Sign
from verify.profiles import PROFILES, Profile  # noqa: F401 (re-exported)
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


def _fmt(x) -> str:
    if isinstance(x, mpmath.mpc) and x.imag != 0:
        return mpmath.nstr(x, 20)
    return mpmath.nstr(mpmath.re(x), 20)


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


class _Evaluator:
    """Evaluates a list of expressions at a point (a name → float mapping) at given digits."""

    def __init__(self, symbols: list[sp.Symbol], exprs: list[sp.Expr], renamings: list[dict[str, str]] = ()):
        self.tape = Tape(exprs, renamings)

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


def _compare(get: Getter, profile: Profile, confirm_dps: int) -> _Probe:
    """Compare the first two values; the rest are terms giving the scale.

    A mismatch is trusted only when the difference stands above the rounding noise of the
    evaluation (10^-dps times the largest intermediate value, with some headroom) and stays
    the same when the precision is doubled. Otherwise the precision is raised until the
    difference resolves — into agreement (cancellation noise) or a real violation — or
    :data:`MAX_DPS` is reached, and then the point is left undecided, never refuted.
    """
    got = get(profile.dps)
    if got is None:
        return _Probe(None)
    lhs, rhs, *terms = got.outputs
    if not (_finite(lhs) and _finite(rhs)):
        if _nan(lhs) or _nan(rhs) or not (_finite(lhs) or _finite(rhs)):
            return _Probe(None)  # undefined at this point (nan, or infinite on both sides)
        return _Probe(False, math.inf, {"lhs": lhs, "rhs": rhs})

    def rel(lhs, rhs, terms) -> tuple[float, mpmath.mpf]:
        scale = _scale([lhs, rhs, *terms])
        diff = abs(lhs - rhs)
        return (float(diff / scale) if scale else float(diff != 0)), diff

    err, _ = rel(lhs, rhs, terms)
    values = {"lhs": lhs, "rhs": rhs}
    if err <= profile.rel_tol:
        return _Probe(True, err, values)
    dps, previous = max(confirm_dps, 2 * profile.dps), None
    while dps <= MAX_DPS:
        got = get(dps)
        if got is None:
            return _Probe(None)
        lhs, rhs, *terms = got.outputs
        if not (_finite(lhs) and _finite(rhs)):
            return _Probe(None)
        err, diff = rel(lhs, rhs, terms)
        values = {"lhs": lhs, "rhs": rhs}
        if err <= profile.rel_tol:
            return _Probe(True, err, values)
        magnitude = got.magnitude
        if diff > _noise_floor(magnitude, dps):
            if previous is not None and abs(previous - diff) <= mpmath.mpf("1e-6") * diff:
                return _Probe(False, err, values)
            previous, dps = diff, 2 * dps
        else:
            previous, dps = None, _next_dps(dps, magnitude, diff)
    return _Probe(None)


def _sign(get: Getter, strict: bool, profile: Profile, confirm_dps: int) -> _Probe:
    """``value ≥ 0`` (or ``> 0``), decided only where the value stands above rounding noise.

    A value that is exactly 0 at every precision up to :data:`MAX_DPS` digits is taken as 0
    (violating a strict claim); one that stays inside the noise floor satisfies a non-strict
    claim and leaves a strict one undecided.
    """
    got = get(profile.dps)
    if got is None:
        return _Probe(None)
    v, *terms = got.outputs
    if not _finite(v):
        return _Probe(None)
    scale = _scale([v, *terms])
    values = {"value": v}
    if isinstance(v, mpmath.mpc) and abs(v.imag) > profile.rel_tol * scale:
        return _Probe(False, math.inf, values)
    v = mpmath.re(v)
    if v > profile.rel_tol * scale or (not strict and v >= 0):
        return _Probe(True, 0.0, values)
    dps, previous = max(confirm_dps, 2 * profile.dps), None
    while dps <= MAX_DPS:
        got = get(dps)
        if got is None or not _finite(got.outputs[0]):
            return _Probe(None)
        magnitude = got.magnitude
        v = mpmath.re(got.outputs[0])
        values = {"value": v}
        if v == 0:
            previous, dps = None, 2 * dps  # exact 0 or underflow: only more digits can tell
            if dps > MAX_DPS:  # 0 at every precision up to the cap: taken as an exact zero
                return _Probe(not strict, 0.0 if not strict else math.inf, values)
        elif abs(v) > _noise_floor(magnitude, dps):
            if previous is not None and previous != 0 and abs(previous - v) <= mpmath.mpf("1e-6") * abs(v):
                ok = v > 0 if strict else v >= 0
                return _Probe(ok, 0.0 if ok else float(-v / scale) if scale else math.inf, values)
            previous, dps = v, 2 * dps
        else:
            previous, dps = None, _next_dps(dps, magnitude, v)
    return _Probe(True, 0.0, values) if not strict else _Probe(None)


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
    ):
        self.to_point = to_point
        self.probe = probe
        self.shrink_examples = shrink_examples
        self.shrink_seconds = shrink_seconds
        self.n = 0
        self.worst = 0.0
        self.failure: tuple[dict, _Probe] | None = None
        self.candidates = 0  # shrinking candidates tried since the first failure
        self.deadline = math.inf
        self.cut_short = False

    def _budget_spent(self) -> bool:
        if self.candidates >= self.shrink_examples:
            return True
        if time.monotonic() > self.deadline:
            self.cut_short = True
            return True
        return False

    def test(self, values: tuple) -> None:
        point = self.to_point(values)
        # a replay of the smallest counterexample fails again without evaluating it; there is
        # one ``raise _Violation`` only, as Hypothesis tells failures apart by where they raise
        replay = self.failure is not None and point == self.failure[0]
        if self.failure is not None and not replay:
            if self._budget_spent():
                reject()  # shrinking budget spent: no further candidates
            self.candidates += 1
        res = self.failure[1] if replay else self.probe(point)
        if res.ok is None:
            reject()
        if not replay:
            self.n += 1
        if res.ok:
            self.worst = max(self.worst, res.err)
            return
        if self.failure is None:
            self.deadline = time.monotonic() + self.shrink_seconds
        self.failure = (point, res)
        raise _Violation


@functools.lru_cache(maxsize=64)
def _settings(samples: int, derandomize: bool) -> settings:
    return settings(
        max_examples=samples,
        derandomize=derandomize,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
        phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink),  # no "explain"
        verbosity=Verbosity.quiet,
        print_blob=False,
    )


def _search(sampler: _Sampler, probe: Callable[[dict], _Probe], profile: Profile) -> _SearchState:
    """Run Hypothesis over ``sampler``'s points; the state holds the count, worst error and failure."""
    state = _SearchState(sampler.point, probe, profile.shrink_examples, profile.shrink_seconds)

    # a one-line test: Hypothesis reads its source (for the derandomized seed and the database
    # key) on every run, so the body lives in _SearchState.test
    def test(values: tuple) -> None: state.test(values)  # fmt: skip

    run = _settings(profile.samples, profile.derandomize)(given(sampler.strategy)(test))
    if not profile.derandomize:
        run = hypothesis_seed(profile.seed)(run)
    try:
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


def _draw_of(domain: Domain) -> Draw:
    """How to draw ``domain``'s values: its strategy, built once per domain (strategies are
    immutable and reusable).

    ``Domain.strategy`` draws a log-scale domain as ``10^e`` for an exponent ``e`` drawn from
    floats, through ``.map``; a map costs Hypothesis a nested draw per symbol and example, so for
    a domain that uses ``Domain.strategy`` as it is, the exponent is drawn and raised here
    instead: the same values from the same choices. Any other domain is drawn by its strategy.
    """
    try:
        return _cached_draw(domain)
    except TypeError:  # an unhashable domain
        return _cached_draw.__wrapped__(domain)


@functools.lru_cache(maxsize=1024)
def _cached_draw(domain: Domain) -> Draw:
    if type(domain).strategy is Domain.strategy and domain.scale == "log":
        return domain.exponent_strategy(), exp10
    return domain.strategy(), None


@dataclass(frozen=True)
class _Sampler:
    """Points to test: ``strategy`` draws plain values, ``point`` turns them into the point.

    The point is built outside Hypothesis (a ``.map`` would add a layer of drawing to every
    example).
    """

    strategy: st.SearchStrategy
    point: Callable[[tuple], dict]


def _points(draws: Mapping[str, Draw]) -> _Sampler:
    """Points ``{name: value}`` with each value drawn as ``draws`` says, in the order given.

    Drawn as a tuple: unlike ``fixed_dictionaries`` this does not also draw a random key order,
    which halves the choices per point (and the work of generating and shrinking them).
    """
    names = tuple(draws)
    strategy = _tuples(tuple(s for s, _ in draws.values()))
    transforms = [(name, f) for name, (_, f) in draws.items() if f is not None]
    if not transforms:
        return _Sampler(strategy, lambda values: dict(zip(names, values, strict=True)))

    def point(values: tuple) -> dict:
        p = dict(zip(names, values, strict=True))
        for name, f in transforms:
            p[name] = f(p[name])
        return p

    return _Sampler(strategy, point)


def _tuples(strategies: tuple[st.SearchStrategy, ...]) -> st.SearchStrategy[tuple]:
    try:
        return _cached_tuples(strategies)
    except TypeError:  # an unhashable strategy
        return st.tuples(*strategies)


@functools.lru_cache(maxsize=1024)
def _cached_tuples(strategies: tuple[st.SearchStrategy, ...]) -> st.SearchStrategy[tuple]:
    return st.tuples(*strategies)


def _sorted(symbols) -> list[sp.Symbol]:
    return sorted(symbols, key=lambda s: s.name)


def fuzz(
    ob: Obligation, domains: Mapping[sp.Symbol, Domain], profile: Profile, samples: int | None = None
) -> NumericOutcome:
    """Search for a violation of ``ob`` by sampling its free symbols from their domains.

    ``samples`` overrides the profile's sample count (for cross-checking proved claims).
    """
    if samples is not None:
        profile = replace(profile, samples=samples)
    free = ob.free_symbols()
    missing = [s.name for s in free if s not in domains]
    if missing:
        return NumericOutcome("error", reason=f"no domain declared for symbol(s) {', '.join(sorted(missing))}")
    try:
        return _fuzz(ob, free, domains, profile)
    except Exception as exc:  # evaluation bug on this claim: reported, never raised
        return NumericOutcome("error", reason=f"numeric evaluation failed: {type(exc).__name__}: {exc}")


def _recompute(ob: Recomputation) -> NumericOutcome:
    """Rerun the source's setup once and compare with the printed number."""
    if ob.compute is None:
        return NumericOutcome("error", reason="no recomputation given")
    value = float(ob.compute())
    if not math.isfinite(value):
        return NumericOutcome("error", samples=1, reason=f"the recomputation gave {value!r}")
    diff = abs(value - ob.published)
    ok = diff <= ob.tolerance
    rel = diff / abs(ob.published) if ob.published else diff
    shown = {"published": repr(ob.published), "recomputed": f"{value:.6g}", "tolerance": f"{ob.tolerance:g}"}
    reproduction = {
        "quantity": ob.quantity,
        "published": ob.published,
        "recomputed": value,
        "tolerance": ob.tolerance,
        "reproduced": ok,
    }
    verdict = "reproduced" if ok else "not reproduced"
    reason = f"{verdict}: published {ob.published:g}, recomputed {value:.6g} (tolerance {ob.tolerance:g})"
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


def _fuzz(
    ob: Obligation, free: set[sp.Symbol], domains: Mapping[sp.Symbol, Domain], profile: Profile
) -> NumericOutcome:
    """Check ``ob``, whose free symbols are ``free``."""
    if isinstance(ob, Recomputation):
        return _recompute(ob)
    if isinstance(ob, LimitOf):
        return _fuzz_limit(ob, free, domains, profile)
    syms = _sorted(free)
    draws = _domains_for(syms, domains)
    hypotheses: tuple[Sign, ...] = ()
    if isinstance(ob, Conditional):
        if not isinstance(ob.inner, Equation | Sign):
            return NumericOutcome("error", reason="hypotheses are supported for equations and inequalities only")
        hypotheses, ob = ob.hypotheses, ob.inner
    if isinstance(ob, Equation):
        ev = _Evaluator(syms, [ob.lhs, ob.rhs, *_terms(ob.lhs, ob.rhs)])

        def probe(p: dict) -> _Probe:
            return _compare(lambda dps: ev(p, dps), profile, _digits_needed(p, profile.dps))

        sampler = _points(draws)
    elif isinstance(ob, Sign):
        ev = _Evaluator(syms, [ob.expr, *_terms(ob.expr)])

        def probe(p: dict) -> _Probe:
            return _sign(lambda dps: ev(p, dps), ob.strict, profile, _digits_needed(p, profile.dps))

        sampler = _points(draws)
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
        )
    else:
        return NumericOutcome("error", reason=f"no numeric checker for {type(ob).__name__}")
    if hypotheses:
        probe = _under(hypotheses, probe, syms, profile)
    state = _search(sampler, probe, profile)
    n, worst, failure = state.n, state.worst, state.failure
    if failure is None:
        if n == 0 and hypotheses:
            return NumericOutcome("error", reason="no sampled point satisfied the hypotheses")
        if n == 0:
            return NumericOutcome("error", reason="the claim could not be evaluated at any sampled point")
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
    )


def _shrink_note(state: _SearchState, profile: Profile) -> str | None:
    """What to say about a counterexample whose shrinking the safety limit cut short."""
    if not state.cut_short:
        return None
    return (
        f"shrinking stopped at its {profile.shrink_seconds:g} s safety limit after {state.candidates} candidates:"
        " the counterexample may not be the simplest"
    )


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
        for i, (h, ev, got) in enumerate(zip(hypotheses, evaluators, first, strict=True), 1):
            res = _sign(_reusing(got, profile.dps, ev, p), h.strict, profile, confirm_dps)
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


def _fuzz_limit(
    ob: LimitOf, free: set[sp.Symbol], domains: Mapping[sp.Symbol, Domain], profile: Profile
) -> NumericOutcome:
    """Evaluate along x_k → ``to`` for sampled values of the other symbols.

    Confirmed when the distance to the claimed value shrinks over the tail of the sequence and
    ends below 1e-8 (relative); for an infinite value, when the function passes ±1e12.
    """
    x = ob.var
    others = _sorted(free - {x})
    ev = _Evaluator([*others, x], [ob.expr])
    to = sp.sympify(ob.to)
    if to is sp.oo:
        seq = [mpmath.mpf(2) ** k for k in range(1, 200, 4)]
    elif to is sp.S.NegativeInfinity:
        seq = [-(mpmath.mpf(2) ** k) for k in range(1, 200, 4)]
    else:
        a = mpmath.mpf(float(to))
        seq = [a + mpmath.mpf(2) ** -k for k in range(1, 200, 4)]
    target = sp.sympify(ob.value)
    infinite = target.is_infinite

    def probe(p: dict) -> _Probe:
        vals = []
        for t in seq:
            got = ev({**p, x.name: t}, profile.dps * 2)
            if got is None or not (_finite(got.outputs[0]) or infinite):
                return _Probe(None)
            vals.append(mpmath.re(got.outputs[0]))
        last = vals[-1]
        if infinite:
            sgn = 1 if target is sp.oo else -1
            ok = _finite(last) is False or sgn * last > 1e12
            return _Probe(ok, 0.0, {"f at last point": last})
        L = mpmath.mpf(float(target))
        errs = [abs(v - L) for v in vals]
        tail = errs[-6:]
        ok = tail[-1] <= 1e-8 * max(1, abs(L)) and all(b <= a * (1 + 1e-9) for a, b in itertools.pairwise(tail))
        return _Probe(ok, float(tail[-1]), {"f at last point": last, "claimed": L})

    draws = _domains_for(others, domains)
    small = replace(profile, samples=max(5, profile.samples // 10))
    state = _search(_points(draws), probe, small)
    n, worst, failure = state.n, state.worst, state.failure
    if failure is None:
        if n == 0:
            return NumericOutcome("error", reason="the limit could not be evaluated at any sampled point")
        return NumericOutcome("confirmed", samples=n * len(seq), max_rel_error=worst)
    point, res = failure
    return NumericOutcome(
        "refuted",
        samples=n * len(seq),
        max_rel_error=res.err,
        counterexample=_format_point(point),
        values=_shown(res.values),
        reason=_shrink_note(state, small),
    )
