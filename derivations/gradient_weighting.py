r"""The DPO gradient: a logistic weight on the difference of log-probability gradients.

Main statements (``z`` the implicit-reward margin, :math:`\ell = -\log\sigma(z)`):

- ``sigmoid_derivative_eq_sigmoid_times_sigmoid_neg``: :math:`\sigma' = \sigma(z)\sigma(-z)`;
- ``dloss_dmargin_eq_neg_sigmoid_neg`` and ``dloss_dmargin_eq_sigmoid_sub_one``:
  :math:`d\ell/dz = -\sigma(-z) = \sigma(z) - 1`;
- ``grad_chosen_logp_eq_neg_beta_weight`` and ``grad_rejected_logp_eq_beta_weight``: by the
  chain rule through the log-probabilities,
  :math:`\nabla_\theta\ell = -\beta\,\sigma(\hat r_l - \hat r_w)(\nabla\log\pi_w - \nabla\log\pi_l)`;
- the weight lies in (0, 1), → 0 when confidently right and → 1 when confidently wrong.

References: "Honey, Where's My Reward Model?" (002) part (f); Rafailov et al. (2023), §4.
"""

from __future__ import annotations

import sympy as sp

from verify import Derivation, Equal, Inequality, Limit, Source, Step, sigmoid

from ._notation import (
    HONEY_REWARD_MODEL,
    beta,
    logp_l,
    logp_w,
    ref_logp_l,
    ref_logp_w,
    z,
)

DOC = HONEY_REWARD_MODEL


def logistic(x: sp.Expr) -> sp.Expr:
    """σ(x) from its definition, so that derivatives are computed, not looked up."""
    return 1 / (1 + sp.exp(-x))


r_hat_w = beta * (logp_w - ref_logp_w)
r_hat_l = beta * (logp_l - ref_logp_l)
loss = -sp.log(logistic(r_hat_w - r_hat_l))
weight = sigmoid(r_hat_l - r_hat_w)

derivation = Derivation(
    id="gradient_weighting",
    title="The DPO gradient and its weighting term",
    source=Source(DOC, "(f)"),
    summary="∇ℓ = −β σ(r̂_l − r̂_w)(∇log π_w − ∇log π_l): larger updates when the model is wrong.",
    steps=[
        Step(
            "sigmoid_derivative_eq_sigmoid_times_sigmoid_neg",
            Equal(sp.diff(logistic(z), z), sigmoid(z) * sigmoid(-z)),
            "differentiate 1/(1 + e^{−z})",
            "(f)",
        ),
        Step(
            "dloss_dmargin_eq_neg_sigmoid_neg",
            Equal(sp.diff(-sp.log(logistic(z)), z), -sigmoid(-z)),
            "chain rule: −σ′(z)/σ(z) = −σ(−z)",
            "(f)",
            uses=["sigmoid_derivative_eq_sigmoid_times_sigmoid_neg"],
        ),
        Step(
            "sigmoid_neg_eq_one_sub_sigmoid",
            Equal(sigmoid(-z), 1 - sigmoid(z)),
            "1/(1 + e^{z}) = 1 − 1/(1 + e^{−z})",
            "(f)",
        ),
        Step(
            "dloss_dmargin_eq_sigmoid_sub_one",
            Equal(sp.diff(-sp.log(logistic(z)), z), sigmoid(z) - 1),
            "combine the two previous steps",
            "(f)",
            uses=["dloss_dmargin_eq_neg_sigmoid_neg", "sigmoid_neg_eq_one_sub_sigmoid"],
        ),
        Step(
            "grad_chosen_logp_eq_neg_beta_weight",
            Equal(sp.diff(loss, logp_w), -beta * weight),
            "∂z/∂log π_w = β; the reference is fixed",
            "(f)",
            uses=["dloss_dmargin_eq_neg_sigmoid_neg"],
        ),
        Step(
            "grad_rejected_logp_eq_beta_weight",
            Equal(sp.diff(loss, logp_l), beta * weight),
            "∂z/∂log π_l = −β",
            "(f)",
            uses=["dloss_dmargin_eq_neg_sigmoid_neg"],
        ),
        Step(
            "gradient_step_raises_chosen_logp",
            Inequality(-sp.diff(loss, logp_w), ">", 0),
            "descent moves log π_w along −∂ℓ/∂log π_w = β σ(r̂_l − r̂_w) > 0",
            "(f)",
            uses=["grad_chosen_logp_eq_neg_beta_weight"],
        ),
        Step(
            "gradient_step_lowers_rejected_logp",
            Inequality(-sp.diff(loss, logp_l), "<", 0),
            "descent moves log π_l along −β σ(r̂_l − r̂_w) < 0",
            "(f)",
            uses=["grad_rejected_logp_eq_beta_weight"],
        ),
        Step("weight_positive", Inequality(sigmoid(-z), ">", 0), "e^{z} > 0", "(f)"),
        Step("weight_below_one", Inequality(sigmoid(-z), "<", 1), "1 + e^{z} > 1", "(f)"),
        Step(
            "weight_vanishes_when_confidently_right",
            Limit(sigmoid(-z), z, sp.oo, 0),
            "r̂_w ≫ r̂_l: the margin z → ∞",
            "(f)",
        ),
        Step(
            "weight_tends_to_one_when_confidently_wrong",
            Limit(sigmoid(-z), z, -sp.oo, 1),
            "r̂_l ≫ r̂_w: the margin z → −∞",
            "(f)",
        ),
    ],
)
