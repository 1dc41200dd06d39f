"""Proof obligations: the primitive statements every claim reduces to.

Both checkers speak only this small language, so a new claim kind needs no checker code:

- :class:`Equation` — ``lhs = rhs`` for every point of the domains;
- :class:`Sign` — ``expr ≥ 0`` (or ``> 0`` when strict) everywhere;
- :class:`Invariance` — ``expr`` does not depend on the symbols ``wrt``;
- :class:`LimitOf` — ``expr → value`` as ``var → to``;
- :class:`Conditional` — an Equation or Sign required only where hypotheses (Signs) hold;
- :class:`Recomputation` — a number a source reports equals, within a tolerance, the number
  recomputed from the source's stated setup (numeric only: there is nothing to simplify).

Each obligation has a **role** relating it to its claim:

- ``exact`` — implied by the claim, and (with the claim's other ``exact``/``sufficient``
  obligations) implying it: fuzzed for a refutation and attempted symbolically;
- ``necessary`` — implied by the claim only: a violation refutes the claim, a proof of it proves
  nothing (the claim itself beside a reduction to sufficient conditions; a member of a family
  checked numerically only);
- ``sufficient`` — part of a reduction that implies the claim (an extremum hint's two conditions,
  a Hessian's definiteness): attempted symbolically only, so a false sufficient condition can
  never be reported as the claim's refutation.

``numeric_only`` marks a member of a family checked numerically only (a distribution identity
at a support size too large for SymPy): it is ``necessary`` and searched once, with the
profile's family sample count. ``label`` says which part of the claim an obligation is
("first-order condition", "n=7", …).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

_OPERATORS = (sp.Derivative, sp.Sum, sp.Product)


def nodes(e: sp.Basic, types: type | tuple[type, ...]) -> list[sp.Basic]:
    """The distinct subexpressions of ``e`` of the given types, each shared subtree visited once
    (``atoms`` and ``has`` revisit shared subtrees of expression DAGs exponentially often)."""
    return [t for t in _distinct(e) if isinstance(t, types)]


@functools.lru_cache(maxsize=1024)
def _distinct(e: sp.Basic) -> tuple[sp.Basic, ...]:
    """Every distinct subexpression of ``e`` (``e`` first), each shared subtree visited once; kept for
    the expressions asked about again (a claim's sides are walked when the claim is built, when its
    obligations are, and by the numeric checker)."""
    seen: set[int] = set()
    out: list[sp.Basic] = []
    todo = [e]
    while todo:
        t = todo.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        out.append(t)
        todo.extend(a for a in t.args if isinstance(a, sp.Basic))
    return tuple(out)


def evaluate_operators(e: sp.Basic) -> sp.Basic:
    """``e`` with every ``Derivative`` carried out and every ``Sum``/``Product`` over a finite
    numeric range written out (both exact: differentiation and a finite sum are what they denote)."""
    return e.replace(lambda t: isinstance(t, sp.Derivative | sp.Sum | sp.Product), lambda t: t.doit(deep=False))


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


@functools.cache
def _own_free_symbols(t: type) -> bool:
    """Whether class ``t`` defines ``free_symbols`` itself (it binds variables), read from its MRO
    (``t.free_symbols`` on a function class is its metaclass's property, not the method)."""
    for c in t.__mro__:
        if "free_symbols" in c.__dict__:
            return c is not sp.Basic
    return False


def _free(e: sp.Basic, memo: dict[int, set]) -> set:
    got = memo.get(id(e))
    if got is not None:
        return got
    if not e.args or _own_free_symbols(type(e)):
        result = set(e.free_symbols)
    else:
        result = set().union(*(_free(a, memo) for a in e.args if isinstance(a, sp.Basic)))
    memo[id(e)] = result
    return result


ROLES = ("exact", "necessary", "sufficient")


@dataclass(frozen=True)
class Obligation:
    label: str = ""
    numeric_only: bool = False
    role: str = "exact"

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"role={self.role!r} is not one of {ROLES}")
        for f in dataclasses.fields(self):  # ∂/∂x and finite sums as the expressions they denote
            value = getattr(self, f.name)
            if isinstance(value, sp.Basic) and nodes(value, _OPERATORS):
                object.__setattr__(self, f.name, evaluate_operators(value))
        if self.numeric_only and self.role == "exact":
            object.__setattr__(self, "role", "necessary")

    @property
    def fuzzed(self) -> bool:
        """Whether the claim implies this obligation (so a violation refutes the claim)."""
        return self.role in ("exact", "necessary")

    @property
    def proof_part(self) -> bool:
        """Whether this obligation is part of the symbolic proof of the claim."""
        return self.role in ("exact", "sufficient")

    def free_symbols(self) -> set[sp.Symbol]:
        """The free symbols of the obligation's expressions: computed once (an obligation is
        immutable), returned as a fresh set each time."""
        known = self.__dict__.get("_free")
        if known is None:
            known = frozenset(self._symbols())
            object.__setattr__(self, "_free", known)
        return set(known)

    def _symbols(self) -> set[sp.Symbol]:
        raise NotImplementedError


