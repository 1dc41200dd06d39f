"""Symbolic proving: a pipeline of SymPy strategies, each under a CPU-time budget (:mod:`.budget`).

An equation is ``proved`` only when one strategy turns ``lhs - rhs`` into exactly ``0``
(structurally, not by ``==`` on the unsimplified sides); a sign obligation only when SymPy's
assumption system answers ``True`` for a transformed form of the expression. Every strategy
respects the declared assumptions: no ``force=True`` anywhere, so ``log(ab) = log a + log b``
is never used unless ``a, b > 0`` are declared.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass

import sympy as sp
from sympy.polys.fields import sfield

from verify.domains import Var
from verify.functions import rewrite_special
from verify.kernel.budget import Allowance, SymbolicTimeout, solver_loaded, time_limit
from verify.kernel.obligations import Conditional, Equation, Invariance, LimitOf, Obligation, Sign

Transform = Callable[[sp.Expr], sp.Expr]


@dataclass(frozen=True)
class SymbolicOutcome:
    #: "proved" | "unproved" (every strategy finished short of 0) | "timeout" (some were cut off
    #: by the budget, the rest finished short of 0) | "error"
    status: str
    method: str | None = None
    reason: str | None = None


def _expand_log(e: sp.Expr) -> sp.Expr:
    return sp.expand(sp.expand_log(sp.expand(e), force=False))


def _expand_log_again(e: sp.Expr) -> sp.Expr:
    """``expand_log`` of an expanded form, expanded again only when the logarithms changed (the
    default ``expand`` splits logarithms already, so usually they have not, and a second full
    expansion would return its input)."""
    logs = sp.expand_log(e, force=False)
    return e if logs == e else sp.expand(logs)


def _expand_functions(e: sp.Expr) -> sp.Expr:
    """Split exp of sums and log of products (positivity permitting) without multiplying out."""
    return sp.expand(e, mul=False, multinomial=False, power_exp=True, log=True, force=False)


def _exp_log_as_power(e: sp.Expr) -> sp.Expr:
    """Rewrite ``exp(c·log x + r)`` as ``x**c · exp(r)`` everywhere in ``e``.

    An identity for all complex ``c`` and ``x ≠ 0``: SymPy's power ``x**c`` is
    ``exp(c·log x)`` with the principal logarithm, and ``exp(u + v) = exp(u)·exp(v)``. It
    turns ``exp(β log(π/π_ref) + β log Z)``, which expand produces as a product of
    ``exp(β log ·)`` factors, into the powers ``π**β`` that the other side is written in.
    """

    def power(t: sp.Expr) -> sp.Expr:
        powers, rest = [], []
        for term in sp.Add.make_args(t.args[0]):
            factors = sp.Mul.make_args(term)
            logs = [f for f in factors if isinstance(f, sp.log) and len(f.args) == 1]
            if len(logs) == 1:
                powers.append(sp.Pow(logs[0].args[0], sp.Mul(*[f for f in factors if f is not logs[0]])))
            else:
                rest.append(term)
        return sp.Mul(*powers) * sp.exp(sp.Add(*rest)) if powers else t

    return e.replace(lambda t: isinstance(t, sp.exp), power)


def _rational_function_zero(e: sp.Expr) -> sp.Expr:
    """0 if ``e`` is the zero rational function over ℚ of its atoms, else ``e`` unchanged.

    The atoms (symbols, any non-polynomial part such as ``log(x)``, ``exp(y)`` or ``x**β``,
    and constants such as √2 or π) become independent indeterminates of a sparse field of
    fractions (integer powers of one atom share it: e^{2a} is (e^a)²). An identity between
    independent indeterminates survives every substitution of values, so 0 here means ``e``
    vanishes wherever it is defined; treating dependent atoms as independent can only miss an
    identity, never invent one. Coefficients outside ℚ (floats, Gaussian rationals) are refused.
    """
    field, f = sfield(e)
    if field.domain not in (sp.ZZ, sp.QQ):
        raise ValueError(f"coefficients in {field.domain}, not ℚ")
    return sp.S.Zero if not f else e


#: Equality strategies, cheap first: ``(name, input, transform)``. Each maps a form of
#: ``lhs - rhs`` to a hopefully-zero form; ``input`` names the strategy whose result it
#: transforms (None: the difference itself), so a chain such as expand → expand_log →
#: together/cancel computes each intermediate form once, and every link has its own budget.
EQUALITY_STRATEGIES: list[tuple[str, str | None, Transform]] = [
    ("expand", None, sp.expand),
    ("expand_log", "expand", _expand_log_again),
    ("expand_log+powers", "expand_log", lambda e: sp.expand(_exp_log_as_power(e))),
    ("expand_log+powers+rational function", "expand_log+powers", _rational_function_zero),
    ("expand exp/log", None, _expand_functions),
    ("expand exp/log+cancel", "expand exp/log", lambda e: sp.cancel(sp.together(e))),
    ("expand_log+rational function", "expand_log", _rational_function_zero),
    ("expand_log+together/cancel", "expand_log", lambda e: sp.cancel(sp.together(e))),
    ("expand_log+powsimp", "expand_log", lambda e: sp.expand(sp.powsimp(e, force=False))),
    ("expand_log+simplify", "expand_log", sp.simplify),
    ("logcombine+simplify", None, lambda e: sp.simplify(sp.logcombine(e, force=False))),
    ("rewrite exp+simplify", None, lambda e: sp.simplify(_expand_log(e.rewrite(sp.exp)))),
    ("simplify", None, sp.simplify),
]

#: Strategies that get a fraction of the budget: the sparse rational-function test decides most
#: identities it can decide in a fraction of what together/cancel needs, and it is not worth
#: waiting for when it cannot.
SHARE = {name: 0.25 for name, _, _ in EQUALITY_STRATEGIES if name.endswith("rational function")}

#: The budget of one obligation's whole proof, in budgets of one strategy: the strategies share
#: it (each gets its own budget or what is left), so a claim that no strategy can simplify costs
#: a few budgets, not one per strategy. A strategy left without time counts as cut short.
PROOF_BUDGETS = 3.0

#: Sign strategies: forms in which SymPy's assumptions may decide the sign.
SIGN_STRATEGIES: list[tuple[str, Transform]] = [
    ("assumptions", lambda e: e),
    ("together/factor", lambda e: sp.factor(sp.together(e))),
    ("expand_log+factor", lambda e: sp.factor(sp.together(_expand_log(e)))),
    ("simplify", sp.simplify),
    ("simplify+factor", lambda e: sp.factor(sp.simplify(e))),
]


def _attempt(transform: Transform, expr: sp.Expr, budget: float, allowance: Allowance) -> sp.Expr | None:
    with allowance.limit(budget):
        return transform(expr)


def prove_zero(expr: sp.Expr, budget: float) -> SymbolicOutcome:
    """Try to simplify ``expr`` to exactly 0 under the symbols' assumptions."""
    original = sp.sympify(expr)
    expr = rewrite_special(original)
    prefix = "rewrite σ; " if expr != original else ""
    if expr == 0:
        return SymbolicOutcome("proved", "automatic evaluation")
    forms: dict[str | None, sp.Expr | None] = {None: expr}  # None: the input failed or timed out
    timeouts = []
    allowance = Allowance(PROOF_BUDGETS * budget)
    for name, source, transform in EQUALITY_STRATEGIES:
        form = forms.get(source)
        if form is None:  # its input form could not be computed
            forms[name] = None
            if source in timeouts:
                timeouts.append(name)
            continue
        try:
            result = _attempt(transform, form, budget * SHARE.get(name, 1.0), allowance)
        except SymbolicTimeout:
            timeouts.append(name)
            forms[name] = None
            continue
        except Exception as exc:  # a SymPy failure on this form: try the next strategy
            del exc
            forms[name] = None
            continue
        if result == 0:  # structural: the strategy produced the expression 0 itself
            return SymbolicOutcome("proved", prefix + name)
        forms[name] = result
    if len(timeouts) == len(EQUALITY_STRATEGIES):
        return SymbolicOutcome("timeout", reason=f"every strategy exceeded {budget:g} s{_spent(allowance, budget)}")
    if timeouts:  # the others finished without reaching 0; more time might still prove it
        cut = f"{', '.join(timeouts)} exceeded {budget:g} s{_spent(allowance, budget)}"
        return SymbolicOutcome("timeout", reason=f"no strategy reached 0 ({cut})")
    return SymbolicOutcome("unproved", reason="no strategy simplified the difference to 0")


