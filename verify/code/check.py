"""Check a loss implementation: bind, validate, compare with a formula, check the properties.

Order: the signature is bound and the formula resolved (usage errors), the function is called
once on a small batch (a raise, NaN or wrong shape stops here, exit code 2), then every
property runs. The verdict follows the loss checker: ``error`` for a sign, orientation,
formula or gradient-flow error, ``warning`` for other surprises, ``ok`` otherwise.
"""

from __future__ import annotations

import functools
import math
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from verify.code.batches import random_batch
from verify.code.compare import BATCH, SEEDS, formula_gradient, formula_values, wide_margins
from verify.code.formula import Formula, resolve
from verify.code.implementation import Implementation
from verify.code.load import CodeInputError, load_function
from verify.code.properties import (
    batch_semantics,
    code_context,
    float32_stability,
    gradient_flow,
    gradient_weight,
    inputs_unchanged,
    padding,
    rewards,
    shift_invariance,
)
from verify.code.signature import Binding, bind
from verify.losses.catalog import CATALOG
from verify.losses.off_reference import off_reference
from verify.losses.properties import bounded_below, fmt, preference_direction, reference_orientation
from verify.losses.results import SCHEMA, LossReport, PropertyResult

REDUCTIONS = ("none", "mean")
#: TRL's argument for the label-smoothing ε of cDPO, robust DPO and EXO (the catalog's ``eps``), when nonzero
SMOOTHING = "label_smoothing"


@dataclass
class CodeReport(LossReport):
    """A :class:`LossReport` of an implementation: which framework, which argument is which input."""

    framework: str = "numpy"
    inputs: dict[str, str] = field(default_factory=dict)
    bound: dict[str, str] = field(default_factory=dict)
    against: str | None = None

    def to_json(self) -> dict[str, Any]:
        out = super().to_json()
        out.update(framework=self.framework, inputs=self.inputs, bound=self.bound, against=self.against)
        return out


def code_json(reports: list[CodeReport], tool_version: str) -> dict[str, Any]:
    """The JSON document of ``verify code`` (the loss checker's, with ``kind: "code"``)."""
    from verify.losses.results import worst

    return {
        "schema": SCHEMA,
        "tool_version": tool_version,
        "kind": "code",
        "verdict": worst([r.verdict for r in reports]),
        "losses": [r.to_json() for r in reports],
    }


def _beta(params: Mapping[str, object], defaults: Mapping[str, object], formula: Formula | None) -> float | None:
    value = params.get("beta", defaults.get("beta"))
    if value is None:
        if formula is not None and formula.uses_beta:
            raise CodeInputError("the formula uses beta; give --param beta=VALUE (the value the function uses)")
        return None
    try:
        beta = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise CodeInputError(f"beta={value!r} is not a number") from None
    if not (beta > 0 and math.isfinite(beta)):
        raise CodeInputError(f"beta={value!r} must be a positive finite number")
    return beta


def _beta_is_an_argument(binding: Binding, formula: Formula) -> bool:
    """Whether the function takes β as an argument that the formula also uses (so both can be moved together)."""
    return formula.uses_beta and ("beta" in binding.fixed or "beta" in binding.defaults)


def _at_another_beta(fn: Callable, binding: Binding, label: str, formula: Formula, beta: float) -> PropertyResult:
    """The values against the formula again (they agree at ``beta``) with the function's ``beta`` argument and
    the formula's β both at 2β: a function that ignores its argument (a hard-coded β) or places it where the
    formula does not (IPO's target written β/2 for 1/(2β), equal at β = 1) agrees at one β only."""
    other = 2 * beta
    moved = Binding(binding.inputs, {**binding.fixed, "beta": other}, binding.defaults)
    impl = Implementation(fn, moved, label)
    title = f"values = {formula.name} at β = {fmt(other)}"
    row = functools.partial(PropertyResult, "formula_values_at_another_beta", title)  # the row, in each outcome
    try:
        impl.validate(random_batch(4, other, seed=1))
    except CodeInputError as exc:  # the function refuses 2β (an assert on β, a NaN there): nothing to compare
        return row("n/a", "ok", f"not checked at 2β: {exc}")
    found = formula_values(impl, formula, other)
    if found.severity != "ok" and formula.params:  # a hyperparameter the code ties to β (SimPO's γ = β·ratio)?
        against = formula.name if formula.name in CATALOG else formula.expression
        doubled = {k: str(2 * Fraction(v)) for k, v in formula.params.items()}
        try:
            scaled = formula_values(impl, resolve(against, doubled)[0], other)
        except CodeInputError:  # the formula is undefined with them doubled (robust DPO's ε = 1/2)
            scaled = found
        if scaled.severity == "ok":
            names = ", ".join(sorted(doubled))
            return row(
                "violated",
                "warning",
                f"at β = {fmt(other)} the values agree only with {names} doubled too: the code ties {names} to β — "
                f"intended if it takes them as a ratio to β (SimPO's gamma_beta_ratio: γ = β·ratio), a slip "
                f"otherwise (β·(h − γ) for β·h − γ); {scaled.summary}",
                details=scaled.details,
            )
    if found.severity == "ok":
        return row(
            "holds",
            "ok",
            f"with the function's beta argument and the formula's β at {fmt(other)}: {found.summary}",
            details=found.details,
        )
    return row(
        "violated",
        "error",
        f"at β = {fmt(beta)} the values agree, at β = {fmt(other)} (the function's beta argument and the formula's "
        f"β) they do not — β enters the code elsewhere than in the formula, or the code ignores its argument: "
        f"{found.summary}",
        details=found.details,
        counterexample=found.counterexample,
    )


