"""The loss checker's API: parse a loss, check every property, return a :class:`LossReport`.

The verdict is ``error`` when the preference direction or the reference orientation is
violated at finite steps (training would move the wrong way), when away from the reference
the loss rewards lowering the winner or raising the loser without limit (``off_reference``),
or when a claimed gradient is the negative of the true one; ``warning`` for any other
surprise, ``ok`` otherwise.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal

import numpy as np
import sympy as sp

from verify.errors import UsageError
from verify.losses.catalog import CATALOG, Variant
from verify.losses.compare import against as compare_against
from verify.losses.compare import claimed_gradient, generic_points
from verify.losses.evaluate import CompiledLoss
from verify.losses.off_reference import off_reference
from verify.losses.parse import CANONICAL, LOGP_L, LOGP_W, parse_expression, parse_loss, parse_value
from verify.losses.properties import (
    BETA,
    P,
    beta_limits,
    bounded_below,
    convexity,
    gradient_weighting,
    make_context,
    population_optimum,
    preference_direction,
    reference_orientation,
    shift_invariance,
)
from verify.losses.results import LossReport, PropertyResult
from verify.printing import NotationPrinter

LATEX_NAMES = {
    "logp_w": r"\log\pi_\theta(y_w \mid x)",
    "logp_l": r"\log\pi_\theta(y_l \mid x)",
    "ref_logp_w": r"\log\pi_{\mathrm{ref}}(y_w \mid x)",
    "ref_logp_l": r"\log\pi_{\mathrm{ref}}(y_l \mid x)",
    "beta": r"\beta",
    "len_w": r"|y_w|",
    "len_l": r"|y_l|",
    "gamma": r"\gamma",
    "lambda": r"\lambda",
    "eps": r"\epsilon",
    "delta": r"\delta",
    "tau": r"\tau",
    "alpha": r"\alpha",
}


class LossPrinter(NotationPrinter):
    """LaTeX with the loss checker's variable names (``logp_w`` prints as log π_θ(y_w | x))."""

    def _print_Symbol(self, expr, style="plain"):  # noqa: N802 - SymPy printer protocol
        return LATEX_NAMES.get(expr.name) or super()._print_Symbol(expr, style=style)


def loss_latex(expr: sp.Expr) -> str:
    return LossPrinter({"ln_notation": False}).doprint(expr)


