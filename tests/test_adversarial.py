"""Claims built to fool a derivative-based, sampling, float-evaluating checker.

A false claim here must never be ``proved``, and is ``refuted`` wherever its counterexample is in
reach of the search (re-evaluated here with plain mpmath); a true one must never be ``refuted``.
The traps: a derivative taken through a kink or a jump, a degenerate Hessian, a symbol named
like a constant, an equality hypothesis on an integer, a claim false by less than float rounding,
a strict bound that fails where the value is an exact 0 that no precision shows, and a claim that
fails only far beyond the range the search samples.
"""

from __future__ import annotations

import math
import re

import mpmath
import numpy as np
import pytest
import sympy as sp

from tests.verdicts import check
from verify.domains import (
    CLOSED_UNIT,
    LOG_PROB,
    POSITIVE,
    POSITIVE_INTEGER,
    PROBABILITY,
    REAL,
    UNIT,
    Domain,
    domain_of,
    var,
)
from verify.errors import ClaimError
from verify.functions import logsigmoid, sigmoid, softplus
from verify.model import (
    Equal,
    EqualUpToConstant,
    ForSizes,
    Implies,
    IndependentOf,
    Inequality,
    Limit,
    Solves,
    Stationary,
)
from verify.search.points import far_values
from verify.search.tape import Tape, written

x = var("x", REAL)
p = var("p", POSITIVE)


def kink(left, right, at=0):
    return sp.Piecewise((right, x >= at), (left, True))


NEAR = sp.Rational(1, 3)
#: x² everywhere but on (1/3, 1/3 + 10⁻⁹), where it is −1: the jump no derivative sees
DIP = sp.Piecewise((x**2, (x < NEAR) | (x > NEAR + sp.Rational(1, 10**9))), (-1, True))
FAR = sp.Piecewise((x**2, x < 40), (-1, True))  # lower only beyond the sampled range of x


# ---------------------------------------------------------------- derivatives through kinks and jumps


