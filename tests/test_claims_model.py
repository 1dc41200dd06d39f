"""Claims as users write them: owned symbols, matrices, derivatives, integers, equality hypotheses."""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp

from tests.verdicts import VERDICTS
from verify import Derivation, Equal, Implies, Inequality, Source, Step, sigmoid, var
from verify.domains import POSITIVE, POSITIVE_INTEGER, PROBABILITY, REAL
from verify.errors import ClaimError
from verify.run.check import check_step

mpmath.mp.dps = 50


def check(claim):
    step = Step(id="under_test", claim=claim)
    return check_step(Derivation(id="t", title="t", source=Source("d", "x"), steps=[step]), step, VERDICTS)


def test_two_packages_may_both_name_a_symbol_p_with_different_domains():
    p_prob, p_real = var("p", PROBABILITY), var("p", REAL)
    assert p_prob != p_real and p_prob == var("p", PROBABILITY)
    # p < 1 holds for a probability (sampled in (0, 1)) and fails for a real p
    assert check(Inequality(p_prob, "<", 1)).status == "confirmed"
    res = check(Inequality(p_real, "<", 1))
    assert res.status == "refuted" and float(res.counterexample["p"]) >= 1


def test_one_claim_with_two_different_symbols_of_one_name_is_an_error():
    res = check(Equal(var("q", POSITIVE), var("q", REAL)))
    assert res.status == "error" and "two different symbols are named 'q'" in res.reason


def test_matrix_equal_is_componentwise():
    a, b = var("ma", REAL), var("mb", REAL)
    assert check(Equal(sp.Matrix([[a + b], [a * b]]), sp.Matrix([[b + a], [b * a]]))).status == "proved"
    res = check(Equal(sp.Matrix([[a + b], [a * b]]), sp.Matrix([[b + a], [a - b]])))
    assert res.status == "refuted" and "entry (2, 1)" in res.reason
    p = {k: mpmath.mpf(v) for k, v in res.counterexample.items()}
    assert abs(p["ma"] * p["mb"] - (p["ma"] - p["mb"])) > mpmath.mpf("1e-20")
    with pytest.raises(ClaimError, match="shape"):
        Equal(sp.Matrix([a, b]), sp.Matrix([a]))
    with pytest.raises(ClaimError, match="only Equal compares matrices"):
        Inequality(sp.Matrix([a]), ">=", 0)


def test_a_derivative_inside_a_claim_is_checked_and_printed_as_such():
    h, beta = var("dh", REAL), var("dbeta", POSITIVE, r"\beta")
    loss = -sp.log(sigmoid(beta * h))
    true = Equal(sp.Derivative(loss, h), -beta * sigmoid(-beta * h))
    assert r"\frac{\partial}" in true.latex() or r"\frac{d}" in true.latex()
    assert check(true).status == "proved"
    res = check(Equal(sp.Derivative(loss, h), beta * sigmoid(-beta * h)))  # sign flipped
    assert res.status == "refuted"
    pt = {k: mpmath.mpf(v) for k, v in res.counterexample.items()}
    grad = mpmath.diff(lambda t: -mpmath.log(1 / (1 + mpmath.exp(-pt["dbeta"] * t))), pt["dh"])
    assert abs(grad - pt["dbeta"] / (1 + mpmath.exp(pt["dbeta"] * pt["dh"]))) > mpmath.mpf("1e-20")


def test_undefined_functions_and_symbolic_sum_bounds_are_claim_errors():
    x = var("ux", REAL)
    with pytest.raises(ClaimError, match="undefined function"):
        Equal(sp.Function("f")(x), x)
    k, n = sp.Symbol("k", integer=True), var("un", POSITIVE_INTEGER)
    with pytest.raises(ClaimError, match="symbolic bound"):
        Equal(sp.Sum(x**k, (k, 0, n)), 0)
    assert check(Equal(sp.Sum(k * x, (k, 1, 3)), 6 * x)).status == "proved"


def test_integer_domain_samples_integers():
    n = var("n_len", POSITIVE_INTEGER)
    # (−1)^(2n) = 1 holds for integers only; sampled as integers it is never refuted
    assert check(Equal((-1) ** (2 * n), 1)).status in ("proved", "confirmed")
    res = check(Inequality(n, "<=", 10))
    assert res.status == "refuted" and float(res.counterexample["n_len"]) == int(float(res.counterexample["n_len"]))
    assert float(res.counterexample["n_len"]) > 10


