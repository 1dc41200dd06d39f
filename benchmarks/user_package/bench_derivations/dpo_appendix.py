r"""DPO appendix: Bradley–Terry to the DPO loss, its gradient, the reward reparametrisation.

Main statements:

- ``bt_probability_eq_sigmoid_of_reward_gap``: :math:`e^{r_w}/(e^{r_w}+e^{r_l}) = \sigma(r_w - r_l)`;
- ``reward_eq_beta_log_ratio_add_beta_log_partition``: with
  :math:`\pi^* = \pi_{ref} e^{r/\beta}/Z`, :math:`r = \beta\log(\pi^*/\pi_{ref}) + \beta\log Z`;
- ``partition_cancels_in_preference_probability`` (pairs) and
  ``partition_cancels_in_choice_among_n`` (a softmax over ``n`` candidates): Z drops out;
- ``dpo_loss_eq_softplus_of_negative_margin`` and its gradients in the two log-probabilities.

Draft errors kept as evidence: the reparametrisation without β, and the winner's gradient with
the sign inside the sigmoid flipped.
"""

from __future__ import annotations

import sympy as sp

from verify import (
    Derivation,
    Equal,
    ForSizes,
    Implies,
    IndependentOf,
    Inequality,
    Source,
    Step,
    logsigmoid,
    sigmoid,
    softplus,
)

from ._common import (
    APPENDIX,
    Z,
    beta,
    c,
    distribution,
    h,
    logp_l,
    logp_w,
    margin,
    r,
    r_l,
    r_w,
    reals,
    ref_logp_l,
    ref_logp_w,
    ref_y,
    softmax,
)

#: π*(y) = π_ref(y) e^{r(y)/β} / Z
optimal = ref_y * sp.exp(r / beta) / Z


def dpo_loss(lw: sp.Expr = logp_w, ll: sp.Expr = logp_l) -> sp.Expr:
    """``−log σ(β h)`` with the log-ratio margin ``h``."""
    return -logsigmoid(beta * ((lw - ref_logp_w) - (ll - ref_logp_l)))


def _choice_among_n(n: int) -> IndependentOf:
    ratios = reals("u", n, r"u")  # log π(y_i)/π_ref(y_i)
    rewards = [beta * u + beta * sp.log(Z) for u in ratios]
    return IndependentOf(softmax(rewards)[0], [Z])


def _expected_implicit_reward(n: int) -> Equal:
    ref = distribution("ref", n, r"\pi_{\mathrm{ref}}")
    rewards = reals("r", n, "r")
    weights = [q * sp.exp(ri / beta) for q, ri in zip(ref, rewards, strict=True)]
    partition = sp.Add(*weights)
    star = [wi / partition for wi in weights]
    lhs = sp.Add(*[s * beta * sp.log(s / q) for s, q in zip(star, ref, strict=True)])
    rhs = sp.Add(*[s * ri for s, ri in zip(star, rewards, strict=True)]) - beta * sp.log(partition)
    return Equal(lhs, rhs)