def _defined_somewhere(formula: Formula, beta: float) -> None:
    """Refuse a formula that is not a finite real number on any fuzzed batch: compared with nothing, every
    implementation would pass (``verify loss`` refuses the same expression)."""
    with np.errstate(all="ignore"):
        if any(np.isfinite(formula("L", random_batch(BATCH, beta, seed), beta)).any() for seed in SEEDS):
            return
    raise CodeInputError(
        f"the formula {formula.expression!r} is not a finite real number on any fuzzed batch (log-probabilities "
        "< 0, β > 0, lengths ≥ 1): it takes a log or root of a negative number, divides by zero or is complex "
        "everywhere; check its convention (log1mexp(x) is log(1 − e^x) for x < 0)"
    )


def check_implementation(
    fn: Callable,
    against: str | None = None,
    params: Mapping[str, object] | None = None,
    *,
    mapping: Mapping[str, str] | None = None,
    reduction: str = "none",
    name: str | None = None,
) -> CodeReport:
    """Check the loss function ``fn`` against the formula ``against`` (a catalog name or an expression) and
    the preference properties.

    ``params`` binds the function's extra arguments (``beta``, ``loss_type``, …) and gives the
    formula's hyperparameters; ``mapping`` maps argument names to canonical inputs
    (``{"pi_w": "logp_w"}``); ``reduction`` is ``"none"`` (per-example losses expected) or
    ``"mean"``. Raises :class:`~verify.code.load.CodeInputError` (a one-line message) for bad input.
    """
    start = time.perf_counter()
    params = dict(params or {})
    label = name or getattr(fn, "__qualname__", "loss")
    if reduction not in REDUCTIONS:
        raise CodeInputError(f"reduction={reduction!r} must be one of {', '.join(REDUCTIONS)}")
    binding = bind(fn, params, mapping)
    # a hyperparameter not given takes the function's own default, as β does (cDPO's eps=0.2), before the catalog's
    own = {k: v for k, v in binding.defaults.items() if k not in params and type(v) in (int, float)}
    given = {**own, **params}
    if "eps" not in given and given.get(SMOOTHING) not in (None, 0, 0.0, "0"):  # TRL's name for ε
        given["eps"] = given[SMOOTHING]
    formula, used = resolve(against, given) if against is not None else (None, set())
    unused = sorted(set(params) - set(binding.fixed) - used - {"beta"})
    if unused:
        raise CodeInputError(
            f"--param {', '.join(unused)}: neither an argument of {label} nor a hyperparameter of the formula"
        )
    beta = _beta(params, binding.defaults, formula)
    uses_beta = beta is not None
    beta = beta if beta is not None else 1.0
    if formula is not None:
        _defined_somewhere(formula, beta)
    # the checks read inf, nan and overflow from the results themselves: NumPy and the frameworks need not warn
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        impl = Implementation(fn, binding, label)
        impl.validate(random_batch(4, beta, seed=1))
        ctx = code_context(impl, beta, uses_beta)
        props = []
        if formula is not None:
            values, gradient = formula_values(impl, formula, beta), formula_gradient(impl, formula, beta)
            props += [
                values,
                gradient,
                wide_margins(impl, formula, beta, uses_beta, values, gradient),
                *(
                    [_at_another_beta(fn, binding, label, formula, beta)]
                    if values.severity == "ok" and _beta_is_an_argument(binding, formula)
                    else []
                ),
            ]
        props += [
            preference_direction(ctx),
            reference_orientation(ctx),
            *([off_reference(ctx), bounded_below(ctx)] if formula is None else []),  # with a formula, its values decide
            shift_invariance(impl, beta, formula),
            gradient_weight(impl, beta),
            rewards(impl, beta),
            batch_semantics(impl, beta, reduction),
            inputs_unchanged(impl),
            *([padding(impl, beta)] if binding.tokens else []),
            float32_stability(impl, beta, uses_beta, formula),
            gradient_flow(impl, beta, formula),
        ]
    shown = {k: repr(v) for k, v in binding.fixed.items()}
    shown.update({k: repr(v) for k, v in binding.defaults.items() if k not in shown})
    return CodeReport(
        name=label,
        expression=formula.expression if formula else "",
        params={**({"beta": repr(beta)} if uses_beta else {}), **(formula.params if formula else {})},
        latex="",
        gradient_latex={},
        properties=props,
        seconds=time.perf_counter() - start,
        framework=impl.framework.name,
        inputs=dict(binding.inputs),
        bound=shown,
        against=against,
    )


def check_spec(spec: str, against: str | None = None, params: Mapping[str, object] | None = None, **kw) -> CodeReport:
    """:func:`check_implementation` of the function named ``FILE.py:FUNCTION`` or ``package.module:FUNCTION``."""
    return check_implementation(load_function(spec), against, params, name=spec, **kw)
