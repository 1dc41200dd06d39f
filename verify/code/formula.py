"""The formula an implementation is checked against: a catalog name or a loss-language expression.

The expression is parsed by the loss checker's whitelisting parser (never evaluated) and
compiled to float64 values and analytic partial derivatives (:class:`CompiledLoss`). A
``stopgrad(x)`` in it is a weight the training gradient must not flow through: autograd is
compared with the derivatives that treat it as a constant, finite differences (which cannot see a
detach) with the derivatives through it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import sympy as sp

from verify.code.load import CodeInputError
from verify.errors import UsageError
from verify.losses.catalog import CATALOG
from verify.losses.evaluate import NAMES, CompiledLoss
from verify.losses.parse import BETA, parse_expression, parse_value, stopgrad, without_stopgrad


@dataclass
class Formula:
    """A loss formula with its hyperparameters fixed (β is passed with each batch)."""

    name: str
    expression: str
    loss: CompiledLoss
    params: dict[str, str]
    through: CompiledLoss | None = None  # the same loss with every stopgrad removed (None without stopgrad)

    @property
    def stopped(self) -> list[str]:
        """The arguments of ``stopgrad`` in the formula, as text."""
        return sorted({str(s.args[0]) for s in self.loss.expr.atoms(stopgrad)})

    @property
    def uses_beta(self) -> bool:
        return self.loss.uses(BETA)

    def uses(self, name: str) -> bool:
        return any(s.name == name for s in self.loss.expr.free_symbols)

    def __call__(
        self, quantity: str, batch: Mapping[str, np.ndarray], beta: float, through: bool = False
    ) -> np.ndarray:
        """``quantity`` (``"L"`` or ``"dL/d<input>"``) at every example of ``batch``; ``through``: the
        derivatives through every ``stopgrad`` (what finite differences of the values measure)."""
        return (self.through if through and self.through is not None else self.loss)(quantity, self.point(batch, beta))

    @staticmethod
    def point(batch: Mapping[str, np.ndarray], beta: float) -> dict[str, np.ndarray]:
        """The formula's variables at every example of ``batch`` (an absent length is 1)."""
        n = np.asarray(batch["logp_w"]).shape[0]
        point = {k: np.asarray(batch[k], dtype=float) if k in batch else np.ones(n) for k in NAMES if k != "beta"}
        point["beta"] = np.full(n, float(beta))
        return point


def resolve(against: str, params: Mapping[str, object]) -> tuple[Formula, set[str]]:
    """The formula named or written in ``against``, and the names of ``params`` it consumed.

    A catalog name takes its default hyperparameters, overridden by ``params``; an expression
    needs a value in ``params`` for every hyperparameter it uses.
    """
    if against in CATALOG:
        variant = CATALOG[against]
        name, text, defaults = against, variant.expression, dict(variant.params)
    elif against.isidentifier() and against not in NAMES:  # a name, not an expression
        close = [n for n in CATALOG if n.lower() == against.lower()]
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise CodeInputError(
            f"--against {against!r} is not a catalog loss; {hint}choose one of {', '.join(CATALOG)}, "
            "or write the loss as an expression"
        )
    else:
        name, text, defaults = "formula", against, {}
    expr, hyper = parse_expression(text)
    values: dict[str, sp.Rational] = {}
    used = set()
    for h in hyper:
        if h in params:
            values[h] = parse_value(h, str(params[h]))
            used.add(h)
        elif h in defaults:
            values[h] = parse_value(h, defaults[h])
        else:
            raise CodeInputError(f"the formula {against!r} uses {h} without a value; give --param {h}=VALUE")
    if BETA in expr.free_symbols and "beta" in params:
        used.add("beta")
    plain = without_stopgrad(expr)
    try:
        through = CompiledLoss(plain, values) if plain != expr else None
        compiled = CompiledLoss(expr, values)
    except UsageError as exc:
        raise CodeInputError(f"--against {against!r}: {exc}") from None
    return Formula(name, text, compiled, {k: str(v) for k, v in values.items()}, through), used