def _spent(allowance: Allowance, budget: float) -> str:
    """What to add to a timeout's reason when the proof's shared budget ran out."""
    return f" or the proof's {PROOF_BUDGETS * budget:g} s ran out" if allowance.left <= 0 else ""


def prove_sign(expr: sp.Expr, strict: bool, budget: float) -> SymbolicOutcome:
    """Try to show ``expr > 0`` (strict) or ``expr ≥ 0`` from the symbols' assumptions.

    ``unproved`` when every strategy answered without deciding; ``timeout`` when some were cut off.
    """
    expr = rewrite_special(sp.sympify(expr))
    timeouts = []
    allowance = Allowance(PROOF_BUDGETS * budget)
    for name, transform in SIGN_STRATEGIES:
        try:
            with allowance.limit(budget):
                form = transform(expr)
                verdict = form.is_positive if strict else form.is_nonnegative
        except SymbolicTimeout:
            timeouts.append(name)
            continue
        except Exception:
            continue
        if verdict is True:
            return SymbolicOutcome("proved", f"sign by assumptions ({name})")
    reason = "SymPy's assumptions could not decide the sign"
    if timeouts:  # more time might still decide it, as for prove_zero
        cut = f"{', '.join(timeouts)} exceeded {budget:g} s{_spent(allowance, budget)}"
        return SymbolicOutcome("timeout", reason=f"{reason} ({cut})")
    return SymbolicOutcome("unproved", reason=reason)


