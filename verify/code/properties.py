"""The preference properties checked on the code directly, and what only code can get wrong.

Reused from the loss checker (:mod:`verify.losses.properties`) on the implementation itself:
the preference direction and the reference orientation (mirror tests from the reference policy
and gradient signs there). Here: shift invariance, the gradient weight, the returned rewards
(β·(policy − reference)), batch semantics (per-example vs mean, example i depends only on
example i through every input, permutation equivariance), inputs left unchanged, padding
(token-level inputs: the loss reads only unmasked tokens), float32 stability at large margins,
and gradients that do not flow (autograd against finite differences of the function's own values).
Most fuzzed batches have 64 pairs: a JAX function compiles once per shape.
"""

from __future__ import annotations

from collections.abc import Mapping

import mpmath
import numpy as np

from verify.code.batches import margin_batch, random_batch, reference_configs
from verify.code.formula import Formula
from verify.code.implementation import Implementation, _take
from verify.code.tokens import TOKEN_SOURCES, Layout
from verify.losses.evaluate import NAMES
from verify.losses.properties import Context, fmt
from verify.losses.results import Counterexample, Evaluation, PropertyResult

LOGPS = ("logp_w", "logp_l", "ref_logp_w", "ref_logp_l")
RTOL = 1e-9


class CodeLoss:
    """The implementation in the loss checker's interface: ``loss(quantity, point)`` and ``exact``.

    ``exact`` is the implementation's own float64 value (there is nothing more precise to ask).
    """

    def __init__(self, impl: Implementation):
        self.impl = impl
        self.params: dict[str, float] = {}
        self._last: tuple[object, dict[str, np.ndarray]] | None = None

    def uses(self, symbol) -> bool:
        return symbol.name in self.impl.binding.sequence

    @property
    def rtol(self) -> float:
        """The relative rounding of the values: the precision the function computes in."""
        return self.impl.precision_rtol

    def _batch(self, point: Mapping[str, np.ndarray | float]) -> dict[str, np.ndarray]:
        return {k: np.atleast_1d(np.asarray(point[k], dtype=float)) for k in self.impl.binding.sequence}

    def __call__(self, quantity: str, point: Mapping[str, np.ndarray], at: Mapping | None = None) -> np.ndarray:
        """The implementation's values; ``at`` is ignored: a detached part of code (``.detach()``) cannot
        be held at a move's start, as a formula's ``stopgrad`` is."""
        batch = self._batch(point)
        if quantity == "L":
            return self.impl.losses(batch)
        name = quantity.removeprefix("dL/d")
        if self._last is None or self._last[0] is not point:
            self._last = (point, self.impl.gradients(batch))
        return self._last[1].get(name, np.zeros(batch["logp_w"].shape[0]))

    def exact(self, quantity: str, point: Mapping[str, float], dps: int = 50, at: Mapping | None = None) -> mpmath.mpf:
        value = self(quantity, {k: np.array([point[k]]) for k in NAMES if k in point})
        self._last = None
        return mpmath.mpf(float(value[0]))


def code_context(impl: Implementation, beta: float, uses_beta: bool) -> Context:
    cfg, scale = reference_configs(beta, uses_beta)
    return Context(
        loss=CodeLoss(impl),  # type: ignore[arg-type]
        uses_beta=uses_beta,
        uses_reference=impl.binding.uses_reference,
        length_normalized=impl.binding.uses_lengths,
        margin=None,
        cfg=cfg,
        scale=scale,
    )


def _close(x: np.ndarray, y: np.ndarray, rtol: float = RTOL) -> np.ndarray:
    return np.abs(x - y) <= rtol * (np.abs(x) + np.abs(y)) + 1e-12


def _rtol(impl: Implementation, floor: float = RTOL) -> float:
    """``floor``, or the tolerance of the precision the function computes in if that is coarser."""
    return max(floor, impl.precision_rtol)


# ---------------------------------------------------------------- shift invariance


def _invariant(loss, batch: Mapping[str, np.ndarray], names: tuple[str, ...], shift: float, rtol: float = RTOL):
    moved = {**batch, **{k: batch[k] + shift for k in names if k in batch}}
    l0, l1 = loss(batch), loss(moved)
    bad = np.nonzero(~_close(l0, l1, rtol))[0]
    return bad, l0, l1, moved


