"""Fuzzed float64 batches of preference pairs, at random and at the reference policy.

Random batches: reference log-probabilities uniform in [−120, −5], the policy within ±3/β of
the reference (so β·margin spans the loss's curved region), lengths integers in [1, 200]; every
log-probability ≤ 0. Reference-policy configurations (policy = reference) with room for steps
of 4/β below zero are what the loss checker's mirror tests start from.
"""

from __future__ import annotations

import numpy as np

from verify.losses.properties import STEPS, A, B, C, D

LENGTH_MAX = 200


def random_batch(size: int, beta: float, seed: int = 0) -> dict[str, np.ndarray]:
    """``size`` fuzzed pairs (canonical names, float64; lengths as float64 integers)."""
    rng = np.random.default_rng(seed)
    spread = 3.0 / beta
    ref_w = rng.uniform(-120, -5, size)
    ref_l = rng.uniform(-120, -5, size)
    return {
        "logp_w": np.minimum(ref_w + rng.uniform(-spread, spread, size), -0.01),
        "logp_l": np.minimum(ref_l + rng.uniform(-spread, spread, size), -0.01),
        "ref_logp_w": ref_w,
        "ref_logp_l": ref_l,
        "len_w": rng.integers(1, LENGTH_MAX + 1, size).astype(float),
        "len_l": rng.integers(1, LENGTH_MAX + 1, size).astype(float),
    }


def reference_configs(beta: float, uses_beta: bool, n: int = 160, seed: int = 0):
    """The loss checker's sampled configurations with β fixed at the implementation's value."""
    rng = np.random.default_rng(seed)
    scale = np.full(n, 1 / beta if uses_beta else 1.0)
    smax = max(STEPS) * scale
    c = -(smax + rng.uniform(0.5, 60, n))
    d = -(smax + rng.uniform(0.5, 60, n))
    cfg = {
        A: c.copy(),
        B: d.copy(),
        C: c,
        D: d,
        "beta": np.full(n, beta),
        "len_w": rng.integers(1, 101, n).astype(float),
        "len_l": rng.integers(1, 101, n).astype(float),
    }
    return cfg, scale


def margin_batch(margins: np.ndarray, beta: float, uses_beta: bool) -> dict[str, np.ndarray]:
    """Pairs whose log-ratio margin is ``margins/β`` (split unevenly between winner and loser, neither
    log-ratio 0: a penalty ``max(0, ref − logp)`` has its kink there, where any one-sided gradient is
    right), lengths 1."""
    h = np.asarray(margins, dtype=float) / (beta if uses_beta else 1.0)
    n = h.size
    ref = np.full(n, -20.0)
    base = -0.55 * np.abs(h) - 20.3
    return {
        "logp_w": base + 0.55 * h,
        "logp_l": base - 0.45 * h,
        "ref_logp_w": ref,
        "ref_logp_l": ref,
        "len_w": np.ones(n),
        "len_l": np.ones(n),
    }
