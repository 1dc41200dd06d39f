"""The array libraries a loss can be written in: NumPy always, PyTorch when it is installed.

A framework turns float64 NumPy inputs into its own arrays, results back into NumPy, and
differentiates: PyTorch by autograd, NumPy by central finite differences (in
:mod:`verify.code.implementation`). JAX is not supported; a JAX function that accepts NumPy
arrays is checked as a NumPy function.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np


class NumpyFramework:
    name = "numpy"
    autograd = False

    def array(self, x: np.ndarray, dtype: str = "float64", requires_grad: bool = False) -> Any:
        return np.asarray(x, dtype=dtype)

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

    def array(self, x: np.ndarray, dtype: str = "float64", requires_grad: bool = False) -> Any:
        t = self.torch.tensor(np.asarray(x), dtype=getattr(self.torch, dtype))
        return t.requires_grad_(requires_grad)

    def is_array(self, value: Any) -> bool:
        return isinstance(value, self.torch.Tensor)

    def to_numpy(self, value: Any) -> np.ndarray:
        if isinstance(value, self.torch.Tensor):
            return value.detach().to(self.torch.float64).cpu().numpy()
        return np.asarray(value, dtype=float)

    def dtype(self, value: Any) -> str:
        return str(value.dtype).removeprefix("torch.") if isinstance(value, self.torch.Tensor) else "float64"

    def gradients(self, total: Any, leaves: dict[str, Any]) -> dict[str, np.ndarray]:
        """∂ total / ∂ leaf for each leaf; zeros where no gradient flows (detached or unused)."""
        names = [k for k, t in leaves.items() if t.requires_grad]
        if not total.requires_grad:
            return {k: np.zeros(tuple(leaves[k].shape)) for k in names}
        grads = self.torch.autograd.grad(total, [leaves[k] for k in names], allow_unused=True)
        return {
            k: np.zeros(tuple(leaves[k].shape)) if g is None else g.detach().to(self.torch.float64).numpy()
            for k, g in zip(names, grads, strict=True)
        }


def available() -> list[Any]:
    """The frameworks to try: PyTorch first when the user's code has imported it (a torch function rejects
    NumPy arrays), then NumPy. A module that never imported torch cannot compute with it, and is spared
    the seconds its import takes."""
    out: list[Any] = []
    if "torch" in sys.modules:
        try:
            out.append(TorchFramework())
        except Exception:  # a broken torch install: check as NumPy
            pass
    out.append(NumpyFramework())
    return out