def shift_invariance(impl: Implementation, beta: float, formula: Formula | None) -> PropertyResult:
    """L is unchanged when both policy log-probabilities shift by one constant (a partition function)."""
    pid, title = "shift_invariance", "Z/shift invariance"
    batch = random_batch(64, beta, seed=21)
    batch = {k: v - 3.0 if k.startswith(("logp", "ref")) else v for k, v in batch.items()}
    shift = -1.7
    if impl.dtype in ("float16", "bfloat16"):  # whole numbers (< 256) and a whole shift are exact in 16 bits:
        batch = {k: np.round(v) for k, v in batch.items()}  # rounding the inputs cannot break the invariance
        shift = -2.0
    bad, l0, l1, moved = _invariant(impl.losses, batch, ("logp_w", "logp_l"), shift, _rtol(impl))
    if not bad.size:
        return PropertyResult(
            pid,
            title,
            "holds",
            "ok",
            "a common shift of the policy log-probabilities (e.g. a partition function) leaves every "
            f"per-example loss unchanged ({l0.size} examples)",
        )
    i = int(bad[0])
    p0 = {k: float(batch[k][i]) for k in impl.binding.sequence}
    p1 = {k: float(moved[k][i]) for k in impl.binding.sequence}
    ce = Counterexample(
        p0,
        [Evaluation("L", "L", p0, float(l0[i])), Evaluation("L(shifted)", "L", p1, float(l1[i]))],
        ("L", "!=", "L(shifted)"),
        f"shifting logp_w and logp_l by {fmt(shift)} changes the loss from {fmt(l0[i])} to {fmt(l1[i])}",
    )
    if formula is not None:
        fb, *_ = _invariant(lambda b: formula("L", b, beta), batch, ("logp_w", "logp_l"), shift)
        if not fb.size:
            return PropertyResult(
                pid,
                title,
                "violated",
                "warning",
                f"the formula is shift-invariant but the implementation is not: {ce.explanation}",
                counterexample=ce,
            )
        return PropertyResult(
            pid, title, "info", "info", f"not shift-invariant, like the formula: {ce.explanation}", counterexample=ce
        )
    if impl.binding.uses_reference and not impl.binding.uses_lengths:
        return PropertyResult(
            pid,
            title,
            "violated",
            "warning",
            "depends on the policy beyond implicit-reward differences: " + ce.explanation,
            counterexample=ce,
        )
    why = "length-normalized" if impl.binding.uses_lengths else "reference-free"
    return PropertyResult(
        pid, title, "info", "info", f"not shift-invariant ({why}): {ce.explanation}", counterexample=ce
    )


# ---------------------------------------------------------------- gradient weight


def gradient_weight(impl: Implementation, beta: float) -> PropertyResult:
    """The weights −∂L/∂logp_w and ∂L/∂logp_l per example, and whether they are equal (a margin loss)."""
    pid, title = "gradient_weight", "gradient weight"
    batch = random_batch(64, beta, seed=31)
    g = impl.gradients(batch)
    ww, wl = -g.get("logp_w", np.zeros(64)) + 0.0, g.get("logp_l", np.zeros(64)) + 0.0  # no −0
    same = bool(np.all(_close(ww, wl, _rtol(impl, 1e-6 if impl.framework.autograd else 1e-4))))
    summary = (
        f"weight on the preferred response −∂L/∂logp_w ∈ [{fmt(ww.min())}, {fmt(ww.max())}], on the rejected "
        f"∂L/∂logp_l ∈ [{fmt(wl.min())}, {fmt(wl.max())}]"
        + ("; equal per example (one weight on the margin)" if same else "")
    )
    return PropertyResult(pid, title, "info", "info", summary, details={"equal weights": same})


# ---------------------------------------------------------------- rewards