def test_equality_hypotheses_are_substituted_with_their_domain():
    a, b, s = var("ea", POSITIVE), var("eb", POSITIVE), var("es", POSITIVE)
    true = Implies([sp.Eq(s, a + b)], Inequality(s, ">", a))
    assert check(true).status == "confirmed"
    assert check(Implies([sp.Eq(s, a + b)], Inequality(s, ">", a), symbolic=True)).status == "proved"
    res = check(Implies([sp.Eq(s, a + b)], Inequality(s, ">", 2 * a)))
    assert res.status == "refuted"
    p = {k: float(v) for k, v in res.counterexample.items()}
    assert p["ea"] + p["eb"] <= 2 * p["ea"]
    # the substituted value must lie in the symbol's domain: s = a − b is searched only where a > b
    res = check(Implies([sp.Eq(s, a - b)], Inequality(s + b, ">", b)))
    assert res.status == "confirmed"


def test_extremum_hint_outside_the_domain_is_a_claim_error_and_the_claim_itself_is_fuzzed():
    o = var("eo", POSITIVE)
    with pytest.raises(ClaimError, match="outside the domain"):
        Inequality(o / (1 + o), ">=", sp.Rational(1, 3), extremum={o: -2})
    res = check(Inequality(o / (1 + o), ">=", sp.Rational(1, 3), extremum={o: 2}))
    assert res.status == "refuted"
    v = mpmath.mpf(res.counterexample["eo"])
    assert v / (1 + v) < mpmath.mpf(1) / 3
    assert r"\text{extremum at }" in Inequality(o, ">=", 0, extremum={o: 0}).latex()


def test_all_of_checks_every_part_and_names_the_failing_one():
    """AllOf holds when every part does; a failing part refutes it, and its name labels the obligation."""
    from verify import AllOf

    x = var("x_all", PROBABILITY)
    both = AllOf([Inequality(x, ">", 0), Inequality(x, "<", 1)], names=["positive", "below one"])
    assert [o.label for o in both.obligations()] == ["positive", "below one"]
    assert check(both).status in ("proved", "confirmed")
    broken = check(AllOf([Inequality(x, ">", 0), Inequality(x, "<", sp.Rational(1, 2))], names=["pos", "half"]))
    assert broken.status == "refuted" and float(broken.counterexample["x_all"]) >= 0.5
    with pytest.raises(ClaimError, match="at least one claim"):
        AllOf([])
    with pytest.raises(ClaimError, match="names has 1 entries for 2 claims"):
        AllOf([Inequality(x, ">", 0), Inequality(x, "<", 1)], names=["one"])


def test_nonnegative_weights_draw_exact_zeros_and_stay_in_their_support():
    """NONNEGATIVE_WEIGHT reaches 0 (a log scale alone never does); simplex_with_zeros keeps p_1 > 0 and sums to 1."""
    from hypothesis import given, settings

    from verify.domains import NONNEGATIVE_WEIGHT, simplex_with_zeros

    drawn = []

    @settings(max_examples=200, database=None, derandomize=True)
    @given(NONNEGATIVE_WEIGHT.strategy())
    def sample(w):
        assert NONNEGATIVE_WEIGHT.contains(w)
        drawn.append(w)

    sample()
    assert 0.0 in drawn and any(w > 0 for w in drawn)
    p, w = simplex_with_zeros("z", 3)
    values = {w[0]: 2.0, w[1]: 0.0, w[2]: 6.0}
    assert [float(q.subs(values)) for q in p] == [0.25, 0.0, 0.75]
    assert w[0].domain.contains(1e-3) and not w[0].domain.contains(0.0) and w[1].domain.contains(0.0)


# --- what a researcher naturally writes -------------------------------------------------------------

_h, _c = var("nat_h", REAL), var("nat_c", REAL)
_b = var("nat_b", POSITIVE)


def _status(claim) -> str:
    step = Step(id="natural", claim=claim)
    return check_step(Derivation(id="t", title="t", source=Source("d.md", "x"), steps=[step]), step, VERDICTS).status


def test_one_symbol_one_hypothesis_and_pairs_are_accepted_where_sequences_are_expected():
    from verify import EqualUpToConstant, IndependentOf, Solves, Stationary

    assert _status(EqualUpToConstant(sp.log(sigmoid(_h)) + _c, sp.log(sigmoid(_h)), _h)) == "proved"
    assert _status(IndependentOf(sp.log(sigmoid(_h)) + _c, _c)) == "refuted"  # it does depend on c
    assert _status(Implies(sp.Gt(_h, 0), Inequality(sigmoid(_h), ">", sp.Rational(1, 2)))) == "confirmed"
    assert _status(Stationary((_h - 1) ** 2, [(_h, 1)], "min")) == "proved"
    solution = sp.solve(sp.Eq(_b * _h, 2), _h, dict=True)  # [{h: 2/b}]
    assert _status(Solves([(_b * _h, 2)], solution)) == "proved"
    with pytest.raises(ClaimError, match="2 solutions"):
        Solves([(_h**2, 1)], sp.solve(sp.Eq(_h**2, 1), _h, dict=True))


