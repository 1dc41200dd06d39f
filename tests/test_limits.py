"""Limits: one-sided and two-sided approaches, infinite values, values depending on parameters.

True limits must come out ``proved`` (or ``confirmed`` where SymPy cannot compute them); false
variants must come out ``refuted``, and each counterexample is re-evaluated here with plain
mpmath near the limit point, from the side the engine names, to show that the limit is not
the claimed one.
"""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp

from tests.verdicts import VERDICTS
from verify import Limit, sigmoid, softplus, var
from verify.domains import LOG_PROB, POSITIVE, PROBABILITY, REAL, UNIT
from verify.errors import ClaimError
from verify.kernel.obligations import LimitOf
from verify.kernel.prover import prove_limit
from verify.model import Derivation, Source, Step
from verify.run.check import check_step
from verify.search.fuzz import _APPROACH_POINTS, fuzz

CI = VERDICTS
BUDGET = CI.symbolic_budget
mpf = mpmath.mpf

x = var("x", REAL)
t = var("t", REAL)
a = var("a", REAL)
xp = var("x", POSITIVE)
d = var("d", POSITIVE)
tau = var("tau", POSITIVE)
c = var("c", POSITIVE)
lam = var("lam", POSITIVE)
s = var("s", POSITIVE)
p = var("p", PROBABILITY)
alpha = var("alpha", PROBABILITY)
u = var("u", UNIT)
ell = var("ell", LOG_PROB)


def check(claim):
    step = Step(id="under_test", claim=claim)
    derivation = Derivation(id="t", title="t", source=Source("doc.txt", "x"), steps=[step])
    return check_step(derivation, step, VERDICTS)


def fuzz_claim(claim, profile=CI):
    (ob,) = claim.obligations()
    return fuzz(ob, {q: q.domain for q in ob.free_symbols()}, profile)


def params(cex: dict[str, str]) -> dict[str, mpmath.mpf]:
    return {k: mpf(v) for k, v in cex.items()}


def near(to, side: str, depths=(20, 30, 40)) -> list[mpmath.mpf]:
    """Points close to ``to`` from ``side`` (``±10^k`` at ``±∞``), independent of the engine's."""
    if to is sp.oo:
        return [mpf(10) ** k for k in depths]
    if to is sp.S.NegativeInfinity:
        return [-(mpf(10) ** k) for k in depths]
    sign = 1 if side == "+" else -1
    return [mpf(to) + sign * mpf(10) ** -k for k in depths]


def stays_away(values, claimed, margin="0.1") -> bool:
    """Every value is at least ``margin`` from the claimed finite value."""
    return all(abs(v - claimed) > mpf(margin) for v in values)


def m_sigmoid(z):
    return 1 / (1 + mpmath.exp(-z))


@pytest.fixture(autouse=True)
def digits():
    with mpmath.workdps(80):
        yield


# --- every side is checked (bug 1: only the right side was sampled) -------------------------------


def test_two_sided_limit_of_sigmoid_d_over_t_is_refuted_from_the_left():
    res = check(Limit(sigmoid(d / t), t, 0, 1))
    assert res.status == "refuted"
    assert set(res.counterexample) == {"d"}
    assert res.values["side"] == "-"
    dv = params(res.counterexample)["d"]
    assert stays_away([m_sigmoid(dv / tv) for tv in near(0, "-")], 1)  # → 0 from the left


def test_one_sided_limit_of_sigmoid_d_over_t_from_the_right_is_proved():
    assert check(Limit(sigmoid(d / t), t, 0, 1, direction="+")).status == "proved"


def test_fuzzer_refutes_the_left_side_and_names_it():
    out = fuzz_claim(Limit(sigmoid(d / t), t, 0, 1))
    assert out.status == "refuted"
    assert out.values["side"] == "-" and "t → 0-" in out.reason
    assert mpf(out.values["f at last point"]) < mpf("1e-10")
    assert out.values["claimed"] == "1.0"