def prove_invariance(expr: sp.Expr, wrt: tuple[sp.Symbol, ...], budget: float) -> SymbolicOutcome:
    """Show that ``expr`` does not depend on the symbols ``wrt``, one symbol ``x`` at a time.

    Where ``expr`` is a polynomial in ``x`` (its coefficients any expressions in the other
    symbols), ``∂expr/∂x = 0`` suffices: a polynomial whose derivative vanishes identically has
    no term of positive degree. That is often much cheaper than the general method, which
    shows ``expr(x) − expr(x′) = 0`` for a fresh ``x′`` with the assumptions of ``x``: comparing
    two arbitrary points is sound where a vanishing derivative is not for other expressions
    (the derivative misses jumps: log branch cuts, a pole splitting the domain). One symbol at
    a time: replacing all of ``wrt`` at once gives SymPy a much harder difference.
    """
    expr = rewrite_special(sp.sympify(expr))
    methods = []
    for x in wrt:
        if expr.is_polynomial(x):
            out = prove_zero(sp.diff(expr, x), budget)
            if out.status == "proved":
                methods.append(f"derivative of a polynomial: {out.method}")
                continue
        twin = sp.Dummy(f"{x.name}_2", **x.assumptions0)
        out = prove_zero(expr - expr.xreplace({x: twin}), budget)
        if out.status != "proved":
            return SymbolicOutcome(out.status, reason=f"{x}: {out.reason or ''}")
        methods.append(f"equal at two arbitrary points: {out.method}")
    return SymbolicOutcome("proved", "independent (" + "; ".join(sorted(set(methods))) + ")")


def _one_sided_limit(e: sp.Expr, x: sp.Symbol, to: sp.Expr, side: str) -> sp.Expr:
    """``sympy.limit`` from ``side`` (at ``±∞`` there is one side, and no ``dir``)."""
    return sp.limit(e, x, to) if to.is_infinite else sp.limit(e, x, to, dir=side)


