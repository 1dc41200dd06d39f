r"""KTO: a value function around a reference point, and the bounds of its losses.

With the implicit reward :math:`r = \log(\pi_\theta(y)/\pi_{ref}(y))` and the reference point
:math:`z_0 > 0` (an estimate of :math:`KL(\pi_\theta\|\pi_{ref})`), a desirable output has the
value :math:`\lambda_D\sigma(\beta(r - z_0))` and an undesirable one
:math:`\lambda_U\sigma(\beta(z_0 - r))`; the loss is the weight minus the value.

Main statements:

- ``desirable_loss_positive`` … ``undesirable_loss_below_weight``: each loss lies in
  :math:`(0, \lambda)`, also averaged over a batch of ``n`` outputs;
- ``desirable_loss_grad_wrt_reward``: :math:`-\lambda_D\beta\sigma(\beta(r-z_0))\sigma(\beta(z_0-r))`;
- above the reference point a desirable output's loss is below :math:`\lambda_D/2`, below it an
  undesirable output's loss is below :math:`\lambda_U/2`.

Draft error kept as evidence: the second statement with desirable and undesirable swapped.
"""

from __future__ import annotations

import sympy as sp

from verify import Derivation, Equal, ForSizes, Implies, Inequality, Limit, Source, Step, sigmoid, var
from verify.domains import POSITIVE

from ._common import APPENDIX, beta, r, reals

lam_desirable = var("lam_D", POSITIVE, r"\lambda_D")
lam_undesirable = var("lam_U", POSITIVE, r"\lambda_U")
z0 = var("z0", POSITIVE, "z_0")


def desirable_loss(reward: sp.Expr = r) -> sp.Expr:
    """``λ_D − λ_D σ(β(r − z₀))``."""
    return lam_desirable - lam_desirable * sigmoid(beta * (reward - z0))


def undesirable_loss(reward: sp.Expr = r) -> sp.Expr:
    """``λ_U − λ_U σ(β(z₀ − r))``."""
    return lam_undesirable - lam_undesirable * sigmoid(beta * (z0 - reward))


def _batch_desirable_below_weight(n: int) -> Inequality:
    rewards = reals("r", n, "r")
    return Inequality(sp.Add(*[desirable_loss(ri) for ri in rewards]) / n, "<", lam_desirable)


def _losses_complement(n: int) -> Equal:
    rewards = reals("r", n, "r")
    total = sp.Add(*[desirable_loss(ri) / lam_desirable + undesirable_loss(ri) / lam_undesirable for ri in rewards])
    return Equal(total, n)


derivation = Derivation(
    id="kto_value",
    title="KTO: the value function and its loss bounds",
    source=Source(APPENDIX, "App. D"),
    summary="Each KTO loss lies strictly between 0 and its weight λ and falls as the output moves past z₀.",
    steps=[
        Step(
            "desirable_loss_eq_weight_times_sigmoid_of_reference_gap",
            Equal(desirable_loss(), lam_desirable * sigmoid(beta * (z0 - r))),
            "1 − σ(t) = σ(−t)",
            "eq. (D.1)",
        ),
        Step(
            "desirable_loss_positive",
            Inequality(desirable_loss(), ">", 0),
            "σ < 1",
            "eq. (D.2)",
            uses=["desirable_loss_eq_weight_times_sigmoid_of_reference_gap"],
        ),
        Step(
            "desirable_loss_below_weight",
            Inequality(desirable_loss(), "<", lam_desirable),
            "σ > 0",
            "eq. (D.2)",
        ),
        Step(
            "undesirable_loss_positive",
            Inequality(undesirable_loss(), ">", 0),
            "σ < 1",
            "eq. (D.3)",
        ),
        Step(
            "undesirable_loss_below_weight",
            Inequality(undesirable_loss(), "<", lam_undesirable),
            "σ > 0",
            "eq. (D.3)",
        ),
        Step(
            "batch_desirable_loss_below_weight",
            ForSizes(_batch_desirable_below_weight, symbolic=(2, 3), numeric=(5, 8)),
            "a mean of numbers below λ_D",
            "eq. (D.4)",
            uses=["desirable_loss_below_weight"],
        ),
        Step(
            "normalised_losses_of_an_output_sum_to_one",
            ForSizes(_losses_complement, symbolic=(2, 3), numeric=(5, 8)),
            "σ(β(z₀ − r)) + σ(β(r − z₀)) = 1 for each output",
            "eq. (D.5)",
            uses=["desirable_loss_eq_weight_times_sigmoid_of_reference_gap"],
        ),
        Step(
            "desirable_loss_grad_wrt_reward",
            Equal(
                sp.diff(desirable_loss(), r),
                -lam_desirable * beta * sigmoid(beta * (r - z0)) * sigmoid(beta * (z0 - r)),
            ),
            "σ′(t) = σ(t)σ(−t), chain rule with factor β",
            "eq. (D.6)",
        ),
        Step(
            "undesirable_loss_grad_wrt_reward_positive",
            Inequality(sp.diff(undesirable_loss(), r), ">", 0),
            "raising an undesirable output's reward raises its loss",
            "eq. (D.7)",
        ),
        Step(
            "reward_above_reference_implies_desirable_loss_below_half_weight",
            Implies([sp.Gt(r, z0)], Inequality(desirable_loss(), "<", lam_desirable / 2)),
            "σ(β(r − z₀)) > 1/2",
            "eq. (D.8)",
            uses=["desirable_loss_eq_weight_times_sigmoid_of_reference_gap"],
        ),
        Step(
            "reward_below_reference_implies_undesirable_loss_below_half_weight",
            Implies([sp.Lt(r, z0)], Inequality(undesirable_loss(), "<", lam_undesirable / 2)),
            "σ(β(z₀ − r)) > 1/2",
            "eq. (D.9)",
        ),
        Step(
            "reward_above_reference_implies_undesirable_loss_below_half_weight",
            Implies([sp.Gt(r, z0)], Inequality(undesirable_loss(), "<", lam_undesirable / 2)),
            "the draft states eq. (D.8) for undesirable outputs too",
            "eq. (D.9), draft",
            expected="refuted",
            diagnosis="an undesirable output above the reference point has loss above λ_U/2",
        ),
        Step(
            "desirable_loss_vanishes_for_large_reward",
            Limit(desirable_loss(), r, sp.oo, 0),
            "σ(β(r − z₀)) → 1",
            "eq. (D.10)",
        ),
    ],
)
