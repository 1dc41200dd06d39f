r"""Sequence log-probabilities from logits, and their gradient with respect to the logits.

Main statements:

- :func:`log_softmax`: :math:`\log p_v = x_v - \log\sum_u e^{x_u}`, computed as
  :math:`(x_v - m) - \log\sum_u e^{x_u - m}` with :math:`m = \max_u x_u` (no overflow);
- :func:`sequence_logps`: :math:`S_b = \sum_t w_{bt} \log p_{bt}(y_{bt})` with mask
  :math:`w \in \{0, 1\}` (``average=True`` divides by :math:`\sum_t w_{bt}`);
- :func:`sequence_logps_and_grad`: :math:`\partial S_b / \partial x_{btv} = w_{bt}\,(\mathbb 1[v = y_{bt}] - p_{btv})`
  (times :math:`1/\sum_t w_{bt}` for the mean), chained with an upstream gradient :math:`g_b`.

Memory: the forward pass needs one temporary of the logits' size; the gradient reuses that
buffer for the softmax, so the peak extra memory is one logits-sized array (plus ``O(B·T)``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray


def log_softmax(logits: NDArray[np.floating]) -> NDArray[np.floating]:
    """``log softmax`` over the last axis, stable for any finite logits."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _check_shapes(logits: np.ndarray, labels: np.ndarray, mask: np.ndarray) -> None:
    if logits.ndim != 3 or labels.shape != logits.shape[:2] or mask.shape != labels.shape:
        raise ValueError(
            f"expected logits (B,T,V), labels and mask (B,T); got {logits.shape}, {labels.shape}, {mask.shape}"
        )


def _logsumexp_and_exp(logits: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(lse, e, s)``: ``lse = log Σ exp``, ``e = exp(x − max)`` (one logits-sized buffer), ``s = Σ e``."""
    m = logits.max(axis=-1, keepdims=True)
    e = np.subtract(logits, m)
    np.exp(e, out=e)
    s = e.sum(axis=-1, keepdims=True)
    return (m + np.log(s))[..., 0], e, s


def token_logps(logits: NDArray[np.floating], labels: NDArray[np.integer]) -> NDArray[np.floating]:
    """``log p_{bt}(y_{bt})``, shape ``(B, T)``: the label's logit minus the log-partition."""
    lse, _, _ = _logsumexp_and_exp(logits)
    picked = np.take_along_axis(logits, labels[..., None].astype(np.intp), axis=-1)[..., 0]
    return picked - lse


def sequence_logps(
    logits: NDArray[np.floating],
    labels: NDArray[np.integer],
    mask: NDArray[np.number],
    average: bool = False,
) -> NDArray[np.floating]:
    """``Σ_t mask·log p(label)`` per sequence (``average=True``: divided by the token count)."""
    _check_shapes(logits, labels, mask)
    w = mask.astype(logits.dtype)
    total = (token_logps(logits, labels) * w).sum(axis=-1)
    return total / w.sum(axis=-1) if average else total


def sequence_logps_vjp(
    logits: NDArray[np.floating],
    labels: NDArray[np.integer],
    mask: NDArray[np.number],
    average: bool = False,
) -> tuple[NDArray[np.floating], Callable[[NDArray[np.floating]], NDArray[np.floating]]]:
    """Sequence log-probs ``S`` and a function ``upstream ↦ Σ_b upstream_b ∂S_b/∂logits``.

    The softmax buffer of the forward pass is kept and turned into the gradient in place, so the
    backward call may be made once; together they allocate one logits-sized array.
    """
    _check_shapes(logits, labels, mask)
    w = mask.astype(logits.dtype)
    count = w.sum(axis=-1)
    idx = labels[..., None].astype(np.intp)
    lse, buf, s = _logsumexp_and_exp(logits)
    picked = np.take_along_axis(logits, idx, axis=-1)[..., 0]
    total = ((picked - lse) * w).sum(axis=-1)
    if average:
        total = total / count
    used = False

    def backward(upstream: NDArray[np.floating]) -> NDArray[np.floating]:
        nonlocal used
        if used:
            raise RuntimeError("backward may be called once (its buffer becomes the gradient)")
        used = True
        coef = w * np.asarray(upstream, dtype=logits.dtype)[:, None]
        if average:
            coef = coef / count[:, None]
        # grad = coef·(onehot − softmax): scale e by −coef/s, then add coef at the labels
        np.multiply(buf, (-coef[..., None]) / s, out=buf)
        np.put_along_axis(buf, idx, np.take_along_axis(buf, idx, axis=-1) + coef[..., None], axis=-1)
        return buf

    return total, backward


def sequence_logps_and_grad(
    logits: NDArray[np.floating],
    labels: NDArray[np.integer],
    mask: NDArray[np.number],
    upstream: NDArray[np.floating],
    average: bool = False,
) -> tuple[NDArray[np.floating], NDArray[np.floating]]:
    """Sequence log-probs ``S`` and ``Σ_b upstream_b · ∂S_b/∂logits`` (shape of ``logits``).

    ``∂S_b/∂x_{btv} = w_{bt}(1[v = y_{bt}] − softmax(x_{bt})_v)``; the softmax buffer becomes the
    gradient in place, so only one logits-sized array is allocated.
    """
    total, backward = sequence_logps_vjp(logits, labels, mask, average)
    return total, backward(upstream)