@dataclass(frozen=True)
class Equation(Obligation):
    lhs: sp.Expr = sp.S.Zero
    rhs: sp.Expr = sp.S.Zero

    def _symbols(self) -> set[sp.Symbol]:
        return free_symbols(self.lhs, self.rhs)


@dataclass(frozen=True)
class Sign(Obligation):
    expr: sp.Expr = sp.S.Zero
    strict: bool = False
    #: what ``expr`` is, as a counterexample reports its value (e.g. "rhs − lhs (must be ≥ 0)")
    shown: str = "value"

    def _symbols(self) -> set[sp.Symbol]:
        return free_symbols(self.expr)


@dataclass(frozen=True)
class Invariance(Obligation):
    expr: sp.Expr = sp.S.Zero
    wrt: tuple[sp.Symbol, ...] = ()

    def _symbols(self) -> set[sp.Symbol]:
        return free_symbols(self.expr) | set(self.wrt)


@dataclass(frozen=True)
class LimitOf(Obligation):
    """``expr → value`` as ``var → to`` from the sides ``direction`` names.

    ``direction`` is ``"+"`` (from above), ``"-"`` (from below) or ``"+-"`` (both: the two-sided
    limit); for ``to = ±∞`` it is the one side there is. ``value`` may depend on the symbols other
    than ``var``.
    """

    expr: sp.Expr = sp.S.Zero
    var: sp.Symbol | None = None
    to: sp.Expr = sp.oo
    value: sp.Expr = sp.S.Zero
    direction: str = "+-"

    def _symbols(self) -> set[sp.Symbol]:
        out = free_symbols(self.expr, self.value)
        if self.var is not None:
            out.add(self.var)
        return out

    def sides(self) -> tuple[str, ...]:
        """The one-sided approaches to check: ``("+",)``, ``("-",)`` or ``("+", "-")``."""
        if self.to is sp.oo:
            return ("-",)
        if self.to is sp.S.NegativeInfinity:
            return ("+",)
        return ("+", "-") if self.direction == "+-" else (self.direction,)

    def parameter_parts(self, expr: sp.Expr | None = None) -> list[sp.Expr]:
        """The largest parts of ``expr`` (by default the limit's own) free of ``var`` that involve other symbols
        and that SymPy's assumptions cannot show nonzero: ``(a − 1)²`` in ``(a − 1)²·t/(1 + (a − 1)²·t)``, a
        real ``u`` in ``u·t``. Where one vanishes the limit may be another than for generic parameters (0
        there, 1 elsewhere)."""
        out: list[sp.Expr] = []
        todo = [self.expr if expr is None else expr]
        while todo:
            n = todo.pop()
            if not n.free_symbols:
                continue
            if self.var not in n.free_symbols:
                if n.is_nonzero is not True and n not in out:
                    out.append(n)
                continue
            todo.extend(n.args)
        return out


@dataclass(frozen=True)
class Recomputation(Obligation):
    """``|compute() − published| ≤ tolerance``, decided in decimal arithmetic from the printed texts
    (``published_text``, ``tolerance_text``) when given: a float rounding must not decide a number
    printed with 17 digits, nor a recomputed 0.525 against "0.53" (tolerance 0.005)."""

    quantity: str = ""
    published: float = 0.0
    compute: Callable[[], float] | None = None
    tolerance: float = 0.0
    published_text: str = ""
    tolerance_text: str = ""

    def _symbols(self) -> set[sp.Symbol]:
        return set()


@dataclass(frozen=True)
class Conditional(Obligation):
    """``inner`` at every point where all ``hypotheses`` hold (points violating them are skipped).

    Proving ``inner`` without the hypotheses proves it a fortiori; the numeric checker searches
    only points that satisfy the hypotheses, so a counterexample satisfies them too.
    """

    inner: Obligation | None = None
    hypotheses: tuple[Sign, ...] = ()

    def _symbols(self) -> set[sp.Symbol]:
        out = set(self.inner.free_symbols()) if self.inner is not None else set()
        for h in self.hypotheses:
            out |= h.free_symbols()
        return out
