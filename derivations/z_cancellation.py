r"""The partition function cancels from reward differences: the DPO loss.

Main statements:

- ``reward_difference_eq_difference_of_log_ratios`` and
  ``reward_difference_independent_of_partition``: with :math:`r = \beta\log(\pi^*/\pi_{ref}) + \beta\log Z`,
  :math:`r_w - r_l = \beta\log(\pi^*_w/\pi_{ref,w}) - \beta\log(\pi^*_l/\pi_{ref,l})`, free of ``Z``;
- ``bradley_terry_softmax_eq_sigmoid_of_reward_difference`` and
  ``bradley_terry_eq_sigmoid_of_log_ratio_margin``: the Bradley–Terry probability in policy ratios;
- ``dpo_loss_eq_neg_log_bradley_terry``: the DPO loss is the Bradley–Terry negative log-likelihood
  of the implicit rewards;
- the logistic identity :math:`-\log\frac{e^a}{e^a+e^b} = \log(1+e^{b-a}) = -\log\sigma(a-b)`.

References: "Honey, Where's My Reward Model?" (002) part (e); DPO vs IPO (001) eq. (qoblq);
Kong et al. (004) eqs. (1), (6); DPO notes (000) "Binary Cross Entropy Derivation".
"""

from __future__ import annotations

import sympy as sp

from verify import Derivation, Equal, IndependentOf, Source, Step, sigmoid

from ._notation import (
    DPO_NOTES,
    HONEY_REWARD_MODEL,
    Z,
    a,
    b,
    beta,
    implicit_reward,
    pi_l,
    pi_w,
    r_l,
    r_w,
    ref_l,
    ref_w,
    star_l,
    star_w,
)

DOC = HONEY_REWARD_MODEL


def reward(policy, reference):
    """``β log(π/π_ref) + β log Z`` (part (d))."""
    return implicit_reward(policy, reference) + beta * sp.log(Z)


difference = reward(star_w, ref_w) - reward(star_l, ref_l)
margin_star = implicit_reward(star_w, ref_w) - implicit_reward(star_l, ref_l)
margin = implicit_reward(pi_w, ref_w) - implicit_reward(pi_l, ref_l)


def softmax_pair(u, v):
    return sp.exp(u) / (sp.exp(u) + sp.exp(v))


derivation = Derivation(
    id="z_cancellation",
    title="Z cancels: Bradley–Terry in policy ratios and the DPO loss",
    source=Source(DOC, "(e)"),
    summary="Reward differences, hence Bradley–Terry probabilities, do not involve Z.",
    steps=[
        Step(
            "reward_difference_eq_difference_of_log_ratios",
            Equal(difference, margin_star),
            "the two β log Z terms are equal and cancel",
            "(e)",
        ),
        Step(
            "reward_difference_independent_of_partition",
            IndependentOf(difference, [Z]),
            "∂/∂Z of β log Z − β log Z is 0",
            "(e)",
            uses=["reward_difference_eq_difference_of_log_ratios"],
        ),
        Step(
            "bradley_terry_softmax_eq_sigmoid_of_reward_difference",
            Equal(softmax_pair(r_w, r_l), sigmoid(r_w - r_l)),
            "divide numerator and denominator by e^{r_w}",
            "(e)",
        ),
        Step(
            "bradley_terry_eq_sigmoid_of_log_ratio_margin",
            Equal(softmax_pair(reward(star_w, ref_w), reward(star_l, ref_l)), sigmoid(margin_star)),
            "substitute the implicit rewards; Z cancels inside the sigmoid",
            "(e)",
            uses=[
                "bradley_terry_softmax_eq_sigmoid_of_reward_difference",
                "reward_difference_eq_difference_of_log_ratios",
            ],
        ),
        Step(
            "bradley_terry_eq_ratio_of_powered_policy_ratios",
            Equal(
                softmax_pair(reward(star_w, ref_w), reward(star_l, ref_l)),
                (star_w / ref_w) ** beta / ((star_w / ref_w) ** beta + (star_l / ref_l) ** beta),
            ),
            "e^{β log(π*/π_ref) + β log Z} = Z^β (π*/π_ref)^β and Z^β cancels",
            "(e)",
        ),
        Step(
            "dpo_loss_eq_neg_log_bradley_terry",
            Equal(
                -sp.log(softmax_pair(reward(pi_w, ref_w), reward(pi_l, ref_l))),
                -sp.log(sigmoid(margin)),
            ),
            "replace π* by the trained policy π_θ in the Bradley–Terry likelihood",
            "(e)",
            uses=["bradley_terry_eq_sigmoid_of_log_ratio_margin"],
        ),
        Step(
            "dpo_margin_eq_beta_log_cross_ratio",
            Equal(margin, beta * sp.log(pi_w * ref_l / (pi_l * ref_w))),
            "log a − log b = log(a/b) for positive a, b",
            Source(DPO_NOTES, "Step 3"),
        ),
        Step(
            "neg_log_softmax_eq_log1p_exp",
            Equal(-sp.log(softmax_pair(a, b)), sp.log(1 + sp.exp(b - a))),
            "divide by e^a: e^a/(e^a + e^b) = 1/(1 + e^{b−a})",
            Source(DPO_NOTES, "Binary Cross Entropy Derivation"),
        ),
        Step(
            "log1p_exp_eq_neg_log_sigmoid",
            Equal(sp.log(1 + sp.exp(b - a)), -sp.log(sigmoid(a - b))),
            "σ(a − b) = 1/(1 + e^{b−a})",
            Source(DPO_NOTES, "Binary Cross Entropy Derivation"),
            uses=["neg_log_softmax_eq_log1p_exp"],
        ),
    ],
)