derivation = Derivation(
    id="dpo_appendix",
    title="DPO: from Bradley–Terry to the loss and its gradient",
    source=Source(APPENDIX, "App. A"),
    summary="The partition function cancels from Bradley–Terry, leaving −log σ(β h) and its gradient ∓β σ(−β h).",
    steps=[
        Step(
            "bt_probability_eq_sigmoid_of_reward_gap",
            Equal(sp.exp(r_w) / (sp.exp(r_w) + sp.exp(r_l)), sigmoid(r_w - r_l)),
            "divide numerator and denominator by e^{r_w}",
            "eq. (A.1)",
        ),
        Step(
            "reward_eq_beta_log_ratio_add_beta_log_partition",
            Equal(beta * sp.log(optimal / ref_y) + beta * sp.log(Z), r),
            "take logs of π* = π_ref e^{r/β}/Z and multiply by β",
            "eq. (A.2)",
        ),
        Step(
            "reward_eq_log_ratio_add_log_partition",
            Equal(sp.log(optimal / ref_y) + sp.log(Z), r),
            "the draft takes logs and forgets to multiply by β",
            "eq. (A.2), draft",
            expected="refuted",
            correction=sp.Eq(beta * sp.log(optimal / ref_y) + beta * sp.log(Z), r),
            diagnosis="log(π*/π_ref) + log Z is r/β, not r",
        ),
        Step(
            "partition_cancels_in_preference_probability",
            Equal(
                sigmoid(
                    (beta * (logp_w - ref_logp_w) + beta * sp.log(Z))
                    - (beta * (logp_l - ref_logp_l) + beta * sp.log(Z))
                ),
                sigmoid(beta * margin()),
            ),
            "substitute the reparametrised reward into σ(r_w − r_l); β log Z appears in both",
            "eq. (A.3)",
            uses=["bt_probability_eq_sigmoid_of_reward_gap", "reward_eq_beta_log_ratio_add_beta_log_partition"],
        ),
        Step(
            "partition_cancels_in_choice_among_n",
            ForSizes(_choice_among_n, symbolic=(2, 3), numeric=(5, 8)),
            "e^{β log Z} is a common factor of every term of the softmax",
            "eq. (A.4)",
            uses=["reward_eq_beta_log_ratio_add_beta_log_partition"],
        ),
        Step(
            "optimal_policy_implicit_reward_eq_expected_reward_sub_log_partition",
            ForSizes(_expected_implicit_reward, symbolic=(2, 3), numeric=(5, 8)),
            "β log(π*_i/π_ref,i) = r_i − β log Z and Σπ* = 1",
            "eq. (A.5)",
            uses=["reward_eq_beta_log_ratio_add_beta_log_partition"],
        ),
        Step(
            "dpo_loss_eq_softplus_of_negative_margin",
            Equal(dpo_loss(), softplus(-beta * margin())),
            "−log σ(t) = log(1 + e^{−t})",
            "eq. (A.6)",
            uses=["partition_cancels_in_preference_probability"],
        ),
        Step(
            "dpo_loss_at_reference_eq_log_two",
            Equal(dpo_loss(ref_logp_w, ref_logp_l), sp.log(2)),
            "at π = π_ref the margin is 0 and σ(0) = 1/2",
            "eq. (A.7)",
            uses=["dpo_loss_eq_softplus_of_negative_margin"],
        ),
        Step(
            "dpo_loss_invariant_to_common_log_prob_shift",
            IndependentOf(dpo_loss(logp_w + c, logp_l + c), [c]),
            "a shift of both log-probabilities (a normaliser of the policy) cancels in the margin",
            "eq. (A.7)",
        ),
        Step(
            "dpo_grad_wrt_winner_eq_neg_beta_sigmoid_neg_margin",
            Equal(sp.diff(dpo_loss(), logp_w), -beta * sigmoid(-beta * margin())),
            "d/dt[−log σ(t)] = −σ(−t), and ∂(βh)/∂log π(y_w) = β",
            "eq. (A.8)",
            uses=["dpo_loss_eq_softplus_of_negative_margin"],
        ),
        Step(
            "dpo_grad_wrt_winner_eq_neg_beta_sigmoid_margin",
            Equal(sp.diff(dpo_loss(), logp_w), -beta * sigmoid(beta * margin())),
            "the draft writes the weight as σ(βh)",
            "eq. (A.8), draft",
            expected="refuted",
            correction=sp.Eq(sp.diff(dpo_loss(), logp_w), -beta * sigmoid(-beta * margin())),
            diagnosis="the weight is σ(−βh): large when the policy ranks the pair wrongly",
        ),
        Step(
            "dpo_grad_wrt_loser_eq_beta_sigmoid_neg_margin",
            Equal(sp.diff(dpo_loss(), logp_l), beta * sigmoid(-beta * margin())),
            "∂(βh)/∂log π(y_l) = −β",
            "eq. (A.9)",
            uses=["dpo_loss_eq_softplus_of_negative_margin"],
        ),
        Step(
            "positive_margin_implies_loss_below_log_two",
            Implies([sp.Gt(h, 0)], Inequality(-logsigmoid(beta * h), "<", sp.log(2))),
            "σ(βh) > 1/2 for h > 0",
            "eq. (A.10)",
            uses=["dpo_loss_at_reference_eq_log_two"],
        ),
    ],
)
