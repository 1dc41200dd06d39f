"""Which single edit of the formula an implementation computes: repair hints for a value mismatch.

The formula's single edits (:func:`verify.diagnose.repairs.repairs`: a negated term or factor, a
negated argument, winner and loser swapped in one term, a dropped or added β or 1/len, …) are
each evaluated in float64 on the same fuzzed batches as the comparison; an edit whose values
equal the implementation's at every example (the comparison's relative tolerance) is reported,
with how many examples it was checked at. A hint is therefore a statement about the code that was
checked: "the implementation computes the formula with this edit".
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from verify.code.batches import random_batch
from verify.code.formula import Formula
from verify.code.implementation import Implementation
from verify.domains import var
from verify.losses.evaluate import NAMES, VARIABLES, numpy_function
from verify.losses.parse import DOMAINS

#: the most edits of the formula tried, and the most reported
MAX_EDITS = 200
SHOWN = 2


def implemented_edits(
    impl: Implementation, formula: Formula, beta: float, seeds: tuple[int, ...], size: int, rtol: float
) -> list[str]:
    """The edits of ``formula`` whose values equal ``impl``'s on the batches of ``seeds``, in words
    (each with the number of examples it was checked at); empty when none does."""
    from verify.diagnose.repairs import repairs  # the engine, loaded only when a comparison failed
    from verify.model import Equal

    expr = formula.loss.expr
    sub = {s: var(s.name, DOMAINS[s.name]) for s in expr.free_symbols if s.name in DOMAINS}
    back = {v: s for s, v in sub.items()}
    batches = []
    for seed in seeds:
        batch = random_batch(size, beta, seed)
        batches.append((Formula.point(batch, beta), np.asarray(impl.losses(batch), dtype=float)))
    found: list[str] = []

    def matches(candidate: sp.Expr) -> int:
        """The examples at which ``candidate`` equals the implementation, or 0 if it differs at one."""
        try:
            fn = numpy_function(candidate, VARIABLES)
        except (TypeError, ValueError, NameError, sp.SympifyError):
            return 0
        checked = 0
        for point, code in batches:
            with np.errstate(all="ignore"):
                values = np.broadcast_to(np.asarray(fn(*(point[n] for n in NAMES)), dtype=float), code.shape)
            ok = np.isfinite(values) & np.isfinite(code)
            if not ok.any() or (np.abs(values - code) > rtol * (np.abs(values) + np.abs(code)) + 1e-9)[ok].any():
                return 0
            checked += int(ok.sum())
        return checked

    # what code leaves out as a whole, before single edits (which name it only indirectly: "w and l swapped in
    # the term −ref_logp_w" also cancels the reference)
    for names, what in (
        (("ref_logp_w", "ref_logp_l"), "the reference log-probabilities left out"),
        (("len_w", "len_l"), "the length normalisation left out (lengths 1)"),
    ):
        used = [v for v in expr.free_symbols if v.name in names]
        if used:
            left_out = expr.xreplace({v: sp.S.Zero if v.name.startswith("ref") else sp.S.One for v in used})
            if (checked := matches(left_out)) > 0:
                found.append(f"{what} (equal at {checked} examples)")
    edited = expr.xreplace(sub)
    for k, r in enumerate(repairs(Equal(edited, edited), only={"lhs": "formula"})):
        if k >= MAX_EDITS or len(found) >= SHOWN:
            break
        candidate = r.claim.lhs.xreplace(back)
        if candidate.free_symbols - set(VARIABLES):
            continue
        if (checked := matches(candidate)) > 0:
            found.append(f"{r.description} (equal at {checked} examples)")
    return found
