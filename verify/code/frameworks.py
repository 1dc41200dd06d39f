"""The array libraries a loss can be written in: NumPy always, PyTorch and JAX when the user's code imported them.

A framework turns float64 NumPy inputs into its own arrays, results back into NumPy, and
differentiates: PyTorch by autograd (``torch.autograd.grad``), JAX by ``jax.grad``, NumPy by
central finite differences (in :mod:`verify.code.implementation`). A JAX function is called under
``jax.jit`` (compiled once per array shape rather than operation by operation), or as it is if it
cannot be traced as a whole. JAX computes in float32
unless 64-bit types are enabled; every call of the user's function, and every array made for
it, runs inside ``jax.enable_x64(True)``, a context manager that restores the user's own setting
afterwards (their module, and their own calls of it, keep float32 by default).
"""

from __future__ import annotations

import contextlib
import inspect
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from verify.code.signature import call


class NumpyFramework:
    name = "numpy"
    autograd = False

    def context(self) -> contextlib.AbstractContextManager:
        return contextlib.nullcontext()

    def array(self, x: np.ndarray, dtype: str = "float64") -> Any:
        return np.array(x, dtype=dtype)  # a copy: a function that writes into its inputs must not change the batch

    def is_array(self, value: Any) -> bool:
        return isinstance(value, np.ndarray | np.generic | float | int)

    def to_numpy(self, value: Any) -> np.ndarray:
        return np.asarray(value, dtype=float)

    def dtype(self, value: Any) -> str:
        return str(np.asarray(value).dtype) if isinstance(value, np.ndarray | np.generic) else "float64"


class TorchFramework:
    name = "torch"
    autograd = True

    def __init__(self) -> None:
        import torch

        self.torch = torch
        # the batches are small: intra-op threads only add synchronisation (16 ms instead of 3 µs
        # per log_sigmoid on 160 numbers on a busy 2-core machine)
        torch.set_num_threads(1)

    def context(self) -> contextlib.AbstractContextManager:
        return contextlib.nullcontext()

    def array(self, x: np.ndarray, dtype: str = "float64") -> Any:
        return self.torch.tensor(np.asarray(x), dtype=getattr(self.torch, dtype))

    def is_array(self, value: Any) -> bool:
        return isinstance(value, self.torch.Tensor)

    def to_numpy(self, value: Any) -> np.ndarray:
        if isinstance(value, self.torch.Tensor):
            return value.detach().to(self.torch.float64).cpu().numpy()
        return np.asarray(value, dtype=float)

    def dtype(self, value: Any) -> str:
        return str(value.dtype).removeprefix("torch.") if isinstance(value, self.torch.Tensor) else "float64"

    def grad(self, total_of: Callable[[dict[str, Any]], Any], leaves: dict[str, Any]) -> dict[str, np.ndarray]:
        """∂ total_of(leaves) / ∂ leaf for each leaf; zeros where no gradient flows (detached or unused)."""
        leaves = {k: v.detach().requires_grad_(True) for k, v in leaves.items()}
        total = total_of(leaves)
        names = list(leaves)
        if not getattr(total, "requires_grad", False):
            return {k: np.zeros(tuple(leaves[k].shape)) for k in names}
        grads = self.torch.autograd.grad(total, [leaves[k] for k in names], allow_unused=True)
        return {
            k: np.zeros(tuple(leaves[k].shape)) if g is None else g.detach().to(self.torch.float64).numpy()
            for k, g in zip(names, grads, strict=True)
        }


class JaxFramework:
    name = "jax"
    autograd = True

    def __init__(self) -> None:
        import jax
        import jax.numpy as jnp

        self.jax, self.jnp = jax, jnp
        enable = getattr(jax, "enable_x64", None)
        if enable is None:  # JAX before the top-level context manager
            from jax.experimental import enable_x64 as enable
        self._x64 = enable

    def context(self) -> contextlib.AbstractContextManager:
        """64-bit types for this call only (the user's global ``jax_enable_x64`` is restored on exit)."""
        return self._x64(True)

    def array(self, x: np.ndarray, dtype: str = "float64") -> Any:
        with self.context():
            return self.jnp.asarray(np.asarray(x), dtype=dtype)

    def is_array(self, value: Any) -> bool:
        return isinstance(value, self.jax.Array)

    def to_numpy(self, value: Any) -> np.ndarray:
        return np.asarray(value).astype(np.float64)

    def dtype(self, value: Any) -> str:
        return str(value.dtype) if isinstance(value, self.jax.Array) else "float64"

    def compile(self, fn: Callable, fixed: dict[str, Any]) -> Callable[[dict[str, Any]], Any]:
        """``fn`` under ``jax.jit`` with its bound (non-array) arguments as constants."""
        return self.jax.jit(lambda arrays: call(fn, {**arrays, **fixed}))

    def grad(self, total_of: Callable[[dict[str, Any]], Any], leaves: dict[str, Any]) -> dict[str, np.ndarray]:
        """``jax.grad`` of ``total_of`` with respect to every leaf (zeros where ``stop_gradient`` cut it)."""
        with self.context():
            grads = self.jax.grad(total_of)(leaves)
        return {k: np.asarray(g).astype(np.float64) for k, g in grads.items()}


FRAMEWORKS = {"torch": TorchFramework, "jax": JaxFramework}


def referenced(fn: Callable) -> set[str]:
    """The array libraries the function's module refers to (a module, or a function imported from one)."""
    found = set()
    try:
        fn = inspect.unwrap(fn)  # a jax.jit or functools.wraps wrapper: the function written by the user
    except ValueError:
        pass
    for v in list(getattr(fn, "__globals__", {}).values()):
        name = getattr(v, "__name__", "") if isinstance(v, type(sys)) else getattr(v, "__module__", None) or ""
        top = name.split(".")[0] if isinstance(name, str) else ""
        if top in ("torch", "jax", "numpy"):
            found.add(top)
    return found


def available(fn: Callable | None = None) -> list[Any]:
    """The frameworks to try, in order: those the function's module refers to, autograd first (a torch or
    JAX function may also import NumPy), then the others. PyTorch and JAX only when already imported: a
    module that never imported them cannot compute with them, and is spared the seconds their import takes."""
    out: list[Any] = []
    for name, make in FRAMEWORKS.items():
        if name in sys.modules:
            try:
                out.append(make())
            except Exception:  # a broken install: check with the others
                pass
    out.append(NumpyFramework())
    uses = referenced(fn) if fn is not None else set()
    return sorted(out, key=lambda fw: (fw.name not in uses, not fw.autograd))
