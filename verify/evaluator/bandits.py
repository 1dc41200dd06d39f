r"""Policies on a finite response set, population preference losses and RLHF objectives.

Main statements (responses :math:`1..K`, pairs :math:`(i, j)` with weights :math:`w_{ij}` and
preference probabilities :math:`p_{ij} = P(i \succ j)`):

- softmax policy :math:`\pi = \mathrm{softmax}(\theta)`,
  :math:`\nabla_\theta f = \nabla_{\log\pi} f - \pi \sum_k \partial f/\partial\log\pi_k`;
- population pairwise loss :math:`\sum_{ij} w_{ij}[p_{ij} L(i \succ j) + (1-p_{ij}) L(j \succ i)]` for any
  loss of :mod:`verify.evaluator.losses` (and f-DPO with the forward KL), with its gradient in
  :math:`\log\pi`;
- RLHF objectives :math:`-\sum\pi r + \lambda\,\mathrm{KL}(\pi\|\pi_{ref})` (reverse) and
  :math:`-\sum\pi r + \lambda\,\mathrm{KL}(\pi_{ref}\|\pi)` (forward), with gradients in :math:`\pi`;
- the Bradley–Terry preferences of a policy, :math:`p_{ij} = \pi^*_i/(\pi^*_i + \pi^*_j)`, and the IPO
  reward :math:`r_{IPO}(i) = \sum_k \pi_{ref}(k)\,p_{ik}` (with :math:`p_{ii} = 1/2`);
- the mixture policy :math:`\pi = \theta e_m + (1-\theta) b`, :math:`\theta \in [0, 1]`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from verify.evaluator.losses import LossFn, LossResult, Pairs, evaluate, get_loss, logsigmoid, sigmoid

Array = NDArray[np.float64]


def softmax(theta: Array) -> Array:
    e = np.exp(theta - theta.max())
    return e / e.sum()


def log_softmax(theta: Array) -> Array:
    s = theta - theta.max()
    return s - np.log(np.exp(s).sum())


def grad_theta_from_logp(theta: Array, g_logp: Array) -> Array:
    """Chain rule through ``log softmax``: ``g − π·Σg``."""
    return g_logp - softmax(theta) * g_logp.sum()


def grad_theta_from_p(theta: Array, g_p: Array) -> Array:
    """Chain rule through ``softmax``: ``π ⊙ (g − ⟨π, g⟩)``."""
    p = softmax(theta)
    return p * (g_p - p @ g_p)


@dataclass(frozen=True)
class Preferences:
    """Labelled pairs: ``pairs[k] = (i, j)``, weight ``weights[k]``, ``probs[k] = P(i ≻ j)``."""

    pairs: tuple[tuple[int, int], ...]
    weights: Array
    probs: Array


def bradley_terry(pi_star: Sequence[float], pairs: Sequence[tuple[int, int]], weights: Sequence[float] | None = None):
    """Preferences ``P(i ≻ j) = π*_i / (π*_i + π*_j)`` on ``pairs`` (uniform weights by default)."""
    s = np.asarray(pi_star, dtype=np.float64)
    w = np.full(len(pairs), 1.0 / len(pairs)) if weights is None else np.asarray(weights, dtype=np.float64)
    return Preferences(tuple(pairs), w, np.array([s[i] / (s[i] + s[j]) for i, j in pairs]))


def fdpo_forward_kl(p: Pairs, beta: float, q: Mapping[str, float]) -> LossResult:
    r"""f-DPO with the forward KL, :math:`f(u) = -\log u`: :math:`-\log\sigma(\beta(e^{-\rho_l} - e^{-\rho_w}))`.

    The implicit reward is :math:`\beta f'(\pi/\pi_{ref}) = -\beta e^{-\rho}`; for bandit use (moderate
    log-ratios), not part of the batch loss family.
    """
    ew, el = np.exp(-p.rho_w), np.exp(-p.rho_l)
    z = beta * (el - ew)
    s = sigmoid(-z)
    return LossResult(-logsigmoid(z), -s * beta * ew, s * beta * el)


def pairwise_loss(
    loss: str | LossFn,
    logp: Array,
    ref_logp: Array,
    prefs: Preferences,
    beta: float,
    params: Mapping[str, float] | None = None,
) -> tuple[float, Array]:
    """Population loss ``Σ w[p·L(i≻j) + (1−p)·L(j≻i)]`` and its gradient with respect to ``log π``."""
    i = np.array([a for a, _ in prefs.pairs] + [b for _, b in prefs.pairs])
    j = np.array([b for _, b in prefs.pairs] + [a for a, _ in prefs.pairs])
    wt = np.concatenate([prefs.weights * prefs.probs, prefs.weights * (1 - prefs.probs)])
    pairs = Pairs(logp[i], logp[j], ref_logp[i], ref_logp[j])
    if callable(loss):
        out = loss(pairs, beta, dict(params or {}))
    else:
        out = evaluate(get_loss(loss).name, pairs, beta, params)
    grad = np.zeros_like(logp)
    np.add.at(grad, i, wt * out.grad_chosen)
    np.add.at(grad, j, wt * out.grad_rejected)
    return float(wt @ out.losses), grad


def rlhf_reverse_kl(p: Array, ref: Array, reward: Array, lam: float) -> tuple[float, Array]:
    """``−Σ π r + λ Σ π log(π/π_ref)`` and its gradient ``−r + λ(log(π/π_ref) + 1)`` in ``π``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        logratio = np.log(p) - np.log(ref)
        kl = np.where(p > 0, p * logratio, 0.0).sum()
    return float(-p @ reward + lam * kl), -reward + lam * (logratio + 1)


def rlhf_forward_kl(p: Array, ref: Array, reward: Array, lam: float) -> tuple[float, Array]:
    """``−Σ π r + λ Σ π_ref log(π_ref/π)`` and its gradient ``−r − λ π_ref/π`` in ``π``."""
    return float(-p @ reward + lam * (ref * (np.log(ref) - np.log(p))).sum()), -reward - lam * ref / p


def reverse_kl_optimum(ref: Array, reward: Array, lam: float) -> Array:
    """The unconstrained minimiser ``π_ref·e^{r/λ}/Z`` of the reverse-KL RLHF objective."""
    return softmax(np.log(ref) + reward / lam)


def ipo_reward(ref: Sequence[float], pi_star: Sequence[float]) -> Array:
    """``r_IPO(i) = Σ_k π_ref(k)·P(i ≻ k)`` under Bradley–Terry preferences of ``π*`` (``P(i ≻ i) = 1/2``)."""
    s, q = np.asarray(pi_star, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        P = s[:, None] / (s[:, None] + s[None, :])
    np.fill_diagonal(P, 0.5)
    return P @ q


def mixture(theta: float, vertex: int, base: Array) -> tuple[Array, Array]:
    """``π = θ e_vertex + (1−θ) base`` and ``dπ/dθ = e_vertex − base``."""
    e = np.zeros_like(base)
    e[vertex] = 1.0
    return theta * e + (1 - theta) * base, e - base
