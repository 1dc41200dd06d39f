"""An implementation against its formula: per-example values and per-input gradients.

Values are compared on fuzzed float64 batches with a relative tolerance; a mismatch is shrunk to
a one-example batch with simple inputs that still shows it. Gradients (PyTorch autograd, or
central finite differences for NumPy) are compared with the formula's analytic partial
derivatives; a wrong gradient is named with its factor: sign flipped, winner and loser swapped,
a factor β, 1/β, 1/len, no gradient at all (detached), or a gradient through a weight the formula
wraps in ``stopgrad`` (not detached).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from verify.code.batches import margin_batch, random_batch
from verify.code.formula import Formula
from verify.code.implementation import Implementation
from verify.code.repairs import implemented_edits
from verify.losses.properties import fmt
from verify.losses.results import Counterexample, Evaluation, PropertyResult

VALUE_RTOL = 1e-6
GRAD_RTOL = {True: 1e-6, False: 1e-4}  # autograd, finite differences

ATOL = 1e-9
BATCH, SEEDS = 64, (11, 12, 13)
LOGPS = ("logp_w", "logp_l", "ref_logp_w", "ref_logp_l")
SWAP = {"logp_w": "logp_l", "logp_l": "logp_w", "ref_logp_w": "ref_logp_l", "ref_logp_l": "ref_logp_w"}


def _method(impl: Implementation, x: str) -> str:
    return "autograd" if impl.framework.autograd and x in ("logp_w", "logp_l") else "finite differences"


def _rtol(impl: Implementation, x: str) -> float:
    """Autograd on a policy input is exact to rounding; finite differences (NumPy, the reference) are not."""
    return max(GRAD_RTOL[impl.framework.autograd and x in ("logp_w", "logp_l")], _precision(impl))


def _precision(impl: Implementation) -> float:
    return impl.precision_rtol


def _value_rtol(impl: Implementation) -> float:
    return max(VALUE_RTOL, _precision(impl))


def _differ(x: np.ndarray, y: np.ndarray, rtol: float, scale: np.ndarray | float = 0.0) -> np.ndarray:
    return ~(np.abs(x - y) <= rtol * (np.abs(x) + np.abs(y) + scale) + ATOL)


def _point(batch: Mapping[str, np.ndarray], i: int, inputs, beta: float) -> dict[str, float]:
    out = {k: float(batch[k][i]) for k in inputs}
    out["beta"] = float(beta)
    return out


def _one(point: Mapping[str, float]) -> dict[str, np.ndarray]:
    return {k: np.array([v]) for k, v in point.items() if k != "beta"}


def _disagree(impl: Implementation, formula: Formula, point: dict[str, float], beta: float) -> bool:
    """Do code and formula differ on the one-example batch ``point``?"""
    b = _batch_with_lengths(_one(point))
    c, f = impl.losses(b), formula("L", b, beta)
    return bool(np.isfinite(f).all() and np.isfinite(c).all() and _differ(c, f, _value_rtol(impl)).any())


def _shrink(impl: Implementation, formula: Formula, point: dict[str, float], beta: float) -> dict[str, float]:
    """Simplify each input (integers, then one decimal) while code and formula still disagree."""
    for k in list(point):
        if k == "beta":
            continue
        for cand in (float(round(point[k])), round(point[k], 1)):
            if k.startswith("len") and cand < 1:
                continue
            if cand != point[k] and _disagree(impl, formula, {**point, k: cand}, beta):
                point = {**point, k: cand}
                break
    return point


def _batch_with_lengths(b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    n = b["logp_w"].shape[0]
    return {"ref_logp_w": np.zeros(n), "ref_logp_l": np.zeros(n), "len_w": np.ones(n), "len_l": np.ones(n), **b}


def formula_values(impl: Implementation, formula: Formula, beta: float) -> PropertyResult:
    """Per-example losses equal the formula's at every fuzzed example (relative tolerance 1e-6)."""
    pid, title = "formula_values", f"values = {formula.name}"
    checked = 0
    for seed in SEEDS:
        batch = random_batch(BATCH, beta, seed)
        code, ref = impl.losses(batch), formula("L", batch, beta)
        ok = np.isfinite(ref)
        checked += int(ok.sum())
        bad = np.nonzero(ok & _differ(code, ref, _value_rtol(impl)))[0]
        if bad.size:
            i = int(bad[np.argmax(np.abs(code - ref)[bad])])
            point = _point(batch, i, impl.binding.sequence, beta)
            if _disagree(impl, formula, point, beta):
                point = _shrink(impl, formula, point, beta)
                one = _batch_with_lengths(_one(point))
                vc, vf = float(impl.losses(one)[0]), float(formula("L", one, beta)[0])
                where = f"on the one-example batch {_text(point)}"
                alone = ""
            else:  # the example alone agrees: its value depends on the rest of the batch
                vc, vf = float(code[i]), float(ref[i])
                where = f"in a fuzzed batch of {BATCH}, at example {i} ({_text(point)})"
                alone = "; alone, in a batch of one, it gets the formula's value: it depends on the other examples"
            hint = diagnose(impl, formula, beta, seed)
            ce = Counterexample(
                point,
                [Evaluation("L (code)", "L", point, vc), Evaluation(f"L ({formula.name})", "L", point, vf)],
                ("L (code)", "!=", f"L ({formula.name})"),
                f"{where} the implementation gives L={fmt(vc)}, the formula {fmt(vf)}{alone}",
            )
            summary = f"{ce.explanation} ({bad.size} of {ok.sum()} examples differ in batch {seed - SEEDS[0] + 1})"
            if hint:
                summary += f"; gradients: {hint}"
            details: dict = {"examples": checked}
            edits = implemented_edits(impl, formula, beta, SEEDS, BATCH, _value_rtol(impl))
            if edits:  # the edits of the formula the code computes (rendered with the details)
                details["repair hints"] = edits
            return PropertyResult(pid, title, "violated", "error", summary, details=details, counterexample=ce)
    return PropertyResult(
        pid,
        title,
        "holds",
        "ok",
        f"per-example losses equal {formula.name}'s at {checked} fuzzed examples ({impl.dtype} results, relative "
        f"tolerance {_value_rtol(impl):g})",
        details={"examples": checked},
    )


