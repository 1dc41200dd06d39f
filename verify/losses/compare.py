"""Comparing a loss with another (``--against``) and with a hand-derived gradient (``--claimed-grad``).

Two losses are classified, strongest first, as *equal*, *equal up to a constant* (their
difference does not depend on the policy), *equal up to a positive scale* (their policy
gradients are proportional with one positive factor), having the *same population minimisers*
in the margin, or *different* — with a point where they differ.
"""

from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp

from verify.kernel.prover import prove_zero
from verify.losses.evaluate import CompiledLoss, point_at
from verify.losses.parse import CANONICAL, DOMAINS, LEN_L, LEN_W
from verify.losses.properties import PROBABILITIES, STEPS, A, B, C, Context, D, _argmin, fmt, shifted
from verify.losses.results import Counterexample, Evaluation, PropertyResult

TOL = 1e-9


def generic_points(ctx: Context, seed: int = 5) -> dict[str, np.ndarray]:
    """Configurations where every input varies on its own, away from the reference policy.

    The loss's own configurations are neutral for it (the references equal for a loss without a
    reference, the lengths equal for one not of a single margin): there a reference-free DPO equals
    DPO and SimPO with its lengths swapped equals SimPO, so comparisons use these points too.
    """
    rng = np.random.default_rng(seed)
    n = ctx.cfg[A].size
    low = max(STEPS) * ctx.scale
    c, d = -(low + rng.uniform(0.5, 60, n)), -(low + rng.uniform(0.5, 60, n))
    lengths = {LEN_W.name: rng.integers(1, 101, n).astype(float), LEN_L.name: rng.integers(1, 101, n).astype(float)}
    cfg = {**ctx.cfg, A: c.copy(), B: d.copy(), C: c, D: d, **lengths}
    return shifted(cfg, **{A: -rng.uniform(0, 4, n) * ctx.scale, B: -rng.uniform(0, 4, n) * ctx.scale})


