"""First-order optimizers for small experiments: SGD, Adam, their projected forms, early stopping.

Weight decay is a penalty ``α‖x‖²`` added to the objective by the caller (its gradient ``2αx``),
as in the experiments this package reproduces; early stopping is a fixed number of steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


@dataclass
class SGD:
    """``x ← x − lr·g``."""

    lr: float

    def step(self, x: Array, g: Array) -> Array:
        return x - self.lr * g


@dataclass
class Adam:
    """Adam (Kingma & Ba, 2015) with bias correction: ``x ← x − lr·m̂/(√v̂ + eps)``."""

    lr: float
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    _m: Array | None = field(default=None, repr=False)
    _v: Array | None = field(default=None, repr=False)
    _t: int = field(default=0, repr=False)

    def step(self, x: Array, g: Array) -> Array:
        if self._m is None:
            self._m, self._v = np.zeros_like(x), np.zeros_like(x)
        self._t += 1
        self._m = self.beta1 * self._m + (1 - self.beta1) * g
        self._v = self.beta2 * self._v + (1 - self.beta2) * g * g
        m_hat = self._m / (1 - self.beta1**self._t)
        v_hat = self._v / (1 - self.beta2**self._t)
        return x - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


def box(lo: float, hi: float) -> Callable[[Array], Array]:
    """Euclidean projection onto the box ``[lo, hi]``."""
    return lambda x: np.clip(x, lo, hi)


def minimize(
    grad: Callable[[Array], Array],
    x0: Array,
    optimizer: SGD | Adam,
    steps: int,
    project: Callable[[Array], Array] | None = None,
    weight_decay: float = 0.0,
    record: bool = False,
) -> tuple[Array, list[Array]]:
    """Run ``steps`` updates from ``x0`` on the objective whose gradient is ``grad`` (+ ``2·weight_decay·x``).

    With ``project`` each update is followed by the projection (projected gradient descent /
    projected Adam). Returns the last iterate and, with ``record``, every iterate ``x_0 … x_steps``.
    """
    x = np.array(x0, dtype=np.float64)
    if project is not None:
        x = project(x)
    path = [x.copy()] if record else []
    for _ in range(steps):
        g = grad(x) + 2 * weight_decay * x
        x = optimizer.step(x, g)
        if project is not None:
            x = project(x)
        if record:
            path.append(x.copy())
    return x, path