def _text(point: Mapping[str, float]) -> str:
    return ", ".join(f"{k}={fmt(v)}" for k, v in point.items())


def _gradients(impl: Implementation, formula: Formula, beta: float, seed: int):
    """The code's and the formula's gradients on one fuzzed batch. Finite differences see no detach, so
    where they are the code's method the formula's derivatives are taken through every ``stopgrad``."""
    batch = random_batch(BATCH, beta, seed)
    noise: dict[str, np.ndarray] = {}
    code = impl.gradients(batch, noise)
    thru = {x: formula(f"dL/d{x}", batch, beta, through=True) for x in LOGPS}
    ref = {x: thru[x] if _method(impl, x) == "finite differences" else formula(f"dL/d{x}", batch, beta) for x in LOGPS}
    used = [x for x in LOGPS if x in impl.binding.sequence or formula.uses(x)]
    code = {x: code.get(x, np.zeros(BATCH)) for x in used}
    return batch, code, ref, used, (thru if formula.through is not None else None), noise


def _factors(batch: Mapping[str, np.ndarray], beta: float) -> list[tuple[str, np.ndarray | float]]:
    return [
        ("sign flipped", -1.0),
        ("a factor β", beta),
        ("a factor 1/β", 1 / beta),
        ("a factor 1/len_w", 1 / batch["len_w"]),
        ("a factor 1/len_l", 1 / batch["len_l"]),
        ("a factor len_w", batch["len_w"]),
        ("a factor len_l", batch["len_l"]),
        ("a factor len_l/len_w (len_w where len_l belongs)", batch["len_l"] / batch["len_w"]),
        ("a factor len_w/len_l (len_l where len_w belongs)", batch["len_w"] / batch["len_l"]),
        ("a factor 1/2", 0.5),
        ("a factor 2", 2.0),
    ]


