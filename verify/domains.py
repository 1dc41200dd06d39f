"""Symbol domains: one object gives both the SymPy assumptions and the Hypothesis strategy.

A domain is an interval of the real line with a sampling scale. The symbolic checker only
sees the assumptions (``positive``, ``real``, ``nonpositive``…), which describe a superset of
the interval, so anything proved under them holds on the interval; the numeric checker
samples inside the interval itself. The two checkers therefore never disagree about what a
symbol means.
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass

import sympy as sp
from hypothesis import strategies as st

from verify.errors import ClaimError

#: the sampling scales of a domain
SCALES = ("linear", "log", "log_or_zero", "integer")
#: assumptions every real number has (a domain may state them, True only)
_ALWAYS = frozenset({"real", "finite", "complex", "extended_real", "commutative", "hermitian"})
#: assumptions no real number has (a domain may state them False only)
_NEVER = frozenset({"infinite", "imaginary", "nonreal"})
#: the sign assumptions, and their extended versions (the same for the finite numbers a domain holds)
_SIGNS = ("positive", "nonnegative", "negative", "nonpositive", "nonzero")
_EXTENDED = {f"extended_{s}": s for s in _SIGNS}
#: the assumptions a domain may state: those above and the sign and integrality, each checked on the support
_ASSUMPTIONS = _ALWAYS | _NEVER | set(_SIGNS) | set(_EXTENDED) | {"zero", "integer", "noninteger", "rational"}


@dataclass(frozen=True)
class Domain:
    """The interval ``support`` of the reals, sampled on ``(lo, hi)`` on a linear or log scale.

    ``support`` is ``(lower, upper, lower_closed, upper_closed)``: what the symbol means (a
    probability is in the open interval (0, 1), a log-probability in (−∞, 0]). ``(lo, hi)`` is
    the part of it the fuzzer samples. ``scale="integer"`` samples integers; ``scale="log_or_zero"``
    samples exactly 0 or a log-scale value of ``(lo, hi)`` (a support closed at 0 that a log scale
    alone never reaches: a distribution's zero entries). Without a ``support`` the domain is its
    sampled range, closed, and 0 for ``log_or_zero``: ``Domain("eps", 1e-6, 0.5, …)`` means ε in
    [10⁻⁶, 0.5], not every real that its ``positive`` assumption allows (the search tries a support's
    values beyond the range too).
    """

    name: str
    lo: float
    hi: float
    assumptions: tuple[tuple[str, bool], ...]
    scale: str = "linear"  # "linear" | "log" | "integer"
    description: str = ""
    support: tuple[float, float, bool, bool] | None = None

    def __post_init__(self) -> None:
        numeric = [self.lo, self.hi, *(self.support[:2] if self.support is not None else ())]
        if not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in numeric):
            raise ClaimError(f"domain {self.name!r}: lo, hi and the support's ends must be real numbers")
        try:
            for v in numeric:
                float(v)
        except OverflowError:
            raise ClaimError(f"domain {self.name!r}: a bound beyond the floats (above 1.8e308)") from None
        for f in ("lo", "hi"):  # NumPy, Fraction and SymPy numbers as the floats they are
            if type(getattr(self, f)) not in (int, float):
                object.__setattr__(self, f, float(getattr(self, f)))
        if self.support is not None and any(type(v) not in (int, float) for v in self.support[:2]):
            lower, upper, lc, uc = self.support
            object.__setattr__(self, "support", (float(lower), float(upper), lc, uc))
        if self.support is None:  # a domain declared by its range alone means no more than it samples
            lower = 0.0 if self.scale == "log_or_zero" else float(self.lo)  # which samples 0 besides its range
            object.__setattr__(self, "support", (lower, float(self.hi), True, True))
        self._check_range()
        for name, value in self.assumptions:
            if name not in _ASSUMPTIONS:
                raise ClaimError(
                    f"domain {self.name!r} assumes {name}={value!r}, which the search cannot honour (it samples "
                    f"real numbers of an interval); use only {', '.join(sorted(_ASSUMPTIONS))}"
                )
            if not self._holds(name, bool(value)):
                lower, upper, lc, uc = self.support
                interval = f"{'[' if lc else '('}{lower:g}, {upper:g}{']' if uc else ')'}"
                fix = (
                    "sampled with scale='integer'" if (name, value) == ("integer", True) else f"whose support is {name}"
                )
                if not value:
                    fix = f"whose support holds no {name} number"
                raise ClaimError(
                    f"domain {self.name!r} assumes {name}={value!r}, but its support {interval} does not "
                    f"(scale {self.scale!r}); SymPy would simplify claims under it (√(r²) → r) that the "
                    f"search never sees: drop the assumption or declare a domain {fix}"
                )

    def _check_range(self) -> None:
        """Refuse a domain whose sampled values are not all numbers of its support (the search would
        report a counterexample outside what the symbol means) or that samples nothing."""
        lower, upper, lc, uc = self.support
        where = f"domain {self.name!r}"
        if any(math.isnan(v) for v in (self.lo, self.hi, lower, upper)):
            raise ClaimError(f"{where}: lo, hi and the support's ends must be real numbers, not nan")
        if not (math.isfinite(self.lo) and math.isfinite(self.hi)) or self.lo > self.hi:
            raise ClaimError(f"{where}: the sampled range [{self.lo:g}, {self.hi:g}] must be finite with lo ≤ hi")
        if self.scale not in SCALES:
            raise ClaimError(f"{where}: scale={self.scale!r} is not one of {', '.join(SCALES)}")
        if self.scale in ("log", "log_or_zero") and self.lo <= 0:
            raise ClaimError(f"{where}: a log scale samples 10^e, so lo must be > 0 (got {self.lo:g})")
        ends = [self.lo, self.hi]
        if self.scale == "integer":
            ends = [math.ceil(self.lo), math.floor(self.hi)]
            if ends[0] > ends[1]:
                raise ClaimError(f"{where}: no integer lies in the sampled range [{self.lo:g}, {self.hi:g}]")
        if self.scale == "log_or_zero":
            ends.append(0.0)
        outside = [v for v in ends if not self.contains(v)]
        if outside:
            interval = f"{'[' if lc else '('}{lower:g}, {upper:g}{']' if uc else ')'}"
            raise ClaimError(
                f"{where} samples {outside[0]:g}, which is outside its support {interval}: a counterexample "
                "there would not be one; choose lo and hi inside the support, or widen the support"
            )

    def _holds(self, assumption: str, value: bool = True) -> bool:
        """Whether every number of the support (every sampled value, for ``integer``) has ``assumption``
        (``value`` True) or lacks it (``value`` False)."""
        lower, upper, lc, uc = self.support
        if assumption in _ALWAYS:  # the support is a set of real numbers
            return value
        if assumption in _NEVER:
            return not value
        assumption = _EXTENDED.get(assumption, assumption)
        if assumption == "noninteger":  # for real numbers, not an integer
            assumption, value = "integer", not value
        if assumption == "rational":  # every sampled value is an integer (True), or none is rational (never)
            return self.scale == "integer" if value else False
        positive = lower > 0 or (lower == 0 and not lc)
        negative = upper < 0 or (upper == 0 and not uc)
        nonnegative, nonpositive = lower >= 0, upper <= 0
        zero = lower == upper == 0
        integers = self.scale == "integer"
        if integers or not math.isfinite(lower) or not math.isfinite(upper):
            no_integer = False
        else:  # the least and the greatest integer of the support
            first = math.floor(lower) + 1 if (not lc and lower == math.floor(lower)) else math.ceil(lower)
            last = math.ceil(upper) - 1 if (not uc and upper == math.ceil(upper)) else math.floor(upper)
            no_integer = first > last
        if value:
            return {
                "positive": positive,
                "nonnegative": nonnegative,
                "negative": negative,
                "nonpositive": nonpositive,
                "nonzero": positive or negative,
                "zero": zero,
                "integer": integers,
            }[assumption]
        return {  # every number lacks it: the support lies where the opposite holds
            "positive": nonpositive,
            "nonnegative": negative,
            "negative": nonnegative,
            "nonpositive": positive,
            "nonzero": zero,
            "zero": positive or negative,
            "integer": no_integer,
        }[assumption]

    def strategy(self) -> st.SearchStrategy[float]:
        """Hypothesis strategy of values inside the domain; shrinks toward simple values."""
        if self.scale == "log":
            return self.exponent_strategy().map(exp10)
        if self.scale == "log_or_zero":
            return st.one_of(st.just(0.0), self.exponent_strategy().map(exp10))
        if self.scale == "integer":
            return st.integers(math.ceil(self.lo), math.floor(self.hi))
        return st.floats(self.lo, self.hi, allow_nan=False, allow_infinity=False)

    def exponent_strategy(self) -> st.SearchStrategy[float]:
        """For a log-scale domain: the base-10 exponents ``e`` of its values ``10**e``."""
        return st.floats(math.log10(self.lo), math.log10(self.hi), allow_nan=False)

    def sympy_assumptions(self) -> dict[str, bool]:
        return dict(self.assumptions)

    def contains_exactly(self, value: sp.Expr) -> bool:
        """Whether the exact real number ``value`` (a SymPy expression) lies in the support, compared exactly: its
        float may round onto a closed end it lies beyond (1 + 10⁻²⁰ is 1.0); an integer domain's value must be whole.
        Undecided counts as outside."""
        if self.scale == "integer" and sp.sympify(value).is_integer is not True:
            return False
        lower, upper, lower_closed, upper_closed = self.support
        for end, closed, sign in ((lower, lower_closed, 1), (upper, upper_closed, -1)):
            if math.isinf(end):
                continue
            gap = sign * (value - sp.Rational(end))  # ≥ 0 inside
            if (gap.is_nonnegative if closed else gap.is_positive) is not True:
                return False
        return True

    def contains(self, value: float, closure: bool = False) -> bool:
        """Whether the number ``value`` (a float or an exact mpmath number) lies in the support, or
        in its closure (an integer domain: and is whole)."""
        lower, upper, lower_closed, upper_closed = self.support
        if self.scale == "integer" and not (value in (-math.inf, math.inf) or int(value) == value):
            return False
        above = value >= lower if (lower_closed or closure) else value > lower
        below = value <= upper if (upper_closed or closure) else value < upper
        return bool(above and below)

    def sides_at(self, point: float) -> str | None:
        """The sides from which a variable of this domain can approach ``point``: ``"+"``,
        ``"-"``, ``"+-"``, or None when no approach stays in the domain."""
        lower, upper, _, _ = self.support
        if self.scale == "integer":
            return None
        if lower < point < upper:
            return "+-"
        if point == lower:
            return "+"
        if point == upper:
            return "-"
        return None


def exp10(e: float) -> float:
    """``10**e`` as a float: a log-scale domain's value from its drawn exponent."""
    return float(10.0**e)


_OPEN_POSITIVE = (0.0, math.inf, False, False)
_OPEN_UNIT = (0.0, 1.0, False, False)

REAL = Domain(
    "real",
    -30.0,
    30.0,
    (("real", True),),
    description="a real number (reward, margin)",
    support=(-math.inf, math.inf, False, False),
)
POSITIVE = Domain(
    "positive",
    1e-3,
    1e3,
    (("positive", True),),
    scale="log",
    description="a positive real (β, Z)",
    support=_OPEN_POSITIVE,
)
PROBABILITY = Domain(
    "probability",
    1e-6,
    1 - 1e-6,
    (("positive", True),),
    description="a probability in (0, 1)",
    support=_OPEN_UNIT,
)
LOG_PROB = Domain(
    "log_probability",
    -40.0,
    0.0,
    (("nonpositive", True),),
    description="a log-probability ≤ 0",
    support=(-math.inf, 0.0, False, True),
)
WEIGHT = Domain(
    "weight",
    1e-3,
    1e3,
    (("positive", True),),
    scale="log",
    description="an unnormalised positive mass (normalised into a distribution)",
    support=_OPEN_POSITIVE,
)
NONNEGATIVE_WEIGHT = Domain(
    "nonnegative_weight",
    1e-3,
    1e3,
    (("nonnegative", True),),
    scale="log_or_zero",
    description="an unnormalised mass ≥ 0, drawn as exactly 0 about half the time (a distribution's zero entries)",
    support=(0.0, math.inf, True, False),
)
UNIT = Domain(
    "unit_interval",
    1e-6,
    1 - 1e-6,
    (("positive", True),),
    description="a number in (0, 1) such as a preference probability v(y, y')",
    support=_OPEN_UNIT,
)
CLOSED_UNIT = Domain(
    "closed_unit_interval",
    0.0,
    1.0,
    (("nonnegative", True),),
    description="a number in [0, 1], such as a probability that may be 0 or 1",
    support=(0.0, 1.0, True, True),
)
POSITIVE_INTEGER = Domain(
    "positive_integer",
    1,
    64,
    (("integer", True), ("positive", True)),
    scale="integer",
    description="a positive integer (a response length, a number of candidates)",
    support=(1.0, math.inf, True, False),
)


#: the helpers of a local-optimality check (:func:`verify.model.local_check`): a step ``t`` toward the
#: point, the components of a direction (every direction, or one side of a closed bound) and the order
#: ``k`` of each coordinate's move ``t^k·u`` (1 or 2: a parabola)
NEAR = Domain("near", 1e-30, 1e-15, (("positive", True),), scale="log", support=(1e-30, 1e-15, True, True))
STEP = Domain("step", 1e-12, 1.0, (("positive", True),), scale="log", support=_OPEN_POSITIVE)
DIRECTION = Domain("direction", -1.0, 1.0, (("real", True),), support=(-1.0, 1.0, True, True))
UPWARD = Domain("direction_up", 0.0, 1.0, (("nonnegative", True),), support=(0.0, 1.0, True, True))
DOWNWARD = Domain("direction_down", -1.0, 0.0, (("nonpositive", True),), support=(-1.0, 0.0, True, True))
ORDER = Domain("order", 1, 2, (("integer", True), ("positive", True)), scale="integer", support=(1.0, 2.0, True, True))


class Var(sp.Symbol):
    """A symbol of a derivation: a SymPy symbol that carries its domain and LaTeX name.

    The domain and the LaTeX name are part of the symbol's identity, so two derivations (or two
    packages) may both declare a ``p`` with different domains or notations: they are different
    symbols (and one claim may not mix them). The SymPy assumptions come from the domain.
    """

    domain: Domain
    latex_name: str | None

    def __new__(cls, name: str, domain: Domain, latex: str | None = None) -> Var:
        if not isinstance(name, str) or not name.isidentifier():
            raise ClaimError(f"symbol name={name!r} is not an identifier; use letters, digits, _")
        if not isinstance(domain, Domain):
            raise ClaimError(f"symbol {name!r}: domain={domain!r} is not a verify.domains.Domain")
        obj = sp.Symbol.__xnew__(cls, name, **domain.sympy_assumptions())
        obj.domain = domain
        obj.latex_name = latex
        obj._content = (*sp.Symbol._hashable_content(obj), repr(domain), latex or "")
        return obj

    def __getnewargs_ex__(self):
        return ((self.name, self.domain, self.latex_name), {})

    def _hashable_content(self):  # computed once: SymPy compares symbols by it very often
        return self._content


def var(name: str, domain: Domain, latex: str | None = None) -> Var:
    """Declare a symbol with a domain (and optionally its LaTeX name)."""
    return Var(name, domain, latex)


def domain_of(s: sp.Symbol) -> Domain:
    """The declared domain of a symbol of a claim (a :class:`ClaimError` if it has none)."""
    if isinstance(s, Var):
        return s.domain
    raise ClaimError(
        f"symbol {s.name!r} has no declared domain; declare it with verify.domains.var({s.name!r}, <domain>)"
    )


def latex_of(s: sp.Symbol) -> str | None:
    """The declared LaTeX name of a symbol, if any."""
    return s.latex_name if isinstance(s, Var) else None


def vector(name: str, n: int, domain: Domain, latex: str | None = None) -> list[sp.Symbol]:
    """Declare ``name_1 … name_n``; LaTeX ``latex_{i}``."""
    base = latex or name
    if "_" in base:  # a name with its own subscript is braced: ``{\pi_{ref}}_{1}``, not a double subscript
        base = f"{{{base}}}"
    return [var(f"{name}_{i}", domain, f"{base}_{{{i}}}") for i in range(1, n + 1)]


def families(symbols) -> list[list[sp.Symbol]]:
    """The symbols grouped into vectors (``r_1 … r_n`` of one domain, as :func:`vector` declares
    them); a scalar is a family of its own. Sorted by name."""
    groups: dict[tuple[str, str], list[sp.Symbol]] = {}
    for s in sorted(symbols, key=lambda s: s.name):
        groups.setdefault((re.sub(r"_\d+$", "", s.name), domain_of(s).name), []).append(s)
    return list(groups.values())


def simplex(name: str, n: int, latex: str | None = None) -> tuple[list[sp.Expr], list[sp.Symbol]]:
    """A distribution on ``n`` points, ``p_i = w_i / Σ_j w_j`` with free positive weights ``w``.

    Returns ``(p, w)``. Every point of the open simplex is reached and positivity and
    normalisation hold by construction, so no constraint has to be imposed on the checkers.
    """
    w = vector(f"w_{name}", n, WEIGHT, rf"w^{{{latex or name}}}")
    total = sp.Add(*w)
    return [wi / total for wi in w], w


def simplex_with_zeros(name: str, n: int, latex: str | None = None) -> tuple[list[sp.Expr], list[sp.Symbol]]:
    """A distribution on ``n`` points that may have zero entries: ``p_i = w_i / Σ_j w_j`` with ``w_1 > 0``
    and ``w_2 … w_n ≥ 0`` (each drawn as exactly 0 about half the time).

    Returns ``(p, w)``. A distribution's support is not empty; which point carries mass is a
    relabelling, so the first one does. Every point of the closed simplex with ``p_1 > 0`` is reached.
    """
    base = latex or name
    w = [var(f"w_{name}_1", WEIGHT, rf"w^{{{base}}}_{{1}}")]
    w += [var(f"w_{name}_{i}", NONNEGATIVE_WEIGHT, rf"w^{{{base}}}_{{{i}}}") for i in range(2, n + 1)]
    total = sp.Add(*w)
    return [wi / total for wi in w], w
