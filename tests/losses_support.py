"""Shared helpers for the loss-checker tests: an independent re-evaluation of counterexamples."""

from __future__ import annotations

import sympy as sp

from verify.functions import rewrite_special
from verify.losses.parse import CANONICAL, parse_expression, parse_value
from verify.losses.results import Counterexample

DPS = 40


def symbolic_loss(expression: str, params: dict[str, str]) -> sp.Expr:
    expr, hyper = parse_expression(expression)
    return expr.subs({hyper[k]: parse_value(k, str(v)) for k, v in params.items() if k in hyper})


def evaluate(expr: sp.Expr, quantity: str, point: dict[str, float]) -> sp.Float:
    """``quantity`` of ``expr`` at ``point`` by SymPy substitution and ``evalf`` (no lambdify, no NumPy)."""
    if quantity.startswith("dL/d"):
        expr = sp.diff(expr, CANONICAL[quantity[4:]])
    expr = rewrite_special(expr)
    subs = {CANONICAL[k]: sp.Float(repr(v), DPS + 20) for k, v in point.items() if k in CANONICAL}
    value = expr.subs(subs).evalf(DPS)
    assert value.is_real, f"{quantity} at {point} is not real: {value}"
    return value


def assert_counterexample_shows_violation(expr: sp.Expr, ce: Counterexample, claimed: sp.Expr | None = None) -> None:
    """Recompute every value of ``ce`` independently; the forbidden relation must hold between them."""
    values = {}
    for e in ce.evaluations:
        if e.quantity == "claimed":
            assert claimed is not None
            v = (
                rewrite_special(claimed)
                .subs({CANONICAL[k]: sp.Float(repr(x), DPS + 20) for k, x in e.point.items() if k in CANONICAL})
                .evalf(DPS)
            )
        else:
            v = evaluate(expr, e.quantity, e.point)
        assert abs(float(v) - e.value) <= 1e-9 * max(1.0, abs(e.value)), (e.label, float(v), e.value)
        values[e.label] = v
    lhs, op, rhs = ce.relation
    a = values[lhs]
    b = sp.Integer(0) if rhs == "0" else values[rhs]
    gap = abs(a - b)
    assert gap > sp.Float(10) ** (10 - DPS) * max(1, abs(a), abs(b)), f"{ce.relation}: {a} vs {b} within rounding"
    assert {">": a > b, "<": a < b, "!=": a != b}[op], f"{ce.relation} does not hold: {a} vs {b}"
