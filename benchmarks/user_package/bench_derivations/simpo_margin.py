r"""SimPO: a length-normalised reward with a target margin γ, and its gradient.

The reward of a response is :math:`\tfrac{\beta}{|y|}\log\pi_\theta(y)` (no reference); the
loss is :math:`-\log\sigma(m)` with the margin
:math:`m = \tfrac{\beta}{|y_w|}\log\pi_\theta(y_w) - \tfrac{\beta}{|y_l|}\log\pi_\theta(y_l) - \gamma`.

Main statements:

- ``normalised_reward_eq_beta_log_geometric_mean`` for a response of ``n`` tokens;
- ``simpo_grad_wrt_winner_eq_neg_beta_over_length_weight`` (and the loser's);
- ``simpo_loss_increases_with_target_margin`` and the margin γ at which the loss is log 2.

Draft errors kept as evidence: the winner's gradient without the 1/|y_w|, and a claim that the
normalised reward does not change when a token is appended; and γ = β·(gap) as *the* target margin of
loss log 2, although γ is declared positive and the gap may be ≤ 0 (corrected: for a positive gap).
"""

from __future__ import annotations

import sympy as sp

from verify import (
    Derivation,
    Equal,
    ForSizes,
    Implies,
    Inequality,
    Limit,
    Solves,
    Source,
    Step,
    logsigmoid,
    sigmoid,
    softplus,
    var,
)
from verify.domains import PROBABILITY

from ._common import APPENDIX, beta, gamma, len_l, len_w, logp_l, logp_w, probabilities, reals

normalised_gap = logp_w / len_w - logp_l / len_l
simpo_margin = beta * normalised_gap - gamma
simpo_loss = -logsigmoid(simpo_margin)
extra_token = var("extra_token", PROBABILITY, "q")


def _geometric_mean(n: int) -> Equal:
    tokens = probabilities("tok", n, "p")
    return Equal(beta / n * sp.Add(*[sp.log(t) for t in tokens]), beta * sp.log(sp.Mul(*tokens) ** sp.Rational(1, n)))


def _appended_token(n: int) -> Equal:
    tokens = probabilities("tok", n, "p")
    logs = sp.Add(*[sp.log(t) for t in tokens])
    return Equal(beta / (n + 1) * (logs + sp.log(extra_token)), beta / n * logs)


def _batch_grad_wrt_margin(n: int) -> Equal:
    gaps = reals("a", n, "a")  # each pair's length-normalised log-probability gap
    loss = sp.Add(*[-logsigmoid(beta * a - gamma) for a in gaps]) / n
    return Equal(sp.diff(loss, gamma), sp.Add(*[sigmoid(gamma - beta * a) for a in gaps]) / n)


derivation = Derivation(
    id="simpo_margin",
    title="SimPO: length normalisation and the target margin",
    source=Source(APPENDIX, "App. C"),
    summary="SimPO's gradient weights each log-probability by β/|y|; raising γ raises the loss.",
    steps=[
        Step(
            "normalised_reward_eq_beta_log_geometric_mean",
            ForSizes(_geometric_mean, symbolic=(2, 3), numeric=(5, 8)),
            "log of a product of n token probabilities, divided by n",
            "eq. (C.1)",
        ),
        Step(
            "normalised_reward_unchanged_by_appended_token",
            ForSizes(_appended_token, symbolic=(2, 3), numeric=(5, 8)),
            "the draft argues that normalising by the length removes any dependence on it",
            "eq. (C.2), draft",
            expected="refuted",
            diagnosis="only a token whose log-probability equals the current mean leaves the reward unchanged",
        ),
        Step(
            "simpo_loss_eq_softplus_of_negative_margin",
            Equal(simpo_loss, softplus(-simpo_margin)),
            "−log σ(t) = log(1 + e^{−t})",
            "eq. (C.3)",
        ),
        Step(
            "simpo_grad_wrt_winner_eq_neg_beta_over_length_weight",
            Equal(sp.diff(simpo_loss, logp_w), -beta / len_w * sigmoid(-simpo_margin)),
            "chain rule: ∂m/∂log π(y_w) = β/|y_w|",
            "eq. (C.4)",
            uses=["simpo_loss_eq_softplus_of_negative_margin"],
        ),
        Step(
            "simpo_grad_wrt_winner_eq_neg_beta_weight",
            Equal(sp.diff(simpo_loss, logp_w), -beta * sigmoid(-simpo_margin)),
            "the draft copies DPO's gradient",
            "eq. (C.4), draft",
            expected="refuted",
            correction=sp.Eq(sp.diff(simpo_loss, logp_w), -beta / len_w * sigmoid(-simpo_margin)),
            diagnosis="the length normalisation divides the gradient by |y_w|",
        ),
        Step(
            "simpo_grad_wrt_loser_eq_beta_over_length_weight",
            Equal(sp.diff(simpo_loss, logp_l), beta / len_l * sigmoid(-simpo_margin)),
            "chain rule: ∂m/∂log π(y_l) = −β/|y_l|",
            "eq. (C.5)",
            uses=["simpo_loss_eq_softplus_of_negative_margin"],
        ),
        Step(
            "simpo_loss_increases_with_target_margin",
            Inequality(sp.diff(simpo_loss, gamma), ">", 0),
            "∂L/∂γ = σ(−m) > 0",
            "eq. (C.6)",
        ),
        Step(
            "batch_grad_wrt_target_margin_eq_mean_weight",
            ForSizes(_batch_grad_wrt_margin, symbolic=(2, 3), numeric=(5, 8)),
            "differentiate the batch mean term by term",
            "eq. (C.6)",
            uses=["simpo_loss_increases_with_target_margin"],
        ),
        Step(
            "target_margin_at_log_two_loss",
            Solves([(simpo_margin, 0)], {gamma: beta * normalised_gap}),
            "L = log 2 exactly where the margin m vanishes",
            "eq. (C.7), draft",
            expected="refuted",
            diagnosis="γ is declared positive; β·(gap) is not when the loser's normalised log-probability is larger",
        ),
        Step(
            "target_margin_at_log_two_loss_for_a_positive_gap",
            Implies([sp.Gt(normalised_gap, 0)], Solves([(simpo_margin, 0)], {gamma: beta * normalised_gap})),
            "L = log 2 where m vanishes; γ > 0 needs the winner's normalised log-probability above the loser's",
            "eq. (C.7)",
        ),
        Step(
            "gap_above_target_implies_loss_below_log_two",
            Implies([sp.Gt(beta * normalised_gap, gamma)], Inequality(simpo_loss, "<", sp.log(2))),
            "m > 0 gives σ(m) > 1/2",
            "eq. (C.7)",
            uses=["simpo_loss_eq_softplus_of_negative_margin"],
        ),
        Step(
            "weight_tends_to_one_for_large_target_margin",
            Limit(sigmoid(-simpo_margin), gamma, sp.oo, 1),
            "−m → ∞ as γ → ∞",
            "eq. (C.8)",
        ),
    ],
)