def test_sympy_relations_given_as_claims_name_the_claim_to_write():
    with pytest.raises(ClaimError, match=r"write Equal\(lhs, rhs\)"):
        Step(id="s", claim=sp.Eq(sigmoid(_h) + sigmoid(-_h), _h + 1))
    with pytest.raises(ClaimError, match="write Inequality"):
        Step(id="s", claim=sp.Ge(_h**2, 0 * _h - 1 + _c))
    with pytest.raises(ClaimError, match="decided"):
        Step(id="s", claim=sp.Eq(_h, _h + 1))  # SymPy makes it False at once


def test_an_equation_sympy_decided_when_it_was_built_is_refused_with_the_form_to_use():
    from verify import Solves

    with pytest.raises(ClaimError, match=r"\(lhs, rhs\) pair"):
        Solves([sp.Eq(_h + 1, _h)], {_h: 0})


def test_a_limit_under_hypotheses_is_refused_when_built_with_a_workaround():
    from verify import Limit

    with pytest.raises(ClaimError, match="through the domains"):
        Implies([sp.Gt(_h, 0)], Limit(sigmoid(_h / _b), _b, 0, 1))


def test_a_family_whose_build_raises_or_whose_sizes_are_not_counts_is_a_malformed_claim():
    """A family's ``build`` is the user's code: an exception in it was raised through ``check_step``; a
    size of 2.5 raised a ``TypeError`` from ``range``. Both are now a step in ``error`` saying why."""
    from verify import ForSizes

    y = var("y_family", POSITIVE)

    def build(n: int):
        if n == 3:
            raise ZeroDivisionError("division by zero")
        return Equal(y * n, n * y)

    step = Step(id="family", claim=ForSizes(build, symbolic=(2, 3), numeric=()))
    derivation = Derivation(id="t", title="t", source=Source("doc.txt", "x"), steps=[step])
    r = check_step(derivation, step, VERDICTS)
    assert r.status == "error"
    assert "build(3) raised ZeroDivisionError: division by zero" in r.reason
    with pytest.raises(ClaimError, match=r"size 2\.5 is not a whole number"):
        ForSizes(build, numeric=(2.5,))
    ok = Step(id="family_ok", claim=ForSizes(lambda n: Equal(y * n, n * y), symbolic=(2,), numeric=(5,)))
    assert check_step(derivation, ok, VERDICTS).status == "proved"


def test_an_undefined_value_or_a_lambda_in_a_claim_is_refused_when_built():
    """``Equal(zoo, y)`` ended in ``error`` with "KeyError: 'ComplexInfinity'" and a Lambda with an
    IndexError; both are refused when built, saying what to write. A limit's value may still be zoo."""
    from verify import Limit

    y = var("y_zoo", REAL)
    with pytest.raises(ClaimError, match="undefined value"):
        Equal(sp.zoo, y)
    with pytest.raises(ClaimError, match="undefined value"):
        Equal(y / sp.Integer(0), 1)
    with pytest.raises(ClaimError, match="Lambda"):
        Equal(sp.Lambda(y, y), 1)
    assert Limit(1 / y, y, 0, sp.zoo).value is sp.zoo


def test_a_refuted_maximum_shows_the_value_under_the_label_it_is():
    """``Stationary(x³, {x: 0}, "max")`` printed −10⁻⁴⁵ under "f(x) − f(x*) (must be ≤ 0)", which that value
    meets: the value is f(x*) − f(x), and is now labelled so."""
    from verify import Stationary

    x = var("x_max", REAL)
    step = Step("m", Stationary(x**3, {x: 0}, "max"))
    r = check_step(Derivation(id="t", title="t", source=Source("doc.txt", "x"), steps=[step]), step, VERDICTS)
    assert r.status == "refuted"
    ((label, value),) = r.values.items()
    assert label == "f(x*) − f(x) (must be ≥ 0)" and float(value) < 0
    t, u = (float(r.counterexample[k]) for k in ("t_near_point", "direction_x_max"))
    assert (t * u) ** 3 > 0  # f(x) − f(x*) > 0 at x = t·u: 0 is not a maximum