def test_two_sided_infinite_limit_with_different_sides_is_refuted():
    res = check(Limit(1 / x, x, 0, sp.oo))
    assert res.status == "refuted"
    assert res.values["side"] == "-"
    assert all(1 / v < -(mpf(10) ** 19) for v in near(0, "-"))  # → −∞ from the left


def test_non_real_side_is_refuted():
    """log x → −∞ + iπ from the left: not −∞ (SymPy's −∞ absorbs the iπ; the prover must not)."""
    out = prove_limit(LimitOf(expr=sp.log(x), var=x, to=0, value=-sp.oo, direction="+-"), BUDGET)
    assert out.status == "unproved" and "not real" in out.reason
    res = check(Limit(sp.log(x), x, 0, -sp.oo))
    assert res.status == "refuted" and res.values["side"] == "-"
    assert all(mpmath.im(mpmath.log(mpmath.mpc(v))) > 3 for v in near(0, "-"))


def test_sides_follow_the_domain():
    assert Limit(xp * sp.log(xp), xp, 0, 0).direction == "+"
    assert Limit(xp * sp.log(xp), xp, 0, 0).obligations()[0].sides() == ("+",)
    assert Limit(sp.sin(x) / x, x, 0, 1).obligations()[0].sides() == ("+", "-")
    assert Limit(u / (1 - u), u, 1, sp.oo).direction == "-"
    assert Limit(sp.exp(ell), ell, -sp.oo, 0).obligations()[0].sides() == ("+",)
    assert Limit(1 / xp, xp, sp.oo, 0).obligations()[0].sides() == ("-",)


def test_a_side_outside_the_domain_is_a_claim_error():
    with pytest.raises(ClaimError):
        Limit(xp * sp.log(xp), xp, 0, 0, direction="-")
    with pytest.raises(ClaimError):
        Limit(u, u, 1, 1, direction="+")


def test_one_sided_defaults_are_proved():
    assert check(Limit(xp * sp.log(xp), xp, 0, 0)).status == "proved"
    assert check(Limit(sp.exp(ell), ell, 0, 1)).status == "proved"  # a log-probability → 0 from below


def test_two_sided_true_limits_are_proved():
    assert check(Limit(sp.sin(x) / x, x, 0, 1)).status == "proved"
    assert check(Limit((sp.exp(x) - 1) / x, x, 0, 1)).status == "proved"
    assert check(Limit((x**2 - 1) / (x - 1), x, 1, 2)).status == "proved"


def test_two_sided_false_limit_is_refuted_with_a_side():
    res = check(Limit(sp.sin(x) / x, x, 0, 0))
    assert res.status == "refuted" and res.values["side"] in ("+", "-")
    assert stays_away([mpmath.sin(v) / v for v in near(0, res.values["side"])], 0)


def test_latex_marks_one_sided_limits_only():
    assert r"0^{+}" in Limit(xp * sp.log(xp), xp, 0, 0).latex()
    assert r"0^{-}" in Limit(sigmoid(d / t), t, 0, 0, direction="-").latex()
    two = Limit(sp.sin(x) / x, x, 0, 1).latex()
    assert r"\to 0}" in two and "^{" not in two.split("}")[0]
    assert "^{" not in Limit(sigmoid(x), x, sp.oo, 1).latex().split(r"\sigma")[0]


# --- limits at ±∞ -------------------------------------------------------------------------------


def test_limits_at_infinity():
    assert check(Limit(sigmoid(d * x), x, sp.oo, 1)).status == "proved"
    assert check(Limit(sigmoid(d * x), x, -sp.oo, 0)).status == "proved"
    assert check(Limit(sp.exp(ell), ell, -sp.oo, 0)).status == "proved"
    assert check(Limit(sp.sqrt(x**2 + x) - x, x, sp.oo, sp.Rational(1, 2))).status == "proved"


