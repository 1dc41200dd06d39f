"""The evaluation tape: exact agreement with a plain mpmath evaluation, lazy magnitudes, the
second-point copies used for invariance, and float64 error bounds that contain the exact value.

The reference below evaluates an expression the obvious way (each distinct subexpression once,
a sum with ``mpmath.fsum``, a product left to right starting from 1, constants converted at the
working precision, a float as the decimal it is written as); the tape must give bit-identical
outputs and the same largest intermediate magnitude, or raise the same exception.
"""

from __future__ import annotations

import random

import mpmath
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from verify.functions import MPMATH_FUNCTIONS, logsigmoid, sigmoid, softplus
from verify.search.tape import Evaluation, Tape, largest_magnitude

mpf = mpmath.mpf

x, y, z = sp.symbols("x y z", real=True)
w = sp.Symbol("w", positive=True)


def _number(n: sp.Basic):
    if n.is_Integer:
        return mpf(int(n))
    if n.is_Rational:
        return mpf(int(n.p)) / int(n.q)
    if n is sp.pi:
        return +mpmath.pi
    if n is sp.E:
        return mpmath.e + 0
    if n is sp.I:
        return mpmath.mpc(0, 1)
    if n.is_Float and n._prec == 53:  # a double: the decimal Python prints for it (0.1, not its binary value)
        return mpf(repr(float(n)))
    return mpmath.mpmathify(n.evalf(mpmath.mp.dps + 5))


_FUNCTIONS = {
    sp.exp: mpmath.exp,
    sp.Abs: abs,
    sp.sin: mpmath.sin,
    sp.cos: mpmath.cos,
    sp.tanh: mpmath.tanh,
    sp.factorial: mpmath.factorial,
    sp.gamma: mpmath.gamma,
    sp.loggamma: mpmath.loggamma,
    sp.harmonic: mpmath.harmonic,
}


def reference(exprs, point) -> tuple[list, object]:
    """``(outputs, largest magnitude among all subexpression values)``, evaluated plainly."""
    memo: dict = {}

    def ev(e):
        if e in memo:
            return memo[e]
        args = [ev(a) for a in e.args]
        if e.is_Symbol:
            v = mpf(point[e.name])
        elif e.is_Number or e in (sp.pi, sp.E, sp.I):
            v = _number(e)
        elif e.is_Add:
            v = mpmath.fsum(args)
        elif e.is_Mul:
            v = mpf(1)
            for a in args:
                v *= a
        elif e.is_Pow:
            v = args[0] ** args[1]
        elif isinstance(e, sp.log):
            v = mpmath.log(*args)
        elif type(e) in _FUNCTIONS:
            v = _FUNCTIONS[type(e)](*args)
        elif type(e).__name__ in MPMATH_FUNCTIONS:
            v = MPMATH_FUNCTIONS[type(e).__name__](*args)
        elif isinstance(e, sp.Max | sp.Min):
            v = (max if isinstance(e, sp.Max) else min)(args)
        else:
            raise AssertionError(f"no reference for {e}")
        memo[e] = v
        return v

    outputs = [ev(sp.sympify(e)) for e in exprs]
    return outputs, largest_magnitude(list(memo.values()))


