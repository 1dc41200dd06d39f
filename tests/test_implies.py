"""Theorems with hypotheses: the search runs inside the hypotheses, and a counterexample satisfies them."""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp

from tests.verdicts import VERDICTS
from verify import AllOf, Derivation, Equal, EqualUpToConstant, Implies, Inequality, Source, Stationary, Step, var
from verify.domains import POSITIVE, REAL
from verify.errors import ClaimError
from verify.run.check import check_step

x = var("x_imp", REAL)
y = var("y_imp", REAL)
t = var("t_imp", POSITIVE)


def _check(claim, expected: str = "holds"):
    d = Derivation("implications", "Implications", Source("notes.md"), [Step("claim", claim, expected=expected)])
    return check_step(d, d.steps[0], VERDICTS)


def test_true_implication_needing_its_hypothesis_is_confirmed_inside_it() -> None:
    r = _check(Implies([sp.Gt(x, 1)], Inequality(x**2, ">", 1)))
    assert r.status == "confirmed"
    assert r.samples > 50
    assert r.reason == "hypotheses: searched numerically only"


def test_conclusion_true_without_hypotheses_is_proved() -> None:
    r = _check(Implies([sp.Gt(x, 0)], Equal(sp.exp(sp.log(t)), t), symbolic=True))
    assert r.status == "proved"
    assert "without needing the hypotheses" in r.symbolic_method
    # by default the prover is not asked (it cannot use hypotheses): searched numerically
    assert _check(Implies([sp.Gt(x, 0)], Equal(sp.exp(sp.log(t)), t))).status == "confirmed"


def test_false_implication_is_refuted_at_a_point_inside_the_hypotheses() -> None:
    # x > 0 does not give x³ > x (false on (0, 1])
    r = _check(Implies([sp.Gt(x, 0)], Inequality(x**3, ">", x)), expected="refuted")
    assert (r.status, r.failed) == ("refuted", False)
    xv = mpmath.mpf(r.counterexample["x_imp"])
    assert xv > 0  # the hypothesis holds at the counterexample ...
    assert not xv**3 > xv  # ... and the conclusion fails there
    assert "hypothesis 1 (holds by)" in r.values


def test_a_counterexample_outside_the_hypotheses_does_not_count() -> None:
    # unconditionally false (x = -2), but true for x ≥ 1
    r = _check(Implies([sp.Ge(x, 1)], Inequality(x**3, ">=", x)))
    assert r.status == "confirmed"


def test_two_hypotheses_and_named_hypotheses() -> None:
    claim = Implies([sp.Gt(x, y), sp.Gt(y, 0)], Inequality(x**2, ">", y**2), names=["x > y", "y > 0"])
    r = _check(claim)
    assert r.status == "confirmed"
    false = Implies([sp.Gt(x, y), sp.Lt(y, 0)], Inequality(x**2, ">", y**2), names=["x > y", "y < 0"])
    r = _check(false, expected="refuted")
    assert r.status == "refuted"
    xv, yv = mpmath.mpf(r.counterexample["x_imp"]), mpmath.mpf(r.counterexample["y_imp"])
    assert xv > yv and yv < 0 and not xv**2 > yv**2
    assert set(r.values) >= {"x > y (holds by)", "y < 0 (holds by)"}


def test_unsatisfiable_hypotheses_are_an_error_not_a_vacuous_truth() -> None:
    r = _check(Implies([sp.Gt(x, 0), sp.Lt(x, 0)], Inequality(x, ">", 5)))
    assert r.status == "error"
    assert "no sampled point satisfied the hypotheses" in r.reason


def test_malformed_implications_are_rejected() -> None:
    with pytest.raises(ClaimError, match="at least one hypothesis"):
        Implies([], Inequality(x, ">", 0))
    with pytest.raises(ClaimError, match="must be an inequality"):
        Implies([sp.Ne(x, 1)], Inequality(x, ">", 0))
    with pytest.raises(ClaimError, match=r"sp.Eq\(symbol, expression\)"):
        Implies([sp.Eq(x + 1, 2 * x)], Inequality(x, ">", 0))
    with pytest.raises(ClaimError, match="names has 2 entries"):
        Implies([sp.Gt(x, 0)], Inequality(x, ">", 0), names=["a", "b"])