def test_false_limits_at_infinity_are_refuted():
    res = check(Limit(sigmoid(d * x), x, -sp.oo, 1))
    assert res.status == "refuted"
    dv = params(res.counterexample)["d"]
    assert stays_away([m_sigmoid(dv * v) for v in near(-sp.oo, "+")], 1)
    res = check(Limit(sp.exp(ell), ell, -sp.oo, 1))
    assert res.status == "refuted"
    assert stays_away([mpmath.exp(v) for v in near(-sp.oo, "+")], 1)


# --- infinite limits by growth, not by a threshold (bug 2) -----------------------------------------


def test_log_divergence_with_small_coefficient_holds():
    """τ log(p/c) → −∞ as p → 0⁺ even where τ = 10⁻³ keeps |f| small at every point sampled."""
    claim = Limit(tau * sp.log(p / c), p, 0, -sp.oo)
    assert fuzz_claim(claim).status == "confirmed"
    assert check(claim).status in ("proved", "confirmed")


def test_power_divergence_with_exponent_near_zero_holds():
    """λ α s^(α−1) → ∞ as s → 0⁺ for 0 < α < 1, also for α − 1 ≈ −10⁻⁶ (SymPy cannot compute it)."""
    claim = Limit(lam * alpha * s ** (alpha - 1), s, 0, sp.oo)
    assert fuzz_claim(claim).status == "confirmed"
    assert check(claim).status in ("proved", "confirmed")


def test_divergence_the_wrong_way_is_refuted():
    res = check(Limit(tau * sp.log(p / c), p, 0, sp.oo))
    assert res.status == "refuted"
    q = params(res.counterexample)
    vals = [q["tau"] * mpmath.log(v / q["c"]) for v in near(0, "+")]
    assert vals[0] < 0 and vals[0] > vals[1] > vals[2]  # decreasing, negative: not → +∞


def test_a_convergent_function_claimed_infinite_is_refuted():
    res = check(Limit(lam * alpha * s ** (alpha + 1), s, 0, sp.oo))
    assert res.status == "refuted"
    q = params(res.counterexample)
    assert all(abs(q["lam"] * q["alpha"] * v ** (q["alpha"] + 1)) < 1 for v in near(0, "+"))


def test_divergence_refutes_a_finite_claim():
    out = fuzz_claim(Limit(sp.log(1 / xp), xp, 0, 5))
    assert out.status == "refuted" and "grows without bound" in out.reason
    assert all(mpmath.log(1 / v) > 40 for v in near(0, "+"))


def test_slow_convergence_is_never_refuted():
    """1/log(1/x) → 0 is still 0.007 at x = 2^-200: undecided numerically, proved by SymPy."""
    claim = Limit(1 / sp.log(1 / xp), xp, 0, 0)
    out = fuzz_claim(claim)
    assert out.status == "error" and "could not be decided" in out.reason  # undecided at every point
    assert prove_limit(claim.obligations()[0], BUDGET).status == "proved"
    # the step is proved, and marked as not cross-checked numerically (with the reason)
    res = check(claim)
    assert (res.status, res.crosschecked) == ("proved", False)
    assert res.reason.startswith("not cross-checked numerically") and "could not be decided" in res.reason
    assert fuzz_claim(Limit(xp ** sp.Rational(1, 100), xp, 0, 0)).status != "refuted"
    assert fuzz_claim(Limit(sp.sqrt(sp.log(1 / xp)), xp, 0, sp.oo)).status == "confirmed"


def test_small_exponents_do_not_fake_a_divergence():
    """x^a log x → 0 and x^-a / log(1/x) → ∞ for every a in (0, 1), though for a near 10^-6 both
    still look logarithmic at x = 2^-800: such points are left undecided, never refuted."""
    assert fuzz_claim(Limit(xp**alpha * sp.log(xp), xp, 0, 0)).status == "confirmed"
    assert fuzz_claim(Limit(xp ** (-alpha) / sp.log(1 / xp), xp, 0, sp.oo)).status == "confirmed"
    assert fuzz_claim(Limit(xp ** (-alpha) + sp.log(xp), xp, 0, sp.oo)).status == "confirmed"
    res = check(Limit(xp**alpha * sp.log(xp), xp, 0, -sp.oo))
    assert res.status == "refuted"
    q = params(res.counterexample)
    vals = [v ** q["alpha"] * mpmath.log(v) for v in near(0, "+", depths=(100, 200, 300))]
    assert all(abs(v) < 1e-6 for v in vals)  # → 0, not −∞


