"""KTO: the prospect-theoretic value function and its reference point.

Source: K. Ethayarajh, W. Xu, N. Muennighoff, D. Jurafsky, D. Kiela, "KTO: Model Alignment as
Prospect Theoretic Optimization", ICML 2024 (arXiv:2402.01306), §4.1, eq. (8): with the implied
reward r_θ(x, y) = log(π_θ(y|x)/π_ref(y|x)) and the reference point z_0 = KL(π_θ(y'|x) ‖ π_ref(y'|x)) ≥ 0,
v(x, y) = λ_D σ(β(r_θ − z_0)) for a desirable y and λ_U σ(β(z_0 − r_θ)) for an undesirable one, and
L_KTO = E[λ_y − v(x, y)]. §3: like the Kahneman–Tversky value function, v is concave in gains
(r_θ > z_0 for a desirable output).

Planted errors: the undesirable loss "decreasing" in the reward; concavity claimed for losses as
well as gains.
"""

from __future__ import annotations

import sympy as sp

from verify import Derivation, Inequality, Source, Step, sigmoid, var
from verify.domains import POSITIVE, REAL

SOURCE = Source("Ethayarajh et al. 2024, KTO (arXiv:2402.01306)", "§4.1, eq. (8)")

beta = var("beta", POSITIVE, r"\beta")
lam_d = var("lam_d", POSITIVE, r"\lambda_D")
lam_u = var("lam_u", POSITIVE, r"\lambda_U")
r = var("r", REAL, r"r_\theta(x, y)")
z0 = var("z0", POSITIVE, "z_0")
g = var("g", POSITIVE, "r_\\theta - z_0")
x = var("x", REAL, "r_\\theta - z_0")

desirable_loss = lam_d * (1 - sigmoid(beta * (r - z0)))
undesirable_loss = lam_u * (1 - sigmoid(beta * (z0 - r)))

DERIVATIONS = [
    Derivation(
        id="unseen_kto",
        title="KTO: bounds and shape of the value function",
        source=SOURCE,
        steps=[
            Step(
                "desirable_loss_below_weight",
                Inequality(desirable_loss, "<", lam_d),
                "λ_D − v = λ_D(1 − σ(·)) < λ_D since σ > 0",
                "eq. (8)",
            ),
            Step(
                "desirable_loss_decreasing_in_reward",
                Inequality(sp.diff(desirable_loss, r), "<", 0),
                "−λ_D β σ(β(r − z_0)) σ(β(z_0 − r)) < 0",
                "eq. (8)",
            ),
            Step(
                "undesirable_loss_decreasing_in_reward",
                Inequality(sp.diff(undesirable_loss, r), "<", 0),
                "planted: the undesirable loss increases with the reward",
                "eq. (8)",
                expected="refuted",
            ),
            Step(
                "value_concave_in_gains",
                Inequality(sp.Derivative(sigmoid(beta * g), (g, 2)), "<=", 0),
                "σ'' = σ(1 − σ)(1 − 2σ) ≤ 0 where σ ≥ 1/2",
                "§3, the value function",
            ),
            Step(
                "value_concave_in_losses_too",
                Inequality(sp.Derivative(sigmoid(beta * x), (x, 2)), "<=", 0),
                "planted: σ(βx) is convex for x < 0 (risk seeking in losses)",
                "§3",
                expected="refuted",
            ),
        ],
    )
]
