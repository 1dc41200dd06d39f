"""Single edits of a claim: the candidate repairs of a refuted step, each described in words.

An edit changes one thing in the claim as written: a term, a factor, a function's argument or a
side negated; a term or a factor dropped, inverted or multiplied in (β, 1/2, a length…); a term
added (one that occurs elsewhere in the claim, or the log of a positive symbol such as a
partition function); a pair of same-domain symbols, or two roles (every ``_w`` symbol with its
``_l`` partner), swapped in the whole claim, one side or one term; a constant changed; an
inequality reversed or its strictness toggled; a minimum made a maximum; ``=`` weakened to
equality up to a constant in one vector of symbols. Expression edits come from
:mod:`verify.search.mutants` (the same edits the differential harness plants), so a planted
single edit has its inverse in this space whenever the inverse is a single edit. A family
(:class:`ForSizes`) is edited only by edits that mean the same at every size (swaps, reversed
relations, a negated side, min ↔ max).

The order is deterministic and interleaves the kinds of edit, so that a bounded number of
candidates still tries every kind; :data:`PRIORITY` ranks the edits that survive screening.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import sympy as sp

from verify.domains import domain_of, families
from verify.errors import VerifyError
from verify.kernel.obligations import free_symbols, nodes
from verify.model import (
    Claim,
    Equal,
    EqualUpToConstant,
    ForSizes,
    Implies,
    IndependentOf,
    Inequality,
    Limit,
    Solves,
    Stationary,
)
from verify.search.mutants import (
    EXPRESSION_KINDS,
    EXTRA_KINDS,
    edits,
    nodes_with_paths,
    replaced_at,
    same_domain_pairs,
    shown,
    substitute,
)

#: the kinds of repair, most telling first: a hint of an earlier kind is shown first
PRIORITY = (
    "swap symbols",
    "change kind",
    "negate side",
    "negate term",
    "negate factor",
    "negate argument",
    "flip inequality",
    "toggle strictness",
    "change constant",
    "add factor",
    "drop factor",
    "add term",
    "drop term",
    "invert factor",
    "replace symbol",
    "narrow independence",
    "up to a constant",
)

#: the most terms offered for "add term" (occurring elsewhere in the claim, or log of a positive symbol)
MAX_ADDED_TERMS = 12
#: the most factors offered for "add factor"
MAX_ADDED_FACTORS = 8

#: the expression edits of :mod:`verify.search.mutants`, the repairs' own first
_EXPRESSION_KINDS = (*EXTRA_KINDS, *EXPRESSION_KINDS)


@dataclass(frozen=True)
class Repair:
    """A claim with one edit, the edit in words, its kind (one of :data:`PRIORITY`) and the part of
    the claim it edits (``"lhs"``, ``"rhs"``, …; None for an edit of the whole claim)."""

    claim: Claim
    description: str
    kind: str
    where: str | None = None


Rebuild = Callable[[sp.Expr], Claim]

#: what building an edited claim may raise when the claim kind refuses the edit
REFUSED = (VerifyError, TypeError, ValueError, ZeroDivisionError, sp.SympifyError)


def _make(build: Callable[[], Claim | None], description: str, kind: str, where: str | None = None) -> Repair | None:
    """The repair ``build()`` makes, or None when the claim kind refuses the edit."""
    try:
        claim = build()
    except REFUSED:
        return None
    return None if claim is None else Repair(claim, description, kind, where)


def _rank(kind: str) -> int:
    return PRIORITY.index(kind) if kind in PRIORITY else len(PRIORITY)


def _is_expr(e: object) -> bool:
    return isinstance(e, sp.Expr) and not isinstance(e, sp.MatrixBase)


# --- the editable expressions of each claim kind -------------------------------------------------


def _slots(claim: Claim) -> list[tuple[str, sp.Expr, Rebuild]]:
    """``(name, expression, rebuild)`` for every expression of ``claim`` an edit may change."""
    c = claim
    if isinstance(c, Equal) and _is_expr(c.lhs):
        return [("lhs", c.lhs, lambda e: Equal(e, c.rhs)), ("rhs", c.rhs, lambda e: Equal(c.lhs, e))]
    if isinstance(c, Inequality):
        return [
            ("lhs", c.lhs, lambda e: Inequality(e, c.rel, c.rhs, c.extremum)),
            ("rhs", c.rhs, lambda e: Inequality(c.lhs, c.rel, e, c.extremum)),
        ]
    if isinstance(c, EqualUpToConstant):
        return [
            ("lhs", c.lhs, lambda e: EqualUpToConstant(e, c.rhs, c.wrt)),
            ("rhs", c.rhs, lambda e: EqualUpToConstant(c.lhs, e, c.wrt)),
        ]
    if isinstance(c, IndependentOf):
        return [("the expression", c.expr, lambda e: IndependentOf(e, c.wrt))]
    if isinstance(c, Limit):
        return [
            ("the limit value", c.value, lambda e: Limit(c.expr, c.var, c.to, e, c.direction)),
            ("the limited expression", c.expr, lambda e: Limit(e, c.var, c.to, c.value, c.direction)),
        ]
    if isinstance(c, Stationary):
        out: list[tuple[str, sp.Expr, Rebuild]] = [
            (f"the point's {shown(x)}", v, lambda e, x=x: Stationary(c.f, {**c.point, x: e}, c.kind, c.scope))
            for x, v in c.point.items()
        ]
        return [*out, ("the function", c.f, lambda e: Stationary(e, c.point, c.kind, c.scope))]
    if isinstance(c, Solves):
        return [
            (f"the solution's {shown(x)}", v, lambda e, x=x: Solves(c.equations, {**c.solution, x: e}))
            for x, v in c.solution.items()
        ]
    if isinstance(c, Implies):
        return [
            (where, e, lambda new, r=rebuild: Implies(c.hypotheses, r(new), c.names, c.symbolic))
            for where, e, rebuild in _slots(c.conclusion)
        ]
    return []


def _named(where: str, description: str) -> str:
    """Mutant descriptions say "in lhs"; ours say "in the lhs" (and name other parts as they are)."""
    return description.replace(f" in {where}", f" in the {where}" if where in ("lhs", "rhs") else f" in {where}")


# --- edits ---------------------------------------------------------------------------------------


def _swapped(claim: Claim, a: sp.Symbol, b: sp.Symbol) -> Claim | None:
    """``claim`` with ``a`` and ``b`` exchanged everywhere."""
    return _substituted(claim, {a: b, b: a})


def _substituted(claim: Claim, sub: dict) -> Claim | None:
    """``claim`` with the symbols of ``sub`` replaced everywhere (None when the claim kind has no slots)."""
    if isinstance(claim, Equal | Inequality | EqualUpToConstant | IndependentOf | Limit | Solves | Stationary):
        return _rebuilt(claim, sub)
    if isinstance(claim, Implies):
        inner = _substituted(claim.conclusion, sub)
        if inner is None:
            return None
        # rebuilt unevaluated: a hypothesis is a relation to search under, not one to decide here
        hyps = tuple(type(h)(substitute(h.lhs, sub), substitute(h.rhs, sub), evaluate=False) for h in claim.hypotheses)
        return Implies(hyps, inner, claim.names, claim.symbolic)
    return None


def _rebuilt(c: Claim, sub: dict) -> Claim:
    x = lambda e: substitute(e, sub)  # noqa: E731
    if isinstance(c, Equal):
        return Equal(x(c.lhs), x(c.rhs))
    if isinstance(c, Inequality):
        ext = {k: x(v) for k, v in c.extremum.items()} if c.extremum else None
        return Inequality(x(c.lhs), c.rel, x(c.rhs), ext)
    if isinstance(c, EqualUpToConstant):
        return EqualUpToConstant(x(c.lhs), x(c.rhs), c.wrt)
    if isinstance(c, IndependentOf):
        return IndependentOf(x(c.expr), c.wrt)
    if isinstance(c, Limit):
        return Limit(x(c.expr), c.var, c.to, x(c.value), c.direction)
    if isinstance(c, Solves):
        return Solves([(x(a), x(b)) for a, b in c.equations], {k: x(v) for k, v in c.solution.items()})
    assert isinstance(c, Stationary)
    return Stationary(x(c.f), {k: x(v) for k, v in c.point.items()}, c.kind, c.scope)


def _symbols(claim: Claim) -> set[sp.Symbol]:
    return free_symbols(*(e for _, e, _ in _slots(claim)))


def _roles(symbols: set[sp.Symbol]) -> list[tuple[str, dict[sp.Symbol, sp.Symbol]]]:
    """Swaps of two roles: same-domain symbols whose names differ in one ``_``-separated part
    (``pi_w``/``pi_l``, ``ref_w``/``ref_l``) grouped by that difference (``w`` ↔ ``l``), when a
    role has more than one symbol; each as ``(words, substitution)``."""
    groups: dict[tuple[str, str], list[tuple[sp.Symbol, sp.Symbol]]] = {}
    for a, b in same_domain_pairs(symbols):
        pa, pb = a.name.split("_"), b.name.split("_")
        differ = [i for i in range(len(pa)) if len(pa) == len(pb) and pa[i] != pb[i]]
        if len(differ) == 1:
            groups.setdefault((pa[differ[0]], pb[differ[0]]), []).append((a, b))
    out = []
    for (x, y), pairs in sorted(groups.items()):
        if len(pairs) > 1 and len({s for p in pairs for s in p}) == 2 * len(pairs):
            sub = {k: v for a, b in pairs for k, v in ((a, b), (b, a))}
            out.append((f"{x} and {y} swapped ({', '.join(f'{shown(a)} ↔ {shown(b)}' for a, b in pairs)})", sub))
    return out


def _swaps(claim: Claim) -> Iterator[Repair]:
    symbols = _symbols(claim)
    for words, sub in _roles(symbols):
        r = _make(lambda sub=sub: _substituted(claim, sub), words, "swap symbols")
        if r is not None:
            yield r
    for a, b in same_domain_pairs(symbols):
        r = _make(lambda a=a, b=b: _swapped(claim, a, b), f"{shown(a)} and {shown(b)} swapped", "swap symbols")
        if r is not None:
            yield r


def _role_swaps_inside(claim: Claim) -> Iterator[Repair]:
    """A role swap in one side, or in one term of a sum (winner and loser swapped in one term)."""
    roles = _roles(_symbols(claim))
    if not roles:
        return
    for where, e, rebuild in _slots(claim):
        for words, sub in roles:
            what = f"{words} in {_the(where)}"
            yield _make(lambda e=e, sub=sub, r=rebuild: r(substitute(e, sub)), what, "swap symbols", where)
            for path, node, _ in nodes_with_paths(e):
                if not isinstance(node, sp.Add):
                    continue
                for t in node.args:
                    moved = substitute(t, sub)
                    if moved == t:
                        continue
                    new = replaced_at(e, path, sp.Add(*[moved if a == t else a for a in node.args]))
                    what = f"{words} in the term {shown(t)} of the {where}"
                    yield _make(lambda new=new, r=rebuild: r(new), what, "swap symbols", where)


_FLIP = {">=": "<=", "<=": ">=", ">": "<", "<": ">"}
_TOGGLE = {">=": ">", ">": ">=", "<=": "<", "<": "<="}


def _relations(claim: Claim) -> Iterator[Repair]:
    c = claim
    if isinstance(c, Implies):
        for r in _relations(c.conclusion):
            yield _make(lambda r=r: Implies(c.hypotheses, r.claim, c.names, c.symbolic), r.description, r.kind, r.where)
        return
    if isinstance(c, Inequality):
        rel = _FLIP[c.rel]
        what = f"the inequality reversed ({c.rel} → {rel})"
        yield _make(lambda: Inequality(c.lhs, rel, c.rhs), what, "flip inequality")
        if c.extremum is None:
            strict = _TOGGLE[c.rel]
            yield _make(lambda: Inequality(c.lhs, strict, c.rhs), f"{c.rel} made {strict}", "toggle strictness")
    elif isinstance(c, Equal) and _is_expr(c.lhs):
        yield _make(lambda: Equal(-c.lhs, c.rhs), "the lhs negated", "negate side", "lhs")
    if not isinstance(c, Equal | Inequality):  # a point's or a solution's value, a limit's value: negated
        for where, e, rebuild in _slots(c):
            yield _make(lambda e=e, r=rebuild: r(-e), f"{where} negated", "negate side", where)
    if isinstance(c, Stationary) and c.kind in ("min", "max"):
        kind = "max" if c.kind == "min" else "min"
        what = f"a {kind}imum, not a {c.kind}imum"
        yield _make(lambda: Stationary(c.f, c.point, kind, c.scope), what, "change kind")


def _positive_symbols(symbols: set[sp.Symbol]) -> list[sp.Symbol]:
    out = []
    for s in sorted(symbols, key=lambda s: s.name):
        try:
            lower = domain_of(s).support[0]
        except VerifyError:
            continue
        if lower >= 0:
            out.append(s)
    return out


def _added_factors(symbols: set[sp.Symbol]) -> list[sp.Expr]:
    """2, 1/2, and each positive non-distribution symbol (β, a length, Z) and its reciprocal."""
    out: list[sp.Expr] = [sp.Rational(1, 2), sp.Integer(2)]
    for s in _positive_symbols(symbols):
        if domain_of(s).name in ("positive", "positive_integer"):
            out.extend([s, 1 / s])
    return out[: 2 + MAX_ADDED_FACTORS]


def _added_terms(claim: Claim) -> list[sp.Expr]:
    """± each additive term occurring in the claim, and ± log of each positive symbol."""
    pool: list[sp.Expr] = []
    for _, e, _ in _slots(claim):
        for node in nodes(e, sp.Add):  # each shared subexpression once
            pool.extend(t for t in node.args if not t.is_Number)
    for s in _positive_symbols(_symbols(claim)):
        if domain_of(s).name == "positive":
            pool.append(sp.log(s))
    out: list[sp.Expr] = []
    for t in pool:
        for signed in (t, -t):
            if signed not in out:
                out.append(signed)
    return out[: 2 * MAX_ADDED_TERMS]


def _the(where: str) -> str:
    """``where`` with its article: "the lhs", "the function" (a slot named with one already is not given two)."""
    return where if where.startswith("the ") else f"the {where}"


def _multiplied(claim: Claim) -> Iterator[Repair]:
    factors = _added_factors(_symbols(claim))
    for where, e, rebuild in _slots(claim):
        for f in factors:
            what = f"the {where} multiplied by {shown(f)}"
            yield _make(lambda e=e, f=f, r=rebuild: r(e * f), what, "add factor", where)
        if isinstance(e, sp.Add):
            for t, f in itertools.product(e.args, factors):
                new = sp.Add(*[a * f if a == t else a for a in e.args])
                what = f"term {shown(t)} in {_the(where)} multiplied by {shown(f)}"
                yield _make(lambda new=new, r=rebuild: r(new), what, "add factor", where)


def _added(claim: Claim) -> Iterator[Repair]:
    terms = _added_terms(claim)
    for where, e, rebuild in _slots(claim):
        present = set(sp.Add.make_args(e))
        for t in terms:
            if t not in present and -t not in present:
                what = f"{shown(t)} added to the {where}"
                yield _make(lambda e=e, t=t, r=rebuild: r(e + t), what, "add term", where)


def _expression_edits(claim: Claim) -> Iterator[Repair]:
    streams = []
    for where, e, rebuild in _slots(claim):
        for kind in _EXPRESSION_KINDS:

            def stream(e=e, where=where, rebuild=rebuild, kind=kind) -> Iterator[Repair]:
                for ed in edits(e, where, kinds=[kind]):
                    yield _make(lambda x=ed.expr: rebuild(x), _named(where, ed.description), ed.kind, where)

            streams.append(stream())
    yield from _round_robin(streams)


def _weakened(claim: Claim) -> Iterator[Repair]:
    """``=`` weakened to "up to a constant in" one vector of symbols (a policy's, a reward's, θ)."""
    if not (isinstance(claim, Equal) and _is_expr(claim.lhs)):
        return
    for group in families(_symbols(claim)):
        names = ", ".join(shown(s) for s in group) if len(group) <= 3 else f"{shown(group[0])} … {shown(group[-1])}"
        what = f"= weakened to equality up to a constant in {names}"
        yield _make(lambda g=group: EqualUpToConstant(claim.lhs, claim.rhs, g), what, "up to a constant")


def _narrowed(claim: Claim) -> Iterator[Repair]:
    c = claim
    if isinstance(c, IndependentOf | EqualUpToConstant) and len(c.wrt) > 1:
        for s in c.wrt:
            rest = tuple(x for x in c.wrt if x != s)
            new = IndependentOf(c.expr, rest) if isinstance(c, IndependentOf) else EqualUpToConstant(c.lhs, c.rhs, rest)
            yield Repair(new, f"independence of {shown(s)} not claimed", "narrow independence")


def _round_robin(streams: list[Iterator]) -> Iterator[Repair]:
    """One item of each stream in turn (None items, refused edits, are skipped)."""
    active = list(streams)
    while active:
        still = []
        for s in active:
            item = next(s, StopIteration)
            if item is StopIteration:
                continue
            still.append(s)
            if item is not None:
                yield item
        active = still


def _family(claim: ForSizes) -> Iterator[Repair]:
    """Edits of a family that mean the same at every size, applied to every member."""
    first = claim.claim(min([*claim.symbolic, *claim.numeric]))

    def family(transform: Callable[[Claim], Claim | None], description: str, kind: str) -> Repair:
        def build(n: int, t=transform) -> Claim:
            new = t(claim.claim(n))
            if new is None:
                raise VerifyError("this edit does not apply at every size")
            return new

        new = ForSizes(build, claim.symbolic, claim.numeric, None, claim.size_name)
        return Repair(new, description, kind)

    symbols = _symbols(first)
    # a swap means the same at every size when it exchanges two whole roles (vectors ``w_A`` ↔
    # ``w_B``, scalars ``pi_w`` ↔ ``pi_l``), not two entries of the first member's vectors
    entries = {s for f in families(symbols) if len(f) > 1 for s in f}
    for words, sub in _roles(symbols):
        if not all(k.name.rsplit("_", 1)[-1] == v.name.rsplit("_", 1)[-1] for k, v in sub.items() if k in entries):
            continue  # entries i ↔ j of every vector: a relabelling of the first member's points
        yield family(lambda c, sub=sub: _substituted(c, sub), words, "swap symbols")
    for a, b in same_domain_pairs(symbols):
        if a not in entries and b not in entries:
            yield family(lambda c, a=a, b=b: _swapped(c, a, b), f"{shown(a)} and {shown(b)} swapped", "swap symbols")
    for r in filter(None, _relations(first)):
        rel = getattr(r.claim, "rel", None)
        kind = r.kind

        def same(c: Claim, kind=kind, rel=rel) -> Claim | None:
            if kind == "negate side" and isinstance(c, Equal):
                return Equal(c.lhs, -c.rhs)
            if kind in ("flip inequality", "toggle strictness") and isinstance(c, Inequality):
                return Inequality(c.lhs, rel, c.rhs)
            if kind == "change kind" and isinstance(c, Stationary):
                return Stationary(c.f, c.point, "max" if c.kind == "min" else "min", c.scope)
            return None

        yield family(same, r.description, r.kind)


def repairs(claim: Claim, only: Mapping[str, str] | None = None) -> Iterator[Repair]:
    """Every single edit of ``claim`` this module knows, kinds interleaved, deterministic order.

    An edit the claim's own checks refuse (a point outside its domain, a malformed claim) is
    skipped; an edit equal to the claim itself never appears. ``only`` keeps the edits of the
    named parts, renamed in the descriptions (``{"lhs": "claimed gradient"}``: the claimed side of
    a comparison is edited, the true one never).
    """
    seen = {_key(claim)}
    for r in _candidates(claim):
        if only is not None:
            if r.where not in only:
                continue
            text = r.description.replace(f"the {r.where}", f"the {only[r.where]}")
            r = Repair(r.claim, text.replace(f" {r.where}", f" {only[r.where]}"), r.kind, r.where)
        key = _key(r.claim)
        if key not in seen:
            seen.add(key)
            yield r


def _candidates(claim: Claim) -> Iterator[Repair]:
    if isinstance(claim, ForSizes):
        yield from _family(claim)
        return
    streams = [_swaps(claim), _relations(claim), _role_swaps_inside(claim), _expression_edits(claim)]
    streams += [_multiplied(claim), _added(claim), _narrowed(claim), _weakened(claim)]
    yield from _round_robin(streams)


def _key(claim: Claim) -> tuple:
    """What tells two edited claims apart (their expressions compared structurally; a family's
    edits are distinct by construction)."""
    if isinstance(claim, ForSizes):
        return ("ForSizes", id(claim))
    extra = tuple(getattr(claim, name, None) for name in ("rel", "kind", "direction"))
    wrt = tuple(getattr(claim, "wrt", ()))
    hyps = getattr(claim, "hypotheses", ())
    inner = _key(claim.conclusion) if isinstance(claim, Implies) else ()
    return (type(claim).__name__, tuple(e for _, e, _ in _slots(claim)), extra, wrt, tuple(hyps), inner)


def ranked(items: list, kind_of: Callable[[object], str]) -> list:
    """``items`` ordered by the :data:`PRIORITY` of their kinds (stable)."""
    return sorted(items, key=lambda x: _rank(kind_of(x)))
