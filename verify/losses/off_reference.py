r"""Direction away from the reference: what the loss rewards once the margin is no longer 0.

At the reference a small auxiliary term (an SFT/NLL term ``η·logp_w/len_w`` with the wrong sign,
or placed on the rejected response) is outweighed by the margin term whenever ``η < β·len/2``,
so the mirror tests of ``preference_direction`` pass. Away from the reference the margin term
saturates and the auxiliary term decides. Two checks, each reported only with a point where
the whole loss shows it (confirmed with mpmath at 50 digits):

1. *Lowering the winner lowers the loss*: with the margin fixed (the loss's own margin: log-ratio,
   reference-free, or per token), lower ``logp_w`` and ``logp_l`` together by ``t``. The loss
   without its terms in the rejected response alone (which may legitimately reward lowering
   the loser) must not fall without limit: falling at ``t = 10, 100, 1000, 10⁴`` step units,
   the last decade by at least half as much as the one before (a linear or logarithmic fall,
   not a bounded one such as APO-down's ``σ(β r_w)``).
2. *Moving further toward the loser pays*: from starts where the policy already prefers the
   rejected response (margin ``−u``, ``u`` up to 256 step units: the loser above its reference,
   or the winner below it), raising the loser or lowering the winner by one more step must not
   lower the loss. This re-tests away from the reference terms whose gradient vanishes there
   (``−λ·r_l²``, ``r_l²`` inside the margin).
3. *Raising the loser lowers the loss*: an additive term in the rejected response alone that
   never rises as ``logp_l`` rises and falls somewhere rewards raising the loser beyond any
   target: an SFT term on the rejected response (growing without limit as ``logp_l → −∞``), or
   a bounded penalty with its sign flipped (``−λ·relu(logp_l − ref_logp_l)``). The
   counterexample is a point with a wide margin where raising ``logp_l`` lowers the whole loss.
   Terms with their own target (SPPO's ``(r_l + 1/(2β))²``) or that rise with ``logp_l``
   (NCA, BCO, APO) are not flagged.

Not checked: the side where the policy already prefers the winner, away from the reference,
for terms that depend on both responses. A finite target legitimately rewards shrinking a
margin past it (IPO), and APO-down (``∂L/∂logp_w = 0`` at every reference point) rewards
lowering the winner there by design, so a test there cannot tell a sign error from the design;
checks 1 and 3 cover that side for terms in one response alone.
"""

from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp

from verify.losses.evaluate import NAMES, VARIABLES, numpy_function, point_at
from verify.losses.parse import LEN_L, LEN_W, LOGP_L, LOGP_W, REF_LOGP_W
from verify.losses.properties import A, B, C, Context, D, fmt, shifted
from verify.losses.results import Counterexample, Evaluation, PropertyResult

DECADES = np.array([0.0, 10.0, 100.0, 1000.0, 10000.0])
TOL = 1e-9


def additive_terms(expr: sp.Expr) -> tuple[sp.Expr, ...]:
    """The top-level summands of ``expr`` after distributing products over sums (nothing else expanded)."""
    flat = sp.expand(expr, deep=False, mul=True, multinomial=False, power_exp=False, power_base=False, log=False)
    return sp.Add.make_args(flat)


def loser_terms(expr: sp.Expr) -> sp.Expr:
    """The sum of the summands that depend on ``logp_l`` but not on ``logp_w``."""
    return sp.Add(*(t for t in additive_terms(expr) if LOGP_L in t.free_symbols and LOGP_W not in t.free_symbols))


def _rounding(ctx: Context) -> float:
    """The relative rounding of the loss's values: 0 for an expression (evaluated at 50 digits), the
    precision a function known as code computes in (10⁻⁷ or so for float32)."""
    return float(getattr(ctx.loss, "rtol", 0.0))


def _clearly_lower(x: mpmath.mpf, y: mpmath.mpf, rel: float = 0.0) -> bool:
    """``x < y`` by more than 10⁻¹² (or ``rel``) of their scale (not a rounding of the start point)."""
    tol = mpmath.mpf(max(1e-12, rel)) * max(1, abs(x), abs(y))
    return bool(mpmath.isfinite(x) and mpmath.isfinite(y) and y - x > tol)