def test_slow_convergence_to_another_value_is_not_confirmed():
    assert fuzz_claim(Limit(1 + 1 / sp.log(1 / xp), xp, 0, 0)).status != "confirmed"
    assert fuzz_claim(Limit(sp.log(sp.log(1 / xp)), xp, 0, 1)).status != "confirmed"


def test_oscillation_without_decay_is_refuted():
    """c sin(π/x) does not tend to 0: it equals c at x = 1/(2n + 1/2), arbitrarily close to 0⁺."""
    res = check(Limit(d * sp.sin(sp.pi / xp), xp, 0, 0))
    assert res.status == "refuted" and "keeps returning" in res.reason
    dv = params(res.counterexample)["d"]
    assert stays_away([dv * mpmath.sin(mpmath.pi * (2 * mpf(10) ** k + mpf(1) / 2)) for k in (5, 10, 20)], 0, dv / 2)


def test_decaying_oscillation_is_not_refuted():
    assert fuzz_claim(Limit(xp * sp.sin(1 / xp), xp, 0, 0)).status == "confirmed"
    assert fuzz_claim(Limit(sp.sin(x) / x, x, sp.oo, 0)).status == "confirmed"
    assert fuzz_claim(Limit(sp.sin(1 / xp) / sp.log(1 / xp), xp, 0, 0)).status != "refuted"  # decays too slowly


# --- a value depending on other symbols (bug 3) -----------------------------------------------------


def test_parametric_value_true():
    claim = Limit(a * x / (x + 1), x, sp.oo, a)
    out = fuzz_claim(claim)
    assert out.status == "confirmed" and out.samples > 0
    assert check(claim).status == "proved"


def test_parametric_value_false():
    res = check(Limit(a * x / (x + 1), x, sp.oo, 2 * a))
    assert res.status == "refuted"
    av = params(res.counterexample)["a"]
    assert av != 0
    assert stays_away([av * v / (v + 1) for v in near(sp.oo, "-")], 2 * av, margin=abs(av) / 2)


def test_parametric_value_with_a_parameter_only_in_the_value():
    res = check(Limit(sigmoid(x), x, sp.oo, a))
    assert res.status == "refuted"
    av = params(res.counterexample)["a"]
    assert stays_away([m_sigmoid(v) for v in near(sp.oo, "-")], av, margin=mpf("1e-3"))


# --- precision and sampling ---------------------------------------------------------------------------


def test_cancellation_near_the_point_is_resolved():
    assert fuzz_claim(Limit((sp.exp(x) - 1) / x, x, 0, 1)).status == "confirmed"
    assert fuzz_claim(Limit((1 + 1 / xp) ** xp, xp, sp.oo, sp.E)).status == "confirmed"
    bad = fuzz_claim(Limit((sp.exp(x) - 1) / x, x, 0, 2))
    assert bad.status == "refuted"
    assert stays_away([(mpmath.exp(v) - 1) / v for v in near(0, bad.values["side"])], 2)


