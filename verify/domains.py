"""Symbol domains: one object gives both the SymPy assumptions and the Hypothesis strategy.

A domain is an interval of the real line with a sampling scale. The symbolic checker only
sees the assumptions (``positive``, ``real``, ``nonpositive``…), which describe a superset of
the interval, so anything proved under them holds on the interval; the numeric checker
samples inside the interval itself. The two checkers therefore never disagree about what a
symbol means.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import sympy as sp
from hypothesis import strategies as st

from verify.errors import ClaimError


@dataclass(frozen=True)
class Domain:
    """An interval ``(lo, hi)`` of the reals, sampled on a linear or logarithmic scale."""

    name: str
    lo: float
    hi: float
    assumptions: tuple[tuple[str, bool], ...]
    scale: str = "linear"  # "linear" | "log"
    description: str = ""

    def strategy(self) -> st.SearchStrategy[float]:
        """Hypothesis strategy of floats inside the domain; shrinks toward simple values."""
        if self.scale == "log":
            return self.exponent_strategy().map(exp10)
        return st.floats(self.lo, self.hi, allow_nan=False, allow_infinity=False)

    def exponent_strategy(self) -> st.SearchStrategy[float]:
        """For a log-scale domain: the base-10 exponents ``e`` of its values ``10**e``."""
        return st.floats(math.log10(self.lo), math.log10(self.hi), allow_nan=False)

    def sympy_assumptions(self) -> dict[str, bool]:
        return dict(self.assumptions)


def exp10(e: float) -> float:
    """``10**e`` as a float: a log-scale domain's value from its drawn exponent."""
    return float(10.0**e)


REAL = Domain("real", -30.0, 30.0, (("real", True),), description="a real number (reward, margin)")
POSITIVE = Domain("positive", 1e-3, 1e3, (("positive", True),), scale="log", description="a positive real (β, Z)")
PROBABILITY = Domain(
    "probability",
    1e-6,
    1 - 1e-6,
    (("positive", True),),
    description="a probability in (0, 1)",
)
LOG_PROB = Domain("log_probability", -40.0, 0.0, (("nonpositive", True),), description="a log-probability ≤ 0")
WEIGHT = Domain(
    "weight",
    1e-3,
    1e3,
    (("positive", True),),
    scale="log",
    description="an unnormalised positive mass (normalised into a distribution)",
)
UNIT = Domain(
    "unit_interval",
    1e-6,
    1 - 1e-6,
    (("positive", True),),
    description="a number in (0, 1) such as a preference probability v(y, y')",
)


@dataclass(frozen=True)
class Var:
    """A symbol of a derivation: its SymPy symbol, domain and LaTeX name."""

    name: str
    domain: Domain
    latex: str | None = None
    symbol: sp.Symbol = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ClaimError(f"symbol name={self.name!r} is not an identifier; use letters, digits, _")
        object.__setattr__(self, "symbol", sp.Symbol(self.name, **self.domain.sympy_assumptions()))


def var(name: str, domain: Domain, latex: str | None = None) -> sp.Symbol:
    """Declare a symbol with a domain; returns the SymPy symbol (registered in the table)."""
    v = Var(name, domain, latex)
    SYMBOL_TABLE.declare(v)
    return v.symbol


def vector(name: str, n: int, domain: Domain, latex: str | None = None) -> list[sp.Symbol]:
    """Declare ``name_1 … name_n``; LaTeX ``latex_{i}``."""
    base = latex or name
    if "_" in base:  # a name with its own subscript is braced: ``{\pi_{ref}}_{1}``, not a double subscript
        base = f"{{{base}}}"
    return [var(f"{name}_{i}", domain, f"{base}_{{{i}}}") for i in range(1, n + 1)]


def simplex(name: str, n: int, latex: str | None = None) -> tuple[list[sp.Expr], list[sp.Symbol]]:
    """A distribution on ``n`` points, ``p_i = w_i / Σ_j w_j`` with free positive weights ``w``.

    Returns ``(p, w)``. Every point of the open simplex is reached and positivity and
    normalisation hold by construction, so no constraint has to be imposed on the checkers.
    """
    w = vector(f"w_{name}", n, WEIGHT, rf"w^{{{latex or name}}}")
    total = sp.Add(*w)
    return [wi / total for wi in w], w


class SymbolTable:
    """Every declared symbol with its domain. Redeclaring a name with another domain fails."""

    def __init__(self) -> None:
        self._vars: dict[sp.Symbol, Var] = {}
        self._names: dict[str, Var] = {}

    def declare(self, v: Var) -> None:
        old = self._names.get(v.name)
        if old is not None and old.domain != v.domain:
            raise ClaimError(
                f"symbol {v.name!r} is declared twice, as {old.domain.name} and as "
                f"{v.domain.name}; give one of them another name"
            )
        self._names[v.name] = v
        self._vars[v.symbol] = v

    def domain_of(self, s: sp.Symbol) -> Domain:
        v = self._vars.get(s)
        if v is None:
            raise ClaimError(
                f"symbol {s.name!r} has no declared domain; declare it with verify.domains.var({s.name!r}, <domain>)"
            )
        return v.domain

    def latex_of(self, s: sp.Symbol) -> str | None:
        v = self._vars.get(s)
        return v.latex if v is not None else None


SYMBOL_TABLE = SymbolTable()
