"""The numeric checker: precision escalation, shrinking, undefined points, reporting.

Most tests call :func:`verify.search.fuzz.fuzz` on a single obligation (the numeric checker alone,
without SymPy in front of it); a few go through :func:`verify.run.runner.check_step`. Every
counterexample is re-evaluated here with plain mpmath. ``FixedPoints`` domains pin the sampled
values so that the points that matter (tiny inputs, poles) are certainly exercised.

Tests marked "regression" below failed on the engine as first committed (4847353..08c3809);
they state the correct behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import mpmath
import pytest
import sympy as sp
from hypothesis import strategies as st

from tests.verdicts import VERDICTS
from verify.domains import POSITIVE, REAL, Domain, var
from verify.functions import logsigmoid, sigmoid
from verify.kernel.obligations import Equation, Invariance, LimitOf, Sign
from verify.model import Derivation, Equal, Inequality, Source, Step
from verify.run.check import check_step
from verify.search import fuzz as numeric
from verify.search.fuzz import fuzz

CI = VERDICTS
mpf = mpmath.mpf


@dataclass(frozen=True)
class FixedPoints(Domain):
    """A domain whose strategy draws only from ``points`` (to pin what the fuzzer sees)."""

    points: tuple[float, ...] = ()

    def strategy(self):
        return st.sampled_from(self.points)


def points_domain(name: str, *points: float) -> FixedPoints:
    return FixedPoints(name, min(points), max(points), (("real", True),), points=tuple(points))


def check(claim):
    step = Step(id="under_test", claim=claim)
    derivation = Derivation(id="t", title="t", source=Source("doc.txt", "x"), steps=[step])
    return check_step(derivation, step, CI)


x = var("tn_x", REAL)
a = var("tn_a", REAL)
b = var("tn_b", REAL)
p = var("tn_p", POSITIVE)

TINY_POINTS = (1e-300, 1e-200, 1e-100, 1e-40, 1e-20, 1e-8)


def tiny(value: float):
    """A symbol whose only value is ``value`` (one domain per value, so one name per value)."""
    dom = points_domain(f"tn_tiny_{value:g}", value)
    return var(f"tn_t_{str(value).replace('-', 'm').replace('.', '_')}", dom), dom


# --- catastrophic cancellation ------------------------------------------------------------------


def test_expanded_square_over_reals_is_confirmed_without_false_refutation():
    ob = Equation(lhs=(1 + x) ** 2 - 1 - 2 * x, rhs=x**2)
    out = fuzz(ob, {x: REAL}, CI)
    assert out.status == "confirmed", out
    assert out.samples >= 100
    assert out.max_rel_error < 1e-15


@pytest.mark.parametrize("value", TINY_POINTS)
@pytest.mark.parametrize(
    "pair",
    [
        pytest.param(lambda t: ((1 + t) ** 2 - 1 - 2 * t, t**2), id="square"),
        pytest.param(lambda t: (sp.log(1 + t) - t, sp.log((1 + t) * sp.exp(-t))), id="log1p_minus_x"),
        pytest.param(lambda t: (sp.exp(t) - 1, 2 * sp.exp(t / 2) * sp.sinh(t / 2)), id="expm1"),
    ],
)
def test_cancellation_at_tiny_inputs_is_not_a_refutation(pair, value):
    t, dom = tiny(value)
    lhs, rhs = pair(t)
    out = fuzz(Equation(lhs=lhs, rhs=rhs), {t: dom}, CI)
    assert out.status == "confirmed", out
    assert out.samples == 1
    assert out.max_rel_error < 1e-15


def test_square_really_cancels_at_working_precision():
    """Why the test above is meaningful: at 30 digits the two sides of the square differ."""
    with mpmath.workdps(30):
        t = mpf(1e-40)
        assert (1 + t) ** 2 - 1 - 2 * t != t**2


@pytest.mark.parametrize(
    ("lhs", "rhs", "true_diff"),
    [
        pytest.param(lambda t: (1 + t) ** 2 - 1 - 2 * t, lambda t: t**2 + t**3, lambda t: -(t**3), id="cubic_term"),
        pytest.param(lambda t: sp.log(1 + t) - t, lambda t: -(t**2) / 2, None, id="log1p_second_order_only"),
    ],
)
def test_small_but_real_differences_are_still_refuted(lhs, rhs, true_diff):
    t, dom = tiny(1e-3)
    out = fuzz(Equation(lhs=lhs(t), rhs=rhs(t)), {t: dom}, CI)
    assert out.status == "refuted", out
    assert out.counterexample == {t.name: "0.001"}
    with mpmath.workdps(60):
        v = mpf("0.001")
        ev = sp.lambdify(t, lhs(t) - rhs(t), "mpmath")(v)
        assert abs(ev) > mpf("1e-12")  # far beyond rounding at 60 digits
        if true_diff is not None:
            assert mpmath.almosteq(ev, true_diff(v), rel_eps=mpf("1e-40"))


# Regression: confirmation precision used to be chosen from the magnitudes of the INPUTS only
# (2·dps + 2·max|log10 input|). When an intermediate value such as e^{-x} at x = 1000 is far
# below that precision, log(1 + e^{-x}) rounds to exactly 0 at dps 30, 66 and 132 alike; the
# evaluations agreed, and the rounding error was trusted as a violation of a TRUE claim. The
# second item of each parameter is what the old engine answered, the third the right status.
CANCELLATION_BUGS = [
    pytest.param(
        lambda u: Inequality(sp.log(1 + u), ">=", u / (1 + u)),
        "refuted",
        "confirmed",
        id="log1p_bound_refuted_at_x_1000",
    ),
    pytest.param(
        lambda u: Inequality(sp.exp(u), ">=", 1 + u),
        "refuted",
        "confirmed",
        id="exp_tangent_bound_refuted_at_x_133",
    ),
    pytest.param(
        lambda u: Inequality(sp.exp(u), ">", 1 + u),
        "refuted",
        "confirmed",
        id="strict_exp_tangent_bound_refuted_at_x_100",
    ),
    pytest.param(
        lambda u: Equal(-logsigmoid(-sp.log(u)), sp.log(1 + u)),
        "error",
        "proved",
        id="true_identity_gets_error_checkers_disagree",
    ),
]


@pytest.mark.parametrize(("make", "observed", "expected"), CANCELLATION_BUGS)
def test_underflowing_intermediate_does_not_refute_true_claim(make, observed, expected):
    u = sp.exp(-p)  # p ∈ [1e-3, 1e3], so u reaches e^{-1000}
    res = check(make(u))
    # the claims are true (log(1+u) ≥ u/(1+u), e^u ≥ 1+u, e^u > 1+u for u > 0; −logσ(−log u) = log(1+u));
    # their counterexample, re-evaluated with enough digits, satisfies them
    if res.counterexample:
        with mpmath.workdps(2000):
            uu = mpmath.exp(-mpf(res.counterexample[p.name]))
            assert mpmath.log(1 + uu) > uu / (1 + uu)
            assert mpmath.exp(uu) > 1 + uu
    why = (f"old engine: {observed}", res.status, res.counterexample, res.values)
    # SymPy cannot sign the three inequalities (confirmed); it proves the identity
    assert res.status == expected, why


def test_strict_sign_with_noise_at_working_precision_is_not_refuted():
    t, dom = tiny(1e-40)
    out = fuzz(Sign(expr=sp.exp(t) - 1 - t, strict=True), {t: dom}, CI)
    # regression: the old engine answered refuted with values {'value': '5.0e-81'} — a positive
    # value reported as violating "> 0" because cancellation noise was flagged at dps 30
    assert out.status == "confirmed", out


def test_strict_sign_that_is_exactly_zero_at_a_point_is_refuted_there():
    dom = points_domain("tn_zero_at", 1.0, 2.0)
    y = var("tn_y_zero", dom)
    out = fuzz(Sign(expr=(y - 1) ** 2, strict=True), {y: dom}, CI)
    assert out.status == "refuted" and float(out.counterexample["tn_y_zero"]) == 1.0


def test_strict_sign_that_cancels_to_zero_at_every_precision_is_not_refuted():
    """1 − σ(10⁴) is 0 to 3000 digits but not 0: a true strict bound is never refuted there."""
    dom = points_domain("tn_cancel_at", 1e4)
    y = var("tn_y_cancel", dom)
    out = fuzz(Sign(expr=1 - 1 / (1 + sp.exp(-y)), strict=True), {y: dom}, CI)
    assert out.status != "refuted", out
    with mpmath.workdps(5000):
        assert 1 - 1 / (1 + mpmath.exp(-(mpf(10) ** 4))) > 0


# --- shrinking ------------------------------------------------------------------------------------


def test_counterexample_is_shrunk_to_a_simple_value_that_violates():
    res = check(Inequality(x**2, ">=", x))
    assert res.status == "refuted"
    assert list(res.counterexample) == ["tn_x"]
    text = res.counterexample["tn_x"]
    assert len(text) <= 5, text  # e.g. "0.5", not 0.4837205517...
    v = mpf(text)
    assert 0 < v < 1
    assert v**2 < v  # independently violates x² ≥ x
    assert mpf(res.values["lhs − rhs (must be ≥ 0)"]) == v**2 - v  # the gap, named for what it is


def test_multivariate_counterexample_is_shrunk_to_simple_values():
    # a·b ≤ a² fails e.g. at a = 1, b = 2
    res = check(Inequality(a * b, "<=", a**2))
    assert res.status == "refuted"
    pt = {k: mpf(v) for k, v in res.counterexample.items()}
    assert all(len(s) <= 5 for s in res.counterexample.values()), res.counterexample
    assert pt["tn_a"] * pt["tn_b"] > pt["tn_a"] ** 2


def test_ci_profile_is_deterministic():
    claim = Inequality(x**2, ">=", x)
    first, second = check(claim), check(claim)
    assert first.counterexample == second.counterexample
    assert first.samples == second.samples


class _Clock:
    """A stand-in for the ``time`` module whose CPU clock moves ``step`` seconds at every reading."""

    def __init__(self, step: float):
        self.now, self.step = 0.0, step

    def process_time(self) -> float:
        self.now += self.step
        return self.now


def test_counterexample_does_not_depend_on_machine_speed(monkeypatch):
    """The shrinking budget is a count of candidates: a machine slow enough that the old 1.5 s
    budget would have cut shrinking short reports the same counterexample (regression)."""
    ob = Sign(expr=a**2 - a * b, strict=False)
    fast = fuzz(ob, {a: REAL, b: REAL}, CI)
    clock = _Clock(step=0.1)
    monkeypatch.setattr(numeric, "time", clock)
    slow = fuzz(ob, {a: REAL, b: REAL}, CI)
    assert clock.now > 1.5  # long enough to have mattered to a clock-based budget
    assert slow.status == fast.status == "refuted"
    assert (slow.samples, slow.counterexample, slow.values) == (fast.samples, fast.counterexample, fast.values)
    assert slow.reason is None  # not cut short
    pt = {k: mpf(v) for k, v in slow.counterexample.items()}
    assert pt["tn_a"] ** 2 - pt["tn_a"] * pt["tn_b"] < 0
    assert all(len(v) <= 5 for v in slow.counterexample.values()), slow.counterexample


def _shrink(profile):
    """Search s ∈ [0, 10] for a violation of s < 3; returns the state and the points probed."""
    probed: list[float] = []

    def probe(point: dict) -> numeric._Probe:
        probed.append(point["s"])
        return numeric._Probe(point["s"] < 3)

    sampler = numeric._points({"s": (st.floats(0.0, 10.0), None)})
    return numeric._search(sampler, probe, profile), probed


def test_shrinking_tries_at_most_shrink_examples_candidates():
    full, _ = _shrink(CI)
    assert full.failure[0] == {"s": 3.0}  # shrunk to the boundary of the violation
    assert 3 < full.candidates < CI.shrink_examples
    cut, probed = _shrink(replace(CI, shrink_examples=3))
    assert cut.candidates == 3
    first_failure = next(i for i, s in enumerate(probed) if s >= 3)
    assert len(probed) - first_failure - 1 == 3  # three candidates probed after the first failure
    assert cut.failure[0]["s"] >= 3  # the smallest failure so far still violates
    assert not cut.cut_short


def test_shrinking_safety_limit_stops_and_is_reported(monkeypatch):
    clock = _Clock(step=100.0)  # every candidate lands past the 20 s safety limit
    monkeypatch.setattr(numeric, "time", clock)
    state, _ = _shrink(CI)
    assert state.cut_short and state.candidates == 0
    res = check(Inequality(a * b, "<=", a**2))
    assert res.status == "refuted"
    assert "safety limit" in res.reason and "may not be the simplest" in res.reason
    pt = {k: mpf(v) for k, v in res.counterexample.items()}
    assert pt["tn_a"] * pt["tn_b"] > pt["tn_a"] ** 2


# --- undefined and non-finite points -----------------------------------------------------------------


def test_points_where_the_claim_is_undefined_are_skipped_not_refuted():
    # (y² − 1)/(y − 1) = y + 1 is undefined at y = 1, which the domain certainly contains
    dom = points_domain("tn_pole", 0.0, 1.0, 2.0, -3.0)
    y = var("tn_y_pole", dom)
    out = fuzz(Equation(lhs=(y**2 - 1) / (y - 1), rhs=y + 1), {y: dom}, CI)
    assert out.status == "confirmed", out
    assert 1 <= out.samples <= 3  # only the defined points are counted


def test_claim_undefined_everywhere_is_an_error_not_a_refutation():
    dom = points_domain("tn_only_pole", 1.0)
    y = var("tn_y_only_pole", dom)
    out = fuzz(Equation(lhs=(y**2 - 1) / (y - 1), rhs=y + 1), {y: dom}, CI)
    assert out.status == "error"
    assert out.samples == 0
    assert "could not be evaluated at any sampled point" in out.reason


def test_both_sides_infinite_is_skipped():
    dom = points_domain("tn_zero_and_more", 0.0, -2.0, 3.0)
    y = var("tn_y_zero", dom)
    out = fuzz(Equation(lhs=sp.log(y**2), rhs=2 * sp.log(sp.Abs(y))), {y: dom}, CI)
    assert out.status == "confirmed", out


def test_sign_undefined_point_is_skipped():
    dom = points_domain("tn_pole", 0.0, 1.0, 2.0, -3.0)
    y = var("tn_y_pole", dom)
    out = fuzz(Sign(expr=(y**2 - 1) / (y - 1) - y, strict=True), {y: dom}, CI)
    assert out.status == "confirmed", out


def test_nan_against_finite_value_is_skipped_not_refuted():
    # log(y²) − 2 log|y| = 0 for every y ≠ 0; at y = 0 the left side is −∞ + ∞ = nan
    dom = points_domain("tn_zero_and_more", 0.0, -2.0, 3.0)
    y = var("tn_y_zero", dom)
    out = fuzz(Equation(lhs=sp.log(y**2) - 2 * sp.log(sp.Abs(y)), rhs=0), {y: dom}, CI)
    # regression: the old engine answered refuted with counterexample {y: 0.0},
    # values {'lhs': 'nan', 'rhs': '0.0'} (nan against a finite value counted as a violation)
    assert out.status == "confirmed", out


# --- missing domains -------------------------------------------------------------------------------


def test_symbol_without_domain_is_an_error_naming_it():
    q = sp.Symbol("tn_q_undeclared")
    out = fuzz(Equation(lhs=q + 1, rhs=1 + q), {}, CI)
    assert out.status == "error"
    assert "tn_q_undeclared" in out.reason
    assert out.samples == 0 and out.counterexample is None
    res = check(Equal(q + x, x + q))
    assert res.status == "error"
    assert "tn_q_undeclared" in res.reason
    assert res.counterexample is None


# --- reporting ---------------------------------------------------------------------------------------


def test_samples_and_error_are_reported_for_a_true_identity():
    out = fuzz(Equation(lhs=sigmoid(x) + sigmoid(-x), rhs=1), {x: REAL}, CI)
    assert out.status == "confirmed"
    assert out.samples >= 100
    assert 0 <= out.max_rel_error < 1e-15
    assert out.counterexample is None
    # through the runner: SymPy proves it, then the fuzzer cross-checks with fewer samples
    res = check(Equal(sigmoid(x) + sigmoid(-x), 1))
    assert res.status == "proved"
    assert res.samples == CI.crosscheck_samples
    assert 0 <= res.max_rel_error < 1e-15


def test_confirmed_step_reports_full_sample_count():
    # SymPy cannot sign e^x − 1 − x: after the first search (the cross-check's sample count,
    # run before any proof attempt) the fuzzer runs the full profile
    res = check(Inequality(sp.exp(x), ">=", 1 + x))
    assert res.status == "confirmed"
    assert res.samples == CI.samples  # the full search extends the first one: each point counted once
    assert res.max_rel_error < 1e-15


def test_refutation_reports_values_and_relative_error():
    out = fuzz(Equation(lhs=sigmoid(x) + sigmoid(-x), rhs=2), {x: REAL}, CI)
    assert out.status == "refuted"
    assert out.samples > 0
    assert out.max_rel_error == pytest.approx(0.5)
    v = mpf(out.counterexample["tn_x"])
    assert mpf(out.values["lhs"]) == 1 and mpf(out.values["rhs"]) == 2
    assert 1 / (1 + mpmath.exp(-v)) + 1 / (1 + mpmath.exp(v)) != 2


def test_complex_value_violates_a_sign_claim():
    out = fuzz(Sign(expr=1 - sp.log(a) + a, strict=False), {a: REAL}, CI)
    assert out.status == "refuted"
    v = mpf(out.counterexample["tn_a"])
    assert v < 0
    assert mpmath.im(mpmath.log(mpmath.mpc(v))) != 0


def test_invariance_counterexample_names_the_second_point_with_a_prime():
    out = fuzz(Invariance(expr=a * b, wrt=(a,)), {a: REAL, b: REAL}, CI)
    assert out.status == "refuted"
    assert set(out.counterexample) == {"tn_a", "tn_b", "tn_a′"}
    pa, pb, pa2 = (mpf(out.counterexample[k]) for k in ("tn_a", "tn_b", "tn_a′"))
    assert pa * pb != pa2 * pb
    assert set(out.values) == {"at first point", "at second point"}


def test_limit_fuzzer_confirms_and_refutes():
    ok = fuzz(LimitOf(expr=sigmoid(p * x), var=x, to=sp.oo, value=1), {p: POSITIVE, x: REAL}, CI)
    assert ok.status == "confirmed" and ok.samples > 0
    bad = fuzz(LimitOf(expr=sigmoid(p * x), var=x, to=sp.oo, value=0), {p: POSITIVE, x: REAL}, CI)
    assert bad.status == "refuted"
    beta = mpf(bad.counterexample["tn_p"])
    assert 1 / (1 + mpmath.exp(-beta * 10**6)) > mpf("0.5")
