"""The gradient of the DPO loss.

Source: R. Rafailov et al., "Direct Preference Optimization: Your Language Model is Secretly a
Reward Model", NeurIPS 2023 (arXiv:2305.18290), Section 5 ("What does the DPO update do?") and
Appendix A.4 ("Deriving the Gradient of the DPO Objective"): with u = β log(π_θ(y_w)/π_ref(y_w)) −
β log(π_θ(y_l)/π_ref(y_l)), using σ'(x) = σ(x)(1 − σ(x)) and σ(−x) = 1 − σ(x),
∇_θ L_DPO = −β E[σ(r̂_θ(x, y_l) − r̂_θ(x, y_w)) (∇_θ log π(y_w|x) − ∇_θ log π(y_l|x))], with the
implicit reward r̂_θ = β log(π_θ/π_ref); the weight vanishes for pairs ranked with a wide margin
(u → ∞) and tends to β for u → −∞. Differentiating once more (a consequence of A.4): the loss
depends on the log-probabilities only through the margin u, so its Hessian in (log π(y_w), log π(y_l))
is the rank-one β² σ(u)σ(−u) [[1, −1], [−1, 1]] (convex, flat along a common shift).

Planted errors: winner and loser swapped in the weight; the weight's limit for a wide margin taken
at the wrong end; the loser's gradient component with the winner's sign; the Hessian's off-diagonal
entries with the wrong sign.
"""

from __future__ import annotations

import sympy as sp

from verify import Derivation, Equal, Limit, Source, Step, logsigmoid, sigmoid, var
from verify.domains import LOG_PROB, POSITIVE, REAL

SOURCE = Source("Rafailov et al. 2023, Direct Preference Optimization (arXiv:2305.18290)", "Appendix A.4")

beta = var("beta", POSITIVE, r"\beta")
h = var("h", REAL, "u")
lw = var("lw", LOG_PROB, r"\log\pi_\theta(y_w|x)")
ll = var("ll", LOG_PROB, r"\log\pi_\theta(y_l|x)")
rw = var("rw", LOG_PROB, r"\log\pi_{\mathrm{ref}}(y_w|x)")
rl = var("rl", LOG_PROB, r"\log\pi_{\mathrm{ref}}(y_l|x)")

#: the margin u = r̂_w − r̂_l in log-probabilities, and the per-pair DPO loss
margin = beta * (lw - rw) - beta * (ll - rl)
loss = -logsigmoid(margin)
#: the paper's weight σ(r̂_l − r̂_w)
weight = sigmoid(beta * (ll - rl) - beta * (lw - rw))
curvature = beta**2 * sigmoid(margin) * sigmoid(-margin)

DERIVATIONS = [
    Derivation(
        id="unseen_dpo_gradient",
        title="DPO App. A.4: the gradient of the DPO loss and its weight",
        source=SOURCE,
        steps=[
            Step(
                "loss_derivative_in_margin",
                Equal(sp.Derivative(-logsigmoid(beta * h), h), -beta * sigmoid(-beta * h)),
                "d/du[−log σ(βu)] = −β σ'(βu)/σ(βu) = −β(1 − σ(βu)) = −β σ(−βu)",
                "A.4",
            ),
            Step(
                "loss_derivative_winner_loser_swapped",
                Equal(sp.Derivative(-logsigmoid(beta * h), h), -beta * sigmoid(beta * h)),
                "planted: σ(r̂_w − r̂_l) instead of σ(r̂_l − r̂_w)",
                "A.4",
                expected="refuted",
            ),
            Step(
                "gradient_vanishes_for_large_margins",
                Limit(sp.Derivative(-logsigmoid(beta * h), h), h, sp.oo, 0),
                "−β σ(−βu) → 0: a pair already ranked with a wide margin no longer moves the policy",
                "Section 5",
            ),
            Step(
                "gradient_saturates_for_large_margins",
                Limit(sp.Derivative(-logsigmoid(beta * h), h), h, sp.oo, -beta),
                "planted: −β is the limit for u → −∞ (a badly ranked pair), not u → +∞",
                "Section 5",
                expected="refuted",
            ),
            Step(
                "gradient_in_log_probs",
                Equal(sp.Matrix([sp.diff(loss, lw), sp.diff(loss, ll)]), sp.Matrix([-beta * weight, beta * weight])),
                "the chain rule through u; the two components have opposite signs",
                "Section 5, the gradient",
            ),
            Step(
                "gradient_loser_sign_flipped",
                Equal(sp.Matrix([sp.diff(loss, lw), sp.diff(loss, ll)]), sp.Matrix([-beta * weight, -beta * weight])),
                "planted: the loser's component with the winner's sign",
                "Section 5, the gradient",
                expected="refuted",
            ),
            Step(
                "hessian_in_log_probs",
                Equal(sp.hessian(loss, (lw, ll)), curvature * sp.Matrix([[1, -1], [-1, 1]])),
                "differentiate the gradient once more: σ'(u) = σ(u)σ(−u), ∂u/∂log π(y_w) = β = −∂u/∂log π(y_l)",
                "A.4, differentiated once more",
            ),
            Step(
                "hessian_off_diagonal_sign_flipped",
                Equal(sp.hessian(loss, (lw, ll)), curvature * sp.Matrix([[1, 1], [1, 1]])),
                "planted: the mixed partial derivative with the wrong sign",
                "A.4, differentiated once more",
                expected="refuted",
            ),
        ],
    )
]
