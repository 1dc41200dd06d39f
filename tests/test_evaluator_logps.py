"""Sequence log-probs from logits and their closed-form gradient."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from evaluator_reference import sequence_logps_reference
from hypothesis import given, settings
from hypothesis import strategies as st

from verify.evaluator.logps import log_softmax, sequence_logps, sequence_logps_and_grad, sequence_logps_vjp


def _batch(rng: np.random.Generator, b: int = 3, t: int = 5, v: int = 7, scale: float = 3.0):
    logits = rng.normal(scale=scale, size=(b, t, v))
    labels = rng.integers(0, v, size=(b, t))
    mask = (rng.random((b, t)) < 0.7).astype(np.int64)
    mask[:, 0] = 1
    return logits, labels, mask


def test_matches_the_mpmath_reference() -> None:
    logits, labels, mask = _batch(np.random.default_rng(0))
    np.testing.assert_allclose(
        sequence_logps(logits, labels, mask), sequence_logps_reference(logits, labels, mask), rtol=1e-12
    )


def test_token_mean_divides_by_the_counted_tokens() -> None:
    logits, labels, mask = _batch(np.random.default_rng(1))
    want = sequence_logps_reference(logits, labels, mask) / mask.sum(axis=1)
    np.testing.assert_allclose(sequence_logps(logits, labels, mask, average=True), want, rtol=1e-12)


def test_masked_tokens_do_not_count() -> None:
    logits, labels, mask = _batch(np.random.default_rng(2))
    changed = logits.copy()
    changed[mask == 0] += 100.0
    labels2 = labels.copy()
    labels2[mask == 0] = 0
    np.testing.assert_array_equal(sequence_logps(logits, labels, mask), sequence_logps(changed, labels2, mask))


@pytest.mark.parametrize("average", [False, True])
def test_gradient_matches_central_differences(average: bool) -> None:
    logits, labels, mask = _batch(np.random.default_rng(3), b=2, t=4, v=5)
    up = np.array([0.7, -1.3])
    _, grad = sequence_logps_and_grad(logits, labels, mask, up, average=average)
    fd = np.zeros_like(logits)
    h = 1e-6
    for idx in np.ndindex(*logits.shape):
        e = np.zeros_like(logits)
        e[idx] = h
        fd[idx] = (
            up @ sequence_logps(logits + e, labels, mask, average)
            - up @ sequence_logps(logits - e, labels, mask, average)
        ) / (2 * h)
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-9)


def test_gradient_rows_sum_to_zero_and_vanish_on_masked_tokens() -> None:
    logits, labels, mask = _batch(np.random.default_rng(4))
    _, grad = sequence_logps_and_grad(logits, labels, mask, np.ones(3))
    np.testing.assert_allclose(grad.sum(axis=-1), 0.0, atol=1e-15)
    assert np.all(grad[mask == 0] == 0.0)


def test_backward_once_only() -> None:
    logits, labels, mask = _batch(np.random.default_rng(5))
    _, backward = sequence_logps_vjp(logits, labels, mask)
    backward(np.ones(3))
    with pytest.raises(RuntimeError):
        backward(np.ones(3))


@settings(max_examples=40, deadline=None)
@given(shift=st.floats(-1e4, 1e4), spread=st.floats(0.0, 1e4), seed=st.integers(0, 2**16))
def test_stable_for_huge_logits(shift: float, spread: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    logits = shift + spread * rng.uniform(-1, 1, size=(2, 3, 6))
    labels = rng.integers(0, 6, size=(2, 3))
    mask = np.ones((2, 3), dtype=np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s, grad = sequence_logps_and_grad(logits, labels, mask, np.ones(2))
        ls = log_softmax(logits)
    assert np.all(np.isfinite(s)) and np.all(s <= 0) and np.all(np.isfinite(grad))
    np.testing.assert_allclose(np.exp(ls).sum(axis=-1), 1.0, rtol=1e-12)
    want = np.take_along_axis(ls, labels[..., None], axis=-1)[..., 0].sum(axis=-1)
    np.testing.assert_allclose(s, want, rtol=1e-12, atol=1e-12)


def test_float32_stays_float32() -> None:
    logits, labels, mask = _batch(np.random.default_rng(6))
    s, grad = sequence_logps_and_grad(logits.astype(np.float32), labels, mask, np.ones(3, dtype=np.float32))
    assert s.dtype == np.float32 and grad.dtype == np.float32
    np.testing.assert_allclose(s, sequence_logps(logits, labels, mask), rtol=1e-5)


def test_shape_mismatch_is_rejected() -> None:
    logits, labels, mask = _batch(np.random.default_rng(7))
    with pytest.raises(ValueError, match="expected logits"):
        sequence_logps(logits, labels[:, :-1], mask)
