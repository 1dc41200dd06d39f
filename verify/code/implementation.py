"""Calling the user's loss on a batch: per-example losses, optional rewards, gradients.

A loss returns per-example losses of shape ``(B,)`` (or their mean, a scalar), alone or as the
first element of a tuple ``(losses, chosen_rewards, rejected_rewards)`` as TRL's ``dpo_loss``
does. The first call validates the function: if it raises, returns NaN or a wrong shape, the
check stops there with one line (exit code 2).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from verify.code.frameworks import NumpyFramework, available, referenced
from verify.code.load import CodeInputError, _one_line
from verify.code.signature import Binding, call
from verify.code.tokens import MASK_INPUTS, TOKEN_SOURCES, Layout, sequence_gradient
from verify.run.interrupts import USER_EXITS, from_user

#: per result precision: the relative tolerance of comparisons and the finite-difference step
#: (≈ √ε, so rounding and truncation errors stay near the tolerance); a function may cast its
#: float64 inputs to a lower precision, and is then judged at that precision
PRECISION_RTOL = {"float64": 0.0, "float32": 1e-3, "float16": 3e-2, "bfloat16": 3e-2}
FD_STEP = {"float64": 1e-5, "float32": 3e-4, "float16": 3e-2, "bfloat16": 9e-2}
UNIT_ROUNDOFF = {"float64": 2.0**-53, "float32": 2.0**-24, "float16": 2.0**-11, "bfloat16": 2.0**-8}


def stored_in(values: np.ndarray) -> str:
    """The narrowest of bfloat16, float16 and float32 that holds every value of ``values`` exactly, else float64.

    Judged on the values that are not whole numbers (a hinge's 0 is exact in any format), at least three of
    them: a float64 computation on fuzzed inputs gives such values exactly in float32 with probability 2^-29
    each, so a function that holds them all computes in that format and casts back (``.bfloat16()`` …
    ``.double()``); its finite differences then see its rounding, not a detached input."""
    v = values[np.isfinite(values) & (values != np.round(values))]
    if v.size < 3:
        return "float64"
    single = v.astype(np.float32)
    if not np.array_equal(single.astype(np.float64), v):
        return "float64"
    if not np.any(single.view(np.uint32) & 0xFFFF):
        return "bfloat16"
    if np.all(np.abs(v) < 65504) and np.array_equal(v.astype(np.float16).astype(np.float64), v):
        return "float16"
    return "float32"


POLICY = ("logp_w", "logp_l")
REFERENCE = ("ref_logp_w", "ref_logp_l")


@dataclass
class Output:
    """What one call returned, as float64 NumPy arrays."""

    losses: np.ndarray  # (B,) or () for a reduced loss
    rewards: tuple[np.ndarray, np.ndarray] | None

    @property
    def reduced(self) -> bool:
        return self.losses.ndim == 0


class Implementation:
    """The user's function with its binding, called on dicts of canonical float64 arrays."""

    def __init__(self, fn: Callable, binding: Binding, name: str = "loss"):
        self.fn = fn
        self.binding = binding
        self.name = name
        self.framework: Any = NumpyFramework()
        self.dtype = "float64"  # of the losses returned for float64 inputs (a function may cast)
        self.layout = Layout()  # how token-level inputs are built from sequence batches
        self.mask_dtype = "bool"  # or "int64" (0/1, as Hugging Face attention masks) if bool masks are refused
        self.written: list[str] = []  # the arguments the function wrote into (in-place operations on its inputs)
        self._jit: Any = None  # (framework, compiled function), or False when the function cannot be compiled

    # ------------------------------------------------------------ calling

    def _args(self, batch: Mapping[str, np.ndarray], dtype: str) -> tuple[dict, dict, dict]:
        """Keyword arguments for ``fn``, the framework arrays per canonical input, and the token weights."""
        leaves, weights = {}, {}
        for canon in self.binding.inputs:
            if canon in TOKEN_SOURCES:
                values, w = self.layout.build(canon, batch)
                if w is None:
                    leaves[canon] = self.framework.array(values, self.mask_dtype)
                    continue
                weights[canon] = w
            else:
                values = batch[canon]
            leaves[canon] = self.framework.array(values, dtype)
        kwargs = {self.binding.inputs[c]: v for c, v in leaves.items()}
        kwargs.update(self.binding.fixed)
        return kwargs, leaves, weights

    def _invoke(self, kwargs: Mapping[str, Any], size: int) -> Any:
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")  # overflow in the user's code is judged by its results
                compiled = self._compiled()
                if compiled is not None:
                    try:
                        return compiled({k: v for k, v in kwargs.items() if k not in self.binding.fixed})
                    except Exception:  # not traceable as a whole (Python control flow on values): call it as is
                        self._jit = False
                return call(self.fn, kwargs)
        except USER_EXITS as exc:  # its own sys.exit() too: the function's error, not the end of the check
            if not from_user(exc):
                raise
            raise CodeInputError(f"{self.name} raised {_one_line(exc)} on a batch of {size}") from None

    def _compiled(self) -> Callable | None:
        """The function compiled as a whole with its bound arguments fixed, for a framework that compiles
        (JAX: one compilation per array shape instead of one per operation); None otherwise."""
        compile_ = getattr(self.framework, "compile", None)
        if compile_ is None or self._jit is False:
            return None
        if self._jit is None or self._jit[0] is not self.framework:
            self._jit = (self.framework, compile_(self.fn, dict(self.binding.fixed)))
        return self._jit[1]

    def raw(self, batch: Mapping[str, np.ndarray], dtype: str = "float64") -> Any:
        """The returned value; an exception is a one-line :class:`CodeInputError`."""
        with self.framework.context():
            kwargs, _, _ = self._args(batch, dtype)
            return self._invoke(kwargs, _size(batch))

    def _split(self, value: Any, size: int) -> tuple[Any, tuple[Any, Any] | None]:
        rewards = None
        if isinstance(value, list) and value and all(isinstance(v, float | int) for v in value):
            raise CodeInputError(
                f"{self.name} returned a list of numbers; return the per-example losses as an array (or a tuple "
                "(losses, chosen_rewards, rejected_rewards))"
            )
        if isinstance(value, tuple | list):
            if not value:
                raise CodeInputError(f"{self.name} returned an empty tuple; return the per-example losses first")
            if len(value) >= 3:
                rewards = (value[1], value[2])
            value = value[0]
        if isinstance(value, complex) or (self.framework.is_array(value) and "complex" in self.framework.dtype(value)):
            raise CodeInputError(f"{self.name} returned complex losses; a loss is a real number (a log of a negative?)")
        if isinstance(value, float | int) or self.framework.is_array(value):
            shape = tuple(np.shape(value))
        elif isinstance(value, np.ndarray | np.generic):  # .numpy() at the end of a PyTorch or JAX function
            raise CodeInputError(
                f"{self.name} computes with {self.framework.name} but returned a NumPy array; return the "
                f"{self.framework.name} result itself, so that its gradient can be taken"
            )
        else:
            raise CodeInputError(
                f"{self.name} returned {type(value).__name__}; return the losses as an array "
                "(or a tuple (losses, chosen_rewards, rejected_rewards))"
            )
        if shape not in ((size,), ()):
            raise CodeInputError(
                f"{self.name} returned losses of shape {shape} for a batch of {size}; expected ({size},) "
                "per-example losses or a scalar mean"
            )
        return value, rewards

    def output(self, batch: Mapping[str, np.ndarray], dtype: str = "float64") -> Output:
        with self.framework.context():
            value = self.raw(batch, dtype)
            losses, rewards = self._split(value, _size(batch))
            out_r = None
            if rewards is not None:
                out_r = tuple(self.framework.to_numpy(r) for r in rewards)
            return Output(self.framework.to_numpy(losses), out_r)

    def losses(self, batch: Mapping[str, np.ndarray], dtype: str = "float64") -> np.ndarray:
        """Per-example losses; a reduced loss is called one example at a time."""
        out = self.output(batch, dtype)
        if not out.reduced:
            return out.losses
        n = _size(batch)
        return np.array([float(self.output(_take(batch, [i]), dtype).losses) for i in range(n)])

    @property
    def precision_rtol(self) -> float:
        """The relative tolerance the returned precision allows (0 for float64)."""
        return PRECISION_RTOL.get(self.dtype, 3e-2)

    # ------------------------------------------------------------ validating

    def validate(self, batch: Mapping[str, np.ndarray]) -> Output:
        """Detect the framework on ``batch`` and check shapes and finiteness (one-line errors).

        Masks are given as bool arrays, or as int64 0/1 arrays when the function refuses bool ones
        (``1 - mask`` on a bool tensor raises); the error of the first attempt is the one reported."""
        errors: dict[str, CodeInputError] = {}
        frameworks = available(self.fn)
        masks = ("bool", "int64") if set(MASK_INPUTS) & set(self.binding.inputs) else ("bool",)
        for fw in frameworks:
            self.framework = fw
            error = self._fails(batch, masks)
            if error is None:
                break
            errors[fw.name] = error
        else:
            uses = referenced(self.fn)
            raise next((errors[fw.name] for fw in frameworks if fw.name in uses), errors["numpy"])
        self.written = self._written(batch)
        out = self.output(batch)
        if self.dtype == "float64":  # a function may compute in less and cast its result back (.double())
            self.dtype = stored_in(np.atleast_1d(out.losses))
        bad = np.nonzero(~np.isfinite(np.atleast_1d(out.losses)))[0]
        if bad.size:
            i = int(bad[0])
            seq = self.binding.sequence
            where = ", ".join(f"{k}={batch[k][i]:.6g}" for k in seq) if not out.reduced else "the batch"
            raise CodeInputError(f"{self.name} returned {out.losses.flat[i]} at {where}; a loss must be finite there")
        if out.rewards is not None:
            for label, r in zip(("chosen", "rejected"), out.rewards, strict=True):
                if r.shape != (_size(batch),):
                    raise CodeInputError(
                        f"{self.name} returned {label} rewards of shape {r.shape}; expected ({_size(batch)},)"
                    )
        return out

    def _fails(self, batch: Mapping[str, np.ndarray], masks: tuple[str, ...]) -> CodeInputError | None:
        """Call the function under the current framework with each mask dtype in turn: None (and that
        dtype kept) when one works, else the first attempt's error."""
        first = None
        for dtype in masks:
            self.mask_dtype = dtype
            try:
                with self.framework.context():
                    value = self.raw(batch)
                    self.dtype = self.framework.dtype(self._split(value, _size(batch))[0])
                if self.framework.autograd:  # as gradients will call it: a NumPy function fails on traced arrays
                    self._autograd(batch)
            except CodeInputError as exc:
                first = first or exc
                continue
            return None
        return first

    def _written(self, batch: Mapping[str, np.ndarray]) -> list[str]:
        """The arguments whose values differ after one call (the function wrote into them in place)."""
        with self.framework.context():
            kwargs, leaves, _ = self._args(batch, "float64")
            before = {c: self.framework.to_numpy(v).copy() for c, v in leaves.items()}
            self._invoke(kwargs, _size(batch))
            after = {c: self.framework.to_numpy(v) for c, v in leaves.items()}
        return [self.binding.inputs[c] for c in leaves if not np.array_equal(before[c], after[c], equal_nan=True)]

    # ------------------------------------------------------------ gradients

    def gradients(
        self, batch: Mapping[str, np.ndarray], noise: dict[str, np.ndarray] | None = None
    ) -> dict[str, np.ndarray]:
        """∂(Σ losses)/∂input per example: autograd for the policy inputs of a torch or JAX function
        (×B for a reduced loss), finite differences otherwise (``noise``: see :meth:`fd_gradients`).

        The reference is a constant in training (its gradient is never used, and detaching it is
        harmless), so its partial derivatives, which show its orientation, come from the values.
        """
        if not self.framework.autograd:
            return self.fd_gradients(batch, noise=noise)
        grads = self._autograd(batch)
        grads.update(self.fd_gradients(batch, [k for k in self.binding.sequence if k in REFERENCE], noise))
        return grads

    def _autograd(self, batch: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """∂(Σ losses)/∂logp_w and ∂logp_l by the framework's autograd (through the token layout)."""
        n = _size(batch)
        with self.framework.context():
            kwargs, leaves, weights = self._args(batch, "float64")
            policy = {k: v for k, v in leaves.items() if TOKEN_SOURCES.get(k, (k,))[0] in POLICY}

            def total(p: Mapping[str, Any]) -> Any:
                value = self._invoke({**kwargs, **{self.binding.inputs[k]: v for k, v in p.items()}}, n)
                losses, _ = self._split(value, n)
                if isinstance(losses, int | float):  # .item() or float(): no graph left to differentiate
                    raise CodeInputError(
                        f"{self.name}: returned a Python {type(losses).__name__}, not a {self.framework.name} array, "
                        "so no gradient reaches its inputs (.item() or float() on the loss?); return the array"
                    )
                return losses.sum() * (n if len(np.shape(losses)) == 0 else 1)

            try:
                raw = self.framework.grad(total, policy)
            except CodeInputError:
                raise
            except Exception as exc:  # e.g. jax.grad of a function that converts its tracers to NumPy
                raise CodeInputError(f"{self.name}: no gradient by {self.framework.name}: {_one_line(exc)}") from None
        out = {}
        for k, g in raw.items():
            if k in weights:
                out[TOKEN_SOURCES[k][0]] = sequence_gradient(g, weights[k])
            else:
                out[k] = g
        return out

    def fd_gradients(
        self,
        batch: Mapping[str, np.ndarray],
        names: list[str] | None = None,
        noise: dict[str, np.ndarray] | None = None,
    ) -> dict[str, np.ndarray]:
        """Central finite differences of the per-example losses, each input moved for all examples.

        A function that computes in a lower precision than float64 returns values rounded to it, and
        their differences carry that rounding divided by the step. When ``noise`` is given, it receives
        per input and example an estimate of that error for such a function: twice the distance from
        the difference quotient with twice the step (rounding and truncation both show there; an error
        in the formula does not, as both quotients estimate the same derivative), plus the rounding of
        the loss over the step, its intermediates as large as the example's largest input (two quotients
        can round alike). Float64: zeros.
        """
        out = {}
        low = self.dtype != "float64"
        if noise is not None and low:
            scale, value = _row_scale(batch), np.abs(self.losses(batch))
        for canon in self.binding.sequence if names is None else names:
            if canon.startswith("len"):
                continue
            x = np.asarray(batch[canon], dtype=float)
            h = FD_STEP.get(self.dtype, 9e-2) * np.maximum(1.0, np.abs(x))
            out[canon] = self._quotient(batch, canon, x, h)
            if noise is not None:
                coarse = self._quotient(batch, canon, x, 2 * h) if low else out[canon]
                noise[canon] = 2 * np.abs(coarse - out[canon])
                if low:  # the rounding of L, whose intermediates reach the largest input, over the step
                    shape = scale.shape + (1,) * (x.ndim - 1)
                    rounding = UNIT_ROUNDOFF.get(self.dtype, 4e-3) * (
                        value.reshape(shape) + np.abs(out[canon]) * scale.reshape(shape)
                    )
                    noise[canon] = noise[canon] + 2 * rounding / h
        return out

    def _quotient(self, batch: Mapping[str, np.ndarray], canon: str, x: np.ndarray, h: np.ndarray) -> np.ndarray:
        up = self.losses({**batch, canon: x + h})
        down = self.losses({**batch, canon: x - h})
        return (up - down) / (2 * h)


def _row_scale(batch: Mapping[str, np.ndarray]) -> np.ndarray:
    """Per example, the largest size of its inputs (at least 1): a float32 loss that subtracts a reference
    log-probability of −30 rounds at 2·10⁻⁶ there, whatever the size of the input being stepped."""
    out = np.ones(_size(batch))
    for name, v in batch.items():
        if name.startswith("len"):
            continue
        a = np.abs(np.asarray(v, dtype=float))
        out = np.maximum(out, a.reshape(a.shape[0], -1).max(axis=1) if a.ndim > 1 else a)
    return out


def _size(batch: Mapping[str, np.ndarray]) -> int:
    return int(np.asarray(batch["logp_w"]).shape[0])


def _take(batch: Mapping[str, np.ndarray], idx) -> dict[str, np.ndarray]:
    return {k: np.asarray(v)[idx] for k, v in batch.items()}
