"""Evaluation of a parsed loss and its partial derivatives: NumPy for scans, mpmath to confirm.

Scans over many sampled configurations run in float64 (vectorised); every violation they
suggest is re-evaluated with mpmath at :data:`CONFIRM_DPS` digits before it is reported, so a
rounding artefact of float64 never becomes a counterexample.
"""

from __future__ import annotations

from collections.abc import Mapping

import mpmath
import numpy as np
import sympy as sp

from verify.errors import UsageError
from verify.functions import MPMATH_FUNCTIONS, lambdified
from verify.losses.parse import BETA, CANONICAL, LEN_L, LEN_W, LOGP_L, LOGP_W, REF_LOGP_L, REF_LOGP_W, stopgrad

VARIABLES: tuple[sp.Symbol, ...] = (LOGP_W, LOGP_L, REF_LOGP_W, REF_LOGP_L, BETA, LEN_W, LEN_L)
NAMES: tuple[str, ...] = tuple(v.name for v in VARIABLES)
POLICY = (LOGP_W, LOGP_L)
REFERENCE = (REF_LOGP_W, REF_LOGP_L)
CONFIRM_DPS = 50


def _np_sigmoid(x):
    return np.exp(-np.logaddexp(0.0, -x))


def _np_logsigmoid(x):
    return -np.logaddexp(0.0, -x)


def _np_softplus(x):
    return np.logaddexp(0.0, x)


def _identity(x):
    return x


NUMPY_FUNCTIONS = {
    "sigmoid": _np_sigmoid,
    "logsigmoid": _np_logsigmoid,
    "softplus": _np_softplus,
    "stopgrad": _identity,
}


def numpy_function(expr: sp.Expr, symbols: tuple[sp.Symbol, ...]):
    """``expr`` as a vectorised float64 function of ``symbols`` (always returns an array)."""
    f = lambdified(symbols, expr, [NUMPY_FUNCTIONS, "numpy"])

    def call(*args):
        with np.errstate(all="ignore"):
            out = f(*args)
        shape = np.broadcast_shapes(*(np.shape(a) for a in args)) if args else ()
        return np.broadcast_to(real_part(out), shape)

    return call


def real_part(values: object) -> np.ndarray:
    """``values`` as float64, NaN where a value is not real: ``log(-1)`` is ``iπ``, not 0 (a cast to float
    keeps the real part silently, or fails on a single complex number)."""
    arr = np.asarray(values)
    if np.iscomplexobj(arr):
        with np.errstate(all="ignore"):
            real = np.abs(arr.imag) <= 1e-12 * np.maximum(1.0, np.abs(arr.real))
            arr = np.where(real, arr.real, np.nan)
    return arr.astype(float)


def mpmath_function(expr: sp.Expr, symbols: tuple[sp.Symbol, ...]):
    """``expr`` as an mpmath function of ``symbols`` (evaluate inside ``mpmath.workdps``)."""
    return lambdified(symbols, expr, [{**MPMATH_FUNCTIONS, "stopgrad": _identity}, "mpmath"])


