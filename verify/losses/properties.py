r"""The properties of a preference loss, each checked with a concrete counterexample when violated.

Notation: ``a = logp_w``, ``b = logp_l`` (policy), ``c = ref_logp_w``, ``d = ref_logp_l``
(reference); the log-ratio margin is :math:`h = (a - c) - (b - d)`.

1. *Preference direction* (``preference_direction``): from the reference policy (``a = c``,
   ``b = d``), moving the policy by ``s`` toward the preferred response never gives a higher loss
   than moving it by ``s`` toward the rejected one — for the margin, the winner alone and the
   loser alone, at step sizes ``s ∈ {½, 1, 2, 4}/β`` — and the wider margin is strictly better
   somewhere. A violation is a sign error (``error``). The infinitesimal version (a gradient
   step at the reference raises ``a`` and lowers ``b``) and monotonicity along the margin path
   are checked too; failing only those is a local surprise (``warning``, with the region).
2. *Reference orientation* (``reference_orientation``): with the policy fixed, moving the
   reference toward the preferred response never lowers the loss (the same mirror tests on
   ``c`` and ``d``). A violation is an orientation error (``error``).
3. *Z/shift invariance* (``shift_invariance``): ``L`` is unchanged when all policy (or all
   reference) log-probabilities shift by a common constant, i.e. it depends on the policy only
   through implicit-reward differences.
4. *Gradient weighting* (``gradient_weighting``): ``−∂L/∂h`` in closed form, its sign and range.
5. *Population optimum* (``population_optimum``): ``argmin_h p·f(h) + (1−p)·f(−h)`` under
   Bradley–Terry data with preference probability ``p``, finite or not.
6. *Shape* (``bounded_below``, ``convexity``, ``beta_limits``).

Every scan is float64 over sampled configurations; every reported violation is re-evaluated
with mpmath at 50 digits and dropped if it does not survive.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import mpmath
import numpy as np
import sympy as sp

from verify.kernel.budget import SymbolicTimeout, time_limit
from verify.kernel.prover import prove_zero
from verify.losses.evaluate import NAMES, CompiledLoss, mpmath_function, numpy_function, point_at
from verify.losses.parse import BETA, CANONICAL, LEN_L, LEN_W, LOGP_L, LOGP_W, REF_LOGP_L, REF_LOGP_W
from verify.losses.results import Counterexample, Evaluation, PropertyResult

A, B, C, D = (s.name for s in (LOGP_W, LOGP_L, REF_LOGP_W, REF_LOGP_L))
STEPS = (0.5, 1.0, 2.0, 4.0)
REL_TOL = 1e-9
SAMPLES = 160
H = sp.Symbol("h", real=True)
P = sp.Symbol("p", positive=True)


def fmt(x: float) -> str:
    """A number for messages: 6 significant digits (−0 printed as 0)."""
    return f"{float(x) + 0.0:.6g}"  # + 0.0: no "-0"


# ---------------------------------------------------------------- sampling and context


def sample_configs(
    uses_beta: bool, n: int = SAMPLES, seed: int = 0, neutral: str | None = None
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """``n`` configurations at the reference policy (``a = c``, ``b = d``) and their step scales.

    ``β`` is log-uniform in [0.03, 20]; lengths are integers in [1, 100]; reference log-probs
    lie below ``−4·scale`` so that every step keeps all log-probabilities ≤ 0.

    ``neutral`` makes the start neutral for a loss without a reference, whose own margin is
    then 0 at the start (a start past a finite target would make shrinking the margin look
    right): ``"reference-free"`` sets ``b = a``; ``"length-normalized"`` sets
    ``b/len_l = a/len_w``; ``"equal"`` sets ``b = a`` and ``len_l = len_w`` (neutral for either
    margin, used when the loss is not a function of one margin).
    """
    rng = np.random.default_rng(seed)
    beta = 10 ** rng.uniform(-1.5, 1.3, n)
    beta[:3] = (0.1, 1.0, 5.0)
    scale = 1 / beta if uses_beta else np.ones(n)
    smax = max(STEPS) * scale
    c = -(smax + rng.uniform(0.5, 60, n))
    d = -(smax + rng.uniform(0.5, 60, n))
    len_w = rng.integers(1, 101, n).astype(float)
    len_l = rng.integers(1, 101, n).astype(float)
    if neutral == "equal":
        len_l = len_w.copy()
    if neutral in ("reference-free", "equal"):
        d = c.copy()
    elif neutral == "length-normalized":
        per_token = -(smax + rng.uniform(0.5, 60, n)) / np.minimum(len_w, len_l)
        c, d = per_token * len_w, per_token * len_l
    cfg = {
        A: c.copy(),
        B: d.copy(),
        C: c,
        D: d,
        BETA.name: beta,
        LEN_W.name: len_w,
        LEN_L.name: len_l,
    }
    return cfg, scale


def shifted(cfg: Mapping[str, np.ndarray], **deltas: np.ndarray | float) -> dict[str, np.ndarray]:
    out = dict(cfg)
    for k, v in deltas.items():
        out[k] = cfg[k] + v
    return out


@dataclass
class MarginForm:
    """``L = g(h)`` for a margin ``h`` of the named kind (checked, not assumed)."""

    kind: str
    text: str
    g: sp.Expr  # in H and β only


@dataclass
class Context:
    loss: CompiledLoss
    uses_beta: bool
    uses_reference: bool
    length_normalized: bool
    margin: MarginForm | None
    cfg: dict[str, np.ndarray]
    scale: np.ndarray

    @property
    def params(self) -> dict[str, float]:
        return self.loss.params


def find_margin(loss: CompiledLoss) -> MarginForm | None:
    """Is the loss a function of one margin? Tried: log-ratio, reference-free, length-normalized (with and
    without the reference).

    The substitution ``a = h + …`` must leave no other log-probability or length behind
    (structurally, or numerically at 24 random pairs of points at 50 digits).
    """
    expr = loss.expr
    candidates = [
        ("log-ratio", "h = (logp_w − ref_logp_w) − (logp_l − ref_logp_l)", H + LOGP_L + REF_LOGP_W - REF_LOGP_L),
        ("reference-free", "h = logp_w − logp_l", H + LOGP_L),
        ("length-normalized", "h = logp_w/len_w − logp_l/len_l", LEN_W * (H + LOGP_L / LEN_L)),
        (
            "length-normalized log-ratio",  # TRL's sigmoid_norm
            "h = (logp_w − ref_logp_w)/len_w − (logp_l − ref_logp_l)/len_l",
            REF_LOGP_W + LEN_W * (H + (LOGP_L - REF_LOGP_L) / LEN_L),
        ),
    ]
    others = {LOGP_L, REF_LOGP_W, REF_LOGP_L, LEN_W, LEN_L}
    if LOGP_W not in expr.free_symbols:
        return None
    for kind, text, repl in candidates:
        g = expr.subs(LOGP_W, repl)
        rest = sorted(g.free_symbols & others, key=lambda s: s.name)
        if rest and not _independent(g, rest):
            continue
        if rest:
            g = g.subs({s: (-1 if s in (LOGP_L, REF_LOGP_W, REF_LOGP_L) else 1) for s in rest})
        if H in g.free_symbols:
            return MarginForm(kind, text, g)
    return None


def _independent(g: sp.Expr, rest: list[sp.Symbol]) -> bool:
    rng = np.random.default_rng(1)
    syms = (H, BETA, *rest)
    f = mpmath_function(g, syms)
    with mpmath.workdps(50):
        for _ in range(24):
            h, beta = rng.uniform(-3, 3), 10 ** rng.uniform(-1, 1)
            draws = [
                [
                    -rng.uniform(0.5, 50) if s.name.startswith(("logp", "ref")) else float(rng.integers(1, 100))
                    for s in rest
                ]
                for _ in range(2)
            ]
            try:
                v1, v2 = (f(mpmath.mpf(h), mpmath.mpf(beta), *map(mpmath.mpf, dr)) for dr in draws)
            except (ZeroDivisionError, ValueError, OverflowError, TypeError):
                return False
            if abs(v1 - v2) > mpmath.mpf(10) ** -30 * max(1, abs(v1)):
                return False
    return True


def make_context(loss: CompiledLoss) -> Context:
    uses_beta = loss.uses(BETA)
    uses_reference = loss.uses(REF_LOGP_W) or loss.uses(REF_LOGP_L)
    margin = find_margin(loss)
    neutral = None
    if not uses_reference:
        neutral = margin.kind if margin is not None and margin.kind != "log-ratio" else "equal"
    cfg, scale = sample_configs(uses_beta, neutral=neutral)
    return Context(
        loss=loss,
        uses_beta=uses_beta,
        uses_reference=uses_reference,
        length_normalized=loss.uses(LEN_W) or loss.uses(LEN_L),
        margin=margin,
        cfg=cfg,
        scale=scale,
    )


# ---------------------------------------------------------------- mirror and sign checks


def _noise(*values: np.ndarray) -> np.ndarray:
    return REL_TOL * sum(np.abs(v) for v in values) + 1e-300


@dataclass
class _Found:
    checked: int
    strict: int
    counterexample: Counterexample | None


def _mirror(
    ctx: Context,
    lower: Mapping[str, int],
    higher: Mapping[str, int],
    labels: tuple[str, str],
    explain: Callable[[dict[str, float], float, float, float], str],
) -> _Found:
    """Require ``L(cfg + s·lower) ≤ L(cfg + s·higher)`` at every configuration and step ``s``."""
    checked = strict = 0
    candidates: list[tuple[float, int, float]] = []
    for k in STEPS:
        s = k * ctx.scale
        lo_pt = shifted(ctx.cfg, **{n: sgn * s for n, sgn in lower.items()})
        hi_pt = shifted(ctx.cfg, **{n: sgn * s for n, sgn in higher.items()})
        lo, hi = ctx.loss("L", lo_pt, at=ctx.cfg), ctx.loss("L", hi_pt, at=ctx.cfg)
        ok = np.isfinite(lo) & np.isfinite(hi)
        checked += int(ok.sum())
        tol = _noise(lo, hi)
        strict += int((ok & (lo < hi - tol)).sum())
        bad = np.nonzero(ok & (lo > hi + tol))[0]
        for i in bad:
            candidates.append((float((lo[i] - hi[i]) / (abs(lo[i]) + abs(hi[i]) + 1e-300)), int(i), k))
    # the smallest step first, then β = 1 (configuration 1), then the clearest violation
    candidates.sort(key=lambda c: (c[2], c[1] != 1, -c[0]))
    for _, i, k in candidates[:6]:
        s = float(k * ctx.scale[i])
        base = point_at(ctx.cfg, i, ctx.params)
        p_lo = {**base, **{n: base[n] + sgn * s for n, sgn in lower.items()}}
        p_hi = {**base, **{n: base[n] + sgn * s for n, sgn in higher.items()}}
        v_lo, v_hi = ctx.loss.exact("L", p_lo, at=base), ctx.loss.exact("L", p_hi, at=base)
        if not (mpmath.isfinite(v_lo) and mpmath.isfinite(v_hi)):
            continue
        if v_lo - v_hi <= mpmath.mpf(10) ** -35 * (abs(v_lo) + abs(v_hi)):
            continue
        ce = Counterexample(
            point=base,
            evaluations=[Evaluation(labels[0], "L", p_lo, float(v_lo)), Evaluation(labels[1], "L", p_hi, float(v_hi))],
            relation=(labels[0], ">", labels[1]),
            explanation=explain(base, s, float(v_lo), float(v_hi)),
        )
        return _Found(checked, strict, ce)
    return _Found(checked, strict, None)


def _gradient_sign(
    ctx: Context, quantity: str, want: int, label: str, explain: Callable
) -> tuple[np.ndarray, Counterexample | None]:
    """Require ``want·∂L/∂x ≥ 0`` at the reference configurations; returns the values and a violation."""
    g = ctx.loss(quantity, ctx.cfg)
    scale = sum(np.abs(ctx.loss(f"dL/d{n}", ctx.cfg)) for n in (A, B, C, D)) + 1e-300
    bad = np.nonzero(np.isfinite(g) & (want * g < -REL_TOL * scale))[0]
    order = sorted(bad, key=lambda i: float(want * g[i] / scale[i]))
    for i in order[:6]:
        base = point_at(ctx.cfg, int(i), ctx.params)
        v = ctx.loss.exact(quantity, base)
        if not mpmath.isfinite(v) or want * v >= -(mpmath.mpf(10) ** -35) * float(scale[i]):
            continue
        rel = ">" if want < 0 else "<"
        ce = Counterexample(
            base, [Evaluation(label, quantity, base, float(v))], (label, rel, "0"), explain(base, float(v))
        )
        return g, ce
    return g, None


def _range(x: np.ndarray) -> str:
    x = x[np.isfinite(x)]
    return f"[{fmt(x.min())}, {fmt(x.max())}]" if x.size else "[undefined]"


def _pt_text(p: Mapping[str, float]) -> str:
    return ", ".join(f"{k}={fmt(v)}" for k, v in p.items())


# ---------------------------------------------------------------- margin path scan


@dataclass
class PathProfile:
    beta: float
    bumps: list[tuple[float, float]]  # margins 2t where widening raises the loss, before a fall
    target: float | None  # margin beyond which widening raises the loss (a finite target)
    counterexample: Counterexample | None


def margin_path(ctx: Context, i: int, n: int = 1601) -> PathProfile:
    """The directional derivative ``∂L/∂a − ∂L/∂b`` along ``a = c + t``, ``b = d − t``, ``|t| ≤ 20·scale``."""
    T = 20 * float(ctx.scale[i])
    t = np.linspace(-T, T, n)
    base = point_at(ctx.cfg, i, ctx.params)
    c0, d0 = path_start(ctx, base, T)
    pts = {k: np.full(n, v) for k, v in base.items() if k in NAMES}
    pts.update({A: c0 + t, B: d0 - t, C: np.full(n, c0), D: np.full(n, d0)})
    ga, gb = ctx.loss(f"dL/d{A}", pts), ctx.loss(f"dL/d{B}", pts)
    gm = ga - gb
    finite = np.isfinite(gm)
    tol = 1e-10 * (np.abs(gm[finite]).max() if finite.any() else 1.0)
    sign = np.where(~finite, 0, np.where(gm > tol, 1, np.where(gm < -tol, -1, 0)))
    segments: list[tuple[int, int]] = []
    j = 0
    while j < n:
        if sign[j] == 1:
            k = j
            while k + 1 < n and sign[k + 1] == 1:
                k += 1
            segments.append((j, k))
            j = k + 1
        else:
            j += 1
    bumps, target, ce = [], None, None
    for j, k in segments:
        if (sign[k + 1 :] == -1).any():
            bumps.append((float(2 * t[j]), float(2 * t[k])))
            if ce is None:
                m = (j + k) // 2
                p = {kk: float(v[m]) for kk, v in pts.items()}
                p.update(ctx.params)
                va, vb = ctx.loss.exact(f"dL/d{A}", p), ctx.loss.exact(f"dL/d{B}", p)
                if mpmath.isfinite(va) and mpmath.isfinite(vb) and va > vb:
                    ce = Counterexample(
                        p,
                        [
                            Evaluation("dL/dlogp_w", f"dL/d{A}", p, float(va)),
                            Evaluation("dL/dlogp_l", f"dL/d{B}", p, float(vb)),
                        ],
                        ("dL/dlogp_w", ">", "dL/dlogp_l"),
                        f"at margin {fmt(2 * t[m])} the derivative along (logp_w ↑, logp_l ↓) is "
                        f"{fmt(va - vb)} > 0: widening the margin raises the loss",
                    )
        elif k == n - 1:
            target = float(2 * t[j])
    return PathProfile(float(base[BETA.name]), bumps, target, ce)


def path_start(ctx: Context, base: Mapping[str, float], T: float) -> tuple[float, float]:
    """Reference log-probs below ``−T − 1`` for a path of half-width ``T``; neutral starts stay neutral."""
    c, d = base[C], base[D]
    if ctx.uses_reference:
        return min(c, -T - 1), min(d, -T - 1)
    k = max(1.0, (T + 1) / abs(c), (T + 1) / abs(d))  # scaling keeps b = a and b/len_l = a/len_w
    return k * c, k * d


def _path_indices(ctx: Context) -> list[int]:
    return [0, 1, 2] if ctx.uses_beta else [0]


# ---------------------------------------------------------------- 1. preference direction


def preference_direction(ctx: Context) -> PropertyResult:
    title = "preference direction"
    checks = [
        (
            "margin",
            {A: -1, B: +1},
            {A: +1, B: -1},
            ("L(policy toward rejected)", "L(policy toward preferred)"),
        ),
        ("winner", {A: -1}, {A: +1}, ("L(logp_w lowered)", "L(logp_w raised)")),
        ("loser", {B: +1}, {B: -1}, ("L(logp_l raised)", "L(logp_l lowered)")),
    ]
    what = {
        "margin": "moving the policy toward the rejected response",
        "winner": "lowering the preferred response's log-probability",
        "loser": "raising the rejected response's log-probability",
    }
    found: dict[str, _Found] = {}
    for name, toward_loser, toward_winner, labels in checks:

        def explain(base, s, v_lo, v_hi, name=name):
            return (
                f"from the reference policy, {what[name]} by {fmt(s)} gives L={fmt(v_hi)}, "
                f"less than the opposite move (L={fmt(v_lo)}): training pushes the wrong way"
            )

        # the loss toward the winner must not exceed the loss toward the loser
        found[name] = _mirror(ctx, toward_winner, toward_loser, (labels[1], labels[0]), explain)
    checked = sum(f.checked for f in found.values())
    if checked == 0:
        return PropertyResult(
            "preference_direction",
            title,
            "undecided",
            "warning",
            "the loss is undefined (nan or infinite) at every sampled configuration; nothing was checked",
        )
    details: dict = {"mirror_tests": checked, "step_sizes": [f"{k}/β" if ctx.uses_beta else f"{k}" for k in STEPS]}
    for name in ("margin", "winner", "loser"):
        if found[name].counterexample is not None:
            return PropertyResult(
                "preference_direction",
                title,
                "violated",
                "error",
                found[name].counterexample.explanation,
                details=details,
                counterexample=found[name].counterexample,
            )
    if found["margin"].strict == 0:
        return PropertyResult(
            "preference_direction",
            title,
            "violated",
            "error",
            "the loss never prefers the wider margin: it does not distinguish the preferred from the rejected response",
            details=details,
        )
    ga, ce_a = _gradient_sign(
        ctx,
        f"dL/d{A}",
        -1,
        "dL/dlogp_w",
        lambda p, v: (
            f"at the reference policy ∂L/∂logp_w = {fmt(v)} > 0: a gradient step lowers the preferred response"
        ),
    )
    gb, ce_b = _gradient_sign(
        ctx,
        f"dL/d{B}",
        +1,
        "dL/dlogp_l",
        lambda p, v: f"at the reference policy ∂L/∂logp_l = {fmt(v)} < 0: a gradient step raises the rejected response",
    )
    details.update({"dL/dlogp_w at reference": _range(ga), "dL/dlogp_l at reference": _range(gb)})
    profiles = [margin_path(ctx, i) for i in _path_indices(ctx)]
    bumps = [(pr.beta, b) for pr in profiles for b in pr.bumps]
    targets = [(pr.beta, pr.target) for pr in profiles if pr.target is not None]
    if targets:
        details["finite target along the margin path"] = {f"beta={fmt(b)}": fmt(t) for b, t in targets}
    if bumps:
        details["non-monotone margins"] = [
            {"beta": fmt(b), "margin from": fmt(lo), "margin to": fmt(hi)} for b, (lo, hi) in bumps
        ]
    local = ce_a or ce_b
    if local or bumps:
        parts = []
        if bumps:
            b, (lo, hi) = bumps[0]
            scaled = f" (βh ∈ [{fmt(b * lo)}, {fmt(b * hi)}])" if ctx.uses_beta else ""
            parts.append(
                "non-monotone: widening the margin raises the loss for "
                f"h ∈ [{fmt(lo)}, {fmt(hi)}] at β={fmt(b)}{scaled}"
            )
        if local:
            parts.append(local.explanation)
        parts.append("mirror tests at finite steps pass (no global sign error)")
        ce = local or next((pr.counterexample for pr in profiles if pr.counterexample), None)
        return PropertyResult(
            "preference_direction", title, "violated", "warning", "; ".join(parts), details=details, counterexample=ce
        )
    summary = (
        f"from the reference a gradient step raises logp_w (∂L/∂logp_w ∈ {_range(ga)}) and lowers logp_l "
        f"(∂L/∂logp_l ∈ {_range(gb)}); the wider margin has the lower loss in {checked} mirror tests"
    )
    if targets:
        b, t = targets[0]
        summary += f"; finite target: widening beyond h ≈ {fmt(t)} (β={fmt(b)}) raises the loss"
    return PropertyResult("preference_direction", title, "holds", "ok", summary, details=details)


# ---------------------------------------------------------------- 2. reference orientation


def reference_orientation(ctx: Context) -> PropertyResult:
    title = "reference orientation"
    if not ctx.uses_reference:
        return PropertyResult(
            "reference_orientation", title, "n/a", "ok", "reference-free: the loss does not use the reference"
        )
    checks = [
        ("margin", {C: -1, D: +1}, {C: +1, D: -1}, ("L(reference toward rejected)", "L(reference toward preferred)")),
        ("winner", {C: -1}, {C: +1}, ("L(ref_logp_w lowered)", "L(ref_logp_w raised)")),
        ("loser", {D: +1}, {D: -1}, ("L(ref_logp_l raised)", "L(ref_logp_l lowered)")),
    ]
    what = {
        "margin": "toward the preferred response",
        "winner": "up on the preferred response",
        "loser": "down on the rejected response",
    }
    found = {}
    for name, toward_loser, toward_winner, labels in checks:

        def explain(base, s, v_lo, v_hi, name=name):
            return (
                f"with the policy fixed, moving the reference {what[name]} by {fmt(s)} lowers the loss "
                f"(L={fmt(v_hi)} vs {fmt(v_lo)}): the reference is used with the wrong orientation"
            )

        # a reference preferring the winner leaves more to learn: L(toward loser) ≤ L(toward winner)
        found[name] = _mirror(ctx, toward_loser, toward_winner, labels, explain)
    checked = sum(f.checked for f in found.values())
    if checked == 0:
        return PropertyResult(
            "reference_orientation",
            title,
            "undecided",
            "warning",
            "the loss is undefined (nan or infinite) at every sampled configuration; nothing was checked",
        )
    details: dict = {"mirror_tests": checked}
    for name in ("margin", "winner", "loser"):
        if found[name].counterexample is not None:
            return PropertyResult(
                "reference_orientation",
                title,
                "violated",
                "error",
                found[name].counterexample.explanation,
                details=details,
                counterexample=found[name].counterexample,
            )
    gc, ce_c = _gradient_sign(
        ctx,
        f"dL/d{C}",
        +1,
        "dL/dref_logp_w",
        lambda p, v: (
            f"at the reference policy ∂L/∂ref_logp_w = {fmt(v)} < 0 "
            "(locally, a reference preferring the winner lowers the loss)"
        ),
    )
    gd, ce_d = _gradient_sign(
        ctx,
        f"dL/d{D}",
        -1,
        "dL/dref_logp_l",
        lambda p, v: (
            f"at the reference policy ∂L/∂ref_logp_l = {fmt(v)} > 0 "
            "(locally, a reference preferring the winner lowers the loss)"
        ),
    )
    details.update({"dL/dref_logp_w at reference": _range(gc), "dL/dref_logp_l at reference": _range(gd)})
    local = ce_c or ce_d
    if local:
        return PropertyResult(
            "reference_orientation",
            title,
            "violated",
            "warning",
            local.explanation + "; mirror tests at finite steps pass",
            details=details,
            counterexample=local,
        )
    return PropertyResult(
        "reference_orientation",
        title,
        "holds",
        "ok",
        f"a reference preferring the winner never lowers the loss ({checked} mirror tests; "
        f"∂L/∂ref_logp_w ∈ {_range(gc)}, ∂L/∂ref_logp_l ∈ {_range(gd)} at the reference)",
        details=details,
    )


# ---------------------------------------------------------------- 3. shift invariance


def _shift_holds(ctx: Context, names: tuple[str, ...], budget: float) -> tuple[bool, str, Counterexample | None]:
    """Is ``L`` unchanged when every variable in ``names`` shifts by the same constant?"""
    s = sp.Symbol("s", real=True)
    syms = [CANONICAL[n] for n in names]
    expr = ctx.loss.expr
    diff = expr.subs({x: x + s for x in syms}, simultaneous=True) - expr
    if diff == 0:
        return True, "symbolic (automatic simplification)", None
    rng = np.random.default_rng(3)
    n = ctx.cfg[A].size
    base = shifted(ctx.cfg, **{A: -rng.uniform(0, 5, n) * ctx.scale, B: -rng.uniform(0, 5, n) * ctx.scale})
    for shift in (-3.0, -0.7):
        moved = shifted(base, **{k: shift * ctx.scale for k in names})
        l0, l1 = ctx.loss("L", base), ctx.loss("L", moved)
        ok = np.isfinite(l0) & np.isfinite(l1)
        bad = np.nonzero(ok & (np.abs(l1 - l0) > _noise(l0, l1)))[0]
        for i in bad[:6]:
            p0 = point_at(base, int(i), ctx.params)
            sh = float(shift * ctx.scale[i])
            p1 = {**p0, **{k: p0[k] + sh for k in names}}
            v0, v1 = ctx.loss.exact("L", p0), ctx.loss.exact("L", p1)
            if (
                mpmath.isfinite(v0)
                and mpmath.isfinite(v1)
                and abs(v1 - v0) > mpmath.mpf(10) ** -35 * (abs(v0) + abs(v1))
            ):
                ce = Counterexample(
                    p0,
                    [Evaluation("L", "L", p0, float(v0)), Evaluation("L(shifted)", "L", p1, float(v1))],
                    ("L", "!=", "L(shifted)"),
                    f"shifting {', '.join(names)} by {fmt(sh)} changes the loss from {fmt(v0)} to {fmt(v1)}",
                )
                return False, "numeric", ce
    out = prove_zero(diff, budget)
    if out.status == "proved":
        return True, f"symbolic ({out.method})", None
    return True, f"numeric ({2 * n} shifted points)", None


def shift_invariance(ctx: Context) -> PropertyResult:
    title = "Z/shift invariance"
    pol, pol_method, ce = _shift_holds(ctx, (A, B), 0.5)
    ref_ok, ref_method, ce_ref = (True, "n/a", None)
    if ctx.uses_reference:
        ref_ok, ref_method, ce_ref = _shift_holds(ctx, (C, D), 0.5)
    details = {"policy shift": pol_method, "reference shift": ref_method}
    if pol and ref_ok:
        how = pol_method.split(" ")[0]
        return PropertyResult(
            "shift_invariance",
            title,
            "holds",
            "ok",
            "depends on the policy only through implicit-reward differences "
            "(a common shift of the log-probabilities, e.g. a partition function, cancels)",
            method=how,
            details=details,
        )
    ce = ce or ce_ref
    anchored = False
    if ctx.uses_reference:
        w, _, _ = _shift_holds(ctx, (A, C), 0.2)
        lo, _, _ = _shift_holds(ctx, (B, D), 0.2)
        anchored = w and lo
    if anchored:
        why = "anchored: depends on the implicit rewards individually, not only on their difference"
    elif not ctx.uses_reference:
        why = "reference-free: depends on absolute policy log-probabilities"
    elif ctx.length_normalized:
        why = "length-normalized terms depend on absolute log-probabilities"
    else:
        why = None
    if why is not None:
        return PropertyResult(
            "shift_invariance",
            title,
            "info",
            "info",
            f"not shift-invariant ({why}); {ce.explanation if ce else ''}".rstrip("; "),
            details=details,
            counterexample=ce,
        )
    return PropertyResult(
        "shift_invariance",
        title,
        "violated",
        "warning",
        "depends on the policy beyond implicit-reward differences: " + (ce.explanation if ce else ""),
        details=details,
        counterexample=ce,
    )


# ---------------------------------------------------------------- 4. gradient weighting


def _simplify(e: sp.Expr, budget: float = 0.5) -> sp.Expr:
    try:
        with time_limit(budget):
            return sp.simplify(e)
    except SymbolicTimeout:
        return e
    except Exception:
        return e


def _tidy(e: sp.Expr) -> sp.Expr:
    """A readable form: cheap factoring first; ``simplify`` (time-budgeted) only for large forms."""
    e = sp.factor_terms(e)
    return _simplify(e, 0.3) if sp.count_ops(e) > 25 else e


def _zgrid(n: int = 4001, span: float = 20.0) -> np.ndarray:
    return np.linspace(-span, span, n)


def gradient_weighting(ctx: Context) -> PropertyResult:
    title = "gradient weighting"
    if ctx.margin is not None:
        g = ctx.margin.g
        w = -sp.diff(g, H)
        unit = _tidy(w / BETA) if ctx.uses_beta else _tidy(w)
        closed = f"−∂L/∂h = β·({sp.sstr(unit)})" if ctx.uses_beta else f"−∂L/∂h = {sp.sstr(unit)}"
        f = numpy_function(unit, (H, BETA))
        vals, crossings = [], []
        for beta in (0.1, 1.0, 10.0) if ctx.uses_beta else (1.0,):
            z = _zgrid()
            h = z / beta if ctx.uses_beta else z
            v = f(h, np.full_like(h, beta))
            vals.append(v)
            s = np.sign(np.where(np.abs(v) < 1e-12 * np.nanmax(np.abs(v)), 0, v))
            for j in np.nonzero(s[:-1] * s[1:] < 0)[0]:
                crossings.append(float(z[j]))
        allv = np.concatenate(vals)
        where = "βh" if ctx.uses_beta else "h"
        sign = "positive" if np.nanmin(allv) >= 0 else ("negative" if np.nanmax(allv) <= 0 else "changes sign")
        summary = f"{closed} ({ctx.margin.text}); weight in {_range(allv)} for {where} ∈ [−20, 20]; {sign}"
        cross = sorted({round(x, 2) for x in crossings})
        if cross:
            summary += f" at {where} ≈ {', '.join(fmt(x) for x in cross[:4])}"
        return PropertyResult(
            "gradient_weighting",
            title,
            "info",
            "info",
            summary,
            method="symbolic",
            details={
                "weight": sp.sstr(unit),
                "margin": ctx.margin.text,
                "range": _range(allv),
                "sign changes": [fmt(x) for x in cross],
            },
        )
    ww = sp.factor_terms(-ctx.loss.quantities[f"dL/d{A}"])
    wl = sp.factor_terms(ctx.loss.quantities[f"dL/d{B}"])
    ga = -ctx.loss(f"dL/d{A}", ctx.cfg)
    gb = ctx.loss(f"dL/d{B}", ctx.cfg)
    summary = (
        f"not a function of one margin; weight on the preferred response −∂L/∂logp_w = {sp.sstr(ww)} "
        f"(∈ {_range(ga)} at the reference), on the rejected ∂L/∂logp_l = {sp.sstr(wl)} (∈ {_range(gb)})"
    )
    return PropertyResult(
        "gradient_weighting",
        title,
        "info",
        "info",
        summary,
        method="symbolic",
        details={"-dL/dlogp_w": sp.sstr(ww), "dL/dlogp_l": sp.sstr(wl)},
    )


# ---------------------------------------------------------------- 5. population optimum

PROBABILITIES = (0.6, 0.75, 0.9, 0.99)


def _argmin(f: Callable[[np.ndarray], np.ndarray], lo: float, hi: float) -> tuple[float, bool, bool]:
    """Grid + golden-section minimiser on [lo, hi]: ``(x*, at an edge, flat from x* to the edge)``.

    ``x*`` is the first grid minimiser; "flat" means the function is exactly constant from
    ``x*`` to the upper edge (a minimum attained on a half-line, as for the hinge loss).
    """
    x = np.linspace(lo, hi, 6001)
    y = f(x)
    if not np.isfinite(y).any():
        return math.nan, False, False
    y = np.where(np.isfinite(y), y, np.inf)
    j = int(np.argmin(y))
    edge = j <= 1 or j >= x.size - 2
    flat = not edge and bool(np.all(np.abs(y[j:] - y[j]) <= 1e-13 * abs(y[j])))
    if flat:
        return float(x[j]), edge, flat
    a, b = x[max(j - 1, 0)], x[min(j + 1, x.size - 1)]
    g = (math.sqrt(5) - 1) / 2
    for _ in range(80):
        c1, c2 = b - g * (b - a), a + g * (b - a)
        if f(np.array([c1]))[0] <= f(np.array([c2]))[0]:
            b = c2
        else:
            a = c1
    return float((a + b) / 2), edge, flat


def _describe(x: float, edge: bool, flat: bool) -> str:
    if flat:
        return f"attained on [{fmt(x)}, +∞)"
    if edge:
        return "+∞" if x > 0 else "−∞"
    return fmt(x)


def population_optimum(
    ctx: Context, documented: sp.Expr | None = None, candidates: Mapping[str, sp.Expr] | None = None
) -> PropertyResult:
    """Minimiser of ``p·g(h) + (1−p)·g(−h)``; compared with a documented or known closed form."""
    title = "population optimum"
    if ctx.margin is None:
        return PropertyResult(
            "population_optimum",
            title,
            "n/a",
            "ok",
            "not a function of one margin: no one-dimensional population optimum",
        )
    g = ctx.margin.g
    pop = P * g + (1 - P) * g.subs(H, -H)
    f = numpy_function(pop, (H, BETA, P))
    betas = (0.5, 2.0) if ctx.uses_beta else (1.0,)
    table: dict[str, str] = {}
    numeric: list[tuple[float, float, float, bool]] = []
    for beta in betas:
        span = 60 / beta if ctx.uses_beta else 60.0
        for p in (*PROBABILITIES, 1.0):
            x, edge, flat = _argmin(
                lambda h, p=p, beta=beta: f(h, np.full_like(h, beta), np.full_like(h, p)), -span, span
            )
            finite = not edge and abs(x) < span / 3
            numeric.append((p, beta, x, finite, span))
            table[f"p={p:g}, beta={beta:g}"] = _describe(x, edge, flat)
    if any(math.isnan(x) for _, _, x, _, _ in numeric):
        return PropertyResult(
            "population_optimum", title, "undecided", "warning", "the population loss is undefined on the margin grid"
        )
    wrong = [(p, b, x) for p, b, x, _, _ in numeric if p > 0.5 and x < -1e-6]
    pool = {}
    if documented is not None:
        pool["documented"] = documented
    for k, v in (candidates or {}).items():
        pool.setdefault(k, v)
    matched, matched_expr = None, None
    for name, cand in pool.items():
        cand = cand.subs({sp.Symbol(k, real=True): sp.nsimplify(v) for k, v in ctx.params.items()})
        if cand.free_symbols - {P, BETA}:
            continue
        fc = sp.lambdify((P, BETA), cand, "math")
        ok, compared = True, 0
        for p, beta, x, finite, span in numeric:
            if p == 1.0:
                continue
            try:
                want = complex(fc(p, beta))
            except (ValueError, ZeroDivisionError, OverflowError):
                want = complex("nan")
            if want.imag == 0 and math.isfinite(want.real) and abs(want.real) < span / 3:
                ok = finite and abs(want.real - x) <= 1e-5 * max(1.0, abs(x))
                compared += 1
            else:  # the closed form is infinite or undefined here: so must the minimiser be
                ok = not finite
            if not ok:
                break
        ok = ok and compared >= 2
        if ok:
            matched, matched_expr = name, cand
            break
    at_one = [f"{table[f'p=1, beta={b:g}']} (β={b:g})" if ctx.uses_beta else table["p=1, beta=1"] for b in betas]
    finite_lt1 = all(fin for p, _, _, fin, _ in numeric if p < 1)
    details: dict = {"numeric minimisers": table}
    # every minimiser for ½ < p < 1 is a positive margin (finite, or +∞): the loss prefers the winner
    details["prefers the preferred response"] = all(x > 1e-6 for p, _, x, _, _ in numeric if 0.5 < p < 1)
    method = "numeric"
    if matched_expr is not None:
        foc = sp.diff(pop, H).subs(H, matched_expr)
        out = prove_zero(foc, 0.3)
        details["closed form"] = sp.sstr(matched_expr)
        details["closed form from"] = matched
        details["first-order condition"] = out.status
        method = "symbolic" if out.status == "proved" else "numeric"
        form = f"h*(p) = {sp.sstr(matched_expr)} (matches the numeric minimiser at {len(numeric) - len(betas)} (p, β)"
        form += ", first-order condition proved)" if out.status == "proved" else ")"
    else:
        form = "h*(p) numerically: " + ", ".join(f"{k} → {v}" for k, v in list(table.items())[:5])
    summary = f"{form}; {'finite' if finite_lt1 else 'not always finite'} for p < 1; at p = 1: h* = {', '.join(at_one)}"
    if wrong:
        p, b, x = wrong[0]
        return PropertyResult(
            "population_optimum",
            title,
            "violated",
            "warning",
            f"the population minimiser prefers the rejected response: p={p:g}, β={b:g} → h*={fmt(x)}; " + summary,
            method=method,
            details=details,
        )
    return PropertyResult("population_optimum", title, "info", "info", summary, method=method, details=details)


# ---------------------------------------------------------------- 6. shape


def bounded_below(ctx: Context) -> PropertyResult:
    title = "bounded below"
    mags = np.array([1e1, 1e2, 1e3, 1e4])
    rays: list[tuple[str, dict[str, float], dict[str, float]]] = []
    base = point_at(ctx.cfg, 1, ctx.params)
    sc = float(ctx.scale[1])
    for name in (A, B, C, D):
        if ctx.loss.uses(CANONICAL[name]):
            rays.append((f"{name} → −∞", base, {name: -1.0}))
    if ctx.loss.uses(LOGP_W) and ctx.loss.uses(LOGP_L):
        rays.append((f"{A}, {B} → −∞ together", base, {A: -1.0, B: -1.0}))
    if ctx.margin is not None:
        g = numpy_function(ctx.margin.g, (H, BETA))
        found = _expected_toward_the_loser(g, mags * sc, base[BETA.name])
        if found is not None:
            return found
        for sgn, label in ((1, "h → +∞"), (-1, "h → −∞")):
            v = g(sgn * mags * sc, np.full(4, base[BETA.name]))
            if _descends(v):
                return _unbounded(
                    title, label, {"h": float(sgn * mags[3] * sc), BETA.name: base[BETA.name], **ctx.params}, v
                )
    elif ctx.loss.uses(LOGP_W) and ctx.loss.uses(LOGP_L):  # no margin form (code, lengths)
        per = base[LEN_W.name] if ctx.length_normalized else 1.0  # a length-normalised margin moves by x/len
        found = _expected_toward_the_loser(_symmetric_margin(ctx, base), mags * sc * per, base[BETA.name])
        if found is not None:
            return found
    for label, p0, direction in rays:
        vals = []
        for m in mags:
            p = dict(p0)
            for k, sg in direction.items():
                p[k] = p0[k] + sg * m * sc
            vals.append(float(np.ravel(ctx.loss("L", p))[0]))
        v = np.array(vals)
        if _descends(v):
            p = dict(p0)
            for k, sg in direction.items():
                p[k] = p0[k] + sg * mags[3] * sc
            return _unbounded(title, label, p, v)
    lows = [ctx.loss("L", shifted(ctx.cfg, **{A: k * ctx.scale, B: -k * ctx.scale})) for k in (-4, -1, 0, 1, 4)]
    low = np.concatenate(lows)
    if not np.isfinite(low).any():
        return PropertyResult(
            "bounded_below", title, "undecided", "warning", "the loss is undefined at every sampled point"
        )
    return PropertyResult(
        "bounded_below",
        title,
        "holds",
        "ok",
        f"no descent to −∞ along the margin or any log-probability (smallest sampled value {fmt(np.nanmin(low))})",
        details={"rays": [r[0] for r in rays] + (["h → ±∞"] if ctx.margin else [])},
    )


def _descends(v: np.ndarray) -> bool:
    """Values at 10, 100, 1000, 10000 step units that fall to −∞: finite, falling over the last three, and
    below −100 times the first."""
    return bool(np.all(np.isfinite(v)) and v[3] < v[2] < v[1] and v[3] < -100 * max(1.0, abs(v[0])))


#: preference probabilities of the winner at which the expected loss must not reward the loser without limit
PREFERRED = (0.6, 0.75, 0.9)


def _expected_toward_the_loser(g, sizes: np.ndarray, beta: float) -> PropertyResult | None:
    """An error when, with the winner preferred (``p > 1/2``), the expected loss ``p·g(h) + (1 − p)·g(−h)``
    falls without limit as ``h → −∞``: minimising it over a population drives the margin toward the
    loser (label-smoothing weights ``ε`` and ``1 − ε`` swapped in robust DPO). A loss unbounded below only
    toward the winner (robust DPO itself) is the warning of :func:`bounded_below`."""
    b = np.full(sizes.size, beta)
    with np.errstate(all="ignore"):
        down, up = g(-sizes, b), g(sizes, b)
    for p in PREFERRED:
        v = p * down + (1 - p) * up
        if _descends(v):
            return PropertyResult(
                "bounded_below",
                "bounded below",
                "violated",
                "error",
                f"with the winner preferred (p = {p:g}) the expected loss p·L(h) + (1 − p)·L(−h) falls without limit "
                f"toward the loser: {', '.join(fmt(x) for x in v)} at h = −10, −100, −1000, −10000 step units "
                "(minimising it over a population drives the margin toward the rejected response)",
                details={"p": p, "values": [fmt(x) for x in v]},
            )
    return None


def _symmetric_margin(ctx: Context, base: dict[str, float]):
    """``g(h, β)`` for a loss without a margin form: its value with the two responses alike (equal
    log-probabilities, references and lengths, as at ``base``'s winner) and then one of them lowered by ``|h|``,
    the loser for ``h > 0``, the winner for ``h < 0`` (log-probabilities stay ≤ 0). From a symmetric start
    ``g(−h)`` is the same policy with the labels swapped, as :func:`_expected_toward_the_loser` needs for a
    population's flipped labels."""
    even = {**base, B: base[A], D: base[C], **({LEN_L.name: base[LEN_W.name]} if LEN_W.name in base else {})}

    def g(h: np.ndarray, _beta: np.ndarray) -> np.ndarray:
        moved = [{**even, A: even[A] - max(0.0, -x), B: even[B] - max(0.0, x)} for x in np.ravel(h)]
        return np.array([float(np.ravel(ctx.loss("L", p))[0]) for p in moved])

    return g


def _unbounded(title: str, label: str, point: dict[str, float], values: np.ndarray) -> PropertyResult:
    return PropertyResult(
        "bounded_below",
        title,
        "violated",
        "warning",
        f"unbounded below as {label}: L = {', '.join(fmt(v) for v in values)} at 10, 100, 1000, 10000 step units "
        "(minimising drives the loss to −∞)",
        details={"ray": label, "values": [fmt(v) for v in values], "at": {k: fmt(v) for k, v in point.items()}},
    )


def convexity(ctx: Context) -> PropertyResult:
    title = "convexity in the margin"
    if ctx.margin is not None:
        g = numpy_function(ctx.margin.g, (H, BETA))
        beta = 1.0
        z = np.linspace(-30, 30, 6001)
        dz = z[1] - z[0]
        v = g(z, np.full_like(z, beta))
        d2 = v[:-2] - 2 * v[1:-1] + v[2:]
        tol = 1e-9 * (np.abs(v[:-2]) + np.abs(v[1:-1]) + np.abs(v[2:])) + 1e-300
        bad = d2 < -tol
        where = "h at β=1" if ctx.uses_beta else "h"
        if not bad.any():
            return PropertyResult(
                "convexity",
                title,
                "holds",
                "ok",
                f"convex in the margin (second differences ≥ 0 for {where} ∈ [−30, 30])",
            )
        zs = z[1:-1][bad]
        return PropertyResult(
            "convexity",
            title,
            "info",
            "info",
            f"not convex in the margin: concave for {where} in [{fmt(zs.min())}, {fmt(zs.max())}] "
            f"(grid step {fmt(dz)})",
            details={"concave from": fmt(zs.min()), "concave to": fmt(zs.max())},
        )
    # along the margin path of one configuration
    i = 1
    T = 20 * float(ctx.scale[i])
    t = np.linspace(-T, T, 4001)
    base = point_at(ctx.cfg, i, ctx.params)
    c0, d0 = path_start(ctx, base, T)
    pts = {k: np.full(t.size, v) for k, v in base.items() if k in NAMES}
    pts.update({A: c0 + t, B: d0 - t, C: np.full(t.size, c0), D: np.full(t.size, d0)})
    v = ctx.loss("L", pts)
    d2 = v[:-2] - 2 * v[1:-1] + v[2:]
    bad = d2 < -(1e-9 * (np.abs(v[:-2]) + np.abs(v[1:-1]) + np.abs(v[2:])) + 1e-300)
    if not bad.any():
        return PropertyResult("convexity", title, "holds", "ok", "convex along the margin path from the reference")
    ts = 2 * t[1:-1][bad]
    return PropertyResult(
        "convexity",
        title,
        "info",
        "info",
        f"not convex along the margin path: concave for margin in [{fmt(ts.min())}, {fmt(ts.max())}] "
        f"at β={fmt(base[BETA.name])}",
    )


def _trend(values: list[float]) -> str:
    v = np.array(values)
    if not np.all(np.isfinite(v)):
        return "undefined"
    if abs(v[-1] - v[-2]) <= 1e-4 * max(1.0, abs(v[-1])):
        return fmt(v[-1])
    if abs(v[-1]) > 10 * abs(v[-2]) > 0:
        return "+∞" if v[-1] > 0 else "−∞"
    return f"{fmt(v[-1])} (not settled)"


def beta_limits(ctx: Context) -> PropertyResult:
    title = "β → 0 and β → ∞"
    if not ctx.uses_beta:
        return PropertyResult("beta_limits", title, "n/a", "ok", "the loss does not use β")
    small, large = (1e-3, 1e-5, 1e-7), (1e3, 1e5, 1e7)
    if ctx.margin is not None:
        g = numpy_function(ctx.margin.g, (H, BETA))

        def at(h, betas):
            return [float(g(np.array([h]), np.array([b]))[0]) for b in betas]

        out = {f"β→0, h={h:+g}": _trend(at(h, small)) for h in (1.0, -1.0)}
        out.update({f"β→∞, h={h:+g}": _trend(at(h, large)) for h in (1.0, -1.0)})
    else:
        base = point_at(ctx.cfg, 1, ctx.params)
        out = {}
        for t in (1.0, -1.0):
            p = {**base, A: base[C] + t, B: base[D] - t}
            for label, betas in (("β→0", small), ("β→∞", large)):
                out[f"{label}, margin={2 * t:+g}"] = _trend([float(ctx.loss("L", {**p, BETA.name: b})) for b in betas])
    summary = "; ".join(f"{k}: L → {v}" for k, v in out.items())
    return PropertyResult("beta_limits", title, "info", "info", summary, details=out)
