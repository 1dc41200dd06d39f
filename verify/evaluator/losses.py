r"""Preference losses with analytic gradients with respect to the policy log-probs.

Notation per pair :math:`b`: policy log-probs :math:`\pi_w, \pi_l` (chosen, rejected), reference
log-probs :math:`r_w, r_l`, log-ratios :math:`\rho_w = \pi_w - r_w`, :math:`\rho_l = \pi_l - r_l`,
:math:`\Delta = \rho_w - \rho_l`, :math:`z = \beta\Delta`, token counts :math:`n_w, n_l`. Each loss
returns the per-pair losses :math:`L_b` and :math:`\partial L_b/\partial\pi_w`, :math:`\partial L_b/\partial\pi_l`
(the gradient of the mean loss is these divided by :math:`B`). Formulas (σ logistic):

========== ==================================================================================
dpo        :math:`-\log\sigma(z)`
cdpo       :math:`-(1-\varepsilon)\log\sigma(z) - \varepsilon\log\sigma(-z)` (label smoothing)
robust     :math:`[-(1-\varepsilon)\log\sigma(z) + \varepsilon\log\sigma(-z)]/(1-2\varepsilon)`
ipo        :math:`(\Delta - 1/(2\beta))^2`
hinge      :math:`\max(0, 1 - z)` (SLiC; subgradient 0 at the kink)
simpo      :math:`-\log\sigma(\beta\pi_w/n_w - \beta\pi_l/n_l - \gamma)` (reference-free)
nca_pair   :math:`-\log\sigma(\beta\rho_w) - \tfrac12\log\sigma(-\beta\rho_w) - \tfrac12\log\sigma(-\beta\rho_l)`
sppo_hard  :math:`(\rho_w - 1/(2\beta))^2 + (\rho_l + 1/(2\beta))^2`
apo_zero   :math:`1 - \sigma(\beta\rho_w) + \sigma(\beta\rho_l)`
apo_down   :math:`\sigma(\beta\rho_w) + 1 - \sigma(z)`
bco_pair   :math:`-\log\sigma(\beta\rho_w - \delta) - \log\sigma(\delta - \beta\rho_l)` (δ a fixed reward shift)
exo_pair   :math:`\sigma(z)[\log\sigma(z) - \log(1-\varepsilon)] + \sigma(-z)[\log\sigma(-z) - \log\varepsilon]`
kto_pair   :math:`[1 - \sigma(\beta(\rho_w - z_0))] + [1 - \sigma(\beta(z_0 - \rho_l))]` (z₀ a fixed KL reference point)
orpo       :math:`-\bar\pi_w - \beta\log\sigma(o)` with :math:`\bar\pi = \pi/n` (token means; β plays ORPO's λ;
           reference-free) and :math:`o = \bar\pi_w - \bar\pi_l - \log(1-e^{\bar\pi_w}) + \log(1-e^{\bar\pi_l})`
cpo        :math:`-\log\sigma(\beta(\pi_w - \pi_l)) - \alpha\,\pi_w/n_w` (reference-free; the NLL term is the
           chosen response's token-mean negative log-likelihood, dropped at α = 0)
========== ==================================================================================

Rewards (what trainers log as ``rewards/chosen``, ``rewards/rejected``) follow each loss's own
definition, as TRL logs them: :math:`\beta\rho` for a loss with a reference; for a reference-free
loss :math:`\beta\ell`, where :math:`\ell` is the sequence log-prob the loss uses — the token mean
:math:`\pi/n` for SimPO and ORPO (SimPO's :math:`\beta\log\pi(y)/|y|`), the sum :math:`\pi` for CPO.

Every function is stable for margins of ±1e4 and log-probs of −1e4: sigmoids and log-sigmoids
go through ``logaddexp``, products such as :math:`\sigma(z)\log\sigma(-z)` never form ``0·∞``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


def logsigmoid(x: Array) -> Array:
    """``log σ(x) = −log(1 + e^{−x})``, exact for every finite ``x``."""
    return -np.logaddexp(0.0, -x)


def sigmoid(x: Array) -> Array:
    """``σ(x) = exp(log σ(x))``, no overflow for any finite ``x``."""
    return np.exp(logsigmoid(x))


def log1mexp(x: Array) -> Array:
    """``log(1 − e^x)`` for ``x < 0`` (Mächler's two branches)."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.where(
            x > -np.log(2.0), np.log(-np.expm1(np.minimum(x, 0.0))), np.log1p(-np.exp(np.minimum(x, -np.log(2.0))))
        )