class CompiledLoss:
    """A loss with fixed hyperparameter values: values and partial derivatives, float64 and mpmath.

    ``quantity`` names are ``"L"`` and ``"dL/d<variable>"`` for the four log-probabilities. A
    value compared across a move (``at=`` the move's start) holds each ``stopgrad(x)`` at its
    value there: a detached weight is a constant of the step training takes, so WPO's
    ``−stopgrad(e^{logp_w/len_w})·log σ(βh)`` does not "prefer the loser" because the weight falls.
    """

    def __init__(self, expr: sp.Expr, params: Mapping[str, sp.Expr] | None = None):
        self.symbolic = expr
        subs = {s: params[s.name] for s in expr.free_symbols if params and s.name in params}
        self.expr = expr.subs(subs)
        if self.expr.has(sp.zoo, sp.nan, sp.oo, sp.S.NegativeInfinity):
            at = ", ".join(f"{s.name}={sp.sstr(v)}" for s, v in sorted(subs.items(), key=lambda sv: sv[0].name))
            raise UsageError(
                f"at {at} the loss is undefined (it divides by zero or takes the log of 0 there); "
                "give --param values where it is finite"
            )
        self.params = {k: float(v) for k, v in (params or {}).items()}
        extra = sorted(s.name for s in self.expr.free_symbols if s.name not in CANONICAL)
        if extra:
            raise ValueError(f"no value for hyperparameter(s) {', '.join(extra)}")
        self.quantities: dict[str, sp.Expr] = {"L": self.expr}
        for v in (*POLICY, *REFERENCE):
            self.quantities[f"dL/d{v.name}"] = sp.diff(self.expr, v)
        self._np = {q: numpy_function(e, VARIABLES) for q, e in self.quantities.items()}
        self._mp: dict[str, object] = {}
        detached = sorted(self.expr.atoms(stopgrad), key=sp.default_sort_key)
        #: each stopgrad(x)'s x (float64 and mpmath), and L with them as inputs (compiled only when there are any)
        self._detached = [numpy_function(d.args[0], VARIABLES) for d in detached]
        self._detached_mp = [mpmath_function(d.args[0], VARIABLES) for d in detached]
        if detached:
            held = [sp.Dummy(f"held{i}") for i in range(len(detached))]
            frozen = self.expr.xreplace(dict(zip(detached, held, strict=True)))
            self._held = numpy_function(frozen, (*VARIABLES, *held))
            self._held_mp = mpmath_function(frozen, (*VARIABLES, *held))

    def uses(self, symbol: sp.Symbol) -> bool:
        return symbol in self.expr.free_symbols

    def __call__(
        self, quantity: str, point: Mapping[str, np.ndarray | float], at: Mapping[str, np.ndarray | float] | None = None
    ) -> np.ndarray:
        """float64 values of ``quantity`` at the (array) point; the loss with its detached parts held at
        their values at ``at``, the start of a move, when given."""
        args = [np.asarray(point[n], dtype=float) for n in NAMES]
        if at is None or quantity != "L" or not self._detached:
            return self._np[quantity](*args)
        start = [np.asarray(at[n], dtype=float) for n in NAMES]
        return self._held(*args, *(f(*start) for f in self._detached))

    def exact(
        self, quantity: str, point: Mapping[str, float], dps: int = CONFIRM_DPS, at: Mapping[str, float] | None = None
    ) -> mpmath.mpf:
        """``quantity`` at a single point with mpmath at ``dps`` digits (nan if undefined); with ``at``, as
        :meth:`__call__`."""
        if quantity not in self._mp:
            self._mp[quantity] = mpmath_function(self.quantities[quantity], VARIABLES)
        held = at is not None and quantity == "L" and self._detached_mp
        with mpmath.workdps(dps):
            try:
                args = [mpmath.mpf(float(point[n])) for n in NAMES]
                if held:
                    start = [mpmath.mpf(float(at[n])) for n in NAMES]
                    value = self._held_mp(*args, *(f(*start) for f in self._detached_mp))
                else:
                    value = self._mp[quantity](*args)
            except (ZeroDivisionError, ValueError, OverflowError, TypeError):
                return mpmath.mpf("nan")
            if isinstance(value, mpmath.mpc):
                if abs(value.imag) > mpmath.mpf(10) ** (10 - dps) * max(1, abs(value.real)):
                    return mpmath.mpf("nan")
                value = value.real
            return +mpmath.mpf(value)


def point_at(arrays: Mapping[str, np.ndarray], i: int, params: Mapping[str, float] | None = None) -> dict[str, float]:
    """The ``i``-th configuration of ``arrays`` as plain floats, hyperparameters appended."""
    out = {n: float(np.asarray(arrays[n])[i] if np.ndim(arrays[n]) else arrays[n]) for n in NAMES}
    out.update(params or {})
    return out