def _absolute(x, code, ref, batch, beta, rtol) -> str | None:
    """∂L/∂x of the code as a fixed transformation of the formula's, if one fits."""
    c, f = code[x], ref[x]
    scale = np.abs(f).max() + 1e-300
    if np.all(np.abs(c) <= 1e-12 * scale):
        return "no gradient flows (detached or not used)"
    y = SWAP[x]
    swapped = y in ref and np.abs(ref[y]).max() > 0 and not _differ(c, ref[y], rtol, scale).any()
    for label, k in _factors(batch, beta):
        if not _differ(c, k * f, rtol, scale).any():
            return label + (" (equivalently winner and loser swapped)" if swapped and label == "sign flipped" else "")
    if swapped:
        return f"equals the formula's ∂L/∂{y} (winner and loser swapped)"
    both = (np.abs(c) > 1e-12 * scale) & (np.abs(f) > 1e-12 * scale)
    if 3 <= both.sum() < both.size:  # piecewise losses (hinge): compare where both gradients are active
        for label, k in _factors(batch, beta):
            k = k[both] if isinstance(k, np.ndarray) else k
            if not _differ(c[both], k * f[both], rtol, scale).any():
                return f"{label} where both are nonzero (the active region moved)"
    return None


def _relative(x, anchor, code, ref, batch, beta, rtol) -> str | None:
    """∂L/∂x relative to ∂L/∂anchor: ``c_x/c_a = k·f_x/f_a`` ("" when consistent, None when nothing fits)."""
    c, f, ca, fa = code[x], ref[x], code[anchor], ref[anchor]
    scale = np.abs(f * ca).max() + 1e-300
    if not _differ(c * fa, f * ca, rtol, scale).any():
        return ""
    y = SWAP[x]
    swapped = not _differ(c * fa, ref[y] * ca, rtol, scale).any()
    for label, k in _factors(batch, beta):
        if not _differ(c * fa, k * f * ca, rtol, scale).any():
            extra = " (equivalently winner and loser swapped)" if swapped and label == "sign flipped" else ""
            return f"{label} relative to ∂L/∂{anchor}{extra}"
    if swapped:
        return f"relative to ∂L/∂{anchor}, the formula's ∂L/∂{y} (winner and loser swapped)"
    return None


def _explain_all(impl, code, ref, batch, beta, used, thru=None, stopped=(), noise=None) -> dict[str, str]:
    """Why each wrong ∂L/∂x differs from the formula's (empty when all agree).

    First a fixed transformation of each input's own gradient; the rest relative to an input
    whose gradient is right (or to ∂L/∂logp_w): when the loss is evaluated at a different
    argument every gradient carries a different weight, but their ratios still show which term
    is wrong. ``noise``: per input, the estimated error of a finite difference in a precision
    below float64 (:meth:`~verify.code.implementation.Implementation.fd_gradients`), allowed on top
    of the tolerance.
    """
    noise = noise or {}

    def differs(x: str, target: np.ndarray) -> bool:
        rtol, scale = _rtol(impl, x), np.abs(target).max()
        return bool((_differ(code[x], target, rtol, scale) & (np.abs(code[x] - target) > noise.get(x, 0.0))).any())

    wrong = [x for x in used if differs(x, ref[x])]
    out: dict[str, str] = {}
    for x in wrong:
        if thru is not None and not differs(x, thru[x]):
            names = ", ".join(f"stopgrad({a})" for a in stopped)
            out[x] = (
                f"flows through {names}, a weight the formula treats as a constant "
                "(detach it: .detach(), jax.lax.stop_gradient)"
            )
            continue
        label = _absolute(x, code, ref, batch, beta, _rtol(impl, x))
        if label is not None:
            out[x] = label
    rest = [x for x in wrong if x not in out]
    if not rest:
        return out
    right = [x for x in used if x not in wrong]
    anchor = right[0] if right else rest[0]
    along = []
    for x in rest:
        if x == anchor:
            continue
        label = _relative(x, anchor, code, ref, batch, beta, _rtol(impl, x))
        if label == "":
            along.append(x)
        elif label is not None:
            out[x] = label
        else:
            out[x] = _range_text(code[x], ref[x])
    if anchor in rest:
        with np.errstate(all="ignore"):
            r = code[anchor] / ref[anchor]
        r = r[np.isfinite(r)]
        same = "the same sign, " if r.size and r.min() > 0 else ""
        names = ", ".join(f"∂L/∂{x}" for x in along)
        out[anchor] = f"{same}a different weight ({_range_text(code[anchor], ref[anchor])})" + (
            f", shared by {names}" if along else ""
        )
    return out


def _range_text(c: np.ndarray, f: np.ndarray) -> str:
    with np.errstate(all="ignore"):
        r = c / f
    r = r[np.isfinite(r)]
    return f"off by a factor in [{fmt(r.min() + 0.0)}, {fmt(r.max() + 0.0)}]" if r.size else "different"


