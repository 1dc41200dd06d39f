"""The proof-object model: derivations, steps and the claim kinds they are made of.

A :class:`Derivation` is a named sequence of :class:`Step` s from one source. Each step holds
one claim, a justification, the source location it transcribes, the ids of the steps it
uses, and an expectation: ``holds`` (default) or ``refuted`` (a documented error in a
source, kept as evidence). Each claim reduces to proof obligations
(:mod:`verify.kernel.obligations`) that the symbolic and numeric checkers discharge.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import numbers
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation

import sympy as sp
from sympy.core.function import AppliedUndef

from verify.coverage import Record
from verify.domains import DIRECTION, DOWNWARD, NEAR, ORDER, STEP, UPWARD, Var, domain_of, var
from verify.errors import ClaimError
from verify.kernel.obligations import Conditional, Equation, Invariance, LimitOf, Obligation, Recomputation, Sign, nodes
from verify.printing import latex_text, to_latex

SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
EXPECTATIONS = ("holds", "refuted")
KINDS = ("core", "audit", "experiment")


def _expr(value: object, what: str, matrix: bool = False, infinite: bool = False) -> sp.Expr:
    """``value`` as a SymPy expression the checkers can evaluate, or a :class:`ClaimError` saying why not."""
    if isinstance(value, str):
        raise ClaimError(f"{what}={value!r} is a string; build claims from SymPy expressions, not text")
    try:
        e = sp.sympify(value, strict=True)
    except (sp.SympifyError, TypeError) as exc:
        raise ClaimError(f"{what}={value!r} is not a SymPy expression ({exc})") from None
    if isinstance(e, sp.MatrixBase):
        if not matrix:
            raise ClaimError(f"{what} is a matrix; only Equal compares matrices (componentwise)")
        for entry in e:
            _expr(entry, f"{what} entry")
        return e
    if not isinstance(e, sp.Expr):
        raise ClaimError(f"{what}={e} is a {type(e).__name__}, not an expression")
    undefined = sorted({str(f.func) for f in nodes(e, AppliedUndef)})
    if undefined:
        raise ClaimError(
            f"{what} uses the undefined function(s) {', '.join(undefined)}, which the checkers cannot evaluate; "
            "write the function out as an expression of declared symbols"
        )
    if nodes(e, sp.Lambda):
        raise ClaimError(f"{what}={e} holds a Lambda, a function rather than a value; apply it to its argument")
    undefined = nodes(e, (type(sp.nan), type(sp.zoo)))  # not has(), which walks a DAG's every path
    if undefined and not (infinite and e is sp.zoo):  # a limit's value may be zoo
        raise ClaimError(
            f"{what}={e} holds an undefined value (zoo or nan, e.g. a division by 0 SymPy carried out); "
            "state the claim where it is defined, or as a Limit"
        )
    for op in nodes(e, (sp.Sum, sp.Product)):
        for index, *bounds in op.limits:
            if any(not (sp.sympify(b).is_Integer) for b in bounds):
                raise ClaimError(
                    f"{what} has a {type(op).__name__.lower()} with a symbolic bound ({op}); state it for each size "
                    "with ForSizes(build, symbolic=..., numeric=...)"
                )
            first, last = _index_range(*bounds)
            ends = [] if first > last else [first, last]
            outside = [b for b in ends if isinstance(index, Var) and not index.domain.contains(float(b))]
            if ends and (outside or (index.is_positive and first <= 0) or (index.is_nonnegative and first < 0)):
                # SymPy simplified the summand under the index's assumptions (sign(k) → 1), which the range breaks
                raise ClaimError(
                    f"{what}: the index {index} of {op} runs over {first}, …, {last}, outside what {index} "
                    f"is declared to be; use an index whose domain holds the whole range (sp.Symbol('{index}', "
                    "integer=True))"
                )
    return e


def _index_range(lower: sp.Integer, upper: sp.Integer) -> tuple[int, int]:
    """The indices a SymPy sum or product from ``lower`` to ``upper`` runs over (empty when first > last).

    SymPy follows Karr's convention: ``Σ_{k=a}^{b} = −Σ_{k=b+1}^{a−1}`` when ``b < a − 1``, so
    ``Σ_{k=1}^{−1} f(k) = −f(0)`` runs over ``k = 0``.
    """
    a, b = int(lower), int(upper)
    return (a, b) if b >= a - 1 else (b + 1, a - 1)


def _hint_in_domain(x: sp.Symbol, value: sp.Expr, what: str, closure: bool = False) -> None:
    """A numeric hint must lie in the support of ``x``'s domain (or its closure)."""
    domain = domain_of(x)
    if value.free_symbols:
        return
    if not value.is_real:
        raise ClaimError(f"{what} {x} = {value} is not a real number")
    if not domain.contains(float(value), closure):
        lower, upper, lc, uc = domain.support
        interval = f"{'[' if lc else '('}{lower:g}, {upper:g}{']' if uc else ')'}"
        raise ClaimError(f"{what} {x} = {value} lies outside the domain of {x} ({domain.name}, {interval})")


@functools.lru_cache(maxsize=256)
def _exact_bound(bound: float) -> sp.Expr:
    """A domain's (float) bound as the exact number it stands for (``0.0`` → 0, ``0.5`` → 1/2)."""
    return sp.nsimplify(bound)


def _support_signs(x: sp.Symbol, value: sp.Expr, label: str, role: str, closure: bool = False) -> list[Sign]:
    """Signs saying that ``value`` lies in the support of ``x``'s domain (or its closure)."""
    lower, upper, lower_closed, upper_closed = domain_of(x).support
    out = []
    if lower != -math.inf:
        strict = not (lower_closed or closure)
        out.append(Sign(label=label, role=role, expr=value - _exact_bound(lower), strict=strict))
    if upper != math.inf:
        strict = not (upper_closed or closure)
        out.append(Sign(label=label, role=role, expr=_exact_bound(upper) - value, strict=strict))
    return out


#: functions with a kink or a jump somewhere: a derivative taken through them (SymPy picks one
#: branch at a breakpoint and drops jumps) says nothing about the function there
NONSMOOTH = (
    sp.Piecewise, sp.Abs, sp.sign, sp.Heaviside, sp.floor, sp.ceiling, sp.frac, sp.Mod, sp.Min, sp.Max,
    sp.DiracDelta, sp.re, sp.im, sp.arg,
    sp.acot, sp.tan, sp.cot, sp.sec, sp.csc,  # acot jumps at 0 (SymPy's convention); the others at their poles
    sp.atan2,  # jumps by 2π across the negative x-axis
)  # fmt: skip