def rewards(impl: Implementation, beta: float) -> PropertyResult:
    """Returned rewards equal β·(policy − reference), or that per token for a loss that takes the lengths
    (TRL's IPO averages the log-probabilities first); reference-free: β·policy, or β·policy/len."""
    pid, title = "rewards", "returned rewards"
    batch = random_batch(64, beta, seed=41)
    out = impl.output(batch)
    if out.rewards is None:
        return PropertyResult(pid, title, "n/a", "ok", "the function returns no rewards")
    chosen, rejected = out.rewards
    # a reference-free reward only for a loss that does not read the reference (taking it and ignoring it,
    # as TRL's dpo_loss does for SimPO, is fine; leaving it out of the rewards of DPO is not)
    reference_free = not impl.binding.uses_reference or _ignores_reference(impl, batch)

    def candidates(side: str) -> dict[str, np.ndarray]:
        logp, ref, n = batch[f"logp_{side}"], batch[f"ref_logp_{side}"], batch[f"len_{side}"]
        out = {}
        if impl.binding.uses_reference:
            out["β·(policy − reference)"] = beta * (logp - ref)
            if impl.binding.uses_lengths:  # TRL's IPO: log-probabilities averaged over the tokens first
                out["β·(policy − reference)/len"] = beta * (logp - ref) / n
        if reference_free:
            out["β·policy"] = beta * logp
            if impl.binding.uses_lengths:
                out["β·policy/len"] = beta * logp / n
        return out

    cw, cl = candidates("w"), candidates("l")
    tol = _rtol(impl, 1e-7)
    for label in cw:
        if np.all(_close(chosen, cw[label], tol)) and np.all(_close(rejected, cl[label], tol)):
            return PropertyResult(pid, title, "holds", "ok", f"chosen and rejected rewards equal {label}")

    def problems_with(label: str) -> list[str]:
        out = []
        for what, got, want, other in (
            ("chosen", chosen, cw[label], cl[label]),
            ("rejected", rejected, cl[label], cw[label]),
        ):
            if np.all(_close(got, want, tol)):
                continue
            policy = batch["logp_w" if what == "chosen" else "logp_l"]
            if np.all(_close(got, other, tol)):
                out.append(f"{what} rewards are the other response's (chosen and rejected swapped)")
            elif np.all(_close(got, -want, tol)):
                out.append(f"{what} rewards have the sign flipped")
            elif np.all(_close(got * beta, want, tol)):
                out.append(f"{what} rewards lack the factor β")
            elif not reference_free and np.all(_close(got, beta * policy, tol)):
                out.append(f"{what} rewards leave out the reference (β·policy, though the loss uses the reference)")
            else:
                out.append(f"{what} rewards are not {label}")
        return out

    # named against the candidate the rewards come closest to (a swap of per-token rewards is a swap)
    found = {label: problems_with(label) for label in cw}
    label = min(found, key=lambda k: sum(" are not " in t for t in found[k]))
    problems = found[label]
    i = 0
    p = {k: float(batch[k][i]) for k in impl.binding.sequence}
    ce = Counterexample(
        p,
        [
            Evaluation("chosen reward (code)", "reward", p, float(chosen[i])),
            Evaluation(f"chosen {label}", "reward", p, float(cw[label][i])),
        ],
        ("chosen reward (code)", "!=", f"chosen {label}") if chosen[i] != cw[label][i] else ("rejected", "!=", label),
        f"chosen reward {fmt(chosen[i])}, {label} = {fmt(cw[label][i])}; rejected reward {fmt(rejected[i])}, "
        f"{label} = {fmt(cl[label][i])}",
    )
    return PropertyResult(
        pid, title, "violated", "warning", "; ".join(problems) + f" ({ce.explanation})", counterexample=ce
    )


def _ignores_reference(impl: Implementation, batch: Mapping[str, np.ndarray]) -> bool:
    """Are the losses unchanged when the reference log-probabilities move (by different amounts per side)?"""
    moved = {**batch, "ref_logp_w": batch["ref_logp_w"] - 7.25, "ref_logp_l": batch["ref_logp_l"] + 4.5}
    return bool(np.all(_close(impl.losses(batch), impl.losses(moved), _rtol(impl))))


# ---------------------------------------------------------------- batch semantics


#: how example 0's inputs are moved to find coupling across the batch (lengths stay integers ≥ 1): a small
#: move (a batch mean), then a large one that makes example 0 the batch's extreme (a batch max or median)
COUPLING_MOVES = {"logp_w": -2.5, "logp_l": -0.5, "ref_logp_w": -1.7, "ref_logp_l": -0.3, "len_w": 3.0, "len_l": 5.0}
COUPLING_LARGE = {
    "logp_w": -60.0,
    "logp_l": -60.0,
    "ref_logp_w": -60.0,
    "ref_logp_l": -60.0,
    "len_w": 500.0,
    "len_l": 500.0,
}


