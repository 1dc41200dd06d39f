"""Numeric fuzzing: Hypothesis draws points from the symbols' domains, mpmath evaluates.

Evaluation runs at ``dps`` significant digits (30 by default). A mismatch is trusted only if
it survives doubling the precision: when ``|lhs - rhs|`` collapses by many orders of magnitude
at twice the digits, it was rounding noise from catastrophic cancellation, not a violation.
The relative error of an equation is ``|lhs - rhs| / max(|lhs|, |rhs|, |t| for t in terms)``
where the terms are the top-level summands of both sides, so that exact cancellations to 0
are measured against the size of what cancelled. A violation is shrunk by Hypothesis to a
small counterexample, then re-evaluated at higher precision and reported with both values.
"""

from __future__ import annotations

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

from verify.domains import Domain
from verify.obligations import Conditional, Equation, Invariance, LimitOf, Obligation, Recomputation, Sign
from verify.tape import Tape


@dataclass(frozen=True)
class Profile:
    """How hard the numeric checker tries. ``ci`` is deterministic; ``thorough`` is not."""

    name: str
    samples: int
    derandomize: bool
    crosscheck_samples: int = 25
    family_samples: int = 15
    dps: int = 30
    rel_tol: float = 1e-15
    symbolic_budget: float = 1.5
    seed: int = 0
    #: seconds spent shrinking a counterexample once one is found (the smallest so far is kept)
    shrink_seconds: float = 1.5


PROFILES = {
    "ci": Profile("ci", samples=200, derandomize=True),
    "thorough": Profile(
        "thorough",
        samples=2000,
        derandomize=False,
        crosscheck_samples=300,
        family_samples=300,
        symbolic_budget=10.0,
        shrink_seconds=10.0,
    ),
}


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
    values: dict[str, str] = field(default_factory=dict)


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

    def __init__(self, symbols: list[sp.Symbol], exprs: list[sp.Expr]):
        self.tape = Tape(exprs)

    def __call__(self, point: Mapping[str, float], dps: int) -> tuple[list, object] | None:
        """``(values, largest intermediate magnitude)`` at ``dps`` digits, or None if undefined."""
        with mpmath.workdps(dps):
            try:
                return self.tape(point)
            except (ZeroDivisionError, ValueError, OverflowError, TypeError):
                return None


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

Getter = Callable[[int], "tuple[list, object] | None"]


def _noise_floor(magnitude, dps: int):
    """What rounding can produce at ``dps`` digits when intermediates reach ``magnitude``."""
    return magnitude * mpmath.mpf(10) ** (NOISE_DIGITS - dps)


def _next_dps(dps: int, magnitude, value) -> int:
    """Enough digits to resolve ``value`` against intermediates of size ``magnitude``."""
    if value and magnitude:
        need = int(mpmath.log10(magnitude / abs(value))) + 2 * NOISE_DIGITS + dps // 4
        return max(2 * dps, need)
    return 2 * dps


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
    (lhs, rhs, *terms), _ = got
    if not (_finite(lhs) and _finite(rhs)):
        if _nan(lhs) or _nan(rhs) or not (_finite(lhs) or _finite(rhs)):
            return _Probe(None)  # undefined at this point (nan, or infinite on both sides)
        return _Probe(False, math.inf, {"lhs": _fmt(lhs), "rhs": _fmt(rhs)})

    def rel(lhs, rhs, terms) -> tuple[float, mpmath.mpf]:
        scale = max([abs(lhs), abs(rhs)] + [abs(t) for t in terms if _finite(t)])
        diff = abs(lhs - rhs)
        return (float(diff / scale) if scale else float(diff != 0)), diff

    err, _ = rel(lhs, rhs, terms)
    values = {"lhs": _fmt(lhs), "rhs": _fmt(rhs)}
    if err <= profile.rel_tol:
        return _Probe(True, err, values)
    dps, previous = max(confirm_dps, 2 * profile.dps), None
    while dps <= MAX_DPS:
        got = get(dps)
        if got is None:
            return _Probe(None)
        (lhs, rhs, *terms), magnitude = got
        if not (_finite(lhs) and _finite(rhs)):
            return _Probe(None)
        err, diff = rel(lhs, rhs, terms)
        values = {"lhs": _fmt(lhs), "rhs": _fmt(rhs)}
        if err <= profile.rel_tol:
            return _Probe(True, err, values)
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
    (v, *terms), _ = got
    if not _finite(v):
        return _Probe(None)
    scale = max([abs(v)] + [abs(t) for t in terms if _finite(t)])
    values = {"value": _fmt(v)}
    if isinstance(v, mpmath.mpc) and abs(v.imag) > profile.rel_tol * scale:
        return _Probe(False, math.inf, values)
    v = mpmath.re(v)
    if v > profile.rel_tol * scale or (not strict and v >= 0):
        return _Probe(True, 0.0, values)
    dps, previous = max(confirm_dps, 2 * profile.dps), None
    while dps <= MAX_DPS:
        got = get(dps)
        if got is None or not _finite(got[0][0]):
            return _Probe(None)
        (value, *_), magnitude = got
        v = mpmath.re(value)
        values = {"value": _fmt(v)}
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


