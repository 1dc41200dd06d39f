"""Compile SymPy expressions to an evaluation tape run with mpmath.

The expression DAG is flattened once into a list of unique nodes in dependency order; one
evaluation is one pass over that list, so shared subexpressions (a partition function used in
every term, say) are computed once. This replaces ``lambdify``, whose code printer is slow
for the thousand-term expressions that distribution identities produce.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import mpmath
import sympy as sp

from verify.functions import MPMATH_FUNCTIONS

_UNARY: dict[type, Callable] = {
    sp.exp: mpmath.exp,
    sp.Abs: abs,
    sp.sin: mpmath.sin,
    sp.cos: mpmath.cos,
    sp.tanh: mpmath.tanh,
}


def _product(xs):
    out = mpmath.mpf(1)
    for x in xs:
        out *= x
    return out


def _power(b, e):
    return b**e


def _log(*xs):
    return mpmath.log(xs[0]) if len(xs) == 1 else mpmath.log(xs[0], xs[1])


class Tape:
    """Evaluate a list of expressions at a point given as ``{symbol name: number}``."""

    def __init__(self, exprs: Sequence[sp.Expr]):
        self._index: dict[sp.Basic, int] = {}
        self._ops: list[tuple[Callable | None, tuple[int, ...], object]] = []
        self.outputs = [self._node(sp.sympify(e)) for e in exprs]

    def _node(self, e: sp.Basic) -> int:
        hit = self._index.get(e)
        if hit is not None:
            return hit
        op, args, const = self._op(e)
        self._ops.append((op, args, const))
        self._index[e] = len(self._ops) - 1
        return len(self._ops) - 1

    def _op(self, e: sp.Basic) -> tuple[Callable | None, tuple[int, ...], object]:
        if e.is_Symbol:
            return None, (), ("symbol", e.name)
        if e.is_Number or e in (sp.pi, sp.E, sp.I):
            return None, (), ("number", e)
        if e.is_Add:
            return (lambda *xs: mpmath.fsum(xs)), tuple(self._node(a) for a in e.args), None
        if e.is_Mul:
            return (lambda *xs: _product(xs)), tuple(self._node(a) for a in e.args), None
        if e.is_Pow:
            return _power, (self._node(e.base), self._node(e.exp)), None
        if isinstance(e, sp.log):
            return _log, tuple(self._node(a) for a in e.args), None
        for cls, fn in _UNARY.items():
            if isinstance(e, cls):
                return fn, tuple(self._node(a) for a in e.args), None
        name = type(e).__name__
        if name in MPMATH_FUNCTIONS:
            return MPMATH_FUNCTIONS[name], tuple(self._node(a) for a in e.args), None
        if isinstance(e, sp.Max | sp.Min):
            fn = max if isinstance(e, sp.Max) else min
            return (lambda *xs, fn=fn: fn(xs)), tuple(self._node(a) for a in e.args), None
        # anything else: evaluate the node through lambdify on its free symbols
        syms = sorted(e.free_symbols, key=lambda s: s.name)
        fn = sp.lambdify(syms, e, modules=[MPMATH_FUNCTIONS, "mpmath"])
        return fn, tuple(self._node(s) for s in syms), None

    @staticmethod
    def _number(n: sp.Basic):
        if n.is_Integer:
            return mpmath.mpf(int(n))
        if n.is_Rational:
            return mpmath.mpf(int(n.p)) / int(n.q)
        if n is sp.pi:
            return +mpmath.pi
        if n is sp.E:
            return mpmath.e + 0
        if n is sp.I:
            return mpmath.mpc(0, 1)
        return mpmath.mpmathify(complex(n) if n.is_complex and not n.is_real else n.evalf(mpmath.mp.dps + 5))

    def __call__(self, point: Mapping[str, object]) -> tuple[list, object]:
        """Evaluate at the current mpmath precision; inputs are converted with ``mpf``.

        Returns the outputs and the largest magnitude among all intermediate values: a result
        computed with ``d`` digits is only known to about ``10^-d`` times that magnitude.
        """
        vals: list = []
        for op, args, const in self._ops:
            if op is None:
                kind, payload = const
                vals.append(mpmath.mpf(point[payload]) if kind == "symbol" else self._number(payload))
            else:
                vals.append(op(*[vals[i] for i in args]))
        magnitude = max((abs(v) for v in vals if mpmath.isfinite(v)), default=mpmath.mpf(0))
        return [vals[i] for i in self.outputs], magnitude