def _degenerate(ob: LimitOf, expr: sp.Expr, target: sp.Expr, budget: float) -> str | None:
    """Why ``sympy.limit``'s value may not hold at every parameter value, or None.

    SymPy takes parameters as generic: ``(a − 1)²t/(1 + (a − 1)²t) → 1`` as ``t → ∞``, though at ``a = 1`` the
    function is 0. So where each part free of the variable that may vanish (:meth:`LimitOf.parameter_parts`)
    vanishes, the limit must still be the claimed value: the part set to 0 when its symbols enter only through it
    (those parts also all at once), else at each real zero in the domain of one of its symbols (symbols entering
    only through it first, the next if SymPy cannot take the limit there). Where the function is undefined
    throughout (``sin(ht)/(ht)`` at ``h = 0``) nothing is claimed. A part not checked so refuses the proof."""
    solver_loaded()
    with suppress(SymbolicTimeout, Exception), time_limit(budget):  # gathered: 3at − t has the part 3a − 1
        expr = expr.replace(lambda e: e.is_Add and e.has(ob.var), lambda e: sp.collect(e, ob.var))
    parts, hidden = ob.parameter_parts(expr), sp.Dummy()
    rest = {q: expr.xreplace({q: hidden}).free_symbols | target.xreplace({q: hidden}).free_symbols for q in parts}
    alone = {q: sp.S.Zero for q in parts if not q.free_symbols & rest[q]}  # entering only through q: set q to 0
    if len(alone) > 1 and (why := _limit_differs(ob, expr.xreplace(alone), target.xreplace(alone), budget)):
        return f"where {', '.join(map(str, alone))} all vanish {why}"  # disjoint symbols: all at once too
    for part in parts:
        if part in alone:
            tries = [[("", expr.xreplace({part: sp.S.Zero}), target.xreplace({part: sp.S.Zero}))]]
        else:
            symbols = sorted(part.free_symbols, key=lambda s: (s in rest[part], s.name))
            tries = (_zeros(part, s, expr, target, budget) for s in symbols)
        for cases in (c for c in tries if c is not None):  # None: SymPy cannot solve for that symbol
            whys = [(where, _limit_differs(ob, at, claimed, budget)) for where, at, claimed in cases]
            wrong = next(((w, y) for w, y in whys if y not in (None, _FAILED)), None)
            if wrong is not None:
                return f"{f'at {wrong[0]} ' if wrong[0] else ''}where {part} = 0 {wrong[1]}"
            if all(why is None for _, why in whys):
                break  # every zero checked
        else:
            return f"SymPy cannot take the limit where {part} vanishes"
    return None


_FAILED = "sympy.limit failed"  # what _limit_differs answers when sympy.limit fails


def _zeros(part: sp.Expr, s: sp.Symbol, expr: sp.Expr, target: sp.Expr, budget: float) -> list | None:
    """``(where, expr there, target there)`` at the real zeros of ``part`` in ``s`` inside ``s``'s domain (at most
    four), or None when SymPy cannot solve for ``s`` (a timeout, a ``BaseException``, is the proof's)."""
    try:
        with time_limit(budget):
            solutions = sp.solve(part, s)
    except Exception:
        return None
    inside = [z for z in solutions[:4] if z.is_extended_real is not False]
    inside = [z for z in inside if not (z.is_number and isinstance(s, Var)) or s.domain.contains_exactly(z)]
    return [(f"{s} = {z}", expr.xreplace({s: z}), target.xreplace({s: z})) for z in inside]


def _limit_differs(ob: LimitOf, at: sp.Expr, claimed: sp.Expr, budget: float) -> str | None:
    """How the limit of ``at`` differs from ``claimed`` on some side of ``ob`` (:data:`_FAILED` when SymPy cannot
    take it), or None when it equals it there or ``at`` is undefined throughout (nothing is claimed there)."""
    if at.has(sp.nan, sp.zoo):
        return None
    for side in ob.sides():
        try:  # a timeout (a BaseException) is the proof's: more time might show the degenerate case agrees
            with time_limit(budget):
                value = _one_sided_limit(at, ob.var, sp.sympify(ob.to), side)
        except Exception:
            return _FAILED
        bad = sp.Limit, sp.AccumBounds, sp.sign, sp.nan, sp.oo, sp.S.NegativeInfinity, sp.zoo
        if value != claimed and (value.has(*bad) or prove_zero(value - claimed, budget).status != "proved"):
            return f"the limit is {value}, not {claimed}"
    return None