def _search(
    strategy: st.SearchStrategy, probe: Callable[[dict], _Probe], profile: Profile
) -> tuple[int, float, tuple[dict, _Probe] | None]:
    state = {"n": 0, "worst": 0.0, "failure": None, "deadline": math.inf}

    def test(point: dict) -> None:
        if state["failure"] is not None and time.monotonic() > state["deadline"]:
            if point == state["failure"][0]:  # the final replay of the smallest counterexample
                raise _Violation
            reject()  # shrinking budget spent: no further candidates
        res = probe(point)
        if res.ok is None:
            reject()
        state["n"] += 1
        if res.ok:
            state["worst"] = max(state["worst"], res.err)
            return
        if state["failure"] is None:
            state["deadline"] = time.monotonic() + profile.shrink_seconds
        state["failure"] = (point, res)
        raise _Violation

    run = settings(
        max_examples=profile.samples,
        derandomize=profile.derandomize,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
        phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink),  # no "explain"
        verbosity=Verbosity.quiet,
        print_blob=False,
    )(given(strategy)(test))
    if not profile.derandomize:
        run = hypothesis_seed(profile.seed)(run)
    try:
        run()
    except _Violation:
        pass
    except Unsatisfiable:
        pass
    except Flaky:  # replays rejected once the shrinking budget is spent; the failure found stands
        if state["failure"] is None:
            raise
    return state["n"], state["worst"], state["failure"]


def _domains_for(symbols: list[sp.Symbol], domains: Mapping[sp.Symbol, Domain]) -> dict[str, st.SearchStrategy]:
    return {s.name: domains[s].strategy() for s in symbols}


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
    missing = [s.name for s in ob.free_symbols() if s not in domains]
    if missing:
        return NumericOutcome("error", reason=f"no domain declared for symbol(s) {', '.join(sorted(missing))}")
    try:
        return _fuzz(ob, domains, profile)
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


def _fuzz(ob: Obligation, domains: Mapping[sp.Symbol, Domain], profile: Profile) -> NumericOutcome:
    if isinstance(ob, Recomputation):
        return _recompute(ob)
    if isinstance(ob, LimitOf):
        return _fuzz_limit(ob, domains, profile)
    syms = _sorted(ob.free_symbols())
    strategies = _domains_for(syms, domains)
    hypotheses: tuple[Sign, ...] = ()
    if isinstance(ob, Conditional):
        if not isinstance(ob.inner, Equation | Sign):
            return NumericOutcome("error", reason="hypotheses are supported for equations and inequalities only")
        hypotheses, ob = ob.hypotheses, ob.inner
    if isinstance(ob, Equation):
        ev = _Evaluator(syms, [ob.lhs, ob.rhs, *_terms(ob.lhs, ob.rhs)])

        def probe(p: dict) -> _Probe:
            return _compare(lambda dps: ev(p, dps), profile, _digits_needed(p, profile.dps))

        strategy = st.fixed_dictionaries(strategies)
    elif isinstance(ob, Sign):
        ev = _Evaluator(syms, [ob.expr, *_terms(ob.expr)])

        def probe(p: dict) -> _Probe:
            return _sign(lambda dps: ev(p, dps), ob.strict, profile, _digits_needed(p, profile.dps))

        strategy = st.fixed_dictionaries(strategies)
    elif isinstance(ob, Invariance):
        ev = _Evaluator(syms, [ob.expr, *_terms(ob.expr)])
        wrt = [s.name for s in _sorted(ob.wrt)]

        def probe(p: dict) -> _Probe:
            base, alt = p["base"], {**p["base"], **p["alt"]}

            def both(dps: int) -> tuple[list, object] | None:
                a, b = ev(base, dps), ev(alt, dps)
                if a is None or b is None:
                    return None
                (va, *ta), ma = a
                (vb, *tb), mb = b
                return [va, vb, *ta, *tb], max(ma, mb)

            res = _compare(both, profile, _digits_needed(p, profile.dps))
            res.values = {"at first point": res.values.get("lhs", ""), "at second point": res.values.get("rhs", "")}
            return res

        strategy = st.fixed_dictionaries(
            {
                "base": st.fixed_dictionaries(strategies),
                "alt": st.fixed_dictionaries({n: strategies[n] for n in wrt}),
            }
        )
    else:
        return NumericOutcome("error", reason=f"no numeric checker for {type(ob).__name__}")
    if hypotheses:
        probe = _under(hypotheses, probe, syms, profile)
    n, worst, failure = _search(strategy, probe, profile)
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
        values=check.values,
    )