@pytest.mark.parametrize(
    "conclusion",
    [
        lambda: Stationary(x**2 + y, {x: 0}, "min"),  # x² − 3x is not minimal at 0 (slope −3)
        lambda: Stationary(x**2 + y**2, {x: sp.Rational(1, 2)}, "min"),  # with y = 1 − x, a true minimum
        lambda: EqualUpToConstant(y, -3 * x, [x]),
        lambda: AllOf([Inequality(x**2, ">=", 0), Stationary(x**2 + y, {y: 0}, "stationary")]),
    ],
    ids=["false-minimum", "true-constrained-minimum", "up-to-a-constant", "inside-allof"],
)
def test_an_equality_hypothesis_tied_to_a_differentiated_variable_is_refused(conclusion) -> None:
    """A conclusion's derivatives are taken with the hypothesis's symbol held fixed, and it was replaced only
    after them: Implies(y = −3x, x² + y minimal at x = 0) was proved, the true x² + (1 − x)² refuted."""
    hypothesis = sp.Eq(y, -3 * x) if conclusion().__class__ is not Stationary else sp.Eq(y, 1 - x)
    with pytest.raises(ClaimError, match="which the conclusion differentiates in"):
        Implies([hypothesis], conclusion(), symbolic=True)


def test_an_equality_hypothesis_on_other_symbols_of_an_optimum_still_holds() -> None:
    # y = t² + 1 does not involve x: x ↦ y·x² is minimal at 0 for every such y
    claim = Implies([sp.Eq(y, t**2 + 1)], Stationary(y * x**2, {x: 0}, "min"), symbolic=True)
    assert _check(claim).status in ("proved", "confirmed")  # searched only: y is in its proof's conditions
    bound = Implies([sp.Eq(t, 1 + y**2)], Inequality(t, ">=", 1, extremum={t: 1}))  # a hint is not refused
    assert _check(bound).status in ("proved", "confirmed")


def test_latex_shows_the_implication() -> None:
    assert (
        Implies([sp.Gt(x, 1)], Inequality(x**2, ">", 1)).latex() == r"x_{imp} > 1 \;\Longrightarrow\; x_{imp}^{2} > 1"
    )


def test_circular_equality_hypotheses_are_a_malformed_claim_every_time_they_are_built():
    a, b = var("ci_a", REAL), var("ci_b", REAL)
    claim = Implies([sp.Eq(a, b + 1), sp.Eq(b, a - 1)], Equal(a, b + 1))
    for _ in range(2):  # the hypotheses' parts are cached; an error never is
        with pytest.raises(ClaimError, match="circular"):
            claim.obligations()


EPS = sp.Rational(1, 10**6)


@pytest.mark.parametrize(
    ("hypotheses", "conclusion"),
    [
        ([sp.Lt(sp.Abs(x - y), EPS)], Inequality(sp.Abs(x**2 - y**2), "<=", EPS)),
        ([sp.Lt(x, y), sp.Lt(y, x + EPS)], Inequality(y**2 - x**2, "<=", EPS / 10)),
    ],
    ids=["abs-strip", "two-sided-strip"],
)
def test_a_claim_false_on_a_thin_hypothesis_region_is_refuted_at_its_edge(hypotheses, conclusion) -> None:
    """A strip 10⁻⁶ wide is almost never drawn from the domains' box: the claims, false on most of it (at x = 10,
    y = 10 + 9·10⁻⁷, y² − x² = 1.8·10⁻⁵), were confirmed at the few points that fell inside."""
    r = _check(Implies(hypotheses, conclusion))
    assert r.status == "refuted", (r.status, r.reason)
    at = {x: sp.Rational(r.counterexample["x_imp"]), y: sp.Rational(r.counterexample["y_imp"])}
    assert all(bool(h.subs(at)) for h in hypotheses)  # an instance of the hypotheses, exactly
    assert not bool(sp.Rel(conclusion.lhs, conclusion.rhs, conclusion.rel).subs(at))  # where the conclusion fails


def test_a_true_claim_on_a_thin_hypothesis_region_is_not_refuted() -> None:
    claim = Implies([sp.Lt(sp.Abs(x - y), EPS)], Inequality(sp.Abs(x**2 - y**2), "<=", EPS * (sp.Abs(x) + sp.Abs(y))))
    assert _check(claim).status == "confirmed"
