"""SimPO: the length-normalised reward and the target margin γ.

Source: Y. Meng, M. Xia, D. Chen, "SimPO: Simple Preference Optimization with a Reference-Free
Reward", NeurIPS 2024 (arXiv:2405.14734). Eq. (4): r_SimPO(x, y) = (β/|y|) log π_θ(y|x) =
(β/|y|) Σ_i log π_θ(y_i | x, y_<i), the average token log-probability (so β times the log of the
geometric mean of the token probabilities); eq. (5): the Bradley–Terry objective with a target
reward margin γ > 0. For a fixed sequence log-probability the normalised reward vanishes as
|y| → ∞ (§2.2, length normalisation). The margin γ is in ``reference_points``.

Planted errors: the normalisation 1/|y| dropped; the limit of the normalised reward taken as the
unnormalised reward.
"""

from __future__ import annotations

import sympy as sp

from verify import Derivation, Equal, Limit, Source, Step, var
from verify.domains import LOG_PROB, POSITIVE, POSITIVE_INTEGER, PROBABILITY

SOURCE = Source("Meng, Xia, Chen 2024, SimPO (arXiv:2405.14734)", "§2")

beta = var("beta", POSITIVE, r"\beta")
seq = var("seq", PROBABILITY, r"\pi_\theta(y|x)")
n = var("n", POSITIVE_INTEGER, "|y|")
lp = var("lp", LOG_PROB, r"\log\pi_\theta(y|x)")

DERIVATIONS = [
    Derivation(
        id="unseen_simpo",
        title="SimPO: the length-normalised reward",
        source=SOURCE,
        steps=[
            Step(
                "normalised_reward_is_log_geometric_mean",
                Equal(beta / n * sp.log(seq), beta * sp.log(seq ** (1 / n))),
                "(1/|y|) log π(y|x) = log π(y|x)^{1/|y|}",
                "eq. (4)",
            ),
            Step(
                "normalisation_dropped",
                Equal(beta * sp.log(seq), beta * sp.log(seq ** (1 / n))),
                "planted: the reward without 1/|y|",
                "eq. (4)",
                expected="refuted",
            ),
            Step(
                "normalised_reward_vanishes_for_long_responses",
                Limit(beta * lp / n, n, sp.oo, 0),
                "a fixed sequence log-probability spread over ever more tokens",
                "§2.2",
            ),
            Step(
                "normalised_reward_limit_is_unnormalised",
                Limit(beta * lp / n, n, sp.oo, beta * lp),
                "planted: the limit taken as the unnormalised reward β log π(y|x)",
                "§2.2",
                expected="refuted",
            ),
        ],
    )
]
