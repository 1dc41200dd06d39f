"""Functions of preference losses as SymPy functions with mpmath evaluators.

``sigmoid(x) = 1/(1+e^{-x})``, ``logsigmoid(x) = -log(1+e^{-x})``, ``softplus(x) = log(1+e^x)``.
Each knows its derivative, rewrites to ``exp``/``log`` for the simplifier and prints as in papers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import mpmath
import sympy as sp


def powered_latex(exp: str | None, body: str) -> str:
    """A function's LaTeX ``body`` raised to the printed power ``exp`` (SymPy's printer passes it for ``f(x)**n``)."""
    return body if exp is None else rf"\left({body}\right)^{{{exp}}}"


class sigmoid(sp.Function):  # noqa: N801 - mathematical function name
    r"""The logistic function :math:`\sigma(x) = 1/(1+e^{-x})`."""

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return sp.S.Half
        if x is sp.oo:
            return sp.S.One
        if x is sp.S.NegativeInfinity:
            return sp.S.Zero
        return None

    def fdiff(self, argindex=1):
        x = self.args[0]
        return sigmoid(x) * sigmoid(-x)

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return 1 / (1 + sp.exp(-x))

    def _eval_is_real(self):
        return self.args[0].is_extended_real

    def _eval_is_positive(self):
        return True if self.args[0].is_real else None

    def _latex(self, printer, exp=None):
        return powered_latex(exp, rf"\sigma\left({printer._print(self.args[0])}\right)")


class logsigmoid(sp.Function):  # noqa: N801
    r""":math:`\log\sigma(x) = -\log(1+e^{-x})`."""

    def fdiff(self, argindex=1):
        return sigmoid(-self.args[0])

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return -sp.log(1 + sp.exp(-x))

    def _eval_is_real(self):
        return self.args[0].is_extended_real

    def _eval_is_negative(self):
        return True if self.args[0].is_real else None

    def _latex(self, printer, exp=None):
        return powered_latex(exp, rf"\log\sigma\left({printer._print(self.args[0])}\right)")


class softplus(sp.Function):  # noqa: N801
    r""":math:`\operatorname{softplus}(x) = \log(1+e^{x})`."""

    def fdiff(self, argindex=1):
        return sigmoid(self.args[0])

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return sp.log(1 + sp.exp(x))

    def _eval_is_real(self):
        return self.args[0].is_extended_real

    def _eval_is_positive(self):
        return True if self.args[0].is_real else None

    def _latex(self, printer, exp=None):
        return powered_latex(exp, rf"\operatorname{{softplus}}\left({printer._print(self.args[0])}\right)")


def _mp_sigmoid(x):
    return 1 / (1 + mpmath.exp(-x))


def _mp_logsigmoid(x):
    # -log(1 + e^{-x}) evaluated without overflow for either sign of x
    if mpmath.re(x) >= 0:
        return -mpmath.log1p(mpmath.exp(-x))
    return x - mpmath.log1p(mpmath.exp(x))


def _mp_softplus(x):
    return -_mp_logsigmoid(-x)


#: name → mpmath implementation, for ``lambdify(..., modules=[MPMATH_FUNCTIONS, "mpmath"])``
MPMATH_FUNCTIONS = {
    "sigmoid": _mp_sigmoid,
    "logsigmoid": _mp_logsigmoid,
    "softplus": _mp_softplus,
}

SPECIAL_FUNCTIONS = (sigmoid, logsigmoid, softplus)


def rewrite_special(expr: sp.Expr) -> sp.Expr:
    """Replace sigmoid/logsigmoid/softplus by their exp/log definitions (nothing else changes)."""
    for f in SPECIAL_FUNCTIONS:
        if expr.has(f):
            expr = expr.replace(f, lambda x, f=f: f(x)._eval_rewrite_as_exp(x))
    return expr


def lambdified(symbols: Sequence[sp.Symbol], expr: sp.Expr, modules: list) -> Callable:
    """``sympy.lambdify`` of ``expr`` in ``symbols``, immune to a symbol named like a constant or function
    of ``modules`` (``pi``, ``e``, ``gamma``): lambdify binds each argument's name in the generated
    code's namespace, so ``pi·x`` would read the symbol ``pi`` where π was meant. The symbols are
    replaced by dummies with the same assumptions first."""
    dummies = [sp.Dummy(**s.assumptions0) for s in symbols]
    return sp.lambdify(dummies, expr.xreplace(dict(zip(symbols, dummies, strict=True))), modules=modules)