def batch_semantics(impl: Implementation, beta: float, reduction: str) -> PropertyResult:
    """Per-example losses (or the mean, if so declared); example i depends only on example i; permutations."""
    pid, title = "batch_semantics", "batch semantics"
    n = 8
    batch = random_batch(n, beta, seed=51)
    out = impl.output(batch)
    if out.reduced and reduction == "none":
        singles = impl.losses(batch)
        mean_note = " (the mean of the per-example losses)" if np.isclose(float(out.losses), singles.mean()) else ""
        return PropertyResult(
            pid,
            title,
            "violated",
            "error",
            f"returns a scalar{mean_note} where per-example losses of shape ({n},) are expected: per-example "
            "weights, masks and gathering across devices break (pass --reduction mean if the mean is intended)",
            details={"returned": fmt(out.losses)},
        )
    if not out.reduced and reduction == "mean":
        return PropertyResult(
            pid,
            title,
            "violated",
            "error",
            f"returns per-example losses of shape ({n},) where a scalar mean is declared",
        )
    if out.reduced:
        singles = impl.losses(batch)
        if not np.isclose(float(out.losses), singles.mean(), rtol=1e-9, atol=1e-12):
            return PropertyResult(
                pid,
                title,
                "violated",
                "error",
                f"returns {fmt(out.losses)}, not the mean {fmt(singles.mean())} of the one-example losses",
            )
        return PropertyResult(pid, title, "holds", "ok", f"returns the mean of the per-example losses (batch of {n})")
    base = out.losses
    # (not 500 more tokens of a token-level input: that widens the padded batch, which `padding` judges)
    large = [n for n in impl.binding.sequence if not (impl.binding.tokens and n.startswith("len"))]
    moves = [(n, COUPLING_MOVES[n]) for n in impl.binding.sequence] + [(n, COUPLING_LARGE[n]) for n in large]
    for name, move in moves:  # each input of example 0 in turn: a batch mean may couple any of them
        moved = {k: v.copy() for k, v in batch.items()}
        moved[name][0] += move
        with np.errstate(all="ignore"):
            after = impl.losses(moved)
        leak = np.nonzero(~_close(base[1:], after[1:], _rtol(impl)))[0]
        if leak.size:
            j = int(leak[0]) + 1
            what = impl.binding.inputs.get(name) or f"{name} (its number of unmasked tokens)"
            return PropertyResult(
                pid,
                title,
                "violated",
                "warning",
                f"changing example 0's {what} changes example {j}'s loss from {fmt(base[j])} to {fmt(after[j])}: "
                "the losses are coupled across the batch (a batch mean or sum where a per-example value belongs?)",
                details={"input": name, "example": j},
            )
    perm = np.random.default_rng(52).permutation(n)
    permuted = impl.losses({k: v[perm] for k, v in batch.items()})
    if not np.all(_close(permuted, base[perm], _rtol(impl))):
        return PropertyResult(pid, title, "violated", "warning", "permuting the batch does not permute the losses")
    return PropertyResult(
        pid,
        title,
        "holds",
        "ok",
        f"per-example losses of shape ({n},); example i depends only on example i; permutation-equivariant",
    )


# ---------------------------------------------------------------- inputs


def inputs_unchanged(impl: Implementation) -> PropertyResult:
    """The function leaves its input arrays as they were (no in-place operation on them)."""
    pid, title = "inputs_unchanged", "inputs unchanged"
    if not impl.written:
        return PropertyResult(pid, title, "holds", "ok", "the input arrays hold the same values after the call")
    names = ", ".join(impl.written)
    return PropertyResult(
        pid,
        title,
        "violated",
        "warning",
        f"writes into its input(s) {names} in place (x -= y, out=…, x[...] = …): a caller that reads them after "
        "the loss (a trainer logging logps/chosen, or calling the loss again) gets changed values; compute "
        "new arrays instead (x = x - y). The checker passes each call fresh copies, so the other results "
        "are those of the function on the intended inputs",
        details={"written": list(impl.written)},
    )


# ---------------------------------------------------------------- padding

WIDER = 16


def _with_layout(impl: Implementation, layout: Layout, batch: Mapping[str, np.ndarray]) -> np.ndarray:
    saved = impl.layout
    impl.layout = layout
    try:
        return impl.losses(batch)
    finally:
        impl.layout = saved