@pytest.mark.parametrize(
    ("claim", "why"),
    [
        (Stationary(kink(x, x**2), {x: 0}, kind="min"), "f(−t) = −t < 0"),
        (Stationary(kink(-(x**2), x**2), {x: 0}, kind="min"), "x·|x| is lower left of 0"),
        (Stationary(kink(x, x**2), {x: 0}, kind="stationary"), "left derivative 1"),
        (Stationary(-(x**4), {x: 0}, kind="min"), "a strict maximum with a zero Hessian"),
        (Stationary(x**3, {x: 0}, kind="min"), "an inflection point with a zero Hessian"),
        (Stationary(x**4, {x: 0}, kind="max"), "a strict minimum with a zero Hessian"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_false_optima_near_the_point_are_refuted_with_a_direction(claim, why):
    r = check(claim)
    assert r.status == "refuted", (why, r.status, r.reason)
    if claim.kind == "stationary":
        return
    # the direction found really leads to a lower (higher) value at every small step
    u = float(r.counterexample["direction_x"])
    sign = 1 if claim.kind == "min" else -1
    f = sp.lambdify(x, claim.f, "mpmath")
    with mpmath.workdps(80):
        for t in (mpmath.mpf("1e-3"), mpmath.mpf("1e-9"), mpmath.mpf("1e-20")):
            assert sign * (f(t * u) - f(0)) < 0, (why, t)


@pytest.mark.parametrize(
    "claim",
    [
        Stationary(DIP, {x: 0}, kind="min", scope="global"),
        Inequality(DIP, ">=", 0, extremum={x: 0}),
        Inequality(sp.Piecewise((1, x < 40), (-1, True)), ">=", 0, extremum={x: 0}),
        Stationary(FAR, {x: 0}, kind="min", scope="global"),
    ],
    ids=["global-dip", "extremum-dip", "extremum-far", "global-far"],
)
def test_a_jump_outside_the_search_is_never_proved_through_a_derivative(claim):
    # each is false (−1 on a tiny interval, or beyond x = 40); the derivative conditions hold
    # wherever they are defined, so they must not stand as a proof; the jump sits at the claim's
    # own constants, where the search looks first
    r = check(claim)
    assert r.status == "refuted", (r.status, r.symbolic_method)
    f = claim.f if isinstance(claim, Stationary) else claim.lhs
    assert f.subs(x, sp.Rational(r.counterexample["x"])) == -1


@pytest.mark.parametrize(
    "claim",
    [
        Stationary(sp.Abs(x), {x: 0}, kind="min"),
        Stationary(x**2 - 10**10 * x**4, {x: 0}, kind="min"),  # a true local minimum, basin |x| < 7e-6
        Stationary(x**4, {x: 0}, kind="min"),
        Stationary(kink(x**2, x**3, at=5), {x: 0}, kind="stationary"),  # the kink is far from the point
        Inequality(sp.Max(x, 0), ">=", 0, extremum={x: 0}),
        Stationary(p * sp.log(p), {p: sp.exp(-1)}, kind="min", scope="global"),
    ],
    ids=["abs-min", "small-basin", "x4-min", "far-kink", "max-bound", "plogp"],
)
def test_true_optima_are_not_refuted(claim):
    assert check(claim).status in ("proved", "confirmed")


YR = var("y", REAL)
#: arg(x + iy) written with principal logarithms: it jumps by 2π across the negative x-axis as atan2 does
ARG = -sp.I * (sp.log(x + sp.I * YR) - sp.log(x - sp.I * YR)) / 2


@pytest.mark.parametrize(
    "claim",
    [
        Stationary(sp.atan2(YR, x) + YR + (x + 1) ** 2 + YR**2, {x: -1, YR: 0}, kind="min"),
        Stationary(sp.atan2(x, -1) + x + x**2, {x: 0}, kind="min"),
        Stationary(sp.atan2(x, -1) + x, {x: 0}, kind="stationary"),
        Stationary(ARG + YR + (x + 1) ** 2 + YR**2, {x: -1, YR: 0}, kind="min"),
    ],
    ids=["atan2-2d", "atan2-1d", "atan2-stationary", "log-branch-cut"],
)
def test_a_minimum_at_a_branch_cut_is_refuted(claim):
    """f(−1, 0) = π + …, but f(−1, −ε) → −π: SymPy's derivative of atan2 (or of log(x + iy)) ignores the
    jump, the Hessian is positive definite, and the false minimum was proved."""
    r = check(claim)
    assert r.status == "refuted", (r.status, r.reason)
    if claim.kind == "min":
        point = {s: claim.point[s] for s in claim.point}
        below = {**point, (YR if YR in point else x): -sp.Rational(1, 10**20)}
        drop = complex(sp.N(claim.f.subs(below) - claim.f.subs(point), 50))
        assert drop.real < -3 and abs(drop.imag) < 1e-12  # π or 2π lower right beside the point


def test_a_minimum_along_every_line_but_not_along_a_parabola_is_refuted():
    """Peano's (y − x²)(y − 2x²) is minimal at 0 along every line through it, but −x⁴/4 on y = 1.5x²: the
    search moved along lines only and confirmed the minimum."""
    f = (YR - x**2) * (YR - 2 * x**2)
    r = check(Stationary(f, {x: 0, YR: 0}, kind="min"))
    assert r.status == "refuted", (r.status, r.reason)
    at = {k: sp.Rational(v) for k, v in r.counterexample.items()}
    t = at["t_near_point"]
    moved = {x: t ** at["order_x"] * at["direction_x"], YR: t ** at["order_y"] * at["direction_y"]}
    assert f.subs(moved) < 0  # exactly: lower than f(0, 0) = 0 that close to the point
    assert check(Stationary((YR - x**2) ** 2 + x**4, {x: 0, YR: 0}, kind="min")).status in ("proved", "confirmed")


def test_a_smooth_point_of_atan2_is_still_a_minimum():
    # beside the positive x-axis atan2 is smooth: f = atan2(y, x) − y + (x − 1)² + y², Hessian [[2, −1], [−1, 2]]
    claim = Stationary(sp.atan2(YR, x) - YR + (x - 1) ** 2 + YR**2, {x: 1, YR: 0}, kind="min")
    assert check(claim).status in ("proved", "confirmed")


def test_a_smooth_optimum_is_still_proved():
    assert check(Stationary((x - 1) ** 2, {x: 1}, kind="min", scope="global")).status == "proved"
    assert check(Stationary(x**2 + 1, {x: 0}, kind="min")).status == "proved"


# ---------------------------------------------------------------- names, hypotheses, tolerances


def test_a_symbol_named_like_a_constant_is_that_symbol():
    pi_sym, e_sym = var("pi", POSITIVE, r"\pi"), var("e", REAL)
    assert check(Inequality(sp.floor(sp.pi * pi_sym), "<=", sp.pi * pi_sym)).status != "refuted"
    assert check(Inequality(sp.floor(sp.E * e_sym), "<=", sp.E * e_sym)).status != "refuted"
    assert check(Equal(sp.sign(pi_sym - sp.pi) * (pi_sym - sp.pi), sp.Abs(pi_sym - sp.pi))).status != "refuted"
    r = check(Equal(sp.erf(sp.pi * pi_sym), sp.erf(pi_sym**2)))
    assert r.status == "refuted"
    at = mpmath.mpf(r.counterexample["pi"])
    assert abs(mpmath.erf(mpmath.pi * at) - mpmath.erf(at**2)) > 1e-6


def test_an_equality_hypothesis_on_an_integer_symbol_is_refused():
    n, m = var("n_int", POSITIVE_INTEGER), var("m_int", POSITIVE_INTEGER)
    with pytest.raises(ClaimError, match="whole number"):
        Implies([sp.Eq(n, x)], Equal(sp.cos(sp.pi * x) ** 2, 1))
    claim = Implies([sp.Eq(n, m + 1)], Equal(sp.cos(sp.pi * n) ** 2, 1))  # an integer expression is fine
    assert check(claim).status != "refuted"


@pytest.mark.parametrize(
    "claim",
    [
        Equal(x, x * (1 + sp.Rational(1, 10**17))),
        Equal(sp.pi, sp.Rational(314159265358979323846, 10**20)),
        Equal(sp.cosh(x) ** 2 - sp.sinh(x) ** 2, 1 + sp.cosh(x) ** 2 / 10**16),
    ],
    ids=["relative-1e-17", "pi-to-20-digits", "hidden-in-cancelling-terms"],
)
def test_an_exact_claim_false_below_float_rounding_is_refuted(claim):
    r = check(claim)
    assert r.status == "refuted", (r.status, r.reason)
    point = {s: mpmath.mpf(r.counterexample[s.name]) for s in claim.lhs.free_symbols | claim.rhs.free_symbols}
    with mpmath.workdps(60):
        lhs = sp.lambdify(list(point), claim.lhs, "mpmath")(*point.values())
        rhs = sp.lambdify(list(point), claim.rhs, "mpmath")(*point.values())
        assert abs(lhs - rhs) > mpmath.mpf(10) ** -40 * max(1, abs(lhs))


Y = var("y_real", REAL)


@pytest.mark.parametrize(
    ("claim", "gap"),
    [
        (Equal(x, x * (1 + sp.Rational(1, 10**25))), lambda v: v["x"] / mpmath.mpf(10) ** 25),
        (
            Equal(sp.pi, sp.Rational(3141592653589793238462643383279, 10**30)),
            lambda v: mpmath.pi - mpmath.mpf(3141592653589793238462643383279) / mpmath.mpf(10) ** 30,
        ),
        (
            Equal(sp.exp(sp.pi * sp.sqrt(163)), 640320**3 + 744),
            lambda v: mpmath.exp(mpmath.pi * mpmath.sqrt(163)) - 640320**3 - 744,
        ),
        (
            Equal(sigmoid(x / 10**300), sp.Rational(1, 2)),
            lambda v: 1 / (1 + mpmath.exp(-v["x"] / mpmath.mpf(10) ** 300)) - 0.5,
        ),
        (IndependentOf((1 + x**2) * (1 + sp.sin(Y) / 10**30), [Y]), None),
    ],
    ids=["relative-1e-25", "pi-to-31-digits", "ramanujan-near-integer", "sigmoid-of-x-over-10^300", "invariance-1e-30"],
)
def test_an_exact_claim_false_below_the_working_precisions_noise_is_refuted(claim, gap):
    """Off by less than 10⁻²² relative (the noise of 30 digits) at every point: agreed at each, never
    looked at closer (e^{π√163} = 640320³ + 744 was confirmed while its inequality ≥ was refuted)."""
    r = check(claim)
    assert r.status == "refuted", (r.status, r.reason)
    at = {name: mpmath.mpf(v) for name, v in r.counterexample.items()}
    with mpmath.workdps(800):  # independently: the difference at the counterexample is not 0
        if gap is None:  # the two points of the invariance differ in y_real
            assert set(r.counterexample) == {"x", "y_real", "y_real′"}
            difference = (
                (1 + at["x"] ** 2) * (mpmath.sin(at["y_real"]) - mpmath.sin(at["y_real′"])) / mpmath.mpf(10) ** 30
            )
        else:
            difference = gap(at)
        assert abs(difference) > mpmath.mpf(10) ** -600


def test_an_integral_is_not_looked_at_closer_than_quadrature_resolves():
    """mpmath's quadrature of ∫ e^{−bt²} dt at b = 10⁻⁸ resolves about 2/3 of the digits at any precision:
    the closer look doubled the digits up to 3000 (minutes) instead of keeping the proof."""
    t = sp.Symbol("t_int", real=True)
    b = var("b_int", POSITIVE)
    assert check(Equal(sp.Integral(sp.exp(-b * t**2), (t, -sp.oo, sp.oo)), sp.sqrt(sp.pi / b))).status == "proved"


def test_a_true_exact_claim_of_huge_or_tiny_constants_is_not_refuted_by_the_closer_look():
    assert check(Equal(sigmoid(x / 10**300), 1 / (1 + sp.exp(-x / 10**300)))).status == "proved"
    assert check(Equal(sp.exp(x + 1000) * sp.exp(-1000), sp.exp(x))).status == "proved"
    assert check(Equal(sp.log(sp.exp(x) + sp.exp(x - 10**3)), x + sp.log(1 + sp.exp(-(10**3))))).status != "refuted"


def test_a_float_constant_keeps_its_rounding_allowance():
    assert check(Equal(sp.Float(0.1) * x, x / 10)).status in ("proved", "confirmed")
    # read as the decimal 0.1, not the binary 0.1000000000000000055…, which exp(0.1·z) at z = 1000 turns into
    # a relative 5.6·10⁻¹⁵, beyond the allowance: the true claim was refuted
    big = var("z_big", Domain("big", 1e3, 1e6, (("positive", True),)))
    assert check(Equal(sp.exp(sp.Float(0.1) * big), sp.exp(big / 10))).status in ("proved", "confirmed")
    r = check(Equal(sp.exp(sp.Float(0.1) * big), sp.exp(big / 10) * (1 + sp.Rational(1, 10**12))))
    assert r.status == "refuted"  # a float is read as its decimal, not as whatever is near it
    assert 1e3 <= float(r.counterexample["z_big"]) <= 1e6
    assert [written(sp.Float(v)) for v in (0.1, 100.1, 0.1 + 0.2, 2.5e300)] == [
        "0.1",
        "100.1",
        "0.30000000000000004",
        "2.5e+300",
    ]
    assert written(sp.Float("3.14159265358979323846264338327950288", 40)) == "3.14159265358979323846264338327950288"
    assert check(Equal(sp.log(1 + sp.exp(x)) - x, sp.log(1 + sp.exp(-x)))).status == "proved"


@pytest.mark.parametrize(
    ("claim", "symbol"),
    [(Inequality(sp.sin(sp.pi * p) ** 2, ">", 0), p), (Inequality(sp.cos(sp.pi * x / 2) ** 2, ">", 0), x)],
    ids=["sin-at-integers", "cos-at-odd-integers"],
)
def test_a_strict_bound_failing_at_an_exact_zero_is_refuted(claim, symbol):
    r = check(claim)
    assert r.status == "refuted", (r.status, r.reason)
    at = sp.Rational(r.counterexample[symbol.name])
    assert claim.lhs.subs(symbol, at) == 0  # exactly 0 there, so "> 0" fails


def test_a_strict_bound_near_zero_but_positive_is_not_refuted():
    assert check(Inequality(1 - sp.tanh(x), ">", 0)).status in ("proved", "confirmed")
    assert check(Inequality(sp.sin(sp.pi * p) ** 2 + sp.Rational(1, 10**40), ">", 0)).status != "refuted"


# ---------------------------------------------------------------- beyond the sampled range


U = var("u_unit", UNIT)


@pytest.mark.parametrize(
    ("claim", "symbol"),
    [
        (Inequality(x, "<", 31), x),  # REAL is sampled on [−30, 30]
        (Inequality(p, "<", 1001), p),  # POSITIVE on [1e-3, 1e3]
        (Inequality(p, ">", sp.Rational(1, 1001)), p),
        (Inequality(U, "<", 1 - sp.Rational(1, 10**7)), U),  # UNIT on [1e-6, 1 − 1e-6]
    ],
    ids=["real-31", "positive-1001", "positive-1/1001", "unit-near-1"],
)
def test_a_bound_failing_only_outside_the_sampled_range_is_refuted_at_its_constant(claim, symbol):
    r = check(claim)
    assert r.status == "refuted", (r.status, r.reason)
    at = sp.Rational(r.counterexample[symbol.name])
    assert not sp.sympify({"<": sp.Lt, ">": sp.Gt}[claim.rel](claim.lhs, claim.rhs).subs(symbol, at))


@pytest.mark.parametrize(
    ("claim", "symbol"),
    [
        (Inequality(x, "<", 10 * sp.pi), x),  # a constant that is not a number atom
        (Equal(sp.Max(x, sp.exp(4)), sp.exp(4)), x),
    ],
    ids=["ten-pi", "max-e4"],
)
def test_constants_built_from_pi_and_e_are_tried_too(claim, symbol):
    r = check(claim)
    assert r.status == "refuted", (r.status, r.reason)
    assert float(r.counterexample[symbol.name]) > 31


@pytest.mark.parametrize(
    "claim",
    [IndependentOf(sp.Max(x, 100), [x]), EqualUpToConstant(sp.Heaviside(x - 40) * x, 0, [x])],
    ids=["max-100", "heaviside-40"],
)
def test_dependence_beyond_the_sampled_range_is_found_at_the_constants(claim):
    r = check(claim)
    assert r.status == "refuted", (r.status, r.reason)
    f = claim.lhs - claim.rhs if isinstance(claim, EqualUpToConstant) else claim.expr
    a, b = (sp.Rational(r.counterexample[k]) for k in ("x", "x′"))
    assert f.subs(x, a) != f.subs(x, b)


PR = var("p_prob", PROBABILITY)
LP = var("l_logprob", LOG_PROB)


def _exact(text: str) -> sp.Expr:
    """A counterexample's value: a float as the rational it is, an exact value (``exp(30)``) as itself."""
    v = sp.sympify(text)
    return sp.Rational(v) if v.is_Float else v


@pytest.mark.parametrize(
    ("claim", "symbol"),
    [
        (Inequality(sp.log(p), "<", 30), p),  # fails beyond e³⁰ ≈ 10¹³
        (Inequality(sp.log(p), ">", -10), p),  # fails below e⁻¹⁰ ≈ 4.5·10⁻⁵
        (Inequality(x, "<", 20001), x),  # 20001 is past the constants tried (10⁴)
        (Inequality(sp.log(PR), ">", -20), PR),  # PROBABILITY is sampled down to 10⁻⁶ only
        (Inequality(LP, ">", -(10**6)), LP),
        (Equal(sp.Min(x, 10**5), x), x),
        (EqualUpToConstant(sp.Max(x, 10**6), 0, [x]), x),  # a jump (Heaviside) gets no far values
    ],
    ids=[
        "log-below-30",
        "log-above-minus-10",
        "real-20001",
        "log-probability",
        "log-prob-bound",
        "min",
        "up-to-constant",
    ],
)
def test_a_claim_failing_only_far_beyond_the_sampled_range_is_refuted(claim, symbol):
    r = check(claim)
    assert r.status == "refuted", (r.status, r.reason)
    # beyond the sampled range, or (a strict inequality) at the exact zero there: log p < 30 at p = e³⁰
    assert "beyond the range the search samples" in r.reason or "a zero no sampled point hits" in r.reason
    at = {k: _exact(v) for k, v in r.counterexample.items()}
    if isinstance(claim, EqualUpToConstant):
        f = claim.lhs - claim.rhs
        assert f.subs(symbol, at[symbol.name]) != f.subs(symbol, at[symbol.name + "′"])
    elif isinstance(claim, Equal):
        assert (claim.lhs - claim.rhs).subs(symbol, at[symbol.name]) != 0
    else:
        holds = {"<": sp.Lt, ">": sp.Gt}[claim.rel](claim.lhs, claim.rhs).subs(symbol, at[symbol.name])
        assert holds == sp.false


N_FAR = var("n_far", POSITIVE_INTEGER)


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        (
            Inequality(sp.factorial(N_FAR), "<", sp.Integer(10) ** 100),
            lambda n: mpmath.factorial(n) - mpmath.mpf(10) ** 100,
        ),
        (Inequality(sp.harmonic(N_FAR), "<", 5), lambda n: mpmath.harmonic(n) - 5),  # H₈₃ = 5.002…
        (
            Inequality(sp.gamma(N_FAR + sp.Rational(1, 2)), "<", sp.Integer(10) ** 100),
            lambda n: mpmath.gamma(n + mpmath.mpf(1) / 2) - mpmath.mpf(10) ** 100,
        ),
    ],
    ids=["factorial", "harmonic", "gamma"],
)
def test_an_integer_claim_failing_only_beyond_the_sampled_integers_is_refuted(claim, value):
    """A positive integer is sampled on 1…64; factorial, gamma and harmonic numbers were evaluated whole, so
    the far values (10⁸, 10⁴⁰) were never tried on them and 70! < 10¹⁰⁰ was confirmed."""
    r = check(claim)
    assert r.status == "refuted", (r.status, r.reason)
    with mpmath.workdps(40):
        assert value(mpmath.mpf(r.counterexample["n_far"])) > 0


@pytest.mark.parametrize(
    "claim",
    [Inequality(sp.cos(sp.pi * N_FAR / 100), ">", -1), Inequality((N_FAR**2 - 10**4) ** 2, ">", 0)],
    ids=["cos-at-100", "square-at-100"],
)
def test_an_integer_claim_failing_at_a_round_number_beyond_the_sampled_range_is_refuted(claim):
    """Both fail at n = 100 only (among positive integers up to 10⁸); the integers 65 … 10⁸ were never tried,
    and both were confirmed. The round values 10², 10³, 10⁴, 10⁶ are now tried as far values; the
    counterexample is checked exactly."""
    r = check(claim)
    assert r.status == "refuted", (r.status, r.reason)
    n = sp.Integer(int(float(r.counterexample["n_far"])))
    assert (claim.lhs - claim.rhs).subs(N_FAR, n) <= 0


@pytest.mark.parametrize(
    "claim",
    [
        Inequality(sp.cos(sp.pi * N_FAR / 100), ">=", -1),
        Inequality((N_FAR**2 - 10**4) ** 2, ">=", 0),
        Inequality(1 - sigmoid(x), ">", 0),  # 1 − σ(10⁴⁰) is e^(−10⁴⁰): no precision shows it, yet positive
        Inequality(softplus(x), ">", x),
        Inequality(sp.tanh(x), "<", 1),
        Inequality(sp.erf(x), "<", 1),
        Inequality(sp.exp(sp.exp(x)), ">", 1),  # e^(e^(10⁸)) is out of reach: undecided, not refuted
        Inequality((1 + 1 / p) ** p, "<", sp.E),
        Inequality(sp.sqrt(p**2 + 1) - p, ">", 0),
        Inequality(-PR * sp.log(PR) - (1 - PR) * sp.log(1 - PR), ">", 0),
        Inequality(sp.log(1 + sp.exp(LP)), "<=", sp.log(2)),
        Equal(sp.log(PR / (1 - PR)), -sp.log((1 - PR) / PR)),
        Inequality(sp.harmonic(var("n_far", POSITIVE_INTEGER)), "<=", 1 + sp.log(var("n_far", POSITIVE_INTEGER))),
    ],
    ids=[
        "cos-at-least-minus-one",
        "square-nonnegative",
        "one-minus-sigmoid",
        "softplus",
        "tanh",
        "erf",
        "exp-exp",
        "e-limit",
        "sqrt",
        "entropy",
        "log-prob",
        "logit",
        "harmonic",
    ],
)
def test_true_claims_hold_at_the_far_values_too(claim):
    assert check(claim).status in ("proved", "confirmed")


@pytest.mark.parametrize(
    "claim",
    [
        Equal(sp.sign(1 - sigmoid(x)), 1),  # 1 − σ(10⁸) is 0 at every precision, and positive
        Equal(sp.Heaviside(1 - sigmoid(x)), 1),
        Equal(sp.floor(sigmoid(x)), 0),
        Equal(sp.Piecewise((1, sigmoid(x) < 1), (0, True)), 1),
        Equal(sp.atan(sp.exp(x) * (1 - sigmoid(x))), sp.atan(sigmoid(x))),  # atan evaluated whole hides it
        Equal(sp.erf(sp.exp(x) * (1 - sigmoid(x))), sp.erf(sigmoid(x))),
    ],
    ids=["sign", "heaviside", "floor", "piecewise", "atan", "erf"],
)
def test_no_far_values_through_a_jump_or_a_function_evaluated_whole(claim):
    assert check(claim).status in ("proved", "confirmed")


def test_far_values_lie_in_the_support_and_outside_the_sampled_range():
    for domain in (REAL, POSITIVE, PROBABILITY, LOG_PROB, UNIT, POSITIVE_INTEGER):
        values = far_values(domain)
        assert values, domain.name
        assert all(domain.contains(v) and not domain.lo <= v <= domain.hi for v in values)
    assert far_values(CLOSED_UNIT) == []  # sampled on its whole support
    assert min(far_values(POSITIVE)) < 1e-39 and max(far_values(REAL)) >= 1e40 and min(far_values(REAL)) <= -1e40


def test_a_wrong_sympy_limit_depending_on_a_parameter_is_not_proved():
    # log(e^{px} + e^{x/10⁶})/x → max(p, 10⁻⁶); SymPy says p, wrong for p < 10⁻⁶, outside p's sampled range
    claim = Limit(sp.log(sp.exp(p * x) + sp.exp(x / 10**6)) / x, x, sp.oo, p)
    r = check(claim)
    assert r.status == "refuted", (r.status, r.reason)
    assert float(r.counterexample["p"]) < 1e-6


# ---------------------------------------------------------------- domains of solutions, indices, hypotheses

XP = var("xp", POSITIVE)


def test_a_solution_outside_its_symbols_domain_is_refuted_or_refused():
    y = var("y", REAL)
    # |xp| − xp = 0 was simplified to 0 = 0 under xp > 0; y may be negative
    r = check(Solves([(sp.Abs(XP) - XP, 0)], {XP: y}))
    assert r.status == "refuted" and float(r.counterexample["y"]) <= 0
    with pytest.raises(ClaimError, match="outside the domain"):
        Solves([(sp.sqrt(XP**2) - 2, 0)], {XP: -2})


def test_a_sum_over_an_index_its_domain_excludes_is_refused():
    k = var("k_pos", POSITIVE_INTEGER)
    with pytest.raises(ClaimError, match="outside what"):
        Equal(sp.Sum(sp.sign(k) * x, (k, 0, 3)), 4 * x)  # sign(k) = 1 for k > 0, but the sum starts at 0
    positive = sp.Symbol("k", integer=True, positive=True)
    with pytest.raises(ClaimError, match="runs over 0, …, 0"):
        # SymPy's convention: Σ_{k=1}^{−1} f(k) = −f(0), and sign(k) → 1 under k > 0 made it −1 (it is 0)
        Equal(sp.Sum(sp.sign(positive), (positive, 1, -1)), -1)
    Equal(sp.Sum(sp.sign(positive), (positive, 1, 0)), 0)  # empty: no index leaves the domain
    index = sp.Symbol("k", integer=True)
    assert check(Equal(sp.Sum(sp.sign(index), (index, 1, -1)), 0)).status == "proved"
    assert check(Equal(sp.Sum(sp.sign(index), (index, 1, -1)), -1)).status == "refuted"
    assert check(Equal(sp.Sum(sp.sign(index) * x, (index, 0, 3)), 3 * x)).status == "proved"
    assert check(Equal(sp.Sum(sp.sign(index) * x, (index, 0, 3)), 4 * x)).status == "refuted"


def test_an_extremum_hint_does_not_prove_a_bound_through_a_substituted_symbol():
    # with xp = 5 + e^y the hint's "falls before 0, rises after" is only checked for xp > 5
    y = var("y", REAL)
    eps = sp.Rational(1, 10**20)
    claim = Implies(
        [sp.Eq(XP, 5 + sp.exp(y))], Inequality((XP - 3) ** 2 - 4 - eps, ">=", 0, extremum={XP: 0}), symbolic=True
    )
    assert check(claim).status != "proved"  # false: −eps + (e^y + 2)² − 4 < 0 for y < −47


# ---------------------------------------------------------------- cancellation below the first precision

E100, K40 = sp.exp(100), sp.Integer(10) ** 40


@pytest.mark.parametrize(
    "claim",
    [Equal(E100 * (1 + x / K40) - E100, 0), Inequality(E100 * (1 - (1 + x**2) / K40), ">=", E100)],
    ids=["equal", "bound"],
)
def test_a_difference_that_cancels_at_thirty_digits_is_still_refuted(claim):
    r = check(claim)
    assert r.status == "refuted", (r.status, r.reason)
    at = sp.Rational(r.counterexample["x"])
    with mpmath.workdps(80):
        gap = (claim.lhs - claim.rhs).subs(x, at).evalf(80)
    assert abs(gap) > 1  # e^100·x/10^40 ≈ 2688·x


def test_a_hypothesis_false_everywhere_after_cancellation_refutes_nothing():
    claim = Implies([sp.Ge(E100 * (1 - (1 + x**2) / K40), E100)], Inequality(x, ">", 100))
    assert check(claim).status != "refuted"


# ---------------------------------------------------------------- no false alarms from the constant search

Z = var("z_pos", POSITIVE)
R = sp.Rational


@pytest.mark.parametrize(
    "claim",
    [
        Inequality(sp.exp(x - R(1, 5)), ">=", 1 + x - 0.2),  # e^t ≥ 1 + t, with 0.2 for 1/5
        Inequality(sp.cosh(x - R(3, 10)) - 1 - (x - 0.3) ** 2 / 2, ">=", 0),
        Inequality((Z + 10**8) * sp.exp(sp.exp(Z)), ">=", (Z + 10**8) * (1 + sp.exp(Z))),  # e^(e^(10⁸)) is out of reach
    ],
    ids=["float-exp", "float-cosh", "huge-constant"],
)
def test_true_claims_with_floats_or_huge_constants_are_not_refuted(claim):
    assert check(claim).status in ("proved", "confirmed")


def test_a_numeric_solution_at_an_open_end_of_its_domain_is_refused():
    # sign(z) was simplified to 1 under z > 0, so "z = 0 solves sign(z) = 1" would be proved
    with pytest.raises(ClaimError, match="outside the domain"):
        Solves([(sp.sign(Z), 1)], {Z: 0})


# ---------------------------------------------------------------- precision lost to ±∞ or to a cancelled log

B = var("b_pos", POSITIVE)
Q = var("q_prob", PROBABILITY)
R1, R2 = var("r_one", REAL), var("r_two", REAL)
#: the binary RLHF optimum p* = q e^{r1/β} / (q e^{r1/β} + (1 − q) e^{r2/β}): 1 − p* is e^{−300} at β = 0.01
P_STAR = Q * sp.exp(R1 / B) / (Q * sp.exp(R1 / B) + (1 - Q) * sp.exp(R2 / B))


@pytest.mark.parametrize(
    "claim",
    [
        Equal(-sp.log(1 - sigmoid(B * x)), -logsigmoid(-B * x)),  # σ(100) is 1 at 30 digits: log 0 = −∞
        Equal(sp.log(1 - sigmoid(x)), -x + sp.log(sigmoid(x))),
        Equal(sigmoid(B * sp.log(P_STAR / Q) - B * sp.log((1 - P_STAR) / (1 - Q))), sigmoid(R1 - R2)),
        EqualUpToConstant(-sp.log(1 - sigmoid(x)), softplus(x), [x]),
        Equal(sp.exp(0.1 * x), sp.exp(x / 10)),  # a float: its rounding grows with x, no far values
    ],
    ids=["bce-rejected", "log-one-minus-sigmoid", "rlhf-optimum-reward", "up-to-constant", "float-exp"],
)
def test_true_identities_are_not_refuted_where_a_side_rounds_to_infinity(claim):
    assert check(claim).status in ("proved", "confirmed")


def test_a_first_order_condition_lost_to_a_cancelled_log_is_not_refuted():
    # J(p) = p r1 + (1 − p) r2 − β KL(Bern(p) ‖ Bern(q)) peaks at p*; J′(p*) is −∞ at 30 digits, 1e40 at
    # 120 where 1 − p* rounds to 10⁻¹²⁰ instead of e^{−10⁴⁰}, and 0 in truth
    p_ = var("p_prob_rlhf", PROBABILITY)
    J = p_ * R1 + (1 - p_) * R2 - B * (p_ * sp.log(p_ / Q) + (1 - p_) * sp.log((1 - p_) / (1 - Q)))
    assert check(Stationary(J, {p_: P_STAR}, "max")).status in ("proved", "confirmed")


def test_an_evaluation_through_a_cancelled_log_is_lost_until_the_digits_suffice():
    p_ = sp.Symbol("p_tape")
    tape = Tape([sigmoid(-sp.log(1 - p_))])
    with mpmath.workdps(300):  # the input itself exact enough
        point = {"p_tape": 1 - mpmath.mpf(10) ** -130}
    for dps, lost in ((30, True), (120, True), (300, False)):
        with mpmath.workdps(dps):
            assert tape.evaluate(point).lost is lost, dps


def test_a_domain_declared_by_its_range_alone_means_that_range():
    eps = var("eps_custom", Domain("eps_custom", 1e-6, 0.5, (("positive", True),)))
    assert domain_of(eps).support == (1e-6, 0.5, True, True)
    assert far_values(domain_of(eps)) == []
    assert check(Inequality(1 - 2 * eps, ">=", 0)).status == "confirmed"  # not refuted at ε = 10⁸
    assert check(Inequality(1 - 2 * eps, ">", 0)).status == "refuted"  # ε = 1/2 is in the range


@pytest.mark.parametrize(
    ("domain", "assumption"),
    [
        (lambda: Domain("centered", -1, 1, (("positive", True),)), "positive"),
        (lambda: Domain("to_zero", 0, 1, (("positive", True),), support=(0.0, 1.0, True, True)), "positive"),
        (lambda: Domain("counts", 0, 10, (("integer", True),)), "integer"),
        (lambda: Domain("below", -1, 0.5, (("nonpositive", True),)), "nonpositive"),
    ],
    ids=["positive-on-[-1,1]", "positive-with-0", "integer-sampled-linearly", "nonpositive-with-1/2"],
)
def test_a_domain_whose_assumptions_do_not_cover_its_support_is_refused(domain, assumption):
    """Under a wrong ``positive``, SymPy turned √(r²) = r into r = r when the claim was built, and the
    false claim was proved although r = −1/2 was sampled; under ``integer``, sin(πk) = 0 was proved."""
    with pytest.raises(ClaimError, match=f"assumes {assumption}=True"):
        domain()


@pytest.mark.parametrize(
    ("domain", "message"),
    [
        # an assumption stated False: SymPy proved |x| = −x on [1, 10] when the claim was built
        (lambda: Domain("notpos", 1, 10, (("real", True), ("positive", False))), "positive=False"),
        (lambda: Domain("nonint", 0, 1, (("integer", False),)), "integer=False"),
        (lambda: Domain("unreal", 0, 1, (("real", False),)), "real=False"),
        # assumptions the search cannot honour: sin(πx) = 0 under prime, (−1)^k = −1 under odd were proved
        (lambda: Domain("primey", 1.5, 10, (("prime", True),)), "prime=True, which the search cannot"),
        (lambda: Domain("oddy", 1, 64, (("odd", True),), scale="integer"), "odd=True, which the search cannot"),
        (lambda: Domain("imy", 1, 10, (("imaginary", True),)), "imaginary=True, but its support"),
        (lambda: Domain("evy", 1, 10, (("even", True),)), "even=True, which the search cannot"),
    ],
    ids=["positive-False", "integer-False-with-0", "real-False", "prime", "odd", "imaginary", "even"],
)
def test_a_domain_stating_what_its_support_does_not_have_is_refused(domain, message):
    with pytest.raises(ClaimError, match=message):
        domain()


@pytest.mark.parametrize(
    ("domain", "message"),
    [
        # the search sampled these values outside the support and refuted w > 0, v > 0 and n ≥ 1 there
        (
            lambda: Domain(
                "lz", 1e-3, 1e3, (("positive", True),), scale="log_or_zero", support=(1e-3, 1e3, True, True)
            ),
            "samples 0, which is outside",
        ),
        (lambda: Domain("lz_pos", 1e-3, 1e3, (("positive", True),), scale="log_or_zero"), "positive=True, but"),
        (lambda: Domain("mis", -1, 1, (("positive", True),), support=(0, 10, False, True)), "samples -1, which"),
        (
            lambda: Domain("n0", 0, 10, (("integer", True),), scale="integer", support=(1, 1e9, True, True)),
            "samples 0, which is outside",
        ),
        (lambda: Domain("empty", 2, 1, (("real", True),)), "lo ≤ hi"),
        (lambda: Domain("nan", math.nan, 1, (("real", True),)), "real numbers"),
        (lambda: Domain("logneg", -1, 1, (("real", True),), scale="log"), "lo must be > 0"),
        (lambda: Domain("noint", 0.2, 0.8, (("real", True),), scale="integer"), "no integer lies"),
        (lambda: Domain("odd_scale", 0, 1, (("real", True),), scale="geometric"), "scale='geometric'"),
    ],
    ids=[
        "log-or-zero-without-0",
        "log-or-zero-positive",
        "lo-outside",
        "integer-from-0",
        "empty",
        "nan",
        "log-of-negative",
        "no-integer",
        "scale",
    ],
)
def test_a_domain_sampling_outside_its_support_is_refused(domain, message):
    with pytest.raises(ClaimError, match=re.escape(message)):
        domain()


def test_a_domain_whose_assumptions_cover_its_support_is_accepted():
    r = var("r_open", Domain("open_unit", 1e-6, 1, (("positive", True),), support=(0.0, 1.0, False, True)))
    assert check(Equal(sp.sqrt(r**2), r)).status == "proved"
    k = var("k_counts", Domain("counts", 0, 10, (("integer", True), ("nonnegative", True)), scale="integer"))
    assert check(Equal(sp.sin(sp.pi * k), 0)).status == "proved"
    # stated False where the support has none: proved under it, and true
    x = var("x_nonpos", Domain("nonpos", -10, 0, (("real", True), ("positive", False))))
    assert check(Equal(sp.Abs(x), -x)).status == "proved"
    f = var("f_frac", Domain("frac", 0.1, 0.9, (("integer", False), ("positive", True)), support=(0, 1, False, False)))
    assert check(Equal(sp.floor(f), 0)).status in ("proved", "confirmed")
    assert check(Equal(sp.floor(f), 1)).status == "refuted"
    # what users write and was refused by the first version of these checks: NumPy bounds, a log_or_zero
    # scale without a support (its 0 is part of what it means), assumptions every real number has or lacks
    k = var("k_np", Domain("k_np", np.int64(1), np.int64(10), (("integer", True), ("positive", True)), scale="integer"))
    assert check(Equal(sp.sin(sp.pi * k), 0)).status == "proved"
    w = var("w_lz", Domain("w_lz", 1e-3, 1e3, (("nonnegative", True),), scale="log_or_zero"))
    assert domain_of(w).support == (0.0, 1e3, True, True)
    assert check(Inequality(w, ">", 0)).status == "refuted"
    t = var("t_ext", Domain("t_ext", 0.5, 2, (("infinite", False), ("extended_positive", True), ("imaginary", False))))
    assert check(Equal(sp.Abs(t), t)).status == "proved"
    m = var("m_rat", Domain("m_rat", 1, 10, (("integer", True), ("rational", True)), scale="integer"))
    assert check(Equal(sp.floor(m), m)).status == "proved"
    u = var("u_nonint", Domain("u_nonint", 0.1, 0.9, (("noninteger", True),), support=(0.0, 1.0, False, False)))
    assert check(Equal(sp.floor(u), 0)).status in ("proved", "confirmed")
    with pytest.raises(ClaimError, match="beyond the floats"):
        Domain("huge", 1, 10**400, (("integer", True),), scale="integer")
    with pytest.raises(ClaimError, match="rational=True, but"):
        Domain("real_rational", 0, 1, (("rational", True),))
    z = var(
        "z_zero_or_more",
        Domain("lz_ok", 1e-3, 1e3, (("nonnegative", True),), scale="log_or_zero", support=(0.0, math.inf, True, False)),
    )
    assert check(Inequality(z, ">", 0)).status == "refuted"
    assert check(Inequality(z, ">=", 0)).status == "proved"


# ---------------------------------------------------------------- proofs that were not proofs

S_POS = var("s_pos", POSITIVE)
Y = var("y_real", REAL)


@pytest.mark.parametrize(
    "f",
    [
        S_POS * x**2 - x**4 / 10**100,  # lower than f(0) beyond |x| = 10⁵⁰
        S_POS * x**2 - 100 * sp.exp(-(10**6) * (x**2 - 18) ** 2),  # a dip of width 10⁻⁴ at x² = 18
    ],
    ids=["quartic-far", "narrow-dip"],
)
def test_a_first_order_condition_alone_never_proves_a_global_minimum_through_an_implication(f):
    # Eq(s, y² + 1) replaces s; the proof's sufficient conditions over s are dropped, and with them the proof
    claim = Implies([sp.Eq(S_POS, Y**2 + 1)], Stationary(f, {x: 0}, kind="min", scope="global"), symbolic=True)
    assert check(claim).status in ("confirmed", "refuted")


@pytest.mark.parametrize(
    "claim",
    [
        Limit(sp.Piecewise((1 / x, p > 10**5), (1, True)), x, sp.oo, 1),  # 1/x → 0 for p > 10⁵
        Limit(sp.Piecewise((1, x < p - 10**5), (2, True)), p, 0, 2),
        Limit(sp.Piecewise((1 / x, (p > 2) & (p < 2 + sp.Rational(1, 10**30))), (1, True)), x, sp.oo, 1),
        Limit(sp.floor(x + p / 10**5), x, 0, sp.floor(p / 10**5), direction="-"),  # 0 from the left at p = 10⁵
    ],
    ids=["piecewise-parameter", "piecewise-both", "thin-parameter-set", "floor-left"],
)
def test_a_limit_of_a_function_with_jumps_is_never_proved_by_sympy(claim):
    assert check(claim).status in ("confirmed", "refuted")


def test_a_limit_of_a_smooth_function_is_still_proved():
    assert check(Limit(x / (x + 1), x, sp.oo, 1)).status == "proved"
    assert check(Limit(p * sp.exp(-x) + 1, x, sp.oo, 1)).status == "proved"


@pytest.mark.parametrize(
    "claim",
    [
        Inequality(-sp.acot(p - 10**50), ">=", 0, extremum={p: 0}),  # acot jumps at 0: −10⁻⁵⁰ at p = 2·10⁵⁰
        Stationary(x / 10**50 - sp.atan(sp.tan(x / 10**50)), {x: 0}, kind="min", scope="global"),  # −π at −2·10⁵⁰
    ],
    ids=["acot", "atan-tan"],
)
def test_functions_with_jumps_that_sympy_differentiates_smoothly_prove_nothing(claim):
    assert check(claim).status in ("confirmed", "refuted")


def test_a_family_without_sizes_is_refused():
    with pytest.raises(ClaimError, match="at least one size"):
        ForSizes(lambda n: Equal(x, x + n), symbolic=(), numeric=())


@pytest.mark.parametrize(
    ("claim", "status"),
    [
        (Limit(x / (x + sp.exp(1000)), x, sp.oo, 1), "proved"),  # grows like x up to e¹⁰⁰⁰: approach past it
        (Limit(sigmoid(x - sp.exp(1000)), x, sp.oo, 1), "proved"),
        (Limit(sp.log(sp.exp(p * x) + sp.exp(x / 10**10)) / x, x, sp.oo, p), "refuted"),  # max(p, 10⁻¹⁰)
    ],
    ids=["hidden-scale", "hidden-scale-sigmoid", "constant-1e-10"],
)
def test_limits_reach_past_composite_and_tiny_constants(claim, status):
    r = check(claim)
    assert r.status == status, (r.status, r.reason)
    if status == "refuted":
        assert float(r.counterexample["p"]) < 1e-10


def test_a_search_near_an_optimum_beside_an_open_bound_stays_inside_the_domain():
    # the binary RLHF objective peaks at p* = 1 − 7.6·10⁻¹⁶ (q = 1 − 10⁻⁶, r1 = 21): a move of relative size
    # 10⁻¹⁵ leaves (0, 1), where J is not the objective; it is a true maximum (J″ = −β/(p(1 − p)) < 0)
    p_ = var("p_prob_edge", PROBABILITY)
    J = p_ * R1 + (1 - p_) * R2 - B * (p_ * sp.log(p_ / Q) + (1 - p_) * sp.log((1 - p_) / (1 - Q)))
    assert check(Stationary(J, {p_: P_STAR}, "max", scope="global")).status in ("proved", "confirmed")
    # a false maximum beside the same bound is still refuted near it
    assert check(Stationary(p_ * (1 - p_), {p_: 1 - sp.Rational(1, 10**16)}, "max")).status == "refuted"


@pytest.mark.parametrize(
    ("claim", "point", "value"),
    [
        (
            Inequality(sigmoid(x), ">", sp.Rational(1, 10**5000)),
            "x",
            lambda v: 1 / (1 + mpmath.exp(-v)) - mpmath.mpf(10) ** -5000,
        ),
        (Inequality(sp.exp(x), ">=", sp.exp(-(10**4))), "x", lambda v: mpmath.exp(v) - mpmath.exp(-(10**4))),
        (Equal(sp.exp(x) - sp.exp(-(10**4)), sp.exp(x)), "x", lambda v: -mpmath.exp(-(10**4))),
        (Inequality(sp.log(sp.factorial(N_FAR)), "<=", 10**6), "n_far", lambda n: 10**6 - mpmath.loggamma(n + 1)),
    ],
    ids=["sigmoid-above-tiny", "exp-above-tiny", "exp-minus-tiny", "log-factorial"],
)
def test_a_violation_below_the_noise_floor_of_a_large_intermediate_is_refuted_by_intervals(claim, point, value):
    """At x = −10⁸ both sides are below 10⁻³⁰⁰⁰ while x itself is 10⁸, and log(n!) at n = 10⁶ has the
    intermediate n! of 10^(5.5·10⁶): the noise floor of the largest intermediate stayed above the
    difference up to 3000 digits, and the point counted as holding or undecided, so all four false
    claims were confirmed. An interval evaluation (outward rounding) that excludes 0 now decides."""
    r = check(claim)
    assert r.status == "refuted", (r.status, r.reason)
    with mpmath.workdps(60):
        assert value(mpmath.mpf(r.counterexample[point])) < 0


T_POS = var("t_pos", POSITIVE)


@pytest.mark.parametrize(
    "claim",
    [
        Inequality(sigmoid(x), ">", 0),
        Inequality(sp.exp(x) - sp.exp(x - 1), ">", 0),
        Inequality((1 + sp.exp(x)) * (1 - sp.exp(x)) + sp.exp(2 * x), ">=", 1),  # 0 + rounding that moves
        Inequality(sp.sin(sp.pi * N_FAR) ** 2, ">=", 0),
        # exactly 0: the digits never resolve it, and mpmath.iv.loggamma(0.1) came out inverted and refuted it
        Inequality(sp.loggamma(T_POS) + sp.log(T_POS), "<=", sp.loggamma(T_POS + 1)),
        Inequality(sp.exp(sp.loggamma(T_POS)), ">=", sp.gamma(T_POS)),
        Inequality(sp.exp(sp.loggamma(T_POS)), "<=", sp.gamma(T_POS)),
    ],
    ids=[
        "sigmoid-positive",
        "exp-difference",
        "exp-product",
        "sin-squared",
        "loggamma-recurrence",
        "exp-loggamma-above",
        "exp-loggamma-below",
    ],
)
def test_tiny_true_values_beside_large_intermediates_are_not_refuted(claim):
    assert check(claim).status in ("proved", "confirmed")


P_ROOT = var("p_root", PROBABILITY)
X_ROOT = var("x_root", REAL)


@pytest.mark.parametrize(
    "claim",
    [
        Inequality((3 * P_ROOT - 1) ** 2, ">", 0),
        Inequality((X_ROOT - sp.sqrt(2)) ** 2, ">", 0),
        Inequality(sp.cos(sp.pi * P_ROOT) ** 2, ">", 0),  # 0 at p = 1/2, a simple value, and at no float else
        Inequality(sigmoid(X_ROOT) * (1 - sigmoid(X_ROOT)), "<", sp.Rational(1, 4)),  # = 1/4 at x = 0
    ],
    ids=["third", "sqrt2", "cos-squared", "sigmoid-variance"],
)
def test_a_strict_inequality_failing_only_at_an_exact_zero_is_refuted_there(claim):
    """(3p − 1)² > 0 fails at p = 1/3 only, (x − √2)² > 0 at √2 only: no float is either, and both were
    confirmed. The expression is now solved for its zeros, each checked exactly; the counterexample is the
    exact point, and the claim's two sides are equal there."""
    r = check(claim)
    assert r.status == "refuted", (r.status, r.reason)
    at = {s: sp.sympify(r.counterexample[s.name]) for s in claim.lhs.free_symbols | claim.rhs.free_symbols}
    assert sp.simplify((claim.lhs - claim.rhs).xreplace(at)) == 0


@pytest.mark.parametrize(
    "claim",
    [
        Inequality(X_ROOT**2 - X_ROOT + 1, ">", 0),
        Inequality(P_ROOT * (1 - P_ROOT), ">", 0),  # its zeros 0 and 1 lie outside the open (0, 1)
        Inequality(softplus(X_ROOT), ">", X_ROOT),
        Inequality((3 * P_ROOT - 1) ** 2 + sp.Rational(1, 10**30), ">", 0),
    ],
    ids=["no-real-zero", "zeros-outside", "softplus", "tiny-offset"],
)
def test_a_strict_inequality_without_a_zero_in_its_domain_is_not_refuted(claim):
    assert check(claim).status in ("proved", "confirmed")


def test_an_exact_zero_just_beyond_a_closed_end_is_not_taken_for_one_inside():
    """The zero 1 + 10⁻²⁰ of (p − 1 − 10⁻²⁰)² rounds to the float 1.0, which lies in [0, 1]; it is compared
    exactly, so the true strict claim on [0, 1] is not refuted there."""
    p_closed = var("p_closed", CLOSED_UNIT)
    assert check(Inequality((p_closed - 1 - sp.Rational(1, 10**20)) ** 2, ">", 0)).status in ("proved", "confirmed")
    assert check(Inequality((p_closed - 1) ** 2, ">", 0)).status == "refuted"


Q_OPEN = var("q_open", PROBABILITY)
E_RANGE = var("e_range", Domain("e_range", 1e-6, 0.5, (("positive", True),)))


@pytest.mark.parametrize(
    "claim",
    [
        Inequality((Q_OPEN - 1 + sp.Rational(1, 10**20)) ** 2, ">", 0),  # zero at 1 − 10⁻²⁰: inside, float 1.0
        Inequality((X_ROOT**3 - 3 * X_ROOT + 1) ** 2, ">", 0),  # zeros 2cos(2π/9), …: solve gives complex radicals
    ],
    ids=["open-end", "casus-irreducibilis"],
)
def test_an_exact_zero_inside_an_open_end_or_in_complex_radicals_is_found(claim):
    r = check(claim)
    assert r.status == "refuted", (r.status, r.reason)
    ((name, text),) = r.counterexample.items()
    symbol = next(s for s in claim.lhs.free_symbols if s.name == name)
    zero = sp.sympify(text, locals={"CRootOf": sp.CRootOf})
    assert sp.simplify(claim.lhs.xreplace({symbol: zero})) == 0 and symbol.domain.contains_exactly(zero)


@pytest.mark.parametrize(
    "claim",
    [
        Inequality(E_RANGE, "<", sp.Rational(1, 2) + sp.Rational(1, 10**20)),
        Inequality((2 * E_RANGE - 1 - sp.Rational(1, 10**20)) ** 2, ">", 0),
        Inequality(sp.sin(var("p_closed", CLOSED_UNIT)), "<", sp.sin(1) + sp.Rational(1, 10**20)),
    ],
    ids=["slack-beyond-range", "square-beyond-range", "sin-beyond-closed-end"],
)
def test_a_zero_just_beyond_a_domains_end_does_not_refute(claim):
    """The zeros lie 10⁻²⁰ beyond the end (0.5 of a range-declared domain, 1 of [0, 1]); their floats round
    onto the end, and these true claims were refuted there by the first version of the exact zeros."""
    assert check(claim).status in ("proved", "confirmed")


def test_an_exact_equation_off_by_a_tiny_amount_near_a_simple_point_is_refuted():
    """1 + e^{−x²−100} = 1 is off by e^{−100} ≈ 3.7·10⁻⁴⁴ at x = 0 and by less than 10⁻⁶⁰ beyond |x| = 5: below
    the noise of the working digits everywhere, and above that of the closer look only near 0."""
    x = var("x", REAL)
    for claim in (Equal(1 + sp.exp(-(x**2) - 100), 1), Equal(sigmoid(x) + sigmoid(-x), 1 + sp.exp(-(x**2) - 100))):
        r = check(claim)
        assert r.status == "refuted", (r.status, r.reason)
        at = mpmath.mpf(r.counterexample["x"])
        with mpmath.workdps(80):
            assert mpmath.exp(-(at**2) - 100) > mpmath.mpf(10) ** -60
    assert check(Equal(sigmoid(x) + sigmoid(-x), 1)).status == "proved"


def test_an_exp_of_an_astronomical_argument_is_an_undefined_point_not_a_hang():
    """e^{e^{e^x}} at x = 10 has an argument of 10^9566, whose exp mpmath computes for minutes, uninterruptibly."""
    import time

    from verify.search.tape import EXP_ARG_LIMIT, _mp_exp

    x = var("x", REAL)
    start = time.process_time()
    assert check(Inequality(sp.exp(sp.exp(sp.exp(x))), ">", 0)).status == "proved"
    assert time.process_time() - start < 60
    with pytest.raises(OverflowError):
        _mp_exp(EXP_ARG_LIMIT * 2)
    assert _mp_exp(mpmath.mpf(10) ** 40) > 0  # far values and limit approaches stay below the limit


@pytest.mark.parametrize(
    ("claim", "name"),
    [
        # negative only within 4·10⁻¹⁶ of ±√2, and within 10⁻¹⁰ of 1/3: no sampled point falls there
        (Inequality((var("x", REAL) ** 2 - 2) ** 2, ">=", sp.Rational(1, 10**30)), "x"),
        (Inequality((3 * var("p", PROBABILITY) - 1) ** 2, ">=", sp.Rational(1, 10**20)), "p"),
        (Inequality((var("x", REAL) ** 2 - 2) * (var("x", REAL) ** 2 - 2 - sp.Rational(1, 10**20)), ">=", 0), "x"),
    ],
)
def test_a_polynomial_dip_between_two_close_roots_is_refuted_at_an_exact_point(claim, name):
    r = check(claim)
    assert r.status == "refuted", (r.status, r.reason)
    (ob,) = claim.obligations()
    (s,) = ob.expr.free_symbols
    at = sp.Rational(r.counterexample[name])  # exact: the value there is an exact rational, and negative
    assert ob.expr.xreplace({s: at}) < 0


@pytest.mark.parametrize(
    "claim",
    [
        Inequality(var("x", REAL) ** 2 - var("x", REAL) + sp.Rational(1, 4) + sp.Rational(1, 10**30), ">", 0),
        Inequality((var("x", REAL) - 1) ** 2 * (var("x", REAL) - 2) ** 2, ">=", 0),  # double roots: no dip
        Inequality((var("x", REAL) ** 2 - 2) ** 2, ">=", 0),
    ],
)
def test_a_polynomial_without_a_dip_is_not_refuted(claim):
    assert check(claim).status in ("proved", "confirmed")


def test_an_integer_domain_polynomial_dips_only_at_integers():
    """(n − 1)(n − 2) ≥ 0 over the positive integers is negative only at n = 3/2, which is no integer: it hung
    (a float walk toward an integer one ulp at a time) and would have been refuted there."""
    import time

    n = var("n", POSITIVE_INTEGER)
    start = time.process_time()
    for claim in (Inequality((n - 1) * (n - 2), ">=", 0), Inequality((n - 1) * (n - 2) * (n - 3), ">=", 0)):
        assert check(claim).status in ("proved", "confirmed")
    assert time.process_time() - start < 60
    assert not POSITIVE_INTEGER.contains_exactly(sp.Rational(3, 2)) and POSITIVE_INTEGER.contains_exactly(sp.Integer(2))
    r = check(Inequality((n - 10) * (n - 12), ">=", 0))  # negative at n = 11 only
    assert r.status == "refuted" and float(r.counterexample["n"]) == 11