def rough_parts(f: sp.Expr, xs: Sequence[sp.Symbol], poles: bool = False) -> list[str]:
    """Why ``f`` may fail to be differentiable in ``xs``: the non-smooth functions of them it contains,
    a complex intermediate (a logarithm or power crossing its branch cut) and, with ``poles``,
    denominators and logarithms of them not known to be nonzero (where ``f`` jumps to infinity).
    Empty when ``f`` is smooth wherever it is defined and has no singularity.

    Derivative conditions (first- and second-order conditions, the sign of ``(x − x*)·f′``) prove
    an optimum or a bound only for such a smooth ``f``.
    """
    xs = set(xs)
    found = {type(a).__name__ for a in nodes(f, NONSMOOTH) if a.free_symbols & xs}
    if f.has(sp.I) and f.free_symbols & xs:  # log(x + iy) jumps by 2πi across its branch cut, y = 0 with x < 0
        found.add("a complex intermediate (a branch cut)")
    if poles:
        for a in nodes(f, (sp.Pow, sp.log)):
            base, negative = (a.base, a.exp.is_negative) if isinstance(a, sp.Pow) else (a.args[0], True)
            if negative and base.free_symbols & xs and base.is_zero is not False:
                found.add(f"a singularity where {base} = 0")
    return sorted(found)


def local_check(f: sp.Expr, point: Mapping[sp.Symbol, sp.Expr], sign: int) -> list[Obligation]:
    """``±(f(x) − f(x*)) ≥ 0`` for ``x`` within a relative distance of 10⁻¹⁵ of the point: a necessary
    condition of a local minimum (``sign = 1``) or maximum (``-1``), searched numerically only.

    ``x_i = x*_i·(1 + t^{k_i}·u_i)`` (``t^{k_i}·u_i`` where ``x*_i = 0``) with a step ``t`` in
    [10⁻³⁰, 10⁻¹⁵], a direction ``u`` in [−1, 1]ⁿ and an order ``k_i`` of 1 or 2 (a line, or a
    parabola ``x = t·u_x, y = t²·u_y``): a function lower arbitrarily
    close to ``x*`` (``−x⁴`` or ``x³`` at 0, whose Hessian is 0 there; a kink; Peano's
    ``(y − x²)(y − 2x²)``, minimal at 0 along every line but negative on the parabola ``y = 1.5x²``)
    is refuted with the point, while a true optimum whose basin is wider than that radius is not.
    The differences are of order ``t²`` (``t⁴`` on a parabola) and the
    search resolves their sign at as many digits as that takes. Directions point into the domain:
    a numeric ``x*`` on a closed bound only inward; a symbolic one moves relative to itself, so it
    never crosses a closed bound at 0 (a domain with another closed bound: no check, ``[]``).
    """
    taken = {s.name for s in f.free_symbols}
    step = var(_fresh("t_near_point", taken), NEAR, r"t")
    moved: dict[sp.Symbol, sp.Expr] = {}
    inside: list[Sign] = []
    for x, at in point.items():
        lower, upper, lower_closed, upper_closed = domain_of(x).support
        if at.free_symbols:
            if (lower_closed and lower != 0) or (upper_closed and upper != 0):
                return []
            direction = DIRECTION
        else:
            sides = domain_of(x).sides_at(float(at))
            if sides is None:
                return []
            direction = {"+-": DIRECTION, "+": UPWARD, "-": DOWNWARD}[sides]
        u = var(_fresh(f"direction_{x.name}", taken), direction, rf"u_{{{to_latex(x)}}}")
        k = var(_fresh(f"order_{x.name}", taken), ORDER, rf"k_{{{to_latex(x)}}}")
        path = step**k * u
        moved[x] = path if at == 0 else at * (1 + path)
        # a point within 10⁻¹⁵ of a bound other than 0 (p* = 1 − 10⁻¹⁶ in a probability's open
        # interval) may be moved across it: only moves that stay in the domain are searched
        for end, closed, side in ((lower, lower_closed, 1), (upper, upper_closed, -1)):
            if math.isfinite(end) and end != 0:
                inside.append(Sign(label=f"{x} stays in its domain", expr=side * (moved[x] - end), strict=not closed))
    what = "lower" if sign > 0 else "higher"
    near = Sign(
        label=f"no {what} value near the point (relative distance 1e-15 and below)",
        role="necessary",
        expr=sign * (f.xreplace(moved) - f.xreplace(dict(point))),
        shown="f(x) − f(x*) (must be ≥ 0)" if sign > 0 else "f(x*) − f(x) (must be ≥ 0)",  # what expr is
    )
    if not inside:
        return [near]
    return [Conditional(label=near.label, role="necessary", numeric_only=True, inner=near, hypotheses=tuple(inside))]


def _point_in_domain(point: Mapping[sp.Symbol, sp.Expr]) -> list[Obligation]:
    """Necessary: each coordinate of an optimum lies in its variable's domain (a numeric one was
    checked when the claim was built; a symbolic one is searched)."""
    return [
        sign
        for x, at in point.items()
        for sign in _support_signs(x, at, f"the point lies in the domain of {x}", "necessary")
    ]


def _degenerate(hessian: sp.Matrix) -> bool:
    """Whether the Hessian at the point has a diagonal entry or (up to 3 variables) a leading minor
    that is exactly 0, where the second-order test cannot decide: ``x⁴`` and ``−x⁴`` both have it at 0."""
    if any(hessian[i, i] == 0 for i in range(hessian.rows)):
        return True
    return hessian.rows <= 3 and any(hessian[:k, :k].det() == 0 for k in range(2, hessian.rows + 1))


def _fresh(name: str, taken: set[str]) -> str:
    while name in taken:
        name += "_"
    taken.add(name)
    return name


class Claim:
    """A checkable statement. Subclasses give :meth:`obligations` and :meth:`latex`."""

    def obligations(self) -> list[Obligation]:
        raise NotImplementedError

    def latex(self) -> str:
        raise NotImplementedError


def _claim_hint(value: object) -> str:
    """What to write instead of a SymPy relation given as a claim."""
    if isinstance(value, sp.Equality):
        return "; write Equal(lhs, rhs) for an equation"
    if isinstance(value, sp.core.relational.Relational):
        return "; write Inequality(lhs, '>=', rhs) (or '>', '<=', '<') for an inequality"
    if value is sp.true or value is sp.false:
        return f"; SymPy decided the relation to {value} when it was built: write Equal(lhs, rhs) or Inequality(...)"
    return ""


def _symbols(wrt: object) -> tuple:
    """``wrt`` as a tuple of symbols: one symbol alone is accepted as well as a sequence of them."""
    if isinstance(wrt, sp.Basic):
        return (wrt,)
    try:
        return tuple(wrt)
    except TypeError:
        raise ClaimError(f"wrt={wrt!r} must be a SymPy symbol or a non-empty sequence of them") from None