def _close(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.abs(x - y) <= TOL * (np.abs(x) + np.abs(y)) + 1e-12


def against(ctx: Context, other: CompiledLoss, other_name: str, other_ctx: Context) -> PropertyResult:
    """Classify ``ctx.loss`` against ``other`` (checked on one shared set of points)."""
    title = f"against {other_name}"
    pid = "against"
    pts = generic_points(ctx)
    mine, theirs = ctx.loss, other
    l1, l2 = mine("L", pts), theirs("L", pts)
    g1 = np.stack([mine(f"dL/d{A}", pts), mine(f"dL/d{B}", pts)])
    g2 = np.stack([theirs(f"dL/d{A}", pts), theirs(f"dL/d{B}", pts)])
    ok = np.isfinite(l1) & np.isfinite(l2) & np.all(np.isfinite(g1), 0) & np.all(np.isfinite(g2), 0)
    n = int(ok.sum())
    details = {"points": n}
    if n == 0:
        return PropertyResult(
            pid, title, "undecided", "warning", "neither loss could be evaluated at the sampled points"
        )
    one_sided = np.nonzero(np.isfinite(l1) != np.isfinite(l2))[0]
    if one_sided.size:  # a loss defined where the other is not is a different loss
        ce = _differ(mine, theirs, other_name, point_at(pts, int(one_sided[0]), {**ctx.params}))
        if mpmath.isfinite(ce.value("L")) != mpmath.isfinite(ce.value(f"L_{other_name}")):
            return _different(other_name, ce, details)
    l1, l2, g1, g2 = l1[ok], l2[ok], g1[:, ok], g2[:, ok]
    if np.all(_close(l1, l2)):
        out = prove_zero(mine.expr - theirs.expr, 1.0)
        how = f"proved ({out.method})" if out.status == "proved" else f"numerically at {n} points"
        return PropertyResult(
            pid,
            title,
            "holds",
            "ok",
            f"equal to {other_name} ({how})",
            method="symbolic" if out.status == "proved" else "numeric",
            details=details,
        )
    if np.all(_close(g1, g2)):
        diff = l1 - l2
        return PropertyResult(
            pid,
            title,
            "holds",
            "ok",
            f"equal to {other_name} up to a constant in the policy (difference in "
            f"[{fmt(diff.min())}, {fmt(diff.max())}], gradients equal at {n} points)",
            details=details,
        )
    factor = _constant_factor(mine, theirs, pts, ok, generic_points(ctx, seed=6))
    if factor is not None:
        return PropertyResult(
            pid,
            title,
            "holds",
            "ok",
            f"equal to {other_name} up to a positive scale ({factor}; policy gradients proportional at {n} points)",
            details=details,
        )
    same_min = _same_minimisers(ctx, other_ctx)
    i = int(np.argmax(np.abs(l1 - l2) / (np.abs(l1) + np.abs(l2) + 1e-300)))
    ce = _differ(mine, theirs, other_name, point_at(pts, int(np.nonzero(ok)[0][i]), {**ctx.params}))
    if same_min:
        return PropertyResult(
            pid,
            title,
            "holds",
            "ok",
            f"same population minimisers as {other_name} ({same_min}), but different losses: " + ce.explanation,
            details=details,
            counterexample=ce,
        )
    return _different(other_name, ce, details)


def _differ(mine: CompiledLoss, theirs: CompiledLoss, other_name: str, base: dict[str, float]) -> Counterexample:
    """Both losses at ``base`` (50 digits), as the point where they differ."""
    v1, v2 = mine.exact("L", base), theirs.exact("L", base)
    undefined = " (one is undefined there)" if mpmath.isfinite(v1) != mpmath.isfinite(v2) else ""
    return Counterexample(
        base,
        [
            Evaluation("L", "L", base, float(v1)),
            Evaluation(f"L_{other_name}", "L", {**base, **theirs.params}, float(v2)),
        ],
        ("L", "!=", f"L_{other_name}"),
        f"the losses differ: L={fmt(v1)}, {other_name}={fmt(v2)}{undefined}",
    )


def _different(other_name: str, ce: Counterexample, details: dict) -> PropertyResult:
    """A loss that is not ``other_name`` up to a constant, a positive scale or its minimisers: an error, as
    in ``verify code --against`` (the loss was named as that variant, and it is not)."""
    return PropertyResult(
        "against",
        f"against {other_name}",
        "violated",
        "error",
        f"different from {other_name}: {ce.explanation}",
        details=details,
        counterexample=ce,
    )


def _ratio(mine: CompiledLoss, theirs: CompiledLoss, pts: dict[str, np.ndarray]) -> np.ndarray:
    """The factor k with ∇L₁ = k·∇L₂ in the policy at each point (nan where not proportional)."""
    g1 = np.stack([mine(f"dL/d{A}", pts), mine(f"dL/d{B}", pts)])
    g2 = np.stack([theirs(f"dL/d{A}", pts), theirs(f"dL/d{B}", pts)])
    norm2 = np.sum(g2 * g2, 0)
    k = np.sum(g1 * g2, 0) / np.where(norm2 > 0, norm2, np.nan)
    return np.where(np.all(_close(g1, k * g2), 0), k, np.nan)


def _constant_factor(mine, theirs, pts, ok, other_pts) -> str | None:
    """A positive factor that does not change with the policy (two policy points per configuration)."""
    k1, k2 = _ratio(mine, theirs, pts)[ok], _ratio(mine, theirs, other_pts)[ok]
    if not (np.all(np.isfinite(k1)) and np.all(np.isfinite(k2)) and np.all(k1 > 0) and np.all(_close(k1, k2))):
        return None
    if np.all(_close(k1, np.full_like(k1, k1[0]))):
        return f"factor {fmt(k1[0])}"
    return f"factor in [{fmt(k1.min())}, {fmt(k1.max())}], independent of the policy"


def _same_minimisers(ctx: Context, other: Context) -> str | None:
    if ctx.margin is None or other.margin is None or ctx.margin.kind != other.margin.kind:
        return None
    from verify.losses.evaluate import numpy_function
    from verify.losses.properties import BETA, H, P

    pops = [numpy_function(P * m.g + (1 - P) * m.g.subs(H, -H), (H, BETA, P)) for m in (ctx.margin, other.margin)]
    count = 0
    for beta in (0.5, 2.0):
        for p in PROBABILITIES:
            xs = [
                _argmin(
                    lambda h, f=f, p=p, beta=beta: f(h, np.full_like(h, beta), np.full_like(h, p)),
                    -60 / beta,
                    60 / beta,
                )
                for f in pops
            ]
            (x1, e1, _), (x2, e2, _) = xs
            if e1 or e2 or abs(x1 - x2) > 1e-5 * max(1.0, abs(x1)):
                return None
            count += 1
    return f"argmin of p·L(h) + (1−p)·L(−h) agrees at {count} (p, β)"


def _negated(cl: CompiledLoss, ctx: Context, variable: str, claimed: sp.Expr, true: sp.Expr) -> PropertyResult | None:
    """A claimed gradient that is exactly the negative of the true one: a sign error (``error``).

    Proved symbolically (``claimed + true ≡ 0``) or, failing that, equal to ``−true`` at every
    sampled point (float64 and at 50 digits at the first points) while not identically zero.
    """
    pid, title = "claimed_gradient", f"claimed ∂L/∂{variable}"
    pts = generic_points(ctx)
    x, y = cl("L", pts), ctx.loss(f"dL/d{variable}", pts)
    fin = np.isfinite(x) & np.isfinite(y)
    if fin.sum() < 8 or not np.all(_close(x[fin], -y[fin])) or np.all(np.abs(y[fin]) <= 1e-300):
        return None
    out = prove_zero(claimed + true, 1.0)
    if out.status != "proved":
        i = int(np.argmax(np.abs(y) * fin))
        p = point_at(pts, i, ctx.params)
        vc, vt = cl.exact("L", p), ctx.loss.exact(f"dL/d{variable}", p)
        if abs(vc + vt) > mpmath.mpf(10) ** -30 * (abs(vc) + abs(vt)):
            return None
    i = int(np.argmax(np.abs(y) * fin))
    p = point_at(pts, i, ctx.params)
    vc, vt = cl.exact("L", p), ctx.loss.exact(f"dL/d{variable}", p)
    how = f"proved: {out.method}" if out.status == "proved" else f"at {int(fin.sum())} points"
    ce = Counterexample(
        p,
        [Evaluation("claimed", "claimed", p, float(vc)), Evaluation("true", f"dL/d{variable}", p, float(vt))],
        ("claimed", "!=", "true"),
        f"claimed ∂L/∂{variable} = {fmt(vc)} but the true value is {fmt(vt)}",
    )
    return PropertyResult(
        pid,
        title,
        "violated",
        "error",
        f"sign error: the claimed gradient is the negative of the true one ({how}); {ce.explanation}; "
        f"true: {sp.sstr(true)}",
        method="symbolic" if out.status == "proved" else "numeric",
        counterexample=ce,
        details={"true gradient": sp.sstr(true), **_hints(claimed, true)},
    )


def _hints(claimed: sp.Expr, true: sp.Expr) -> dict[str, str]:
    """Repair hints for a wrong claimed gradient: single edits of it that the engine proves or
    confirms equal to the true one (imported here: ``verify loss`` loads the engine only for this)."""
    from verify.diagnose.hints import comparison_hints
    from verify.profiles import PROFILES

    hints = comparison_hints(claimed, true, DOMAINS, "claimed gradient", PROFILES["ci"])
    return {"repair hints": "; ".join(f"{h.edit} → {h.status}" for h in hints)} if hints else {}


def claimed_gradient(ctx: Context, variable: str, claimed: sp.Expr) -> PropertyResult:
    """Is ``claimed`` equal to ``∂L/∂variable``? Symbolic first, then at sampled points (50 digits)."""
    title = f"claimed ∂L/∂{variable}"
    pid = "claimed_gradient"
    true = ctx.loss.quantities[f"dL/d{variable}"]
    claimed = claimed.subs({s: sp.nsimplify(ctx.params[s.name]) for s in claimed.free_symbols if s.name in ctx.params})
    extra = sorted(s.name for s in claimed.free_symbols if s.name not in CANONICAL)
    if extra:
        return PropertyResult(
            pid,
            title,
            "undecided",
            "warning",
            f"the claimed gradient uses {', '.join(extra)} without a value (give --param)",
        )
    out = prove_zero(claimed - true, 1.0)
    if out.status == "proved":
        return PropertyResult(
            pid, title, "holds", "ok", f"matches the true gradient (proved: {out.method})", method="symbolic"
        )
    cl = CompiledLoss(claimed)
    flipped = _negated(cl, ctx, variable, claimed, true)
    if flipped is not None:
        return flipped
    pts = generic_points(ctx)
    compared = 0
    for cfg in (ctx.cfg, pts):
        x, y = cl("L", cfg), ctx.loss(f"dL/d{variable}", cfg)
        fin = np.isfinite(x) & np.isfinite(y)
        compared += int(fin.sum())
        # undefined where the true gradient is a number is wrong too (sqrt of a log-probability)
        bad = np.nonzero((fin & ~_close(x, y)) | (np.isfinite(y) & ~np.isfinite(x)))[0]
        for i in bad[:6]:
            p = point_at(cfg, int(i), ctx.params)
            vc, vt = cl.exact("L", p), ctx.loss.exact(f"dL/d{variable}", p)
            if not mpmath.isfinite(vt):
                continue
            if not mpmath.isfinite(vc) or abs(vc - vt) > mpmath.mpf(10) ** -30 * (abs(vc) + abs(vt)):
                ce = Counterexample(
                    p,
                    [
                        Evaluation("claimed", "claimed", p, float(vc)),
                        Evaluation("true", f"dL/d{variable}", p, float(vt)),
                    ],
                    ("claimed", "!=", "true"),
                    f"claimed ∂L/∂{variable} = {fmt(vc)} but the true value is {fmt(vt)}",
                )
                return PropertyResult(  # claimed and wrong: an error, as a wrong --against is
                    pid,
                    title,
                    "violated",
                    "error",
                    f"the claimed gradient is wrong: {ce.explanation}; true: {sp.sstr(true)}",
                    counterexample=ce,
                    details={"true gradient": sp.sstr(true), **_hints(claimed, true)},
                )
    if compared == 0:
        return PropertyResult(
            pid,
            title,
            "undecided",
            "warning",
            "neither the claimed nor the true gradient is a number at any sampled point",
        )
    return PropertyResult(
        pid,
        title,
        "holds",
        "ok",
        f"matches the true gradient numerically at {compared} points (symbolic: {out.reason or out.status})",
    )