@dataclass(frozen=True)
class Pairs:
    """One batch of pairs in log-prob form (all arrays of shape ``(B,)``)."""

    policy_chosen: Array
    policy_rejected: Array
    reference_chosen: Array
    reference_rejected: Array
    chosen_lengths: Array | None = None
    rejected_lengths: Array | None = None

    @property
    def rho_w(self) -> Array:
        return self.policy_chosen - self.reference_chosen

    @property
    def rho_l(self) -> Array:
        return self.policy_rejected - self.reference_rejected


@dataclass(frozen=True)
class LossResult:
    """Per-pair losses and their gradients with respect to the policy log-probs."""

    losses: Array
    grad_chosen: Array
    grad_rejected: Array


class LossDomainError(ValueError):
    """The inputs are outside the loss's domain (e.g. ORPO at a log-prob of 0)."""


LossFn = Callable[[Pairs, float, Mapping[str, float]], LossResult]


@dataclass(frozen=True)
class LossSpec:
    name: str
    fn: LossFn
    summary: str
    defaults: Mapping[str, float] = field(default_factory=dict)
    needs_lengths: bool = False
    needs_reference: bool = True
    ranges: Mapping[str, tuple[str, Callable[[float], bool]]] = field(default_factory=dict)
    #: the loss works with token-mean log-probs π/n (its rewards and logged log-probs are means)
    mean_logps: bool = False

    def params(self, given: Mapping[str, float]) -> dict[str, float]:
        """The hyperparameters: the defaults updated by ``given``, each checked against its range."""
        unknown = sorted(set(given) - set(self.defaults))
        if unknown:
            allowed = ", ".join(sorted(self.defaults)) or "none"
            raise LossDomainError(f"loss {self.name!r} has no parameter(s) {', '.join(unknown)} (allowed: {allowed})")
        out = {**self.defaults, **given}
        for name, (text, inside) in self.ranges.items():
            if not inside(out[name]):
                raise LossDomainError(f"{self.name} needs {text}, got {name}={out[name]!r}")
        return out


def _from_z(p: Pairs, beta: float, dldz: Array, losses: Array) -> LossResult:
    return LossResult(losses, beta * dldz, -beta * dldz)


def _z(p: Pairs, beta: float) -> Array:
    return beta * (p.rho_w - p.rho_l)


def dpo(p: Pairs, beta: float, q: Mapping[str, float]) -> LossResult:
    z = _z(p, beta)
    return _from_z(p, beta, -sigmoid(-z), -logsigmoid(z))


def cdpo(p: Pairs, beta: float, q: Mapping[str, float]) -> LossResult:
    z, e = _z(p, beta), q["eps"]
    losses = -(1 - e) * logsigmoid(z) - e * logsigmoid(-z)
    return _from_z(p, beta, -(1 - e) * sigmoid(-z) + e * sigmoid(z), losses)


def robust(p: Pairs, beta: float, q: Mapping[str, float]) -> LossResult:
    z, e = _z(p, beta), q["eps"]
    losses = (-(1 - e) * logsigmoid(z) + e * logsigmoid(-z)) / (1 - 2 * e)
    return _from_z(p, beta, (-(1 - e) * sigmoid(-z) - e * sigmoid(z)) / (1 - 2 * e), losses)


def ipo(p: Pairs, beta: float, q: Mapping[str, float]) -> LossResult:
    d = p.rho_w - p.rho_l - 1 / (2 * beta)
    return LossResult(d**2, 2 * d, -2 * d)


def hinge(p: Pairs, beta: float, q: Mapping[str, float]) -> LossResult:
    z = _z(p, beta)
    return _from_z(p, beta, np.where(z < 1, -1.0, 0.0), np.maximum(0.0, 1 - z))


def _lengths(p: Pairs) -> tuple[Array, Array]:
    if p.chosen_lengths is None or p.rejected_lengths is None:
        raise LossDomainError("this loss uses token counts: give chosen_lengths and rejected_lengths (or logits)")
    return p.chosen_lengths, p.rejected_lengths


def simpo(p: Pairs, beta: float, q: Mapping[str, float]) -> LossResult:
    nw, nl = _lengths(p)
    z = beta * (p.policy_chosen / nw - p.policy_rejected / nl) - q["gamma"]
    s = sigmoid(-z)
    return LossResult(-logsigmoid(z), -beta * s / nw, beta * s / nl)