def diagnose(impl: Implementation, formula: Formula, beta: float, seed: int = SEEDS[0]) -> str:
    """Which inputs' gradients differ from the formula's, and how (empty when all agree)."""
    batch, code, ref, used, thru, noise = _gradients(impl, formula, beta, seed)
    return grouped(_explain_all(impl, code, ref, batch, beta, used, thru, formula.stopped, noise))


def grouped(reasons: Mapping[str, str]) -> str:
    """``∂L/∂a, ∂L/∂b: why; ∂L/∂c: other`` — inputs with the same explanation named together."""
    by: dict[str, list[str]] = {}
    for x, why in reasons.items():
        by.setdefault(why, []).append(f"∂L/∂{x}")
    return "; ".join(f"{', '.join(xs)}: {why}" for why, xs in by.items())


def formula_gradient(impl: Implementation, formula: Formula, beta: float) -> PropertyResult:
    """Per-example ∂L/∂input equal the formula's analytic partial derivatives."""
    pid, title = "formula_gradient", f"gradient = ∂{formula.name}"
    how = (
        "autograd for the policy, finite differences for the reference"
        if impl.framework.autograd
        else ("finite differences")
    )
    checked = 0
    for seed in SEEDS:
        batch, code, ref, used, thru, noise = _gradients(impl, formula, beta, seed)
        checked += BATCH
        reasons = _explain_all(impl, code, ref, batch, beta, used, thru, formula.stopped, noise)
        if not reasons:
            continue
        wrong = list(reasons)
        x = wrong[0]
        i = int(np.argmax(np.abs(code[x] - ref[x])))
        point = _point(batch, i, impl.binding.sequence, beta)
        ce = Counterexample(
            point,
            [
                Evaluation(f"dL/d{x} (code)", f"dL/d{x}", point, float(code[x][i])),
                Evaluation(f"dL/d{x} ({formula.name})", f"dL/d{x}", point, float(ref[x][i])),
            ],
            (f"dL/d{x} (code)", "!=", f"dL/d{x} ({formula.name})"),
            f"∂L/∂{x} = {fmt(code[x][i])} ({_method(impl, x)}) but the formula gives {fmt(ref[x][i])}",
        )
        summary = f"{grouped(reasons)} — {ce.explanation}"
        return PropertyResult(
            pid,
            title,
            "violated",
            "error",
            summary,
            details={"examples": checked, "method": how, "wrong": reasons},
            counterexample=ce,
        )
    return PropertyResult(
        pid,
        title,
        "holds",
        "ok",
        f"∂L/∂{', ∂L/∂'.join(used)} ({how}) equal the analytic gradient at {checked} fuzzed examples",
        details={"examples": checked, "method": how},
    )


#: β·margin beyond the fuzzed batches (whose policy stays within ±3/β of the reference), where the
#: code is compared with its formula again: the region a loss reaches late in training
WIDE = np.concatenate([-np.geomspace(5.0, 1000.0, 40), np.geomspace(5.0, 1000.0, 40)])


def _compared(impl: Implementation, values: np.ndarray, defined: np.ndarray) -> np.ndarray:
    """Where ``values`` of the formula are compared with the code: where defined, and for a function
    computing below float64 only where they are at least 10⁻³ of the largest (rounding the inputs
    moves a loss in its exponential tail by whole percents)."""
    if impl.dtype == "float64":
        return defined
    return defined & (np.abs(values) >= 1e-3 * np.abs(np.where(defined, values, 0)).max())