def test_cancellation_of_higher_order_is_resolved_by_more_digits():
    """1 − cos(bx) vanishes to second order: at x = 2^-200 it needs twice the digits of x."""
    assert fuzz_claim(Limit((1 - sp.cos(d * x)) / x**2, x, 0, d**2 / 2)).status == "confirmed"
    assert fuzz_claim(Limit((sp.cos(x) - 1 + x**2 / 2) / x**4, x, 0, sp.Rational(1, 24))).status == "confirmed"
    assert fuzz_claim(Limit((1 - sp.cos(x)) / x**4, x, 0, sp.oo)).status == "confirmed"
    bad = fuzz_claim(Limit((1 - sp.cos(d * x)) / x**2, x, 0, d**2))
    assert bad.status == "refuted"
    dv = params(bad.counterexample)["d"]
    vals = [(1 - mpmath.cos(dv * v)) / v**2 for v in near(0, bad.values["side"], depths=(10, 15, 20))]
    assert stays_away(vals, dv**2, margin=dv**2 / 4)


def test_cancellation_to_zero_is_confirmed():
    """softplus(x) − x → 0 as x → ∞ is computed as a difference of two numbers near 2^200."""
    assert fuzz_claim(Limit(softplus(x) - x, x, sp.oo, 0)).status == "confirmed"
    bad = fuzz_claim(Limit(softplus(x) - x, x, sp.oo, 1))
    assert bad.status == "refuted"
    assert all(mpmath.log1p(mpmath.exp(-v)) < mpf("1e-10") for v in near(sp.oo, "-", depths=(2, 3)))


def test_approach_stays_inside_the_domain():
    """u → 1⁻ in (0, 1): 1 − 2^-200 is inside, though it rounds to 1.0 in float64."""
    assert fuzz_claim(Limit(u / (1 - u), u, 1, sp.oo)).status == "confirmed"
    assert fuzz_claim(Limit(u / (1 - u), u, sp.Rational(1, 2), 1)).status == "confirmed"


def test_samples_count_points_times_approach_points():
    out = fuzz_claim(Limit(a * x / (x + 1), x, sp.oo, a))
    assert out.samples > 0 and out.samples % _APPROACH_POINTS == 0
    single = fuzz_claim(Limit(sp.sin(x) / x, x, 0, 1))  # no other symbol: one point
    assert single.samples == _APPROACH_POINTS


# --- the symbolic side --------------------------------------------------------------------------------


def lim(expr, v, to, value, direction="+-"):
    return prove_limit(LimitOf(expr=expr, var=v, to=to, value=value, direction=direction), BUDGET)


def test_prove_limit_requires_every_side():
    out = lim(sigmoid(d / t), t, 0, 1)
    assert out.status == "unproved" and "t → 0-" in out.reason
    assert lim(sigmoid(d / t), t, 0, 1, "+").status == "proved"
    assert lim(sigmoid(d / t), t, 0, 0, "-").status == "proved"
    assert lim(1 / x, x, 0, sp.oo).status == "unproved"
    assert lim(1 / x**2, x, 0, sp.oo).status == "proved"


def test_prove_limit_with_a_parametric_value():
    assert lim(a * x / (x + 1), x, sp.oo, a).status == "proved"
    assert lim(a * x / (x + 1), x, sp.oo, 2 * a).status == "unproved"
    assert lim(tau * sp.log(p / c), p, 0, -sp.oo, "+").status == "proved"


def test_prove_limit_refuses_sign_and_accumbounds():
    out = lim(a * x, x, sp.oo, sp.oo)  # oo*sign(a)
    assert out.status == "unproved" and "sign" in out.reason
    out = lim(sp.sin(1 / xp), xp, 0, 0, "+")
    assert out.status == "unproved" and "AccumBounds" in out.reason


def test_prove_limit_infinite_values_compare_structurally():
    assert lim(-sp.log(xp), xp, 0, sp.oo, "+").status == "proved"
    assert lim(-sp.log(xp), xp, 0, -sp.oo, "+").status == "unproved"
    assert lim(-sp.log(xp), xp, 0, 10**100, "+").status == "unproved"


# --- the approach goes past the claim's own numbers -----------------------------------------------