def prove_limit(ob: LimitOf, budget: float) -> SymbolicOutcome:
    """Compute ``sympy.limit`` on every side of ``ob.sides()`` and compare each with the claim.

    Proved only when every one-sided limit equals the claimed value: a finite one when
    :func:`prove_zero` reduces ``limit − value`` to 0 (the value may contain other symbols), an
    infinite one structurally (``oo``, ``-oo``, ``zoo``). A limit containing ``sign(·)``,
    ``AccumBounds`` or an unevaluated ``Limit`` decides nothing (unproved, with the reason).
    """
    expr = rewrite_special(ob.expr)
    target = sp.sympify(ob.value)
    to = sp.sympify(ob.to)
    for side in ob.sides():
        where = f"{ob.var} → {to}" if to.is_infinite else f"{ob.var} → {to}{side}"
        try:
            with time_limit(budget):
                value = _one_sided_limit(expr, ob.var, to, side)
        except SymbolicTimeout:
            return SymbolicOutcome("timeout", reason=f"{where}: sympy.limit exceeded {budget:g} s")
        except Exception as exc:
            return SymbolicOutcome("unproved", reason=f"{where}: sympy.limit failed: {type(exc).__name__}")
        if isinstance(value, sp.Limit) or value.has(sp.Limit, sp.AccumBounds, sp.sign, sp.nan):
            return SymbolicOutcome("unproved", reason=f"{where}: sympy.limit returned {value}")
        if value.is_infinite or target.is_infinite or value.has(sp.oo, sp.S.NegativeInfinity, sp.zoo):
            if value != target:
                return SymbolicOutcome("unproved", reason=f"{where}: sympy.limit gives {value}, not {target}")
            if target is not sp.zoo:  # SymPy's ±oo absorbs an imaginary part (log x → -oo + iπ as x → 0-)
                try:
                    with time_limit(budget):
                        imag = sp.im(expr)
                        imag = imag if imag == 0 else _one_sided_limit(imag, ob.var, to, side)
                except SymbolicTimeout:
                    return SymbolicOutcome("timeout", reason=f"{where}: sympy.limit of Im f exceeded {budget:g} s")
                except Exception as exc:
                    return SymbolicOutcome(
                        "unproved", reason=f"{where}: sympy.limit of Im f failed: {type(exc).__name__}"
                    )
                if imag != 0:
                    return SymbolicOutcome("unproved", reason=f"{where}: f is not real there (Im f → {imag})")
            continue
        out = prove_zero(value - target, budget)
        if out.status == "timeout":
            return SymbolicOutcome("timeout", reason=f"{where}: sympy.limit gives {value}; {out.reason}")
        if out.status != "proved":
            return SymbolicOutcome("unproved", reason=f"{where}: sympy.limit gives {value}, not {target}")
    degenerate = _degenerate(ob, expr, target, budget)
    if degenerate is not None:  # SymPy's value holds for generic parameters only
        return SymbolicOutcome("unproved", reason=f"sympy.limit assumes generic parameters: {degenerate}")
    return SymbolicOutcome("proved", "sympy.limit")


def prove(ob: Obligation, budget: float = 2.0) -> SymbolicOutcome:
    """Dispatch an obligation to its prover; exceptions become ``error`` outcomes."""
    try:
        if isinstance(ob, Equation):
            return prove_zero(ob.lhs - ob.rhs, budget)
        if isinstance(ob, Sign):
            return prove_sign(ob.expr, ob.strict, budget)
        if isinstance(ob, Invariance):
            return prove_invariance(ob.expr, ob.wrt, budget)
        if isinstance(ob, LimitOf):
            return prove_limit(ob, budget)
        if isinstance(ob, Conditional) and ob.inner is not None:
            out = prove(ob.inner, budget)  # without the hypotheses: a stronger statement
            if out.status == "proved":
                return SymbolicOutcome("proved", f"{out.method}, without needing the hypotheses")
            return SymbolicOutcome(
                out.status, reason=f"{out.reason or out.status} (the prover does not use the hypotheses)"
            )
    except SymbolicTimeout:
        return SymbolicOutcome("timeout", reason=f"exceeded {budget:g} s")
    except Exception as exc:
        return SymbolicOutcome("error", reason=f"{type(exc).__name__}: {exc}")
    return SymbolicOutcome("error", reason=f"no prover for {type(ob).__name__}")