def same(a, b) -> bool:
    """Bit-identical mpmath numbers (nan equals nan)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, mpmath.mpf):
        return a._mpf_ == b._mpf_
    return a._mpc_ == b._mpc_


EXPRESSIONS = [
    pytest.param([x + y], id="sum_of_two"),
    pytest.param([x + y + z, x - y - z + 1], id="sums"),
    pytest.param([x * y * z * sp.Rational(1, 3)], id="product_with_rational"),
    pytest.param([(1 + x) ** 2 - 1 - 2 * x, x**2], id="cancellation"),
    pytest.param([x / (x - y), 1 / (x**2 + y**2)], id="divisions"),
    pytest.param([sp.exp(x) - 1 - x, sp.log(1 + x**2)], id="exp_log"),
    pytest.param([sp.sqrt(x**2 + 1), (x**2 + 2) ** sp.Rational(3, 2), w**x], id="powers"),
    pytest.param([sp.log(x), sp.sqrt(x)], id="complex_for_negative_x"),
    pytest.param([sp.factorial(w), sp.gamma(w + z), sp.loggamma(w), sp.harmonic(w)], id="factorial_gamma_harmonic"),
    pytest.param([sp.Abs(x - y), sp.Max(x, y, z), sp.Min(x, y)], id="abs_max_min"),
    pytest.param([sp.sin(x) * sp.cos(y) + sp.tanh(z)], id="trigonometric"),
    pytest.param([sigmoid(x) + sigmoid(-x), logsigmoid(y), softplus(x * y)], id="losses"),
    pytest.param([sp.pi * x + sp.E, sp.Float("0.1") * y, sp.I * x + y], id="constants"),
    pytest.param([sp.Mul(*[x + k for k in range(400)]), sp.Add(*[y**k for k in range(400)])], id="long_chains"),
    pytest.param(
        [sp.Add(*[sp.exp(x * k) / (sp.exp(x) + sp.exp(y) + k) for k in range(1, 12)]), sp.log(sp.exp(x) + sp.exp(y))],
        id="shared_partition_function",
    ),
]

POINTS = [
    {"x": 0.5, "y": -1.25, "z": 3.0, "w": 2.0},
    {"x": -2.0, "y": 0.0, "z": 1e-8, "w": 1e-3},
    {"x": 1e-40, "y": 1e-40, "z": -30.0, "w": 1e3},
    {"x": 0.0, "y": 0.0, "z": 0.0, "w": 1.0},
    {"x": 29.5, "y": -29.5, "z": 7.25, "w": 0.125},
]


@pytest.mark.parametrize("exprs", EXPRESSIONS)
@pytest.mark.parametrize("dps", [15, 30, 77])
def test_tape_agrees_bit_for_bit_with_a_plain_evaluation(exprs, dps):
    tape = Tape(exprs)
    for point in POINTS:
        with mpmath.workdps(dps):
            try:
                expected, magnitude = reference(exprs, point)
            except (ZeroDivisionError, ValueError, OverflowError, TypeError) as exc:
                with pytest.raises(type(exc)):
                    tape.evaluate(point)
                continue
            got = tape.evaluate(point)
            eager = got.magnitude
        assert len(got.outputs) == len(expected)
        assert all(same(a, b) for a, b in zip(got.outputs, expected, strict=True)), (point, got.outputs, expected)
        assert same(eager, magnitude)


@pytest.mark.parametrize("exprs", EXPRESSIONS)
def test_lazy_magnitude_equals_the_eager_one_at_the_evaluation_precision(exprs):
    tape = Tape(exprs)
    point = POINTS[0]
    with mpmath.workdps(50):
        got = tape.evaluate(point)
        eager = largest_magnitude(got.values)
        _, expected = reference(exprs, point)
    assert isinstance(got, Evaluation)
    with mpmath.workdps(10):  # asked later, at another working precision
        lazy = got.magnitude
    assert same(lazy, eager)
    assert same(lazy, expected)
    assert got.magnitude is lazy  # computed once


def test_call_returns_outputs_and_magnitude_together():
    tape = Tape([x * y, x + y])
    with mpmath.workdps(30):
        outputs, magnitude = tape({"x": 3.0, "y": -4.0})
    assert outputs == [mpf(-12), mpf(-1)]
    assert magnitude == mpf(12)


def test_constants_follow_the_working_precision_when_it_changes():
    tape = Tape([sp.Rational(1, 3) * x, sp.pi * x])
    for dps in (30, 90, 30, 200):
        with mpmath.workdps(dps):
            third, pi = tape.evaluate({"x": 1.0}).outputs
            assert third == mpf(1) / 3
            assert pi == +mpmath.pi


def test_renamed_copy_evaluates_the_second_point_and_shares_the_rest():
    partition = sp.exp(y) + sp.exp(z) + 1
    expr = sp.log(partition) * x + x**2 / partition
    terms = list(sp.Add.make_args(expr))
    tape = Tape([expr, *terms], renamings=[{"x": "x′"}])
    point = {"x": 0.75, "y": -1.5, "z": 2.0, "x′": -3.25}
    with mpmath.workdps(30):
        outputs = tape.evaluate(point).outputs
        first, _ = reference([expr, *terms], point)
        second, _ = reference([expr, *terms], {**point, "x": point["x′"]})
    assert all(same(a, b) for a, b in zip(outputs, first + second, strict=True))
    alone = Tape([expr, *terms])
    subexpressions = set().union(*(sp.preorder_traversal(e) for e in [expr, *terms]))
    assert len(alone) == len(subexpressions)  # one node per distinct subexpression
    # only what depends on x is copied: the partition function and its parts are shared
    assert len(tape) == len(alone) + sum(1 for e in subexpressions if e.has(x))


def test_lambdified_nodes_are_converted_to_mpmath_numbers():
    expr = sp.floor(x) + y  # floor has no tape operation of its own
    tape = Tape([expr])
    with mpmath.workdps(30):
        (value,) = tape.evaluate({"x": 2.5, "y": 0.25}).outputs
    assert isinstance(value, mpmath.mpf)
    assert value == mpf("2.25")
    assert tape.float_bounds({"x": 2.5, "y": 0.25}) is None  # no float64 version: decides nothing


# --- float64 bounds -----------------------------------------------------------------------------------

BOUNDED = [
    pytest.param(x - y, id="difference"),
    pytest.param((1 + x) ** 2 - 1 - 2 * x - x**2, id="cancels_to_zero"),
    pytest.param(x * y * z / 3 - sp.Rational(1, 7), id="product"),
    pytest.param(sp.exp(x / 4) - sp.exp(y / 4) * z, id="exponentials"),
    pytest.param(sp.log(x**2 + 1) - sp.log(y**2 + 2), id="logarithms"),
    pytest.param((x**2 + 1) ** sp.Rational(1, 3) - w**y / 7, id="real_powers"),
    pytest.param(sigmoid(x) - logsigmoid(y) + softplus(z), id="losses"),
    pytest.param(sp.Max(x, y) - sp.Abs(z) + sp.tanh(x) + sp.sin(y) * sp.cos(z), id="lipschitz"),
    pytest.param(
        sp.Add(*[x**k * w / (k + y**2) for k in range(6)]) - sp.Add(*[y**k / (w + k) for k in range(6)]), id="sums"
    ),
]


def _random_points(n: int, seed: int) -> list[dict[str, float]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        point = {s: rng.choice([rng.uniform(-30, 30), rng.uniform(-1, 1), float(rng.randint(-3, 3))]) for s in "xyz"}
        point["w"] = 10 ** rng.uniform(-3, 3)
        out.append(point)
    return out


@pytest.mark.parametrize("expr", BOUNDED)
def test_float_bound_contains_the_exact_value(expr):
    tape = Tape([expr])
    checked = 0
    for point in _random_points(300, seed=7):
        got = tape.float_bounds(point)
        if got is None:
            continue
        ([value], [bound]) = got
        if not (mpmath.isfinite(value) and mpmath.isfinite(bound)):
            continue
        with mpmath.workdps(120):
            (exact,), _ = reference([expr], point)
            assert abs(mpf(value) - exact) <= bound, (point, value, bound, exact)
        checked += 1
    assert checked >= 150


def test_float_bound_of_an_exact_computation_is_zero():
    tape = Tape([x - y, sp.Add(2 * x, -y, -y, evaluate=False), x * y])
    values, bounds = tape.float_bounds({"x": 0.75, "y": 0.75})
    assert values == [0.0, 0.0, 0.5625]
    assert bounds[:2] == [0.0, 0.0]  # differences of exact values (and doubling) are exact
    assert bounds[2] > 0  # a product may round


def test_float_bound_is_positive_wherever_rounding_may_hide():
    tape = Tape([x / y - z / w])
    ([value], [bound]) = tape.float_bounds({"x": 1.0, "y": 3.0, "z": 1.0, "w": 3.0})
    assert value == 0.0
    assert bound > 0  # 1/3 − 1/3 is 0, but float64 cannot know that the two quotients are exact copies


@pytest.mark.parametrize(
    ("expr", "point"),
    [
        pytest.param(sp.log(x), {"x": -1.0}, id="log_of_negative"),
        pytest.param(1 / x, {"x": 0.0}, id="division_by_zero"),
        pytest.param(sp.exp(x), {"x": 800.0}, id="overflow"),
        pytest.param(x ** sp.Rational(1, 2), {"x": -4.0}, id="real_power_of_negative"),
        pytest.param(sp.I * x, {"x": 1.0}, id="imaginary_constant"),
    ],
)
def test_float_bounds_decline_what_float64_cannot_bound(expr, point):
    assert Tape([expr]).float_bounds(point) is None


# ---------------------------------------------------------------- interval evaluation

_X, _Y = sp.Symbol("x", real=True), sp.Symbol("y", positive=True)
_BOXED = [
    sigmoid(_X) - sp.Rational(1, 10**50),
    logsigmoid(_X) + softplus(-_X),
    sp.tanh(_X) * sp.cos(_X) + sp.sin(_X / 3),
    sp.Max(_X, 2 * _X - 1) - sp.Min(_X, sp.pi),
    sp.log(sp.gamma(_Y + 1)) - sp.loggamma(_Y + 1) + sp.factorial(_Y) / (_Y + 1),
    sp.exp(-(_X**2)) * sp.Float("0.1") + sp.E ** (_Y / 7) + sp.Abs(_X) ** sp.Rational(3, 2),
    sp.loggamma(_Y) + logsigmoid(-_Y / 10**6),  # iv.loggamma(0.1) alone can come out inverted
]


@given(
    x=st.floats(-1e8, 1e8, allow_nan=False) | st.sampled_from([-1e8, -700.0, 0.0, 1e-300, 700.0]),
    y=st.floats(1e-8, 60.0) | st.sampled_from([1e-300, 1e-8, 0.0076177004176598, 0.1, 1.0, 50.0]),
)
@settings(max_examples=60, deadline=None)
def test_every_interval_encloses_the_value_at_many_digits(x, y):
    """Tape.interval's intervals are rigorous: each contains the value computed independently at 200 digits."""
    tape = Tape(_BOXED)
    boxes = tape.interval({"x": x, "y": y}, 128)
    assert boxes is not None
    for expr, box in zip(_BOXED, boxes, strict=True):
        with mpmath.workdps(200):  # the ends read at these digits too
            exact = expr.xreplace({sp.Float("0.1"): sp.Rational(1, 10)})  # a float is read as the decimal written
            f = sp.lambdify([_X, _Y], exact, modules=[MPMATH_FUNCTIONS, "mpmath"])
            value = f(mpmath.mpf(x), mpmath.mpf(y))
            if mpmath.isfinite(value):
                assert mpmath.mpf(box.a) <= value <= mpmath.mpf(box.b), (expr, x, y, value, box)


def test_an_interval_is_refused_where_a_node_has_none():
    assert Tape([sp.harmonic(_Y)]).interval({"y": 3.0}, 64) is None  # no interval version
    assert Tape([sp.erf(_X)]).interval({"x": 0.5}, 64) is None  # evaluated through lambdify
    assert Tape([sp.log(_X)]).interval({"x": -1.0}, 64) is None  # a logarithm of a negative number
