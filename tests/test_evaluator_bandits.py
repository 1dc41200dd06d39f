"""Bandit policies, population losses, RLHF objectives and optimizers of the evaluator."""

from __future__ import annotations

import numpy as np
import pytest

from verify.evaluator.bandits import (
    Preferences,
    bradley_terry,
    fdpo_forward_kl,
    grad_theta_from_logp,
    grad_theta_from_p,
    ipo_reward,
    log_softmax,
    mixture,
    pairwise_loss,
    reverse_kl_optimum,
    rlhf_forward_kl,
    rlhf_reverse_kl,
    softmax,
)
from verify.evaluator.optimizers import SGD, Adam, box, minimize

PI_STAR = np.array([0.5, 0.3, 0.2])
REF = np.array([0.25, 0.45, 0.3])
PAIRS = [(0, 1), (1, 2), (0, 2)]


def _fd(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    out = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h
        out[i] = (f(x + e) - f(x - e)) / (2 * h)
    return out


@pytest.mark.parametrize("loss", ["dpo", "ipo", "cdpo", fdpo_forward_kl])
def test_pairwise_loss_gradient_through_softmax(loss) -> None:
    prefs = bradley_terry(PI_STAR, PAIRS)
    theta = np.array([0.3, -0.2, 0.5])

    def f(t):
        return pairwise_loss(loss, log_softmax(t), np.log(REF), prefs, 0.7)[0]

    _, g = pairwise_loss(loss, log_softmax(theta), np.log(REF), prefs, 0.7)
    np.testing.assert_allclose(grad_theta_from_logp(theta, g), _fd(f, theta), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("objective", [rlhf_reverse_kl, rlhf_forward_kl])
def test_rlhf_gradient_through_softmax(objective) -> None:
    theta, r = np.array([0.1, 0.9, -0.4]), np.array([1.0, -0.5, 0.2])

    def f(t):
        return objective(softmax(t), REF, r, 0.8)[0]

    _, g = objective(softmax(theta), REF, r, 0.8)
    np.testing.assert_allclose(grad_theta_from_p(theta, g), _fd(f, theta), rtol=1e-6, atol=1e-9)


def test_reverse_kl_optimum_is_stationary_and_dpo_recovers_it() -> None:
    """π* ∝ π_ref e^{r/λ} (optimal_policy) and the DPO optimum with BT data of π* (z_cancellation)."""
    lam, r = 1.0, np.log(PI_STAR)
    opt = reverse_kl_optimum(REF, r, lam)
    _, g = rlhf_reverse_kl(opt, REF, r, lam)
    np.testing.assert_allclose(g - g.mean(), 0.0, atol=1e-12)  # the gradient is parallel to (1, …, 1)
    prefs = bradley_terry(PI_STAR, PAIRS)

    def grad(t: np.ndarray) -> np.ndarray:
        return grad_theta_from_logp(t, pairwise_loss("dpo", log_softmax(t), np.log(REF), prefs, lam)[1])

    x, _ = minimize(grad, np.zeros(3), Adam(0.02), 4000)
    np.testing.assert_allclose(softmax(x), opt, atol=1e-6)


def test_ipo_with_reference_weighted_pairs_matches_rlhf_with_the_ipo_reward() -> None:
    """Azar et al.: pairs drawn from π_ref × π_ref make the IPO optimum the RLHF optimum for r_IPO."""
    lam = 0.5
    all_pairs = [(i, j) for i in range(3) for j in range(3) if i < j]
    w = np.array([2 * REF[i] * REF[j] for i, j in all_pairs])
    prefs = bradley_terry(PI_STAR, all_pairs, w / w.sum())

    def grad(t: np.ndarray) -> np.ndarray:
        return grad_theta_from_logp(t, pairwise_loss("ipo", log_softmax(t), np.log(REF), prefs, lam)[1])

    x, _ = minimize(grad, np.zeros(3), Adam(0.02), 5000)
    np.testing.assert_allclose(softmax(x), reverse_kl_optimum(REF, ipo_reward(REF, PI_STAR), lam), atol=1e-6)


def test_ipo_reward_by_hand() -> None:
    P = lambda i, j: PI_STAR[i] / (PI_STAR[i] + PI_STAR[j])  # noqa: E731
    want = [sum(REF[k] * (0.5 if k == i else P(i, k)) for k in range(3)) for i in range(3)]
    np.testing.assert_allclose(ipo_reward(REF, PI_STAR), want, rtol=1e-15)


def test_preferences_are_weighted_both_ways() -> None:
    prefs = Preferences(((0, 1),), np.array([1.0]), np.array([0.25]))
    logp, ref = np.log([0.6, 0.4]), np.log([0.5, 0.5])
    value, _ = pairwise_loss("dpo", logp, ref, prefs, 1.0)
    m = (logp[0] - ref[0]) - (logp[1] - ref[1])
    assert value == pytest.approx(0.25 * np.log1p(np.exp(-m)) + 0.75 * np.log1p(np.exp(m)), rel=1e-14)


def test_mixture_policy() -> None:
    p, dp = mixture(0.25, 0, np.full(3, 1 / 3))
    np.testing.assert_allclose(p, [0.5, 0.25, 0.25])
    np.testing.assert_allclose(dp, [2 / 3, -1 / 3, -1 / 3])


def test_adam_first_step_moves_by_lr_against_the_gradient_sign() -> None:
    x = Adam(0.1).step(np.array([1.0, 1.0]), np.array([3.0, -1e-3]))
    np.testing.assert_allclose(x, [0.9, 1.1], rtol=1e-6)


def test_sgd_weight_decay_and_projection() -> None:
    # minimise (x − 3)² + α x² on [0, 1]: unconstrained optimum 3/(1+α) > 1, so the projection holds it at 1
    x, path = minimize(lambda v: 2 * (v - 3), np.array([0.0]), SGD(0.1), 200, project=box(0.0, 1.0), record=True)
    assert x[0] == 1.0 and len(path) == 201 and all(0.0 <= p[0] <= 1.0 for p in path)
    x, _ = minimize(lambda v: 2 * (v - 3), np.array([0.0]), SGD(0.1), 500, weight_decay=1.0)
    assert x[0] == pytest.approx(1.5, rel=1e-12)