def decimal_text(value: sp.Rational) -> str:
    """A parameter value as people type it: ``0.55``, not ``11/20`` (a non-terminating fraction rounded)."""
    q = int(value.q)
    while q % 2 == 0:
        q //= 2
    while q % 5 == 0:
        q //= 5
    if q != 1:
        return repr(float(value))
    text = format(Decimal(int(value.p)) / Decimal(int(value.q)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _values(params: Mapping[str, object] | None) -> dict[str, sp.Rational]:
    out = {}
    for k, v in (params or {}).items():
        out[k] = v if isinstance(v, sp.Rational) else parse_value(k, str(v))
    return out


def _optimum_candidates() -> dict[str, sp.Expr]:
    out = {}
    for v in CATALOG.values():
        if v.optimum:
            e, _ = parse_expression(v.optimum, {**CANONICAL, "p": P})
            out[v.name] = e
    return out


def reconcile(direction: PropertyResult, optimum: PropertyResult) -> PropertyResult:
    """A finite-step mirror error cannot stand beside a population optimum that prefers the winner.

    When the loss is a function of one margin and ``argmin_h p·g(h) + (1−p)·g(−h) > 0`` for every
    ``½ < p < 1``, the loss does reward the preferred response; a mirror test of the direction (or,
    for a log-ratio margin, of the reference, the same test seen from the reference) that fails
    from a neutral start then shows a non-monotone region, reported as a ``warning`` with its point.
    """
    if direction.severity != "error" or direction.counterexample is None:
        return direction
    if not optimum.details.get("prefers the preferred response"):
        return direction
    return replace(
        direction,
        severity="warning",
        summary=direction.summary + "; but the population optimum prefers the preferred response for every "
        "p > ½ (see population_optimum), so this is a non-monotone region, not a sign error",
    )


def check_loss(
    expression: str,
    params: Mapping[str, object] | None = None,
    *,
    name: str = "loss",
    against: str | None = None,
    claimed_grad: str | None = None,
    variant: Variant | None = None,
    defines: Mapping[str, str] | None = None,
) -> LossReport:
    """Check every property of the loss ``expression`` with hyperparameter values ``params``.

    Raises :class:`~verify.errors.UsageError` for bad input (syntax, a hyperparameter without a
    value, an unknown ``against`` name). ``defines`` maps names of intermediates to expressions
    (``--define h=logp_w-logp_l``).
    """
    start = time.perf_counter()
    expression = expression.strip() if isinstance(expression, str) else expression
    parsed = parse_loss(expression, defines=defines)
    expr, hyper = parsed.expr, parsed.hyperparameters
    values = _values(params)
    missing = sorted(set(hyper) - set(values))
    if missing:
        hint = " ".join(f"--param {m}=VALUE" for m in missing)
        raise UsageError(
            f"loss {name!r} uses hyperparameter(s) {', '.join(missing)} without a value; give {hint} "
            f"(or, for an intermediate such as a margin, --define {missing[0]}=EXPR)"
        )
    if against is not None and against not in CATALOG:
        raise UsageError(f"--against {against!r} is not a catalog loss; choose one of {', '.join(CATALOG)}")
    # a hyperparameter of the --against loss may be given too: it is compared at that value
    theirs = set(CATALOG[against].params) if against is not None else set()
    unused = sorted(set(values) - set(hyper) - theirs)
    canonical = [u for u in unused if u in CANONICAL]
    if canonical:
        raise UsageError(
            f"loss {name!r}: {', '.join(canonical)} is a variable the checker samples (every β > 0, every "
            "log-probability and length), not a hyperparameter; drop its value"
        )
    if unused:
        also = f" or by {against}" if against is not None else ""
        raise UsageError(
            f"loss {name!r}: --param {', '.join(unused)} is not used by the expression {expression!r}{also}"
        )
    grad_var, grad_expr = None, None
    if claimed_grad is not None:
        grad_var, grad_text = "logp_w", claimed_grad
        head, sep, tail = claimed_grad.partition("=")
        if sep:
            grad_var, grad_text = head.strip(), tail
            if grad_var not in ("logp_w", "logp_l", "ref_logp_w", "ref_logp_l"):
                raise UsageError(
                    f"--claimed-grad {claimed_grad!r}: {grad_var!r} is not a log-probability variable; "
                    "write VARIABLE=EXPR with logp_w, logp_l, ref_logp_w or ref_logp_l"
                )
        try:  # with the loss's definitions: a claim may use its margin h
            claimed = parse_loss(grad_text, defines=parsed.definitions)
        except UsageError as exc:
            raise UsageError(f"--claimed-grad {grad_text.strip()!r}: {exc}") from None
        grad_expr, grad_hyper = claimed.expr, claimed.hyperparameters
        extra = sorted(set(grad_hyper) - set(values))
        if extra:
            raise UsageError(f"--claimed-grad uses hyperparameter(s) {', '.join(extra)} without a value; give --param")
    loss = CompiledLoss(expr, {k: v for k, v in values.items() if k in hyper})
    ctx = make_context(loss)
    if not any(np.isfinite(loss("L", cfg)).any() for cfg in (ctx.cfg, generic_points(ctx))):
        raise UsageError(
            f"loss {name!r} is not a finite real number at any sampled configuration (log-probabilities < 0, "
            f"β > 0, lengths ≥ 1): {expression!r} takes a log or root of a negative number, divides by zero or is "
            "complex everywhere; check its convention (log1mexp(x) is log(1 − e^x) for x < 0)"
        )
    documented = None
    if variant is not None and variant.optimum:
        documented, _ = parse_expression(variant.optimum, {**CANONICAL, "p": P})
    with np.errstate(all="ignore"):  # the checks read inf and nan themselves; NumPy need not warn of them
        optimum = population_optimum(ctx, documented, _optimum_candidates())
        props = [
            reconcile(preference_direction(ctx), optimum),
            reconcile(reference_orientation(ctx), optimum),
            off_reference(ctx),
            shift_invariance(ctx),
            gradient_weighting(ctx),
            optimum,
            bounded_below(ctx),
            convexity(ctx),
            beta_limits(ctx),
        ]
        if against is not None:
            ref = CATALOG[against]
            given = {k: v for k, v in values.items() if k in ref.params}
            other = CompiledLoss(parse_expression(ref.expression)[0], {**_values(ref.params), **given})
            props.append(compare_against(ctx, other, against, make_context(other)))
        if grad_expr is not None:
            props.append(claimed_gradient(ctx, grad_var, grad_expr))
    grads = {v.name: loss_latex(sp.diff(expr, v)) for v in (LOGP_W, LOGP_L)}
    return LossReport(
        name=name,
        expression=expression,
        params={k: decimal_text(v) for k, v in values.items()},
        latex=loss_latex(expr),
        gradient_latex=grads,
        properties=props,
        source=variant.source if variant else None,
        title=variant.title if variant else None,
        documented=dict(variant.warnings) if variant else {},
        seconds=time.perf_counter() - start,
        formula=variant.formula if variant else None,
        understood=parsed.understood,
        aliases=parsed.aliases + [f"{k} = {v}" for k, v in parsed.definitions.items()],
    )


def check_variant(variant: Variant, params: Mapping[str, object] | None = None, **kwargs) -> LossReport:
    """Check a catalog variant with its default hyperparameters, those in ``params`` given instead."""
    values = {**variant.params, **(params or {})}
    return check_loss(variant.expression, values, name=variant.name, variant=variant, **kwargs)


def check_catalog() -> list[LossReport]:
    """Check every published variant of :data:`~verify.losses.catalog.CATALOG`."""
    return [check_variant(v) for v in CATALOG.values()]


__all__ = ["BETA", "check_catalog", "check_loss", "check_variant", "loss_latex"]