def _under(
    hypotheses: tuple[Sign, ...], probe: Callable[[dict], _Probe], syms: list[sp.Symbol], profile: Profile
) -> Callable[[dict], _Probe]:
    """``probe`` restricted to points where every hypothesis holds (decided above rounding noise)."""
    evaluators = [_Evaluator(syms, [h.expr, *_terms(h.expr)]) for h in hypotheses]

    def restricted(p: dict) -> _Probe:
        shown = {}
        for i, (h, ev) in enumerate(zip(hypotheses, evaluators, strict=True), 1):
            got = ev(p, profile.dps)
            if got is None or not _finite(got[0][0]):
                return _Probe(None)
            (v, *terms), _ = got
            if mpmath.re(v) < -1e-6 * max([abs(v)] + [abs(t) for t in terms if _finite(t)]):
                return _Probe(None)  # clearly outside: skip without confirming at higher precision
            res = _sign(lambda dps: ev(p, dps), h.strict, profile, _digits_needed(p, profile.dps))
            if res.ok is not True:
                return _Probe(None)  # outside the hypotheses (or undecided there): not a test point
            shown[f"{h.label or f'hypothesis {i}'} (holds by)"] = res.values.get("value", "")
        res = probe(p)
        res.values = {**res.values, **shown}
        return res

    return restricted


def _format_point(point: dict) -> dict[str, str]:
    if "base" in point and isinstance(point["base"], dict):
        out = {k: _fmt_input(v) for k, v in point["base"].items()}
        out.update({f"{k}′": _fmt_input(v) for k, v in point["alt"].items()})
        return out
    return {k: _fmt_input(v) for k, v in point.items()}


def _fuzz_limit(ob: LimitOf, domains: Mapping[sp.Symbol, Domain], profile: Profile) -> NumericOutcome:
    """Evaluate along x_k → ``to`` for sampled values of the other symbols.

    Confirmed when the distance to the claimed value shrinks over the tail of the sequence and
    ends below 1e-8 (relative); for an infinite value, when the function passes ±1e12.
    """
    x = ob.var
    others = _sorted(ob.free_symbols() - {x})
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
            if got is None or not (_finite(got[0][0]) or infinite):
                return _Probe(None)
            vals.append(mpmath.re(got[0][0]))
        last = vals[-1]
        if infinite:
            sgn = 1 if target is sp.oo else -1
            ok = _finite(last) is False or sgn * last > 1e12
            return _Probe(ok, 0.0, {"f at last point": _fmt(last)})
        L = mpmath.mpf(float(target))
        errs = [abs(v - L) for v in vals]
        tail = errs[-6:]
        ok = tail[-1] <= 1e-8 * max(1, abs(L)) and all(b <= a * (1 + 1e-9) for a, b in itertools.pairwise(tail))
        return _Probe(ok, float(tail[-1]), {"f at last point": _fmt(last), "claimed": _fmt(L)})

    strategies = _domains_for(others, domains)
    small = replace(profile, samples=max(5, profile.samples // 10))
    n, worst, failure = _search(st.fixed_dictionaries(strategies), probe, small)
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
        values=res.values,
    )