def padding(impl: Implementation, beta: float) -> PropertyResult:
    """Token-level inputs: L reads only unmasked tokens. New values in the padded positions of each
    per-token input, padding the batch 16 positions wider, and masked prompt positions before each
    response leave every per-example loss unchanged."""
    pid, title = "padding", "padding and masks"
    if not impl.binding.tokens:
        return PropertyResult(pid, title, "n/a", "ok", "sequence log-probabilities only: no token-level inputs")
    batch = random_batch(64, beta, seed=71)
    base = impl.losses(batch)
    width = impl.layout.width(batch)
    tokens = [c for c in impl.binding.inputs if TOKEN_SOURCES.get(c, (None,))[0] is not None]
    # (what changes, the token inputs whose garbage is redrawn, extra padded columns, prompt positions, why)
    trials = [
        (
            f"new values in the padded positions of {impl.binding.inputs[c]!r} (where the mask is False) change",
            {c},
            0,
            False,
            "the mask is not applied to it",
        )
        for c in tokens
    ]
    trials.append(
        (
            f"padding the batch from width {width} to {width + WIDER} (masks and tokens unchanged) changes",
            set(),
            WIDER,
            False,
            "the loss depends on the padded width (a mean over all positions instead of over the mask?)",
        )
    )
    trials.append(
        (
            "starting each response after 1 to 5 masked prompt positions (as a trainer's completion mask does) changes",
            set(),
            0,
            True,
            "the tokens are read by position (the first len of a row), not by the mask",
        )
    )
    problems, ce = [], None
    for what, fresh, extra, prompt, why in trials:
        if problems and not fresh:
            break  # a loss that reads padded positions also changes with more of them
        old = impl.layout
        layout = Layout(old.pad + extra, old.min_width + extra, old.garbage, old.seed, frozenset(fresh), prompt)
        after = _with_layout(impl, layout, batch)
        bad = np.nonzero(~_close(base, after, _rtol(impl)))[0]
        if not bad.size:
            continue
        i = int(bad[np.argmax(np.abs(base - after)[bad])])
        problems.append(f"{what} example {i}'s loss from {fmt(base[i])} to {fmt(after[i])}: {why}")
        if ce is None:
            p = {k: float(batch[k][i]) for k in impl.binding.sequence}
            ce = Counterexample(
                p,
                [Evaluation("L", "L", p, float(base[i])), Evaluation("L (padding changed)", "L", p, float(after[i]))],
                ("L", "!=", "L (padding changed)"),
                problems[-1],
            )
    masks = "" if impl.mask_dtype == "bool" else f"; masks given as {impl.mask_dtype} 0/1 (bool masks are refused)"
    if problems:
        return PropertyResult(pid, title, "violated", "error", "; ".join(problems) + masks, counterexample=ce)
    names = ", ".join(repr(impl.binding.inputs[c]) for c in tokens)
    return PropertyResult(
        pid,
        title,
        "holds",
        "ok",
        f"new values in the padded positions of {names} and padding {WIDER} positions wider leave every loss "
        f"unchanged ({base.size} examples, lengths = unmasked tokens){masks}",
    )


# ---------------------------------------------------------------- float32 stability

MARGINS = -np.geomspace(1.0, 5000.0, 240)


def float32_stability(impl: Implementation, beta: float, uses_beta: bool, formula: Formula | None) -> PropertyResult:
    """In float32 the loss stays finite wherever the float64 value (formula or code) is finite and < 1e30.

    β·margin runs from −1 to −5000 and from +1 to +5000; where float32 gives inf or NaN the
    margin is reported: ``log(sigmoid(x))`` underflows near x ≈ −104 while ``logsigmoid`` is finite.
    """
    pid, title = "float32_stability", "float32 stability"
    where = "β·margin" if uses_beta else "margin"
    for sign in (1.0, -1.0):
        m = sign * MARGINS
        batch = margin_batch(m, beta, uses_beta)
        try:
            low = impl.losses(batch, dtype="float32")
        except Exception as exc:  # a CodeInputError at extreme inputs
            return PropertyResult(pid, title, "violated", "warning", f"in float32 at large margins: {exc}")
        ref = formula("L", batch, beta) if formula is not None else impl.losses(batch)
        good = np.isfinite(ref) & (np.abs(ref) < 1e30)
        bad = np.nonzero(good & ~np.isfinite(low))[0]
        if bad.size:
            i = int(bad[0])
            p = {k: float(batch[k][i]) for k in impl.binding.sequence}
            ce = Counterexample(
                p,
                [
                    Evaluation("L (float32)", "L", p, float(low[i])),
                    Evaluation("L (float64)" if formula is None else f"L ({formula.name})", "L", p, float(ref[i])),
                ],
                ("L (float32)", "!=", "L (float64)" if formula is None else f"L ({formula.name})"),
                f"in float32 the loss is {low[i]} at {where} = {fmt(m[i])} where its value is {fmt(ref[i])}",
            )
            return PropertyResult(
                pid,
                title,
                "violated",
                "warning",
                f"{ce.explanation}: an unstable log(sigmoid(x)) or exp overflows; use logsigmoid/softplus",
                details={"breaks at": fmt(m[i])},
                counterexample=ce,
            )
    return PropertyResult(
        pid, title, "holds", "ok", f"finite in float32 for {where} in ±[1, 5000] wherever its value is finite"
    )