def _falls_without_limit(v: np.ndarray, rel: float = 0.0) -> np.ndarray:
    """Per column: strictly falling over the decades, the last decade by ≥ half the one before."""
    d = v[:-1] - v[1:]
    tol = max(TOL, 4 * rel) * (np.abs(v[:-1]) + np.abs(v[1:])) + 1e-300
    ok = np.all(np.isfinite(v), 0) & np.all(d > tol, 0)
    return ok & (d[-1] >= 0.5 * d[-2])


def _fixed_margin_step(ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """Per configuration, the change of (logp_w, logp_l) per unit ``t`` that keeps the margin fixed."""
    n = ctx.cfg[A].size
    if ctx.margin is not None and ctx.margin.kind.startswith("length-normalized"):
        return ctx.cfg[LEN_W.name], ctx.cfg[LEN_L.name]
    return np.ones(n), np.ones(n)


def lowering_both(ctx: Context) -> Counterexample | None:
    """Check 1: the loss (without loser-only terms) falls without limit as both log-probs fall together.

    A loss known only as code (no expression to take terms from, ``ctx.loss.expr`` absent) is
    tested whole, with the two responses of equal length: its margin may be per token (SimPO) or
    not, and only then does one step keep either fixed."""
    expr = getattr(ctx.loss, "expr", None)
    cfg = dict(ctx.cfg)
    if expr is not None:
        rest = expr - loser_terms(expr)
        if LOGP_W not in rest.free_symbols:
            return None
        f = numpy_function(rest, VARIABLES)

        def values_at(p: dict) -> np.ndarray:
            return f(*(np.asarray(p[k], dtype=float) for k in NAMES))
    else:
        if LEN_W.name in cfg and LEN_L.name in cfg:
            cfg[LEN_L.name] = cfg[LEN_W.name]

        def values_at(p: dict) -> np.ndarray:
            with np.errstate(all="ignore"):
                return np.asarray(ctx.loss("L", p, at=cfg), dtype=float)

    uw, ul = _fixed_margin_step(ctx)
    values = []
    for t in DECADES:
        p = dict(cfg)
        p[A] = cfg[A] - t * ctx.scale * uw
        p[B] = cfg[B] - t * ctx.scale * ul
        values.append(values_at(p))
    v = np.array(values)
    rel = _rounding(ctx)
    bad = np.nonzero(_falls_without_limit(v, rel))[0]
    if bad.size == 0:
        return None
    order = sorted(bad, key=lambda i: (i != 1, -(v[0, i] - v[-1, i]) / (abs(v[0, i]) + 1e-300)))
    for i in order[:6]:
        base = point_at(cfg, int(i), ctx.params)
        t = float(DECADES[-1] * ctx.scale[i])
        low = {**base, A: base[A] - t * float(uw[i]), B: base[B] - t * float(ul[i])}
        v0, v1 = ctx.loss.exact("L", base), ctx.loss.exact("L", low, at=base)
        if not _clearly_lower(v1, v0, rel):
            continue
        series = ", ".join(fmt(x) for x in v[:, i])
        how = "per token " if float(uw[i]) != 1 or float(ul[i]) != 1 else ""
        return Counterexample(
            base,
            [Evaluation("L(start)", "L", base, float(v0)), Evaluation("L(both lowered)", "L", low, float(v1))],
            ("L(both lowered)", "<", "L(start)"),
            f"lowering the winner lowers the loss: with the margin fixed, lowering logp_w and logp_l together "
            f"{how}by t lowers the loss without limit (L = {series} at t = 0, 10, 100, 1000, 10000 step units "
            f"of {fmt(ctx.scale[i])}): training drives the preferred response's probability down",
        )
    return None


def raising_the_loser(ctx: Context) -> tuple[sp.Expr, Counterexample] | None:
    """Check 3: a loser-only term that never rises as ``logp_l`` rises and falls somewhere, shown on the whole loss.

    Scanned along ``logp_l`` (10⁴ step units below the reference up to 0) at three configurations.
    A term that grows without limit as ``logp_l → −∞`` (an SFT term on the rejected response) is
    shown at a wide margin below the reference; a bounded one (a penalty ``−λ·relu(logp_l −
    ref_logp_l)`` with its sign flipped) where it falls, with the margin made wide by a lower
    reference for the winner, where the margin term no longer outweighs it.
    """
    term = loser_terms(ctx.loss.expr)
    if term == 0 or LOGP_L not in term.free_symbols:
        return None
    g = numpy_function(term, VARIABLES)
    unbounded, falls = True, {}
    for i in (0, 1, 2):
        base = point_at(ctx.cfg, i, ctx.params)
        sc = float(ctx.scale[i])
        grid = np.concatenate([base[B] - sc * DECADES[::-1], np.linspace(base[B], 0.0, 200)[1:]])
        pts = {k: np.full(grid.size, v) for k, v in base.items() if k in NAMES}
        pts[B] = grid
        v = g(*(pts[k] for k in NAMES))
        d = v[:-1] - v[1:]  # > 0: the term falls as logp_l rises
        tol = TOL * (np.abs(v[:-1]) + np.abs(v[1:])) + 1e-300
        if not (np.all(np.isfinite(v)) and np.all(d >= -tol)):
            return None  # it rises somewhere: a target (SPPO) or a penalty on the loser
        unbounded = unbounded and _rises_without_limit(v[:5][::-1])  # at logp_l lowered by 0, 10, …, 10⁴ units
        j = np.nonzero(d > tol)[0]
        if j.size:
            k = int(j[j.size // 2])  # the middle of where it falls
            falls[i] = (float(grid[k]), float(grid[k + 1] - grid[k]))
    if not falls:
        return None
    if unbounded:
        for i in (1, 0, 2):
            base = point_at(ctx.cfg, i, ctx.params)
            sc = float(ctx.scale[i])
            for m in (10.0, 30.0, 100.0, 300.0, 1000.0):
                p = {**base, B: base[B] - m * sc}
                found = _lower_when_raised(ctx, term, p, min(sc, -p[B]), f"at margin {fmt(m * sc)} above the reference")
                if found is not None:
                    return term, found
        return None
    if not ctx.uses_reference:
        return None  # the margin cannot be widened past a logp_l near 0 without a reference
    for i in (1, 0, 2):
        if i not in falls:
            continue
        base = point_at(ctx.cfg, i, ctx.params)
        sc = float(ctx.scale[i])
        at, step = falls[i]
        above = at - base[D]  # how far the loser stands above its reference there
        for m in (10.0, 30.0, 100.0, 300.0, 1000.0):
            p = {**base, B: at, C: base[A] - m * sc - above}  # margin m·sc: the winner's reference lowered
            found = _lower_when_raised(ctx, term, p, min(sc, step), f"at margin {fmt(m * sc)}")
            if found is not None:
                return term, found
    return None


#: how far the loser stands above or below its reference (step units) where a loss known as code is probed,
#: and the margin (step units) made wide there by lowering the winner's reference
LOSER_LEVELS = (-1000.0, -100.0, -10.0, 0.0, 10.0, 100.0)
WIDE = 100.0


def raising_the_loser_in_code(ctx: Context) -> Counterexample | None:
    """Check 3 for a loss known only as code: its terms in the rejected response alone cannot be read off.

    At a wide margin, with the loser at several levels around its reference, compare raising
    ``logp_l`` by one step with lowering ``logp_w`` by one step: the margin moves alike, so a loss
    of the margin alone (DPO, IPO with its target) changes alike. A term in the loser alone that
    never rises as ``logp_l`` rises (the raise never costs more than the lowering) and falls
    somewhere, where raising ``logp_l`` lowers the whole loss, is the error of check 3 (an SFT
    term on the rejected response, an anchor ``−λ·relu(logp_l − ref_logp_l)`` with its sign flipped);
    a target of the loser's own (SPPO) rises past it. Needs a reference to widen the margin."""
    if not ctx.uses_reference:
        return None
    rel = mpmath.mpf(max(1e-12, _rounding(ctx)))
    for i in (1, 0, 2):
        base = point_at(ctx.cfg, i, ctx.params)
        sc = float(ctx.scale[i])
        rows = []
        for level in LOSER_LEVELS:
            r_l = level * sc
            p = {**base, D: base[B] - r_l}
            p[C] = base[A] - (r_l + WIDE * sc)  # margin (r_w − r_l) = WIDE step units
            v0 = ctx.loss.exact("L", p)
            raised, lowered = {**p, B: p[B] + sc}, {**p, A: p[A] - sc}
            v_raise, v_lower = ctx.loss.exact("L", raised, at=p), ctx.loss.exact("L", lowered, at=p)
            if not all(mpmath.isfinite(v) for v in (v0, v_raise, v_lower)):
                break
            tol = rel * max(1, abs(v0), abs(v_raise), abs(v_lower))
            rows.append((level, p, raised, v0, v_raise, (v_raise - v0) - (v_lower - v0), tol))
        else:
            if any(extra > tol for *_, extra, tol in rows):
                continue  # raising the loser costs more somewhere: a target or a penalty on the loser
            for level, p, raised, v0, v_raise, extra, tol in rows:
                if extra < -tol and v_raise < v0 - tol:
                    return Counterexample(
                        p,
                        [
                            Evaluation("L(start)", "L", p, float(v0)),
                            Evaluation("L(logp_l raised)", "L", raised, float(v_raise)),
                        ],
                        ("L(logp_l raised)", "<", "L(start)"),
                        f"raising the loser lowers the loss: at margin {fmt(WIDE * sc)} the loss never costs more for "
                        f"raising logp_l than for lowering logp_w by the same step (a margin term charges both alike), "
                        f"and with the loser {fmt(level * sc)} from its reference raising logp_l by {fmt(sc)} lowers L "
                        f"from {fmt(v0)} to {fmt(v_raise)}: a term in the rejected response alone rewards raising it",
                    )
    return None


def _lower_when_raised(ctx: Context, term: sp.Expr, p: dict, step: float, where: str) -> Counterexample | None:
    """A counterexample if raising ``logp_l`` by ``step`` from ``p`` clearly lowers the whole loss."""
    up = {**p, B: p[B] + step}
    v0, v1 = ctx.loss.exact("L", p), ctx.loss.exact("L", up, at=p)
    if not _clearly_lower(v1, v0):
        return None
    return Counterexample(
        p,
        [Evaluation("L(start)", "L", p, float(v0)), Evaluation("L(logp_l raised)", "L", up, float(v1))],
        ("L(logp_l raised)", "<", "L(start)"),
        f"raising the loser lowers the loss: the term {sp.sstr(term)} depends on the rejected response only and "
        f"never rises as logp_l rises; {where}, raising logp_l from {fmt(p[B])} by {fmt(step)} lowers L from "
        f"{fmt(v0)} to {fmt(v1)}",
    )


SHIFTS = np.array([1.0, 4.0, 16.0, 64.0, 256.0])


def _wrong_side_points(ctx: Context, who: str) -> list[tuple[float, dict[str, np.ndarray]]]:
    """Starts where the policy already prefers the rejected response by ``u`` step units.

    ``who = "loser"``: the loser above its reference (the reference ``ref_logp_l`` lowered by
    ``u``; for a loss without a reference, ``logp_l`` raised by ``u ≤ 2`` from the neutral
    start). ``who = "winner"``: ``logp_w`` lowered by ``u``.
    """
    out = []
    for u in SHIFTS:
        if who == "winner":
            out.append((float(u), shifted(ctx.cfg, **{A: -u * ctx.scale})))
        elif ctx.uses_reference:
            out.append((float(u), shifted(ctx.cfg, **{D: -u * ctx.scale})))
        elif u <= 2:  # logp_l + u + step stays ≤ 0 (starts lie below −4·scale)
            out.append((float(u), shifted(ctx.cfg, **{B: u * ctx.scale})))
    return out


def further_toward_the_loser(ctx: Context) -> Counterexample | None:
    """Check 2: where the policy already prefers the loser, moving further toward it must not pay.

    From starts with the margin ``−u`` (``u`` up to 256 step units), raising the loser by one
    step, or lowering the winner by one step, must not lower the loss. This probes terms whose
    gradient vanishes at the reference (``−λ·r_l²``, ``β·r_l²`` inside the margin), which the
    tests at the reference cannot see.
    """
    moves = (
        ("loser", B, +1, "L(logp_l raised)", "raising the loser"),
        ("winner", A, -1, "L(logp_w lowered)", "lowering the winner"),
    )
    rel = _rounding(ctx)
    for who, var, sign, label, what in moves:
        for u, start in _wrong_side_points(ctx, who):
            moved = shifted(start, **{var: sign * ctx.scale})
            v0, v1 = ctx.loss("L", start), ctx.loss("L", moved, at=start)
            ok = np.isfinite(v0) & np.isfinite(v1)
            with np.errstate(all="ignore"):
                bad = np.nonzero(ok & (v1 < v0 - (max(TOL, 4 * rel) * (np.abs(v0) + np.abs(v1)) + 1e-300)))[0]
            for i in sorted(bad, key=lambda i: i != 1)[:6]:
                p0 = point_at(start, int(i), ctx.params)
                p1 = point_at(moved, int(i), ctx.params)
                e0, e1 = ctx.loss.exact("L", p0), ctx.loss.exact("L", p1, at=p0)
                if not _clearly_lower(e1, e0, rel):
                    continue
                sc = float(ctx.scale[i])
                return Counterexample(
                    p0,
                    [Evaluation("L(start)", "L", p0, float(e0)), Evaluation(label, "L", p1, float(e1))],
                    (label, "<", "L(start)"),
                    f"{what} lowers the loss: where the policy already prefers the rejected response "
                    f"(margin −{fmt(u * sc)}), {what} by {fmt(sc)} lowers L from {fmt(e0)} to {fmt(e1)}",
                )
    return None


def _rises_without_limit(v: np.ndarray) -> bool:
    """``v`` at 0, 10, …, 10⁴ step units: rising, the last decade by ≥ half the one before."""
    return bool(_falls_without_limit(-v.reshape(-1, 1))[0])


def off_reference(ctx: Context) -> PropertyResult:
    """Away from the reference the loss must not reward lowering the winner or raising the loser without limit.

    A loss known only as code gets check 1 on the whole loss, check 2, and check 3 as
    :func:`raising_the_loser_in_code` tells a loser-only term apart from the margin."""
    pid, title = "off_reference", "direction away from the reference"
    ce = lowering_both(ctx)
    if ce is not None:
        return PropertyResult(pid, title, "violated", "error", ce.explanation, counterexample=ce)
    ce = further_toward_the_loser(ctx)
    if ce is not None:
        return PropertyResult(pid, title, "violated", "error", ce.explanation, counterexample=ce)
    if getattr(ctx.loss, "expr", None) is None:
        ce = raising_the_loser_in_code(ctx)
        if ce is not None:
            return PropertyResult(pid, title, "violated", "error", ce.explanation, counterexample=ce)
        return PropertyResult(
            pid,
            title,
            "holds",
            "ok",
            "with the margin fixed, lowering both log-probabilities does not lower the loss without limit; where "
            "the policy prefers the rejected response moving further toward it does not pay; at a wide margin "
            "raising the loser is never rewarded beyond what the margin gives",
        )
    found = raising_the_loser(ctx)
    if found is not None:
        term, ce = found
        return PropertyResult(
            pid, title, "violated", "error", ce.explanation, counterexample=ce, details={"term": sp.sstr(term)}
        )
    per_token = ctx.margin is not None and ctx.margin.kind.startswith("length-normalized")
    uses = "per-token margin" if per_token else "margin"
    return PropertyResult(
        pid,
        title,
        "holds",
        "ok",
        f"with the {uses} fixed, lowering both log-probabilities does not lower the loss without limit; "
        "no term in the rejected response alone rewards raising it at every level",
        details={"reference used": REF_LOGP_W in ctx.loss.expr.free_symbols},
    )