def wide_margins(
    impl: Implementation,
    formula: Formula,
    beta: float,
    uses_beta: bool,
    values: PropertyResult | None = None,
    gradient: PropertyResult | None = None,
) -> PropertyResult:
    """Values and policy gradients equal the formula's also at wide margins, |β·margin| from 5 to 1000.

    A loss computed through a probability (``binary_cross_entropy(sigmoid(x), 1)``, ``-log(sigmoid(x))``)
    agrees at moderate margins and then saturates: torch clamps the log at −100 and the gradient of
    its BCE vanishes below σ = 10⁻¹², so at β·margin ≈ −30 the gradient is a tenth of DPO's and
    training on the hardest pairs stalls (a warning). A gradient of the other sign there is an error: a
    branch for large margins written with its sign flipped trains toward the loser on exactly the pairs
    the policy gets most wrong. Compared where the formula is finite; not where ``values``
    (:func:`formula_values`) found the values different already, and the values only where ``gradient``
    (:func:`formula_gradient`) found the gradients different at ordinary margins (no saturation to blame)."""
    pid, title = "wide_margins", f"wide margins = {formula.name}"
    where = "β·margin" if uses_beta else "margin"
    if values is not None and values.status != "holds":
        return PropertyResult(pid, title, "n/a", "ok", "the values differ from the formula's already (formula_values)")
    batch = margin_batch(WIDE, beta, uses_beta)
    code, ref = impl.losses(batch), formula("L", batch, beta)
    finite = _compared(impl, ref, np.isfinite(ref) & (np.abs(ref) < 1e30))
    checks = [("L", code, ref, finite & _differ(code, ref, _value_rtol(impl)))]
    # gradients by autograd, or by finite differences of float64 values: those of a float32 function
    # this far out are rounding (log-probabilities in the thousands), so there its values decide
    names = [x for x in ("logp_w", "logp_l") if x in impl.binding.sequence]
    names = [x for x in names if _method(impl, x) == "autograd" or impl.dtype == "float64"]
    gradients_differ = gradient is not None and gradient.status != "holds"
    names = [] if gradients_differ else names
    grads = impl.gradients(batch) if names else {}
    for x in names:  # finite differences see no detach: compared with the gradient through every stopgrad
        through = _method(impl, x) == "finite differences"
        f, c = formula(f"dL/d{x}", batch, beta, through=through), grads.get(x, np.zeros(WIDE.size))
        compared = _compared(impl, f, finite & np.isfinite(f))
        checks.append((f"∂L/∂{x}", c, f, compared & _differ(c, f, _rtol(impl, x))))
    found = [  # (|margin|, index, what, code value, formula value) at the narrowest failing margin of each
        (abs(WIDE[i]), int(i), what, float(c[i]), float(f[i]))
        for what, c, f, bad in checks
        for i in sorted(np.nonzero(bad)[0], key=lambda i: abs(WIDE[i]))[:1]
    ]
    if not found:
        return PropertyResult(
            pid,
            title,
            "holds",
            "ok",
            f"values equal {formula.name}'s at {where} ∈ ±[5, 1000] ({WIDE.size} pairs); the gradients differ at "
            "ordinary margins already (formula_gradient)"
            if gradients_differ
            else f"values and ∂L/∂logp equal {formula.name}'s at {where} ∈ ±[5, 1000] ({WIDE.size} pairs)",
        )
    reversed_ = [  # a gradient of the other sign is no saturation: training moves the wrong way there
        (abs(WIDE[i]), int(i), what, float(c[i]), float(f[i]))
        for what, c, f, bad in checks[1:]
        for i in np.nonzero(bad & (c * f < 0) & (np.abs(c) > 1e-3 * np.abs(f)))[0]
    ]
    _, i, what, cv, fv = min(reversed_ or found)
    point = _point(batch, i, impl.binding.sequence, beta)
    quantity = "L" if what == "L" else f"dL/d{what.removeprefix('∂L/∂')}"
    ce = Counterexample(
        point,
        [
            Evaluation(f"{what} (code)", quantity, point, cv),
            Evaluation(f"{what} ({formula.name})", quantity, point, fv),
        ],
        (f"{what} (code)", "!=", f"{what} ({formula.name})"),
        f"at {where} = {fmt(WIDE[i])} the code gives {what} = {fmt(cv)}, the formula {fmt(fv)}",
    )
    if reversed_:
        severity, why = (
            "error",
            (
                "beyond the fuzzed margins the gradient has the other sign, so training there moves the "
                "log-probability the wrong way (a branch for large margins with its sign flipped?)"
            ),
        )
    else:
        severity, why = (
            "warning",
            (
                "the loss saturates or overflows beyond the fuzzed margins (a probability computed before its log? "
                "use logsigmoid/softplus or binary_cross_entropy_with_logits)"
            ),
        )
    return PropertyResult(
        pid,
        title,
        "violated",
        severity,
        f"{ce.explanation}: {why}",
        details={"margin": fmt(WIDE[i])},
        counterexample=ce,
    )