# ---------------------------------------------------------------- gradient flow


def _agree_alone(impl: Implementation, one: Mapping[str, np.ndarray], x: str) -> bool:
    """Whether autograd and finite differences agree on ``x`` in a batch of the one example ``one``."""
    noise: dict[str, np.ndarray] = {}
    a, f = impl.gradients(one)[x], impl.fd_gradients(one, [x], noise)[x]
    scale = np.abs(f).max() + np.abs(a).max() + 1e-300
    return bool(np.all((np.abs(a - f) <= _rtol(impl, 1e-4) * scale + 1e-9) | (np.abs(a - f) <= noise.get(x, 0.0))))


def gradient_flow(impl: Implementation, beta: float, formula: Formula | None = None) -> PropertyResult:
    """Autograd gradients equal finite differences of the function's own values (no stray ``.detach()``).

    Not when the formula has a ``stopgrad``: a weight detached on purpose makes the two differ, and
    ``formula_gradient`` compares autograd with the formula's gradient instead."""
    pid, title = "gradient_flow", "gradient flow"
    if not impl.framework.autograd:
        return PropertyResult(
            pid, title, "n/a", "ok", "NumPy: gradients are finite differences of the values (nothing to detach)"
        )
    if formula is not None and formula.through is not None:
        return PropertyResult(
            pid,
            title,
            "n/a",
            "ok",
            f"the formula stops gradients ({', '.join(f'stopgrad({a})' for a in formula.stopped)}): autograd is "
            "compared with its gradient (formula_gradient), not with finite differences of the values",
        )
    batch = random_batch(32, beta, seed=61)
    noise: dict[str, np.ndarray] = {}
    auto, fd = impl.gradients(batch), impl.fd_gradients(batch, ["logp_w", "logp_l"], noise)
    # finite differences of 16-bit values are a few quantisation steps over the step size: they still
    # show a gradient that is not there at all, but not one of the wrong size
    coarse = impl.dtype in ("float16", "bfloat16")
    problems, ce = [], None
    for x in ("logp_w", "logp_l"):
        if x not in fd:
            continue
        a, f = auto[x], fd[x]
        scale = np.abs(f).max() + np.abs(a).max() + 1e-300
        detached = np.all(np.abs(a) <= 1e-12 * scale)
        bad = np.nonzero((np.abs(a - f) > _rtol(impl, 1e-4) * scale + 1e-9) & (np.abs(a - f) > noise.get(x, 0.0)))[0]
        if not bad.size or (coarse and not detached):
            continue
        i = int(bad[0])
        if not detached and _agree_alone(impl, _take(batch, [i]), x):
            # the example alone agrees: the difference is the losses' dependence on the other examples (a batch
            # mean inside each loss), which batch_semantics reports; nothing is detached
            continue
        if detached:
            problems.append(f"no gradient flows to {x} although the loss depends on it (detached)")
        else:
            problems.append(
                f"the autograd gradient for {x} differs from the values' finite differences (a weight detached "
                "on purpose? declare it in --against with stopgrad(…))"
            )
        if ce is None:
            p = {k: float(batch[k][i]) for k in impl.binding.sequence}
            ce = Counterexample(
                p,
                [
                    Evaluation(f"dL/d{x} (autograd)", f"dL/d{x}", p, float(a[i])),
                    Evaluation(f"dL/d{x} (finite differences)", f"dL/d{x}", p, float(f[i])),
                ],
                (f"dL/d{x} (autograd)", "!=", f"dL/d{x} (finite differences)"),
                f"autograd gives ∂L/∂{x} = {fmt(a[i])}, finite differences of the losses {fmt(f[i])}",
            )
    if problems:
        return PropertyResult(
            pid, title, "violated", "error", "; ".join(problems) + f" ({ce.explanation})", counterexample=ce
        )
    return PropertyResult(
        pid, title, "holds", "ok", "autograd gradients for logp_w and logp_l equal finite differences of the losses"
    )