def nca_pair(p: Pairs, beta: float, q: Mapping[str, float]) -> LossResult:
    cw, cl = beta * p.rho_w, beta * p.rho_l
    losses = -logsigmoid(cw) - 0.5 * logsigmoid(-cw) - 0.5 * logsigmoid(-cl)
    return LossResult(losses, beta * (-sigmoid(-cw) + 0.5 * sigmoid(cw)), beta * 0.5 * sigmoid(cl))


def sppo_hard(p: Pairs, beta: float, q: Mapping[str, float]) -> LossResult:
    a, b = p.rho_w - 1 / (2 * beta), p.rho_l + 1 / (2 * beta)
    return LossResult(a**2 + b**2, 2 * a, 2 * b)


def _dsig(x: Array) -> Array:
    """``σ'(x) = σ(x)σ(−x)``."""
    return np.exp(logsigmoid(x) + logsigmoid(-x))


def apo_zero(p: Pairs, beta: float, q: Mapping[str, float]) -> LossResult:
    cw, cl = beta * p.rho_w, beta * p.rho_l
    return LossResult(sigmoid(-cw) + sigmoid(cl), -beta * _dsig(cw), beta * _dsig(cl))


def apo_down(p: Pairs, beta: float, q: Mapping[str, float]) -> LossResult:
    cw, z = beta * p.rho_w, _z(p, beta)
    return LossResult(sigmoid(cw) + sigmoid(-z), beta * (_dsig(cw) - _dsig(z)), beta * _dsig(z))


def bco_pair(p: Pairs, beta: float, q: Mapping[str, float]) -> LossResult:
    a, b = beta * p.rho_w - q["delta"], q["delta"] - beta * p.rho_l
    return LossResult(-logsigmoid(a) - logsigmoid(b), -beta * sigmoid(-a), beta * sigmoid(-b))


def exo_pair(p: Pairs, beta: float, q: Mapping[str, float]) -> LossResult:
    z, e = _z(p, beta), q["eps"]
    lp, lm = logsigmoid(z), logsigmoid(-z)
    losses = np.exp(lp) * (lp - np.log1p(-e)) + np.exp(lm) * (lm - np.log(e))
    return _from_z(p, beta, _dsig(z) * (z - (np.log1p(-e) - np.log(e))), losses)


def kto_pair(p: Pairs, beta: float, q: Mapping[str, float]) -> LossResult:
    a, b = beta * (p.rho_w - q["kl"]), beta * (q["kl"] - p.rho_l)
    return LossResult(sigmoid(-a) + sigmoid(-b), -beta * _dsig(a), beta * _dsig(b))


def orpo(p: Pairs, beta: float, q: Mapping[str, float]) -> LossResult:
    nw, nl = _lengths(p)
    a, b = p.policy_chosen / nw, p.policy_rejected / nl
    if np.any(a >= 0) or np.any(b >= 0):
        raise LossDomainError("orpo needs policy log-probs < 0 (the odds p/(1−p) are infinite at log-prob 0)")
    o = (a - b) - (log1mexp(a) - log1mexp(b))
    s = sigmoid(-o)
    do_da, do_db = -1 / np.expm1(a), 1 / np.expm1(b)
    return LossResult(-a - beta * logsigmoid(o), (-1 - beta * s * do_da) / nw, (-beta * s * do_db) / nl)


def cpo(p: Pairs, beta: float, q: Mapping[str, float]) -> LossResult:
    z = beta * (p.policy_chosen - p.policy_rejected)
    s = sigmoid(-z)
    losses, gw, gl = -logsigmoid(z), -beta * s, beta * s
    if q["alpha"]:
        nw, _ = _lengths(p)
        losses, gw = losses - q["alpha"] * p.policy_chosen / nw, gw - q["alpha"] / nw
    return LossResult(losses, gw, gl)


_SMOOTHING = {"eps": ("0 <= eps < 0.5", lambda e: 0 <= e < 0.5)}  # a flip rate past 1/2 reverses the labels