@pytest.mark.parametrize(
    ("claim", "status", "independent"),
    [
        # x/(x + 10³⁰⁰) still grows like x at x = 2^800 (1.6e-60 there), and tends to 1
        (Limit(xp / (xp + sp.Integer(10) ** 300), xp, sp.oo, 1), "confirmed", (mpf(10) ** 320, 1)),
        (Limit(xp / (xp + sp.Float(1e300)), xp, sp.oo, 1), "confirmed", (mpf(10) ** 320, 1)),
        (Limit(xp / (xp + sp.Integer(10) ** 300), xp, sp.oo, 0), "refuted", (mpf(10) ** 320, 1)),
        # x/(x + 10⁻³⁰⁰) is near 1 at x = 2^-200 (6e-61), and tends to 0 as x → 0⁺
        (Limit(xp / (xp + sp.Integer(10) ** -300), xp, 0, 1), "refuted", (mpf(10) ** -320, 0)),
        (Limit(xp / (xp + sp.Integer(10) ** -300), xp, 0, 0), "confirmed", (mpf(10) ** -320, 0)),
        # log x·10⁴⁰ → −∞: evenly spaced approach bits keep a logarithm's steps equal
        (Limit(sp.log(xp) / (xp + sp.Integer(10) ** -40), xp, 0, -sp.oo), "confirmed", None),
    ],
)
def test_limits_are_judged_beyond_the_claims_own_scale(claim, status, independent):
    with mpmath.workdps(400):
        out = fuzz_claim(claim)
        assert out.status == status, out.reason
        if independent is not None:  # the true limit, read far beyond the constant
            point, limit = independent
            f = sp.lambdify(xp, claim.expr, "mpmath")
            assert abs(f(point) - limit) < mpf(10) ** -15
    if status == "refuted":
        assert "settles at" in out.reason and "grows" not in out.reason


def test_a_claim_beyond_the_deepest_approach_is_left_undecided():
    """A number of 10⁴ bits (10³⁰⁰⁰) is past the deepest approach: no refutation from growth that has
    not yet turned, an honest error instead."""
    out = fuzz_claim(Limit(xp / (xp + sp.Integer(10) ** 3000), xp, sp.oo, 0))
    assert out.status == "error" and "could not be decided" in out.reason


@pytest.mark.parametrize(
    "claim",
    [
        Limit(sp.exp(x) * (1 - sigmoid(x)), x, sp.oo, 1),  # 1 − σ(2^200) is 0 at every precision tried
        Limit(sp.exp(x) * (softplus(x) - x), x, sp.oo, 1),
        Limit((1 - sigmoid(d * x)) * sp.exp(d * x), x, sp.oo, 1),  # the DPO weight's tail
    ],
    ids=["exp-one-minus-sigmoid", "exp-softplus-gap", "dpo-weight-tail"],
)
def test_a_tail_whose_digits_are_lost_is_never_a_refutation(claim):
    """A sum cancelled to its rounding and then multiplied is undecided at that point, not "settles at 0"."""
    assert fuzz_claim(claim).status != "refuted"
    assert check(claim).status in ("proved", "confirmed")
    with mpmath.workdps(50):  # independently, without the cancellation: e^v·σ(−v) = 1/(1 + e^−v) at v = 2^200
        v = mpf(2) ** 200
        assert abs(mpmath.exp(v) / (1 + mpmath.exp(v)) - 1) < mpf(10) ** -40


