"""Single-edit mutants of proof obligations, each described in words.

A mutant is an obligation with one planted mistake: a term negated or dropped, a factor negated,
dropped or inverted, a pair of same-domain symbols swapped (winner ↔ loser), one occurrence of a
symbol replaced by another of its domain, a numeric constant changed, an inequality reversed or
its strictness toggled, an independence claimed of one more symbol. An equation is mutated on
one side at a time. Used to test that the checkers catch planted bugs (benchmarks/differential.py)
and, as single edits of a refuted claim, for repair hints.

The order is deterministic: SymPy's canonical argument order, subexpressions outermost first,
and the kinds of edit interleaved round-robin so that a small ``limit`` still samples every kind.
Mutants structurally identical to the original or to an earlier mutant are skipped.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

import sympy as sp
from sympy.printing.str import StrPrinter

from verify.domains import latex_of
from verify.kernel.obligations import (
    Conditional,
    Equation,
    Invariance,
    LimitOf,
    Obligation,
    Sign,
    free_symbols,
)
from verify.unicode_tex import unicode_name

#: the kinds of edit, in the order their streams are interleaved
EXPRESSION_KINDS = (
    "negate term",
    "drop term",
    "swap symbols",
    "change constant",
    "negate factor",
    "drop factor",
    "invert factor",
    "replace symbol",
)
KINDS = ("flip inequality", "toggle strictness", *EXPRESSION_KINDS, "widen independence", "drop hypothesis")
#: edits offered when asked for by kind only (repairs), never planted by default
EXTRA_KINDS = ("negate argument",)

#: the most mutants of one obligation when no ``limit`` is given
MAX_PER_OBLIGATION = 100

#: the longest printed subexpression in a description
SHOWN_CHARS = 48


@dataclass(frozen=True)
class Edit:
    """One edit of an expression: the edited expression, the edit in words, its kind."""

    expr: sp.Expr
    description: str
    kind: str


@dataclass(frozen=True)
class Mutant:
    """An obligation with one planted mistake, the mistake in words, and its kind."""

    obligation: Obligation
    description: str
    kind: str


# --- printing ------------------------------------------------------------------------------------

_GREEK = {
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "eps": "ε",
    "lam": "λ",
    "lambda": "λ",
    "mu": "μ",
    "pi": "π",
    "rho": "ρ",
    "sigma": "σ",
    "tau": "τ",
    "theta": "θ",
}


class _Printer(StrPrinter):
    def _print_Symbol(self, expr):  # noqa: N802 - SymPy printer protocol
        latex = latex_of(expr)
        declared = unicode_name(latex) if latex else None
        return declared or "_".join(_GREEK.get(part, part) for part in expr.name.split("_"))

    def _print_sigmoid(self, expr):
        return f"σ({self._print(expr.args[0])})"


def shown(expr: sp.Basic) -> str:
    """A short one-line rendering of ``expr`` for descriptions (symbols in their declared notation as
    Unicode, else Greek names; ``·`` for products)."""
    text = _Printer().doprint(expr).replace("**", "^").replace("*", "·")
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


# --- expression edits ----------------------------------------------------------------------------

Path = tuple[int, ...]


def _descends(e: sp.Basic) -> bool:
    """Whether edits may go inside ``e``: an expression node without bound variables."""
    if not e.args or not isinstance(e, sp.Expr):
        return False
    if any("free_symbols" in vars(k) for k in type(e).__mro__ if k is not sp.Basic):
        return False  # bound variables: Derivative, Integral, Sum, Lambda, …
    return all(isinstance(a, sp.Expr) for a in e.args)


def nodes_with_paths(expr: sp.Expr) -> Iterator[tuple[Path, sp.Basic, sp.Basic | None]]:
    """``(path, node, parent)`` of every editable node, preorder (outermost first), lazily."""
    stack: list[tuple[Path, sp.Basic, sp.Basic | None]] = [((), expr, None)]
    while stack:
        path, node, parent = stack.pop()
        yield path, node, parent
        if _descends(node):
            stack.extend(((*path, i), a, node) for i, a in reversed(list(enumerate(node.args))))


def _at(expr: sp.Basic, path: Path) -> sp.Basic:
    for i in path:
        expr = expr.args[i]
    return expr


def replaced_at(expr: sp.Basic, path: Path, new: sp.Basic) -> sp.Basic:
    """``expr`` with the node at ``path`` replaced by ``new`` (that occurrence only; parents rebuilt)."""
    if not path:
        return new
    args = list(expr.args)
    args[path[0]] = replaced_at(args[path[0]], path[1:], new)
    return expr.func(*args)


def _valid(e: sp.Basic) -> bool:
    return not e.has(sp.zoo, sp.nan)


def _where(where: str) -> str:
    return f" in {where}" if where else ""


def _terms(nodes, where: str, drop: bool) -> Iterator[tuple[Path, sp.Expr, str]]:
    for path, node, _ in nodes:
        if not isinstance(node, sp.Add):
            continue
        context = _where(where) + (f" (in {shown(node)})" if path else "")
        for i, t in enumerate(node.args):
            rest = node.args[:i] + node.args[i + 1 :]
            if drop:
                yield path, sp.Add(*rest), f"dropped term {shown(t)}{context}"
            else:
                yield path, sp.Add(*rest, -t), f"negated term {shown(t)}{context}"


def _factors(nodes, where: str, how: str) -> Iterator[tuple[Path, sp.Expr, str]]:
    for path, node, parent in nodes:
        if not isinstance(node, sp.Mul):
            continue
        if how == "negate" and (parent is None or isinstance(parent, sp.Add)):
            continue  # the same as negating the whole expression or a term
        around = parent if parent is not None and len(node.args) == 2 and node.args[0].is_Number else node
        context = f"{_where(where)} (in {shown(around)})"  # c·x: say where it occurs
        for i, f in enumerate(node.args):
            if f.is_Number:
                continue
            rest = node.args[:i] + node.args[i + 1 :]
            if how == "negate":
                yield path, sp.Mul(*rest, -f), f"negated factor {shown(f)}{context}"
            elif how == "drop":
                yield path, sp.Mul(*rest), f"dropped factor {shown(f)}{context}"
            else:
                yield path, sp.Mul(*rest, 1 / f), f"inverted factor {shown(f)}{context}"


def _constant_changes(k: sp.Number) -> list[sp.Number]:
    out = [k + 1]
    if k != 0:
        out.append(-k)
    if k.is_Rational and not k.is_Integer:
        out.append(1 / k)  # 1/2 → 2
    return out


def _constants(nodes, where: str) -> Iterator[tuple[Path, sp.Expr, str]]:
    for path, node, parent in nodes:
        if not node.is_Number or not node.is_finite:
            continue
        if node == -1 and isinstance(parent, sp.Mul | sp.Pow):
            continue  # the sign of a term or a reciprocal: negating terms, inverting factors cover these
        context = f" (in {shown(parent)})" if parent is not None else ""
        for new in _constant_changes(node):
            yield path, new, f"changed constant {shown(node)} to {shown(new)}{_where(where)}{context}"


def substitute(expr: sp.Basic, sub: dict) -> sp.Basic:
    """``expr.xreplace(sub)`` with each shared subexpression rebuilt once (``xreplace`` revisits the
    shared subtrees of an expression DAG, such as a partition function inside every term)."""
    memo: dict[int, sp.Basic] = {}

    def go(e: sp.Basic) -> sp.Basic:
        hit = sub.get(e)
        if hit is not None:
            return hit
        done = memo.get(id(e))
        if done is not None:
            return done
        if not e.args or not all(isinstance(a, sp.Basic) for a in e.args):
            out = e
        else:
            args = [go(a) for a in e.args]
            out = e.func(*args) if any(a is not b for a, b in zip(args, e.args, strict=True)) else e
        memo[id(e)] = out
        return out

    return go(sp.sympify(expr))


def same_domain_pairs(symbols: Iterable[sp.Symbol]) -> list[tuple[sp.Symbol, sp.Symbol]]:
    """Pairs of symbols with equal ``domain`` (winner/loser style), ordered by name."""
    ordered = sorted((s for s in symbols if getattr(s, "domain", None) is not None), key=lambda s: s.name)
    return [(a, b) for a, b in itertools.combinations(ordered, 2) if a.domain == b.domain]


def _swaps(expr: sp.Expr, symbols, where: str) -> Iterator[tuple[Path, sp.Expr, str]]:
    present = free_symbols(expr)
    for a, b in same_domain_pairs(symbols):
        if a in present or b in present:
            yield (), substitute(expr, {a: b, b: a}), f"swapped {shown(a)} and {shown(b)}{_where(where)}"


def _replacements(nodes, symbols, where: str) -> Iterator[tuple[Path, sp.Expr, str]]:
    partner: dict[sp.Symbol, sp.Symbol] = {}
    for a, b in same_domain_pairs(symbols):
        partner.setdefault(a, b)
        partner.setdefault(b, a)
    for path, node, parent in nodes:
        if isinstance(node, sp.Symbol) and node in partner:
            new = partner[node]
            context = f" (in {shown(parent)})" if parent is not None else ""
            yield path, new, f"replaced one {shown(node)} by {shown(new)}{_where(where)}{context}"


def _arguments(nodes, where: str) -> Iterator[tuple[Path, sp.Expr, str]]:
    """The argument of a one-argument function negated: σ(x) → σ(−x), exp(m) → exp(−m)."""
    for path, node, _ in nodes:
        if isinstance(node, sp.Function) and len(node.args) == 1 and not node.args[0].is_Number:
            yield path, node.func(-node.args[0]), f"negated the argument of {shown(node)}{_where(where)}"


def _streams(expr: sp.Expr, where: str, symbols) -> list[tuple[str, Iterator[tuple[Path, sp.Expr, str]]]]:
    return [
        ("negate term", _terms(nodes_with_paths(expr), where, drop=False)),
        ("drop term", _terms(nodes_with_paths(expr), where, drop=True)),
        ("swap symbols", _swaps(expr, symbols, where)),
        ("change constant", _constants(nodes_with_paths(expr), where)),
        ("negate factor", _factors(nodes_with_paths(expr), where, "negate")),
        ("drop factor", _factors(nodes_with_paths(expr), where, "drop")),
        ("invert factor", _factors(nodes_with_paths(expr), where, "invert")),
        ("replace symbol", _replacements(nodes_with_paths(expr), symbols, where)),
        ("negate argument", _arguments(nodes_with_paths(expr), where)),
    ]


def _applied(expr: sp.Expr, stream: Iterator[tuple[Path, sp.Expr, str]], kind: str) -> Iterator[Edit]:
    for path, new, description in stream:
        try:
            edited = replaced_at(expr, path, new)
        except Exception:  # a node SymPy cannot rebuild from edited arguments
            continue
        if edited != expr and _valid(edited):
            yield Edit(edited, description, kind)


def _edit_streams(expr: sp.Expr, where: str, symbols=None) -> list[tuple[str, Iterator[Edit]]]:
    expr = sp.sympify(expr)
    symbols = free_symbols(expr) if symbols is None else symbols
    return [(kind, _applied(expr, s, kind)) for kind, s in _streams(expr, where, symbols)]


def _round_robin(streams: list[Iterator]) -> Iterator:
    active = list(streams)
    while active:
        still = []
        for s in active:
            item = next(s, None)
            if item is not None:
                yield item
                still.append(s)
        active = still


def edits(expr: sp.Expr, where: str = "", kinds: Iterable[str] | None = None) -> Iterator[Edit]:
    """Every single edit of ``expr``, kinds interleaved, outermost first; duplicates skipped.

    ``where`` names the expression in descriptions ("lhs" → "negated term β in lhs"); swaps and
    replacements pair the symbols of ``expr`` that share a domain.
    """
    wanted = set(EXPRESSION_KINDS if kinds is None else kinds)
    original = sp.sympify(expr)
    seen = {original}
    for e in _round_robin([s for kind, s in _edit_streams(original, where) if kind in wanted]):
        if e.expr not in seen:
            seen.add(e.expr)
            yield e


# --- obligation mutants --------------------------------------------------------------------------


def _side_streams(ob: Obligation, field: str, where: str, symbols) -> list[tuple[str, Iterator[Mutant]]]:
    def wrap(stream: Iterator[Edit]) -> Iterator[Mutant]:
        for e in stream:
            yield Mutant(replace(ob, **{field: e.expr}), e.description, e.kind)

    return [(kind, wrap(s)) for kind, s in _edit_streams(getattr(ob, field), where, symbols)]


def _interleave(*groups: list[tuple[str, Iterator[Mutant]]]) -> list[tuple[str, Iterator[Mutant]]]:
    """Streams of several expressions, kind by kind: (kind 1 of a, kind 1 of b, kind 2 of a, …)."""
    out = []
    for kind in KINDS:
        out.extend((k, s) for g in groups for k, s in g if k == kind)
    return out


def _relation(strict: bool, negated: bool) -> str:
    """The relation ``Sign(±e, strict)`` states of ``e``."""
    return ("<" if strict else "≤") if negated else (">" if strict else "≥")


def _flips(ob: Sign) -> list[tuple[str, Iterator[Mutant]]]:
    e, rel = shown(ob.expr), _relation(ob.strict, False)

    def flipped() -> Iterator[Mutant]:
        for strict in (not ob.strict, ob.strict):  # the negation of the claim first
            new = _relation(strict, True)
            yield Mutant(replace(ob, expr=-ob.expr, strict=strict), f"reversed {e} {rel} 0 to {e} {new} 0", KINDS[0])

    def toggled() -> Iterator[Mutant]:
        new = _relation(not ob.strict, False)
        yield Mutant(replace(ob, strict=not ob.strict), f"made {e} {rel} 0 into {e} {new} 0", KINDS[1])

    return [(KINDS[0], flipped()), (KINDS[1], toggled())]


def _widen(ob: Invariance) -> Iterator[Mutant]:
    for s in sorted(free_symbols(ob.expr) - set(ob.wrt), key=lambda s: s.name):
        yield Mutant(replace(ob, wrt=(*ob.wrt, s)), f"claimed independence also of {shown(s)}", "widen independence")


def _conditional(ob: Conditional, limit: int) -> list[tuple[str, Iterator[Mutant]]]:
    def inner() -> Iterator[Mutant]:
        for m in mutants(ob.inner, limit=limit):
            yield Mutant(replace(ob, inner=m.obligation), m.description, m.kind)

    def dropped() -> Iterator[Mutant]:
        for i, h in enumerate(ob.hypotheses):
            rest = ob.hypotheses[:i] + ob.hypotheses[i + 1 :]
            what = h.label or shown(h.expr)
            yield Mutant(replace(ob, hypotheses=rest), f"dropped hypothesis {what}", "drop hypothesis")

    return [("inner", inner()), ("drop hypothesis", dropped())]


def _streams_of(ob: Obligation, cap: int) -> list[tuple[str, Iterator[Mutant]]]:
    symbols = ob.free_symbols()
    if isinstance(ob, Equation):
        return _interleave(_side_streams(ob, "lhs", "lhs", symbols), _side_streams(ob, "rhs", "rhs", symbols))
    if isinstance(ob, Sign):
        return _flips(ob) + _side_streams(ob, "expr", "", symbols)
    if isinstance(ob, Invariance):
        return [*_side_streams(ob, "expr", "", symbols), ("widen independence", _widen(ob))]
    if isinstance(ob, LimitOf):
        return _interleave(
            _side_streams(ob, "expr", "the limited expression", symbols),
            _side_streams(ob, "value", "the limit value", symbols),
        )
    if isinstance(ob, Conditional) and ob.inner is not None:
        return _conditional(ob, cap)
    return []  # Recomputation and unknown kinds: nothing symbolic to edit


def mutants(ob: Obligation, limit: int | None = None, kinds: Iterable[str] | None = None) -> list[Mutant]:
    """At most ``limit`` (default :data:`MAX_PER_OBLIGATION`) distinct mutants of ``ob``, in a fixed order.

    ``kinds`` restricts the kinds of edit (see :data:`KINDS`). A :class:`Conditional` is mutated
    in its inner obligation or by dropping a hypothesis; a Recomputation has no mutants.
    """
    cap = MAX_PER_OBLIGATION if limit is None else limit
    wanted = None if kinds is None else set(kinds)
    out: list[Mutant] = []
    seen = {ob}
    streams = [
        s
        for kind, s in _streams_of(ob, cap)
        if (kind not in EXTRA_KINDS if wanted is None else kind in wanted) or kind == "inner"
    ]
    for m in _round_robin(streams):
        if len(out) >= cap:
            break
        if (wanted is not None and m.kind not in wanted) or m.obligation in seen:
            continue
        seen.add(m.obligation)
        out.append(m)
    return out
