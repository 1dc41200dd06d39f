"""Proof obligations: the primitive statements every claim reduces to.

Both checkers speak only this small language, so a new claim kind needs no checker code:

- :class:`Equation` — ``lhs = rhs`` for every point of the domains;
- :class:`Sign` — ``expr ≥ 0`` (or ``> 0`` when strict) everywhere;
- :class:`Invariance` — ``expr`` does not depend on the symbols ``wrt``;
- :class:`LimitOf` — ``expr → value`` as ``var → to``;
- :class:`Conditional` — an Equation or Sign required only where hypotheses (Signs) hold;
- :class:`Recomputation` — a number a source reports equals, within a tolerance, the number
  recomputed from the source's stated setup (numeric only: there is nothing to simplify).

``numeric_only`` marks an obligation the symbolic checker is not asked to prove (for example
a distribution identity at a support size too large for SymPy); ``label`` says which part of
the claim it is ("first-order condition", "n=7", …).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp


def free_symbols(*exprs: object) -> set[sp.Symbol]:
    """The union of ``expr.free_symbols``, each shared subexpression visited once.

    SymPy's ``free_symbols`` recurses without memory, so on the expression DAGs of
    distribution identities (one partition function inside every term) it revisits the same
    subtrees exponentially often. Nodes that define their own ``free_symbols`` (bound
    variables: ``Derivative``, ``Integral``, ``Lambda``, …) are asked directly.
    """
    memo: dict[int, set] = {}
    out: set[sp.Symbol] = set()
    for e in exprs:
        out |= _free(sp.sympify(e), memo)
    return out


def _free(e: sp.Basic, memo: dict[int, set]) -> set:
    got = memo.get(id(e))
    if got is not None:
        return got
    if not e.args or type(e).free_symbols is not sp.Basic.free_symbols:
        result = set(e.free_symbols)
    else:
        result = set().union(*(_free(a, memo) for a in e.args if isinstance(a, sp.Basic)))
    memo[id(e)] = result
    return result


@dataclass(frozen=True)
class Obligation:
    label: str = ""
    numeric_only: bool = False

    def free_symbols(self) -> set[sp.Symbol]:
        raise NotImplementedError


@dataclass(frozen=True)
class Equation(Obligation):
    lhs: sp.Expr = sp.S.Zero
    rhs: sp.Expr = sp.S.Zero

    def free_symbols(self) -> set[sp.Symbol]:
        return free_symbols(self.lhs, self.rhs)


@dataclass(frozen=True)
class Sign(Obligation):
    expr: sp.Expr = sp.S.Zero
    strict: bool = False

    def free_symbols(self) -> set[sp.Symbol]:
        return free_symbols(self.expr)


@dataclass(frozen=True)
class Invariance(Obligation):
    expr: sp.Expr = sp.S.Zero
    wrt: tuple[sp.Symbol, ...] = ()

    def free_symbols(self) -> set[sp.Symbol]:
        return free_symbols(self.expr) | set(self.wrt)


@dataclass(frozen=True)
class LimitOf(Obligation):
    expr: sp.Expr = sp.S.Zero
    var: sp.Symbol | None = None
    to: sp.Expr = sp.oo
    value: sp.Expr = sp.S.Zero

    def free_symbols(self) -> set[sp.Symbol]:
        return free_symbols(self.expr)


@dataclass(frozen=True)
class Recomputation(Obligation):
    quantity: str = ""
    published: float = 0.0
    compute: Callable[[], float] | None = None
    tolerance: float = 0.0

    def free_symbols(self) -> set[sp.Symbol]:
        return set()


@dataclass(frozen=True)
class Conditional(Obligation):
    """``inner`` at every point where all ``hypotheses`` hold (points violating them are skipped).

    Proving ``inner`` without the hypotheses proves it a fortiori; the numeric checker searches
    only points that satisfy the hypotheses, so a counterexample satisfies them too.
    """

    inner: Obligation | None = None
    hypotheses: tuple[Sign, ...] = ()

    def free_symbols(self) -> set[sp.Symbol]:
        out = set(self.inner.free_symbols()) if self.inner is not None else set()
        for h in self.hypotheses:
            out |= h.free_symbols()
        return out