def test_a_tail_undefined_at_its_first_digits_is_escalated_not_skipped():
    """d/dk √((m+1) − √((m+1)² − m(2 − 2cos k))) → √(m/(2(m+1))) as k → 0⁺ (the radicand is ≈ m k²/(2(m+1))),
    but sympy.limit says 0. At k = 2^-200 the radicand, of size 10^-120, rounds to 0 at the approach's
    first digits and is divided by: the tail was skipped at every point, and the false 0 was proved
    on SymPy's word alone."""
    m, k = var("m", POSITIVE), var("k", REAL)
    derivative = sp.diff(sp.sqrt((m + 1) - sp.sqrt((m + 1) ** 2 - m * (2 - 2 * sp.cos(k)))), k)
    res = check(Limit(derivative, k, 0, 0, direction="+"))
    assert res.status == "refuted"
    mm = params(res.counterexample)["m"]
    with mpmath.workdps(400):  # independently: the derivative by mpmath.diff, far closer to 0 than any approach point
        g = lambda kk: mpmath.sqrt((mm + 1) - mpmath.sqrt((mm + 1) ** 2 - mm * (2 - 2 * mpmath.cos(kk))))  # noqa: E731
        slope = mpmath.diff(g, mpf("1e-60"))
        assert abs(slope - mpmath.sqrt(mm / (2 * (mm + 1)))) < mpf("1e-30") and slope > mpf("0.1")
    assert check(Limit(derivative, k, 0, sp.sqrt(m / (2 * (m + 1))), direction="+")).status == "confirmed"


PHI = (1 + sp.sqrt(5)) / 2


@pytest.mark.parametrize("frequency", [sp.pi * PHI, 4 * sp.pi / sp.E], ids=["golden", "four-over-e"])
def test_an_oscillation_aligned_with_one_approach_sequence_is_judged_along_the_other(frequency):
    """Along ``x = 2^k/φ`` the sine of ``πφx`` is 0 up to the rounding of the point and ``cos`` is 1: one
    approach sequence alone read sin(πφx)/log x → 0 (true) as growing without bound and confirmed
    cos(πφx) → 1 (false). A verdict must now hold along a second sequence (``e/4·2^k``) too, so a claim
    aligned with either constant is not judged by that sequence alone."""
    true = fuzz_claim(Limit(sp.sin(frequency * x) / sp.log(x), x, sp.oo, 0))
    assert true.status != "refuted", true.reason
    false = fuzz_claim(Limit(sp.cos(frequency * x), x, sp.oo, 1))
    assert false.status != "confirmed"
    # the independent check: |sin(·)/log x| ≤ 1/log x → 0, and cos(·) keeps returning far below 1
    with mpmath.workdps(200):
        w = mpmath.mpf(frequency.evalf(220))
        big = [mpf(10) ** k for k in (30, 60, 90)]
        assert all(abs(mpmath.sin(w * v) / mpmath.log(v)) <= 1 / mpmath.log(v) for v in big)
        assert min(mpmath.cos(w * v) for v in big) < 0.99


# ---------------------------------------------------------------- limits for generic parameters only


@pytest.mark.parametrize(
    ("claim", "part", "where"),
    [
        # SymPy's value for a coefficient taken nonzero: 1, but at c = 1 the function is 0 for every x
        (Limit((c - 1) ** 2 * xp / (1 + (c - 1) ** 2 * xp), xp, sp.oo, 1), "c", 1.0),
        (Limit((c - 3) ** 2 * xp / (1 + (c - 3) ** 2 * xp), xp, sp.oo, 1), "c", 3.0),
        # SymPy's 0, but at p = 1/2 the function is 1 for every x > 0
        (Limit(xp / ((2 * p - 1) ** 2 + xp), xp, 0, 0, "+"), "p", 0.5),
        # a real coefficient that may be 0
        (Limit(a * xp / (1 + a * xp), xp, sp.oo, 1), "a", 0.0),
        # two parts that vanish together only (a = x = 0): either alone leaves the limit 1
        (Limit((a**2 * xp + t**2 * xp) / (1 + a**2 * xp + t**2 * xp), xp, sp.oo, 1), "a", 0.0),
    ],
)
def test_a_limit_true_for_generic_parameters_only_is_not_proved_and_is_refuted_where_it_fails(claim, part, where):
    (ob,) = claim.obligations()
    out = prove_limit(ob, BUDGET)
    assert out.status == "unproved" and "generic parameters" in out.reason, out
    r = check(claim)
    assert r.status == "refuted", (r.status, r.reason)
    assert float(r.counterexample[part]) == where
    # independently: at that parameter the function is constant along the approach, and not the claimed value
    found = {k: sp.Rational(v) for k, v in r.counterexample.items()}
    at = ob.expr.xreplace({s: found[s.name] for s in ob.expr.free_symbols if s.name in found})
    values = {float(at.subs(xp, v)) for v in (sp.Rational(1, 10**30), 7, 10**30)}
    assert len(values) == 1 and values != {float(ob.value)}