LOSSES: dict[str, LossSpec] = {
    s.name: s
    for s in [
        LossSpec("dpo", dpo, "DPO, sigmoid loss on the log-ratio margin"),
        LossSpec("cdpo", cdpo, "conservative DPO: label smoothing eps", {"eps": 0.1}, ranges=_SMOOTHING),
        LossSpec("robust", robust, "robust DPO (unbiased under label-flip rate eps)", {"eps": 0.1}, ranges=_SMOOTHING),
        LossSpec("ipo", ipo, "IPO: squared distance of the margin to 1/(2β)"),
        LossSpec("hinge", hinge, "SLiC hinge on the scaled margin"),
        LossSpec(
            "simpo",
            simpo,
            "SimPO: length-normalised, reference-free, margin gamma",
            {"gamma": 0.5},
            True,
            False,
            mean_logps=True,
        ),
        LossSpec("nca_pair", nca_pair, "NCA, pairwise form"),
        LossSpec("sppo_hard", sppo_hard, "SPPO with hard labels"),
        LossSpec("apo_zero", apo_zero, "APO-zero (anchored: raise chosen, lower rejected)"),
        LossSpec("apo_down", apo_down, "APO-down (anchored: lower both, rejected more)"),
        LossSpec("bco_pair", bco_pair, "BCO, pairwise form with a fixed reward shift delta", {"delta": 0.0}),
        LossSpec(
            "exo_pair",
            exo_pair,
            "EXO, pairwise reverse-KL form with smoothing eps",
            {"eps": 1e-3},
            ranges={"eps": ("0 < eps < 1", lambda e: 0 < e < 1)},
        ),
        LossSpec("kto_pair", kto_pair, "KTO, paired form with a fixed KL reference point kl", {"kl": 0.0}),
        LossSpec("orpo", orpo, "ORPO: chosen NLL + β·odds-ratio term (token means)", {}, True, False, mean_logps=True),
        LossSpec(
            "cpo",
            cpo,
            "CPO: reference-free sigmoid on β(π_w − π_l) + alpha·NLL of the chosen response",
            {"alpha": 1.0},
            needs_reference=False,
            ranges={"alpha": ("alpha >= 0", lambda a: a >= 0)},
        ),
    ]
}
ALIASES = {"sigmoid": "dpo", "slic": "hinge", "nca": "nca_pair", "sppo": "sppo_hard", "bco": "bco_pair"}


def get_loss(name: str) -> LossSpec:
    """The loss named ``name`` (or an alias); unknown names raise :class:`LossDomainError`."""
    key = ALIASES.get(name, name)
    if key not in LOSSES:
        raise LossDomainError(f"unknown loss {name!r}; known: {', '.join(LOSSES)}")
    return LOSSES[key]


def evaluate(name: str, pairs: Pairs, beta: float, params: Mapping[str, float] | None = None) -> LossResult:
    """Per-pair losses and gradients of the loss ``name`` at ``beta`` with ``params``."""
    if not (np.isfinite(beta) and beta > 0):
        raise LossDomainError(f"beta={beta!r} must be a positive finite number")
    spec = get_loss(name)
    return spec.fn(pairs, float(beta), spec.params(params or {}))


@dataclass(frozen=True)
class RewardMetrics:
    """What trainers log: the rewards of each side, accuracy and margin."""

    chosen_rewards: Array
    rejected_rewards: Array
    reward_accuracy: float
    reward_margin: float


def loss_logps(pairs: Pairs, loss: str = "dpo") -> tuple[Array, Array]:
    """The chosen and rejected sequence log-probs ``loss`` works with: ``π/n`` for a loss on token
    means (SimPO, ORPO), else ``π`` (what trainers log as ``logps/chosen``, ``logps/rejected``)."""
    if get_loss(loss).mean_logps:
        nw, nl = _lengths(pairs)
        return pairs.policy_chosen / nw, pairs.policy_rejected / nl
    return pairs.policy_chosen, pairs.policy_rejected


def reward_metrics(pairs: Pairs, beta: float, loss: str = "dpo") -> RewardMetrics:
    """Rewards by ``loss``'s definition, accuracy ``mean(r_w > r_l)``, margin ``mean(r_w − r_l)``.

    With a reference ``r = β ρ``; reference-free ``r = β ℓ`` with ``ℓ`` from :func:`loss_logps`.
    """
    if get_loss(loss).needs_reference:
        cw, cl = beta * pairs.rho_w, beta * pairs.rho_l
    else:
        w, l_ = loss_logps(pairs, loss)
        cw, cl = beta * w, beta * l_
    return RewardMetrics(cw, cl, float(np.mean(cw > cl)), float(np.mean(cw - cl)))
