"""Infinite and parametric limits of preference-optimisation quantities.

Sources:

- R. Rafailov et al., "Direct Preference Optimization: Your Language Model is Secretly a Reward
  Model", NeurIPS 2023 (arXiv:2305.18290), §5, eq. (5): the implicit reward β log(π(y|x)/π_ref(y|x))
  tends to −∞ as π(y|x) → 0⁺ (the KL barrier); the DPO loss −log σ(βh) at small β is
  log 2 − βh/2 + O(β²), i.e. lim_{β→0⁺} (−log σ(βh) − log 2)/β = −h/2.
- The DPO gradient weight σ(r̂_l − r̂_w) (§5), with r̂_l = β log(π(y_l)/π_ref(y_l)): as π(y_l) → 0⁺ it
  vanishes like π(y_l)^β — slowly when β is small (β = 10⁻³ needs π(y_l) ≈ 10^{−3000} for a weight of 10⁻³).
- T. M. Cover, J. A. Thomas, "Elements of Information Theory", 2nd ed., Wiley 2006, §2.1: the
  convention 0 log 0 = 0, justified by x log x → 0 as x → 0⁺; likewise x^α log x → 0 for every α > 0
  (the entropy term of a tempered policy π^α), however small α (for α = 10⁻³ the turn towards 0
  comes only below x = e^{−1000}).
- J. Fan, R. Li, "Variable Selection via Nonconcave Penalized Likelihood and its Oracle
  Properties", JASA 96 (2001), §2: the L_q penalty λ|θ|^q with 0 < q < 1 is singular at the origin:
  its slope λ q s^{q−1} → ∞ as s → 0⁺ (for q ≥ 1 it stays bounded).
- W. Rudin, "Principles of Mathematical Analysis", 3rd ed., McGraw-Hill 1976, Ch. 4: sin(1/x) has no
  limit at 0; here c sin(π/t) as t → 0⁺, which vanishes at every t = 2^{−k} (so a search along powers
  of two cannot see it oscillate).

Planted errors: the barrier's sign; the penalty's exponent no longer restricted to (0, 1); the
linearisation's sign; winner and loser swapped in the gradient weight; an oscillation claimed to
tend to 0.
"""

from __future__ import annotations

import sympy as sp

from verify import Derivation, Limit, Source, Step, logsigmoid, sigmoid, var
from verify.domains import POSITIVE, PROBABILITY, REAL, UNIT

DPO = "Rafailov et al. 2023, Direct Preference Optimization (arXiv:2305.18290)"
FAN_LI = "Fan, Li 2001, Variable Selection via Nonconcave Penalized Likelihood (JASA 96)"

tau = var("tau", POSITIVE, r"\beta")
pp = var("pp", PROBABILITY, r"\pi(y|x)")
c = var("c", PROBABILITY, r"\pi_{\mathrm{ref}}(y|x)")
lam = var("lam", POSITIVE, r"\lambda")
alpha = var("alpha", UNIT, "q")
alpha_any = var("alpha", POSITIVE, "q")
s = var("s", POSITIVE, "s")
beta = var("beta", POSITIVE, r"\beta")
h = var("h", REAL, "h")
loser = var("loser", PROBABILITY, r"\pi_\theta(y_l|x)")
loser_ref = var("loser_ref", PROBABILITY, r"\pi_{\mathrm{ref}}(y_l|x)")
winner_reward = var("winner_reward", REAL, r"\hat r_\theta(x, y_w)")
amplitude = var("amplitude", POSITIVE, "c")
temperature = var("temperature", POSITIVE, "t")
loser_reward = beta * sp.log(loser / loser_ref)

DERIVATIONS = [
    Derivation(
        id="unseen_limits",
        title="The KL barrier, the gradient weight, the L_q penalty's slope at 0, and the small-β DPO loss",
        source=Source(DPO, "§5"),
        steps=[
            Step(
                "implicit_reward_barrier",
                Limit(tau * sp.log(pp / c), pp, 0, -sp.oo),
                "log π → −∞ as π → 0⁺ (a probability approaches 0 only from above)",
                "eq. (5)",
            ),
            Step(
                "implicit_reward_barrier_sign_flipped",
                Limit(tau * sp.log(pp / c), pp, 0, sp.oo),
                "planted: +∞",
                "eq. (5)",
                expected="refuted",
            ),
            Step(
                "tempered_entropy_term_vanishes",
                Limit(pp**alpha_any * sp.log(pp), pp, 0, 0),
                "x^α log x = −(1/α)·(y e^{−y}) with y = −α log x → ∞",
                Source("Cover, Thomas 2006, Elements of Information Theory", "§2.1"),
            ),
            Step(
                "lq_penalty_slope_infinite_at_zero",
                Limit(lam * alpha * s ** (alpha - 1), s, 0, sp.oo),
                "s^{q−1} → ∞ as s → 0⁺ because q − 1 < 0",
                Source(FAN_LI, "§2"),
            ),
            Step(
                "lq_penalty_slope_any_exponent",
                Limit(lam * alpha_any * s ** (alpha_any - 1), s, 0, sp.oo),
                "planted: the restriction 0 < q < 1 dropped (for q ≥ 1 the slope stays bounded)",
                Source(FAN_LI, "§2"),
                expected="refuted",
            ),
            Step(
                "dpo_loss_small_beta_slope",
                Limit((-logsigmoid(beta * h) - sp.log(2)) / beta, beta, 0, -h / 2),
                "−log σ(βh) = log(1 + e^{−βh}) = log 2 − βh/2 + O(β²)",
                "§5, the loss near β = 0",
            ),
            Step(
                "dpo_loss_small_beta_slope_sign_flipped",
                Limit((-logsigmoid(beta * h) - sp.log(2)) / beta, beta, 0, h / 2),
                "planted: +h/2",
                "§5",
                expected="refuted",
            ),
            Step(
                "gradient_weight_vanishes_with_the_loser",
                Limit(sigmoid(loser_reward - winner_reward), loser, 0, 0),
                "r̂_l = β log(π(y_l)/π_ref(y_l)) → −∞ as π(y_l) → 0⁺, for every β > 0 (however slowly)",
                "§5, the gradient weight",
            ),
            Step(
                "gradient_weight_swapped_vanishes_with_the_loser",
                Limit(sigmoid(winner_reward - loser_reward), loser, 0, 0),
                "planted: σ(r̂_w − r̂_l) tends to 1, not 0",
                "§5, the gradient weight",
                expected="refuted",
            ),
            Step(
                "oscillation_claimed_to_vanish",
                Limit(amplitude * sp.sin(sp.pi / temperature), temperature, 0, 0),
                "planted: c sin(π/t) takes the value c at every t = 1/(2k + 1/2)",
                Source("Rudin 1976, Principles of Mathematical Analysis", "Ch. 4"),
                expected="refuted",
            ),
        ],
    )
]