def _mapping(value: object, what: str) -> dict:
    """``value`` as ``{symbol: expression}``: a dict, a list of ``(symbol, value)`` pairs, or a list
    holding one such dict (what ``sp.solve(..., dict=True)`` returns for a single solution)."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, list | tuple):
        if value and all(isinstance(v, Mapping) for v in value):
            if len(value) > 1:
                raise ClaimError(
                    f"{what} holds {len(value)} solutions; give one of them as {{symbol: value}} (one claim each)"
                )
            return dict(value[0])
        if all(isinstance(v, tuple) and len(v) == 2 for v in value):
            return dict(value)
    raise ClaimError(f"{what}={value!r} must be a dict {{symbol: value}} (or a list of (symbol, value) pairs)")


@dataclass
class Equal(Claim):
    r"""``lhs = rhs`` on the whole domain of the free symbols (matrices: entry by entry)."""

    lhs: sp.Expr
    rhs: sp.Expr

    def __post_init__(self) -> None:
        self.lhs, self.rhs = _expr(self.lhs, "lhs", matrix=True), _expr(self.rhs, "rhs", matrix=True)
        shapes = [getattr(e, "shape", None) for e in (self.lhs, self.rhs)]
        if shapes[0] != shapes[1]:
            raise ClaimError(f"lhs has shape {shapes[0] or 'scalar'} and rhs {shapes[1] or 'scalar'}; they must match")

    def obligations(self) -> list[Obligation]:
        if isinstance(self.lhs, sp.MatrixBase):
            rows, cols = self.lhs.shape
            return [
                Equation(label=f"entry ({i + 1}, {j + 1})", lhs=self.lhs[i, j], rhs=self.rhs[i, j])
                for i in range(rows)
                for j in range(cols)
            ]
        return [Equation(lhs=self.lhs, rhs=self.rhs)]

    def latex(self) -> str:
        return f"{to_latex(self.lhs)} = {to_latex(self.rhs)}"


@dataclass
class EqualUpToConstant(Claim):
    r"""``lhs = rhs + c`` where ``c`` does not depend on the symbols ``wrt``.

    This is the equivalence of two objectives for optimisation over ``wrt``: they have the
    same minimisers and maximisers.
    """

    lhs: sp.Expr
    rhs: sp.Expr
    wrt: Sequence[sp.Symbol]

    def __post_init__(self) -> None:
        self.lhs, self.rhs = _expr(self.lhs, "lhs"), _expr(self.rhs, "rhs")
        self.wrt = _symbols(self.wrt)
        if not self.wrt or not all(isinstance(s, sp.Symbol) for s in self.wrt):
            raise ClaimError(f"wrt={self.wrt!r} must be a non-empty sequence of SymPy symbols")

    def obligations(self) -> list[Obligation]:
        return [Invariance(expr=self.lhs - self.rhs, wrt=self.wrt)]

    def latex(self) -> str:
        names = ", ".join(to_latex(s) for s in self.wrt)
        return (
            f"{to_latex(self.lhs)} = {to_latex(self.rhs)} + "
            rf"\mathrm{{const}}\left({names}\right)"
        )


@dataclass
class IndependentOf(Claim):
    r"""``expr`` does not depend on the symbols ``wrt`` (all its partial derivatives vanish)."""

    expr: sp.Expr
    wrt: Sequence[sp.Symbol]

    def __post_init__(self) -> None:
        self.expr = _expr(self.expr, "expr")
        self.wrt = _symbols(self.wrt)
        if not self.wrt or not all(isinstance(s, sp.Symbol) for s in self.wrt):
            raise ClaimError(f"wrt={self.wrt!r} must be a non-empty sequence of SymPy symbols")

    def obligations(self) -> list[Obligation]:
        return [Invariance(expr=self.expr, wrt=self.wrt)]

    def latex(self) -> str:
        names = ", ".join(to_latex(s) for s in self.wrt)
        return rf"\frac{{\partial}}{{\partial ({names})}} \left[{to_latex(self.expr)}\right] = 0"


@dataclass
class Solves(Claim):
    r"""The assignment ``solution`` satisfies every equation ``lhs = rhs`` of ``equations``."""

    equations: Sequence[sp.Eq | tuple[sp.Expr, sp.Expr]]
    solution: Mapping[sp.Symbol, sp.Expr]

    def __post_init__(self) -> None:
        eqs = []
        for e in self.equations:
            if isinstance(e, sp.Equality):
                eqs.append((e.lhs, e.rhs))
            elif e is sp.true or e is sp.false:
                raise ClaimError(
                    f"an equation is {e}: SymPy decided sp.Eq(lhs, rhs) when it was built, before any solution "
                    "was put in; give the equation as a (lhs, rhs) pair"
                )
            elif isinstance(e, tuple) and len(e) == 2:
                eqs.append((_expr(e[0], "equation lhs"), _expr(e[1], "equation rhs")))
            else:
                raise ClaimError(f"equation {e!r} must be sympy.Eq(lhs, rhs) or a (lhs, rhs) pair")
        if not eqs:
            raise ClaimError("Solves needs at least one equation")
        self.equations = eqs
        self.solution = {k: _expr(v, f"solution[{k}]") for k, v in _mapping(self.solution, "solution").items()}
        for x, value in self.solution.items():
            if isinstance(x, Var):
                # SymPy simplified the equations under x's assumptions (sign(x) → 1 for x > 0), which hold
                # neither outside the domain nor at an open end of it: declare a domain that holds the value
                _hint_in_domain(x, value, "solution")

    def obligations(self) -> list[Obligation]:
        """Each equation at the solution, and each solved symbol's value in that symbol's domain: the
        equations were built (and SymPy simplified them, ``|x| → x``) under its assumptions."""
        sub = dict(self.solution)
        inside = [
            sign
            for x, value in sub.items()
            if isinstance(x, Var) and value.free_symbols
            for sign in _support_signs(x, value, f"the solution lies in the domain of {x}", "exact")
        ]
        return [
            *(
                Equation(label=f"equation {i + 1}", lhs=lhs.subs(sub), rhs=rhs.subs(sub))
                for i, (lhs, rhs) in enumerate(self.equations)
            ),
            *inside,
        ]

    def latex(self) -> str:
        sol = ", ".join(f"{to_latex(k)} = {to_latex(v)}" for k, v in self.solution.items())
        eqs = r",\; ".join(f"{to_latex(a)} = {to_latex(b)}" for a, b in self.equations)
        return rf"\left\{{{sol}\right\}} \text{{ solves }} {eqs}"


_RELATIONS = {">=": (False, 1), ">": (True, 1), "<=": (False, -1), "<": (True, -1)}


@dataclass
class Inequality(Claim):
    r"""``lhs rel rhs`` with ``rel`` one of ``>=, >, <=, <``, everywhere on the domain.

    ``extremum={x: x*}`` adds a proof through the extremum of a one-variable bound: with
    ``d = ±(lhs - rhs)`` (sign chosen so that ``d ≥ 0`` is the claim), ``x*`` in the closure of
    the domain of ``x``, ``d(x*) ≥ 0`` and ``(x - x*)·∂d/∂x ≥ 0`` on the whole interval of ``x`` (``d`` falls up
    to ``x*`` and rises after it) give ``d(x) ≥ d(x*) ≥ 0`` (``x*`` may be an endpoint of the
    domain, where ``d`` is continuous). These conditions are *sufficient*:
    they are attempted symbolically only, and the claim itself is fuzzed, so a failed condition
    leaves a true claim unproved, never refuted. A numeric ``x*`` outside the domain is a
    :class:`ClaimError`.
    """

    lhs: sp.Expr
    rel: str
    rhs: sp.Expr
    extremum: Mapping[sp.Symbol, sp.Expr] | None = None

    def __post_init__(self) -> None:
        self.lhs, self.rhs = _expr(self.lhs, "lhs"), _expr(self.rhs, "rhs")
        if self.rel not in _RELATIONS:
            raise ClaimError(f"rel={self.rel!r} is not one of {', '.join(_RELATIONS)}")
        if self.extremum is not None:
            if len(self.extremum) != 1:
                raise ClaimError("extremum must name exactly one variable: {x: x_star}")
            if _RELATIONS[self.rel][0]:
                raise ClaimError("extremum proves non-strict bounds only (use >= or <=)")
            self.extremum = {k: _expr(v, "extremum value") for k, v in self.extremum.items()}
            ((x, x_star),) = self.extremum.items()
            if not isinstance(x, sp.Symbol):
                raise ClaimError(f"extremum variable {x!r} must be a declared symbol")
            _hint_in_domain(x, x_star, "extremum", closure=True)

    def obligations(self) -> list[Obligation]:
        strict, direction = _RELATIONS[self.rel]
        d = direction * (self.lhs - self.rhs)
        if self.extremum is None:
            gap = "lhs − rhs" if direction > 0 else "rhs − lhs"
            return [Sign(expr=d, strict=strict, shown=f"{gap} (must be {'>' if strict else '≥'} 0)")]
        ((x, x_star),) = self.extremum.items()
        if rough_parts(d, [x], poles=True):  # the sign of d′ says nothing across a jump: only the bound is searched
            return [Sign(label="the bound", role="necessary", expr=d)]
        return [
            Sign(label="the bound", role="necessary", expr=d),
            *_support_signs(x, x_star, "the extremum lies in the closure of the domain", "sufficient", closure=True),
            Sign(label="bound holds at the extremum", role="sufficient", expr=d.subs(x, x_star)),
            Sign(label="falls before the extremum, rises after", role="sufficient", expr=(x - x_star) * sp.diff(d, x)),
        ]

    def latex(self) -> str:
        op = {">=": r"\geq", ">": ">", "<=": r"\leq", "<": "<"}[self.rel]
        out = f"{to_latex(self.lhs)} {op} {to_latex(self.rhs)}"
        if self.extremum:
            ((x, x_star),) = self.extremum.items()
            out += rf" \quad \left(\text{{extremum at }} {to_latex(x)} = {to_latex(x_star)}\right)"
        return out


@dataclass
class Stationary(Claim):
    r"""``point`` is a stationary point of ``f`` in the variables ``point.keys()``.

    ``kind`` is ``"min"``, ``"max"`` or ``"stationary"``. The obligations are the first-order
    conditions ∂f/∂x = 0 at the point and, for a min/max, the second-order condition (leading
    principal minors of the Hessian of ±f positive at the point, Sylvester's criterion).
    With ``scope="global"`` the optimum is shown global: in one variable by the sign of
    (x − x*)·f′(x) over the whole domain (f falls before x* and rises after it), in several
    variables by definiteness of the Hessian everywhere (strict convexity/concavity).
    """

    f: sp.Expr
    point: Mapping[sp.Symbol, sp.Expr]
    kind: str = "min"
    scope: str = "local"

    def __post_init__(self) -> None:
        self.f = _expr(self.f, "f")
        self.point = {k: _expr(v, f"point[{k}]") for k, v in _mapping(self.point, "point").items()}
        if not self.point:
            raise ClaimError("Stationary needs the point as {variable: value}")
        if self.kind not in ("min", "max", "stationary"):
            raise ClaimError(f"kind={self.kind!r} must be 'min', 'max' or 'stationary'")
        if self.scope not in ("local", "global"):
            raise ClaimError(f"scope={self.scope!r} must be 'local' or 'global'")
        if self.kind == "stationary" and self.scope == "global":
            raise ClaimError("scope='global' needs kind='min' or 'max'")
        for x, value in self.point.items():
            if not isinstance(x, sp.Symbol):
                raise ClaimError(f"point variable {x!r} must be a declared symbol")
            _hint_in_domain(x, value, "point")

    def obligations(self) -> list[Obligation]:
        """First-order conditions (exact); for a min/max, the second-order or global conditions
        that prove it (sufficient) and what it implies (necessary): for a local optimum a
        positive semidefinite Hessian of ±f at the point (its diagonal and leading minors ≥ 0) and,
        where that test cannot decide (a diagonal entry or minor exactly 0), no lower (higher) value
        near it (:func:`local_check`); for a global one ±(f(x) − f(x*)) ≥ 0 everywhere.

        Derivative conditions prove nothing for an ``f`` with a kink or jump in the variables
        (:func:`rough_parts`; for a global optimum also a singularity): then the claim is only
        searched for a counterexample (a stationary point: its one-sided difference quotients
        must tend to 0), and at best confirmed.
        """
        xs = list(self.point)
        sub = dict(self.point)
        rough = rough_parts(self.f, xs, poles=self.scope == "global")
        if rough:
            return self._searched_only(xs, sub, rough)
        obs: list[Obligation] = [
            Equation(label=f"first-order condition in {x}", lhs=sp.diff(self.f, x).subs(sub), rhs=0) for x in xs
        ]
        if self.kind == "stationary":
            return obs
        sign = 1 if self.kind == "min" else -1
        obs.extend(_point_in_domain(sub))
        hessian = sp.hessian(sign * self.f, xs)
        n = len(xs)
        if self.scope == "local":  # a PSD Hessian has non-negative diagonal and leading minors
            at_point = hessian.subs(sub)
            if _degenerate(at_point):  # higher orders decide: search near the point (a global claim is
                obs.extend(local_check(self.f, sub, sign))  # searched everywhere already)
            minors = [(f"diagonal entry ({x})", at_point[i, i]) for i, x in enumerate(xs)]
            minors += [(f"leading minor {k}", at_point[:k, :k].det()) for k in range(2, n + 1)]
            obs.extend(
                Sign(label=f"second-order necessary condition: {name} ≥ 0", role="necessary", expr=m)
                for name, m in minors
            )
        if self.scope == "global":
            obs.append(self._nowhere_better(sub, sign))
            if n == 1:
                x = xs[0]
                obs.append(
                    Sign(
                        label="f falls before the point and rises after it",
                        role="sufficient",
                        expr=sign * (x - sub[x]) * sp.diff(self.f, x),
                    )
                )
                return obs
        where = "everywhere" if self.scope == "global" else "at the point"
        for k in range(1, n + 1):
            minor = hessian[:k, :k].det() if k > 1 else hessian[0, 0]
            if where == "at the point":
                minor = minor.subs(sub)
            obs.append(
                Sign(label=f"second-order condition: minor {k} {where}", role="sufficient", expr=minor, strict=True)
            )
        return obs

    def _nowhere_better(self, sub: Mapping[sp.Symbol, sp.Expr], sign: int) -> Sign:
        return Sign(
            label="no lower value anywhere" if sign > 0 else "no higher value anywhere",
            role="necessary",
            expr=sign * (self.f - self.f.subs(sub)),
        )

    def _searched_only(self, xs: list[sp.Symbol], sub: dict, rough: list[str]) -> list[Obligation]:
        """The necessary conditions of the claim for an ``f`` that derivatives do not describe."""
        why = f" (f is not smooth: {', '.join(rough)})"
        if self.kind == "stationary":
            taken = {s.name for s in self.f.free_symbols}
            at = self.f.subs(sub)
            obs: list[Obligation] = []
            for x in xs:
                t = var(_fresh("t_near_point", taken), STEP, "t")
                for side, sgn in (("+", 1), ("-", -1)):
                    h = sgn * t * (1 if sub[x] == 0 else sub[x])  # relative to the point: x* ± t·x* stays inside
                    quotient = (self.f.subs({**sub, x: sub[x] + h}) - at) / h
                    obs.append(
                        LimitOf(
                            label=f"one-sided derivative in {x} from {side} is 0{why}",
                            role="necessary",
                            expr=quotient,
                            var=t,
                            to=sp.S.Zero,
                            value=sp.S.Zero,
                            direction="+",
                        )
                    )
            return obs
        sign = 1 if self.kind == "min" else -1
        obs = _point_in_domain(sub)
        near = local_check(self.f, sub, sign)
        if not near and self.scope == "local":
            raise ClaimError(
                f"a local {self.kind} of a function that is not smooth ({', '.join(rough)}) is checked by searching "
                "near the point, which its domain does not allow here; state the claim with scope='global' or "
                "for a smooth function"
            )
        obs.extend(dataclasses.replace(ob, label=ob.label + why) for ob in near)
        if self.scope == "global":
            obs.append(self._nowhere_better(sub, sign))
        return obs

    def latex(self) -> str:
        pt = ", ".join(f"{to_latex(k)} = {to_latex(v)}" for k, v in self.point.items())
        what = {"min": r"\operatorname{argmin}", "max": r"\operatorname{argmax}"}.get(self.kind)
        vars_ = ", ".join(to_latex(k) for k in self.point)
        if what is None:
            return rf"\nabla_{{{vars_}}} \left({to_latex(self.f)}\right) = 0 \text{{ at }} {pt}"
        scope = "" if self.scope == "global" else r"\text{ (local) }"
        return rf"{pt} = {what}_{{{vars_}}}{scope} \left({to_latex(self.f)}\right)"


@dataclass
class Limit(Claim):
    r"""``expr → value`` as ``var → to`` (``to`` is ``oo``, ``-oo`` or a finite point).

    ``direction`` is ``"+"`` (from above), ``"-"`` (from below) or ``"+-"`` (two-sided). By
    default it is every side from which ``var``'s domain lets it approach ``to``: both sides of
    an interior point of a real variable, only ``"+"`` at 0 for a positive one. A side the
    domain does not allow is a :class:`ClaimError`. One-sided limits print as ``0^{+}``.
    ``value`` may depend on the other symbols.
    """

    expr: sp.Expr
    var: sp.Symbol
    to: sp.Expr
    value: sp.Expr
    direction: str | None = None

    def __post_init__(self) -> None:
        self.expr = _expr(self.expr, "expr")
        self.to, self.value = _expr(self.to, "to"), _expr(self.value, "value", infinite=True)
        if not isinstance(self.var, sp.Symbol):
            raise ClaimError(f"var={self.var!r} must be a SymPy symbol")
        if self.to.free_symbols:
            raise ClaimError(f"to={self.to} must be a number or ±oo, not an expression in {self.to.free_symbols}")
        if self.direction not in (None, "+", "-", "+-"):
            raise ClaimError(f"direction={self.direction!r} must be '+', '-' or '+-'")
        domain = domain_of(self.var)
        if self.to in (sp.oo, sp.S.NegativeInfinity):
            lower, upper = domain.support[0], domain.support[1]
            if (self.to is sp.oo and upper != math.inf) or (self.to is sp.S.NegativeInfinity and lower != -math.inf):
                raise ClaimError(f"{self.var} cannot tend to {self.to}: its domain is {domain.name}")
            self.direction = "-" if self.to is sp.oo else "+"
            return
        if not self.to.is_real:
            raise ClaimError(f"to={self.to} must be a real number or ±oo")
        allowed = domain.sides_at(float(self.to))
        if allowed is None:
            raise ClaimError(f"{self.var} ({domain.name}) cannot approach {self.to} from inside its domain")
        if self.direction is None:
            self.direction = allowed
        elif not set(self.direction) <= set(allowed):
            raise ClaimError(
                f"direction={self.direction!r}: {self.var} ({domain.name}) can approach {self.to} only from {allowed!r}"
            )

    def obligations(self) -> list[Obligation]:
        """The limit; searched only (never proved by ``sympy.limit``) for an expression with kinks or jumps
        in any of its symbols: ``sympy.limit`` takes one branch of a ``Piecewise`` or ``floor`` whose
        condition depends on a parameter, and its answer is wrong for the parameters of the other."""
        rough = rough_parts(self.expr, sorted(self.expr.free_symbols, key=lambda s: s.name))
        if rough:
            return [
                LimitOf(
                    label=f"the limit (not smooth: {', '.join(rough)})",
                    role="necessary",
                    expr=self.expr,
                    var=self.var,
                    to=self.to,
                    value=self.value,
                    direction=self.direction,
                )
            ]
        return [LimitOf(expr=self.expr, var=self.var, to=self.to, value=self.value, direction=self.direction)]

    def latex(self) -> str:
        point = to_latex(self.to)
        if self.direction in ("+", "-") and self.to not in (sp.oo, sp.S.NegativeInfinity):
            point = f"{point}^{{{self.direction}}}"
        return rf"\lim_{{{to_latex(self.var)} \to {point}}} {to_latex(self.expr)} = {to_latex(self.value)}"


@dataclass
class ForSizes(Claim):
    r"""A family of claims indexed by a size ``n`` (support size, number of candidates).

    ``build(n)`` returns the claim for size ``n``. Sizes in ``symbolic`` are proved with
    SymPy; sizes in ``numeric`` are fuzzed only. The scope is recorded with the result.
    ``display`` is an optional SymPy relation for the general statement (for LaTeX only).
    """

    build: Callable[[int], Claim]
    symbolic: Sequence[int] = (2, 3, 4)
    numeric: Sequence[int] = (5, 6, 8, 12, 16, 20)
    display: sp.Basic | None = None
    size_name: str = "n"
    _cache: dict[int, Claim] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.symbolic, self.numeric = tuple(self.symbolic), tuple(self.numeric)
        if not self.symbolic and not self.numeric:
            raise ClaimError("ForSizes needs at least one size, in symbolic= or numeric=; with none nothing is checked")
        for n in self.symbolic + self.numeric:
            if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
                raise ClaimError(f"ForSizes size {n!r} is not a whole number ≥ 0; sizes count items")

    def claim(self, n: int) -> Claim:
        if n not in self._cache:
            try:
                c = self.build(n)
            except ClaimError:
                raise
            except Exception as exc:  # the family's own code: said as a malformed claim, with the size
                raise ClaimError(f"build({n}) raised {type(exc).__name__}: {exc}") from exc
            if not isinstance(c, Claim):
                raise ClaimError(f"build({n}) returned {c!r}, not a claim")
            self._cache[n] = c
        return self._cache[n]

    def obligations(self) -> list[Obligation]:
        obs: list[Obligation] = []
        for n, numeric_only in [(n, False) for n in self.symbolic] + [(n, True) for n in self.numeric]:
            for o in self.claim(n).obligations():
                label = f"{self.size_name}={n}" + (f", {o.label}" if o.label else "")
                relabelled = _relabel(o, label, numeric_only)
                if relabelled is not None:
                    obs.append(relabelled)
        return obs

    def scope(self) -> str:
        parts = []
        if self.symbolic:
            parts.append(f"symbolic for {self.size_name} ∈ {{{', '.join(map(str, self.symbolic))}}}")
        if self.numeric:
            ns = list(self.numeric)
            contiguous = ns == list(range(ns[0], ns[-1] + 1)) and len(ns) > 2
            span = f"{ns[0]}…{ns[-1]}" if contiguous else ", ".join(map(str, ns))
            parts.append(f"numeric for {self.size_name} ∈ {{{span}}}")
        return "; ".join(parts)

    def latex(self) -> str:
        sizes = sorted(set(self.symbolic) | set(self.numeric))
        body = to_latex(self.display) if self.display is not None else self.claim(sizes[0]).latex()
        return rf"{body} \quad ({self.size_name} = {sizes[0]}, \dots, {sizes[-1]})"


_HYPOTHESIS_RELATIONS = {
    sp.StrictGreaterThan: (True, 1),
    sp.GreaterThan: (False, 1),
    sp.StrictLessThan: (True, -1),
    sp.LessThan: (False, -1),
}


def _differentiated(claim: Claim) -> set[sp.Symbol]:
    """The symbols a claim's meaning takes derivatives in: an optimum's variables, the ``wrt`` of an
    independence (of all the claims of an :class:`AllOf`). An extremum hint's variable is not one: the
    hint only helps a proof, and :meth:`Implies.obligations` leaves it out under a substitution."""
    if isinstance(claim, AllOf):
        return set().union(*(_differentiated(c) for c in claim.claims))
    if isinstance(claim, Stationary):
        return set(claim.point)
    if isinstance(claim, EqualUpToConstant | IndependentOf):
        return set(claim.wrt)
    return set()


@dataclass
class Implies(Claim):
    r"""``h₁ ∧ h₂ ∧ … ⇒ conclusion``: the conclusion wherever all hypotheses hold.

    ``hypotheses`` are SymPy inequalities (``sp.Gt(a, b)``, ``sp.Ge``, ``sp.Lt``, ``sp.Le``), e.g.
    "r is positively correlated with p_A" written out as a covariance > 0, or equalities
    ``sp.Eq(s, expr)`` of a declared symbol ``s`` not in ``expr``: ``s`` is replaced by ``expr``
    everywhere, and ``expr`` must lie in ``s``'s domain (a further hypothesis); neither ``s`` nor
    ``expr`` may involve a variable the conclusion differentiates in (an optimum's, a ``wrt``). The conclusion is
    an :class:`Equal` or :class:`Inequality` (or anything reducing to equations and signs). The
    numeric checker searches only points satisfying the hypotheses (with the full sample count),
    so a counterexample is an instance of the theorem's hypotheses that violates its conclusion.
    The symbolic checker cannot use inequality hypotheses; with ``symbolic=True`` it tries the
    conclusion without them (a stronger statement, worth trying only when it may hold
    unconditionally).
    """

    hypotheses: Sequence[sp.Basic]
    conclusion: Claim
    names: Sequence[str] = ()
    symbolic: bool = False

    def __post_init__(self) -> None:
        self.hypotheses = (self.hypotheses,) if isinstance(self.hypotheses, sp.Basic) else tuple(self.hypotheses)
        if not self.hypotheses:
            raise ClaimError("Implies needs at least one hypothesis (otherwise state the conclusion alone)")
        for h in self.hypotheses:
            if isinstance(h, sp.Equality):
                self._solved(h)
            elif type(h) not in _HYPOTHESIS_RELATIONS:
                raise ClaimError(
                    f"hypothesis {h!r} must be an inequality (sp.Gt, sp.Ge, sp.Lt, sp.Le) or sp.Eq(symbol, expression)"
                )
        if not isinstance(self.conclusion, Claim):
            raise ClaimError(f"conclusion={self.conclusion!r} is not a claim object{_claim_hint(self.conclusion)}")
        if isinstance(self.conclusion, Limit | ForSizes | Reported):
            raise ClaimError(
                f"the conclusion of Implies must be a claim of equations and signs (Equal, Inequality, Stationary, "
                f"Solves, …), not {type(self.conclusion).__name__}; state the hypotheses through the domains instead "
                "(r1 = r2 + Δ with Δ positive for r1 > r2)"
            )
        self.names = tuple(self.names)
        if self.names and len(self.names) != len(self.hypotheses):
            raise ClaimError(f"names has {len(self.names)} entries for {len(self.hypotheses)} hypotheses")
        varied = _differentiated(self.conclusion)
        for h in self.hypotheses:
            if isinstance(h, sp.Equality):
                s, e = self._solved(h)
                tied = sorted(map(str, ({s} | e.free_symbols) & varied))
                if tied:
                    raise ClaimError(
                        f"equality hypothesis {h} ties {s} to {', '.join(tied)}, which the conclusion differentiates "
                        f"in: its derivatives would hold {s} fixed, and {s} would be replaced only after them; "
                        f"substitute it in the conclusion yourself (f.subs({s}, {e}))"
                    )

    @staticmethod
    def _solved(h: sp.Equality) -> tuple[sp.Symbol, sp.Expr]:
        for s, e in ((h.lhs, h.rhs), (h.rhs, h.lhs)):
            if isinstance(s, sp.Symbol) and s not in e.free_symbols:
                if domain_of(s).scale == "integer" and e.is_integer is not True:
                    # the points where e is whole have measure zero: no sampled point would be an instance
                    raise ClaimError(
                        f"equality hypothesis {h}: {s} is an integer, so the hypothesis says {e} is a whole number, "
                        "which the checker cannot sample; declare the symbols of the expression with integer domains"
                    )
                return s, e
        raise ClaimError(f"equality hypothesis {h} must be sp.Eq(symbol, expression) with the symbol not on the right")

    def obligations(self) -> list[Obligation]:
        sub_items, hyps = _hypothesis_parts(self)
        sub = dict(sub_items)
        out: list[Obligation] = []
        conclusion = self.conclusion.obligations()
        # a sufficient condition over the whole domain of a symbol (an extremum hint's monotonicity) says
        # less once the symbol is replaced by an expression covering part of that domain: then the
        # conclusion's sufficient conditions, which prove it only together, are all left out
        broken = any(o.role == "sufficient" and o.free_symbols() & set(sub) for o in conclusion)
        # without them the conclusion's exact obligations are not a proof either (a first-order condition
        # alone does not make a minimum): all of it is then searched only
        provable = self.symbolic and not broken
        for o in conclusion:
            if not isinstance(o, Equation | Sign):
                raise ClaimError(
                    f"the conclusion of Implies must reduce to equations and signs, not {type(o).__name__}"
                )
            if o.role == "sufficient" and not provable:
                continue  # a proof condition, and the prover is not asked to (or cannot) prove this theorem
            inner = _substituted(o, sub)
            role = o.role if provable and not o.numeric_only else "necessary"
            out.append(
                Conditional(
                    label=o.label,
                    numeric_only=o.numeric_only or not provable,
                    role=role,
                    inner=inner,
                    hypotheses=hyps,
                )
            )
        return out

    def latex(self) -> str:
        hyps = r" \wedge ".join(to_latex(h) for h in self.hypotheses)
        return rf"{hyps} \;\Longrightarrow\; {self.conclusion.latex()}"


@dataclass
class AllOf(Claim):
    r"""``c₁ ∧ c₂ ∧ …``: every claim of ``claims`` (one statement with several parts, such as a set
    equality checked point by point). ``names`` label the parts; ``display`` is an optional SymPy
    relation printed for the whole (else the parts joined by ∧)."""

    claims: Sequence[Claim]
    names: Sequence[str] = ()
    display: sp.Basic | None = None

    def __post_init__(self) -> None:
        self.claims = tuple(self.claims)
        if not self.claims:
            raise ClaimError("AllOf needs at least one claim")
        bad = [c for c in self.claims if not isinstance(c, Claim)]
        if bad:
            raise ClaimError(f"AllOf: {bad[0]!r} is not a claim object")
        self.names = tuple(self.names)
        if self.names and len(self.names) != len(self.claims):
            raise ClaimError(f"names has {len(self.names)} entries for {len(self.claims)} claims")

    def obligations(self) -> list[Obligation]:
        out: list[Obligation] = []
        for i, c in enumerate(self.claims):
            part = self.names[i] if self.names else f"part {i + 1}"
            out.extend(replace(o, label=part + (f", {o.label}" if o.label else "")) for o in c.obligations())
        return out

    def latex(self) -> str:
        if self.display is not None:
            return to_latex(self.display)
        return r" \;\wedge\; ".join(rf"\left({c.latex()}\right)" for c in self.claims)


@functools.lru_cache(maxsize=64)
def _parts_of(hypotheses: tuple, names: tuple) -> tuple[tuple[tuple[sp.Symbol, sp.Expr], ...], tuple[Sign, ...]]:
    """The equality hypotheses as one substitution (applied until no replaced symbol is left), as
    items, and every hypothesis as a sign under it (an equality: its value in the symbol's domain)."""
    sub = dict(Implies._solved(h) for h in hypotheses if isinstance(h, sp.Equality))
    for _ in range(len(sub)):
        sub = {k: v.xreplace(sub) for k, v in sub.items()}
    if any(v.free_symbols & set(sub) for v in sub.values()):
        raise ClaimError("the equality hypotheses are circular: a symbol is defined in terms of itself")
    signs: list[Sign] = []
    for i, h in enumerate(hypotheses):
        label = names[i] if names else f"hypothesis {i + 1}"
        if isinstance(h, sp.Equality):
            x, _ = Implies._solved(h)
            signs.extend(_support_signs(x, sub[x], f"{label}: {x} in its domain", "exact"))
            continue
        strict, direction = _HYPOTHESIS_RELATIONS[type(h)]
        signs.append(Sign(label=label, expr=(direction * (h.lhs - h.rhs)).xreplace(sub), strict=strict))
    return tuple(sub.items()), tuple(signs)


def _hypothesis_parts(claim: Implies) -> tuple[tuple[tuple[sp.Symbol, sp.Expr], ...], tuple[Sign, ...]]:
    """An Implies's substitution (as items) and hypothesis signs, built once for claims that share
    their hypotheses (the edits of one conclusion that the diagnosis tries, say)."""
    try:
        return _parts_of(claim.hypotheses, claim.names)
    except TypeError:  # an unhashable hypothesis
        return _parts_of.__wrapped__(claim.hypotheses, claim.names)


def _substituted(o: Obligation, sub: dict[sp.Symbol, sp.Expr]) -> Obligation:
    """``o`` with ``sub`` applied to each of its expressions."""
    if not sub:
        return o
    changes = {
        f.name: getattr(o, f.name).xreplace(sub)
        for f in dataclasses.fields(o)
        if isinstance(getattr(o, f.name), sp.Basic)
    }
    return replace(o, **changes)


@dataclass
class Reported(Claim):
    r"""A number the source reports: ``|recompute() − published| ≤ tolerance``.

    ``published`` is the number as printed ("0.531"); unless ``tolerance`` is given it is half
    a unit in the last printed digit (the printed number is a rounding of the recomputed one).
    ``recompute`` reruns the source's stated setup (described in ``setting``) and returns the
    number; it is called by the numeric checker only, and its result is reported beside the
    published one whether or not they agree.
    """

    quantity: str
    published: str
    recompute: Callable[[], float]
    setting: str = ""
    tolerance: float | None = None

    def __post_init__(self) -> None:
        try:
            value = Decimal(str(self.published).strip())
        except InvalidOperation:
            raise ClaimError(f"published={self.published!r} is not a number as printed") from None
        if not value.is_finite():
            raise ClaimError(f"published={self.published!r} must be finite")
        if not callable(self.recompute):
            raise ClaimError(f"recompute={self.recompute!r} must be a function of no arguments")
        if self.tolerance is None:
            exponent = value.as_tuple().exponent
            self._tolerance_text = str(Decimal(5).scaleb(int(exponent) - 1))
            self.tolerance = float(self._tolerance_text)
        else:
            self._tolerance_text = repr(float(self.tolerance))
        if self.tolerance < 0:
            raise ClaimError(f"tolerance={self.tolerance!r} must be non-negative")
        self.value = float(value)

    def obligations(self) -> list[Obligation]:
        return [
            Recomputation(
                label=self.quantity,
                numeric_only=True,
                quantity=self.quantity,
                published=self.value,
                compute=self.recompute,
                tolerance=float(self.tolerance),
                published_text=str(self.published).strip(),
                tolerance_text=self._tolerance_text,
            )
        ]

    def latex(self) -> str:
        return rf"\text{{{latex_text(self.quantity)}}} = {self.published}"


def _relabel(o: Obligation, label: str, numeric_only: bool) -> Obligation | None:
    """``o`` of one size of a family; at a size checked numerically only, a proof condition is
    dropped and anything the claim implies is searched (None: dropped)."""
    if not numeric_only:
        return replace(o, label=label)
    if o.role == "sufficient":
        return None
    return replace(o, label=label, numeric_only=True, role="necessary")


@dataclass(frozen=True)
class Source:
    """Where a claim comes from: a document file name and the document's own location label."""

    document: str
    location: str = ""


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def caller_outside_verify() -> tuple[str, int] | None:
    """(file, line) of the innermost frame on the stack that is not this package's own code
    (nor a generated ``__init__``): the user's line that built the object being constructed."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_PACKAGE_DIR) and not filename.startswith("<"):
            return filename, frame.f_lineno
        frame = frame.f_back
    return None


@dataclass
class Step:
    """One checkable statement of a derivation."""

    id: str
    claim: Claim
    justification: str = ""
    source: Source | str | None = None
    uses: Sequence[str] = ()
    expected: str = "holds"
    correction: Claim | sp.Basic | None = None
    diagnosis: str | None = None
    #: what the step transcribes, checked against the document's text (:mod:`verify.coverage`):
    #: "eq. (12)", "display 7", "label:eq:foo" or a verbatim quote; several as a sequence
    anchor: str | Sequence[str] | None = None
    #: why a claim (or correction) that SymPy closes to True when it is built is still evidence
    trivial: str | None = None
    #: an assumption the document does not state, under which the step is checked; a refuted step
    #: with one is reported as "not reproduced under" it, not as an error of the document
    assumes: str | None = None
    #: where the step was written: (file, line) of the ``Step(...)`` call outside this package
    defined_at: tuple[str, int] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.defined_at is None:
            self.defined_at = caller_outside_verify()
        if isinstance(self.anchor, str):
            self.anchor = (self.anchor,)
        self.anchor = tuple(self.anchor or ())
        if not all(isinstance(a, str) and a.strip() for a in self.anchor):
            raise ClaimError(f"step {self.id!r}: anchor={self.anchor!r} must be non-empty text (or a sequence of it)")
        if not isinstance(self.id, str) or not SNAKE.match(self.id):
            raise ClaimError(f"step id={self.id!r} must be snake_case (lowercase letters, digits, _)")
        if not isinstance(self.claim, Claim):
            raise ClaimError(f"step {self.id!r}: claim={self.claim!r} is not a claim object{_claim_hint(self.claim)}")
        if self.expected not in EXPECTATIONS:
            raise ClaimError(f"step {self.id!r}: expected={self.expected!r} must be 'holds' or 'refuted'")
        self.uses = tuple(self.uses)

    def closed_at_construction(self) -> list[str]:
        """Which of the claim and the correction SymPy closes to True as built (``lhs − rhs`` evaluates to 0,
        or an up-to-constant difference is already free of ``wrt``): such a line checks nothing."""
        out = []
        for what, claim in (("claim", self.claim), ("correction", self.correction)):
            if isinstance(claim, ForSizes):  # the printed instance: the smallest size
                claim = claim.claim(min([*claim.symbolic, *claim.numeric]))
            if isinstance(claim, Equal) and not isinstance(claim.lhs, sp.MatrixBase):
                if claim.lhs == claim.rhs or sp.Add(claim.lhs, -claim.rhs) == 0:
                    out.append(what)
            elif isinstance(claim, EqualUpToConstant) and not (claim.lhs - claim.rhs).free_symbols & set(claim.wrt):
                out.append(what)
        return out

    def correction_latex(self) -> str | None:
        if self.correction is None:
            return None
        if isinstance(self.correction, Claim):
            return self.correction.latex()
        return to_latex(self.correction)


@dataclass
class Derivation:
    """A named sequence of steps from one source."""

    id: str
    title: str
    source: Source
    steps: Sequence[Step]
    kind: str = "core"
    summary: str = ""
    #: displays of the source document that need no step, each with the reason (:class:`verify.coverage.Record`)
    records: Sequence[Record] = ()
    #: where the derivation was written: (file, line) of the ``Derivation(...)`` call
    defined_at: tuple[str, int] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.defined_at is None:
            self.defined_at = caller_outside_verify()
        self.records = list(self.records)
        bad = [r for r in self.records if not isinstance(r, Record)]
        if bad:
            raise ClaimError(f"derivation {self.id!r}: records={bad[0]!r} is not a Record(anchor, reason, note)")
        if not isinstance(self.id, str) or not SNAKE.match(self.id):
            raise ClaimError(f"derivation id={self.id!r} must be snake_case")
        if not isinstance(self.source, Source):
            raise ClaimError(
                f"derivation {self.id!r}: source={self.source!r} must be Source(document, location), "
                f"e.g. Source({self.source!r})"
                if isinstance(self.source, str)
                else f"derivation {self.id!r}: source={self.source!r} must be Source(document, location)"
            )
        if not isinstance(self.title, str):
            raise ClaimError(f"derivation {self.id!r}: title={self.title!r} must be text")
        if self.kind not in KINDS:
            raise ClaimError(f"derivation {self.id!r}: kind={self.kind!r} must be one of {KINDS}")
        if isinstance(self.steps, str | Step) or not isinstance(self.steps, Sequence):
            raise ClaimError(f"derivation {self.id!r}: steps must be a list of Step(...)")
        self.steps = list(self.steps)
        for s in self.steps:
            if not isinstance(s, Step):
                raise ClaimError(f"derivation {self.id!r}: steps holds {s!r}, which is not a Step(...)")
        if not self.steps:
            raise ClaimError(f"derivation {self.id!r} has no steps")
        seen: set[str] = set()
        for s in self.steps:
            closed = s.closed_at_construction() if self.kind in ("audit", "experiment") else []
            if closed and not (isinstance(s.trivial, str) and s.trivial.strip()):
                raise ClaimError(
                    f"derivation {self.id!r}: step {s.id!r}: its {' and '.join(closed)} closes to True when built "
                    "(both sides are the same expression), so checking it proves nothing; transcribe the "
                    "document's two sides, or say with trivial='…' why the line is still evidence"
                )
            if s.id in seen:
                raise ClaimError(f"derivation {self.id!r}: step id {s.id!r} appears twice")
            for u in s.uses:
                if u not in seen:
                    raise ClaimError(
                        f"derivation {self.id!r}: step {s.id!r} uses {u!r}, which is not an "
                        "earlier step of this derivation"
                    )
            seen.add(s.id)

    def step_source(self, step: Step) -> Source:
        if isinstance(step.source, Source):
            return step.source
        if isinstance(step.source, str):
            return Source(self.source.document, step.source)
        return self.source

    def step(self, step_id: str) -> Step:
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(step_id)