@pytest.mark.parametrize(
    "claim",
    [
        Limit(c * xp / (1 + c * xp), xp, sp.oo, 1),  # c > 0 by its domain: nothing vanishes
        Limit((c * xp + 1) / (xp + 1), xp, sp.oo, c),
        Limit(tau * sp.log(p / c), p, 0, -sp.oo, "+"),
        Limit(sp.log(tau + xp) - sp.log(xp), tau, 0, 0, "+"),  # log x may vanish: at x = 1 the limit is 0 too
        # the part solved for the symbol that enters only through it (h = 1/(2β)), not for β
        Limit((a - 1 / (2 * c)) ** 2 + sp.exp(-c * xp), xp, sp.oo, (a - 1 / (2 * c)) ** 2),
        # a part SymPy cannot solve, whose symbols enter only through it: set to 0 as a whole
        Limit((c + sp.cos(c)) * sp.tanh(xp), xp, sp.oo, c + sp.cos(c)),
        # undefined throughout at a = 0 (0/0): nothing is claimed there
        Limit(sp.sin(a * xp) / (a * xp), xp, 0, 1, "+"),
        # free of the variable altogether: the whole function is the part
        Limit(sp.log(p / (1 - p)) / c * c, c, 0, sp.log(p / (1 - p)), "+"),
    ],
)
def test_a_limit_that_holds_for_every_parameter_is_still_proved(claim):
    (ob,) = claim.obligations()
    assert prove_limit(ob, BUDGET).status == "proved"


@pytest.mark.parametrize(
    ("claim", "true", "gap"),
    [
        (Limit(sp.sin(xp) / xp, xp, 0, 1 + sp.Rational(1, 10**25), "+"), 1, "-1e-25"),
        (Limit(2 * sp.atan(xp), xp, sp.oo, sp.pi - sp.Rational(1, 10**17)), "pi", "1e-17"),
    ],
)
def test_an_exact_limit_value_off_by_less_than_a_float_is_refuted(claim, true, gap):
    r = check(claim)
    assert r.status == "refuted", (r.status, r.reason)
    # the true limits are 1 and π exactly (sin a/a = 1 − a²/6 + …, 2 atan a = π − 2/a + …): off by the gap
    with mpmath.workdps(60):
        exact = mpmath.pi if true == "pi" else mpmath.mpf(true)
        claimed = mpmath.mpf(sp.N(claim.obligations()[0].value, 60))
        assert abs((exact - claimed) - mpmath.mpf(gap)) < mpmath.mpf(10) ** -40
    assert check(Limit(sp.sin(xp) / xp, xp, 0, 1, "+")).status == "proved"


@pytest.mark.parametrize(
    "claim",
    [
        # SymPy expands (3a − 1)t into 3at − t: the part that vanishes (at a = 1/3) shows once t is collected
        Limit((3 * a * xp - xp) / (1 + 3 * a * xp - xp), xp, sp.oo, 1),
        Limit((a**2 * xp - 2 * a * xp + xp) / (1 + a**2 * xp - 2 * a * xp + xp), xp, sp.oo, 1),
    ],
)
def test_a_coefficient_expanded_across_terms_is_still_a_part(claim):
    (ob,) = claim.obligations()
    out = prove_limit(ob, BUDGET)
    assert out.status == "unproved" and "generic parameters" in out.reason, out
    # independently: at the coefficient's zero the function is 0 for every x, not tending to 1
    zero = sp.solve(sp.collect(ob.expr.as_numer_denom()[0], xp).coeff(xp), a)[0]
    assert sp.simplify(ob.expr.xreplace({a: zero})) == 0
