"""Theorems with equality hypotheses: SimPO's margin, sequence log-probabilities, the policy ratio.

Sources:

- Y. Meng, M. Xia, D. Chen, "SimPO: Simple Preference Optimization with a Reference-Free Reward",
  NeurIPS 2024 (arXiv:2405.14734), eq. (6), with the margin m = β ū_w − β ū_l between the average
  token log-probabilities ū of the two responses: the loss −log σ(m − γ) is below log 2 when m > γ.
  §2.2 motivates the length normalisation: log π(y|x) = Σ_i log π(y_i|x, y_<i) decreases with every
  token appended (s = a + b with b < 0 gives s < a), while the average log-probability need not.
- R. Rafailov et al., "Direct Preference Optimization: Your Language Model is Secretly a Reward
  Model", NeurIPS 2023 (arXiv:2305.18290), §5: the policy as the reference reweighted by the ratio
  ρ = π_θ/π_ref. Since π_θ(y|x) = ρ π_ref(y|x) is a probability, ρ < 1/π_ref(y|x); the bound holds
  only through the domain of the defined symbol π_θ (a probability), not for every ρ > 0.

Planted errors: the hypothesis "ū_w − ū_l > γ" (β dropped); "the average log-probability of the
longer sequence is smaller"; "the ratio is below 1".
"""

from __future__ import annotations

import sympy as sp

from verify import Derivation, Implies, Inequality, Source, Step, logsigmoid, var
from verify.domains import LOG_PROB, POSITIVE, PROBABILITY, REAL

SIMPO = "Meng et al. 2024, SimPO (arXiv:2405.14734)"
DPO = "Rafailov et al. 2023, Direct Preference Optimization (arXiv:2305.18290)"

beta = var("beta", POSITIVE, r"\beta")
gamma = var("gamma", POSITIVE, r"\gamma")
m = var("m", REAL, "m")
u = var("u", LOG_PROB, r"\bar u_w")
v = var("v", LOG_PROB, r"\bar u_l")
s = var("s", LOG_PROB, r"\log\pi(y_{1:2}|x)")
a = var("a", LOG_PROB, r"\log\pi(y_1|x)")
b = var("b", LOG_PROB, r"\log\pi(y_2|x, y_1)")
policy = var("policy", PROBABILITY, r"\pi_\theta(y|x)")
rho = var("rho", POSITIVE, r"\rho")
ref = var("ref", PROBABILITY, r"\pi_{\mathrm{ref}}(y|x)")

DERIVATIONS = [
    Derivation(
        id="unseen_equality_hypotheses",
        title="Margins, sequence log-probabilities and policy ratios stated as equality hypotheses",
        source=Source(f"{SIMPO}; {DPO}"),
        steps=[
            Step(
                "simpo_loss_below_log2_given_margin",
                Implies(
                    [sp.Eq(m, beta * u - beta * v), sp.Gt(beta * u - beta * v, gamma)],
                    Inequality(-logsigmoid(m - gamma), "<", sp.log(2)),
                ),
                "m − γ > 0, and −log σ(t) < log 2 for t > 0",
                Source(SIMPO, "eq. (6)"),
            ),
            Step(
                "simpo_margin_condition_beta_dropped",
                Implies(
                    [sp.Eq(m, beta * u - beta * v), sp.Gt(u - v, gamma)],
                    Inequality(-logsigmoid(m - gamma), "<", sp.log(2)),
                ),
                "planted: ū_w − ū_l > γ does not give β(ū_w − ū_l) > γ",
                Source(SIMPO, "eq. (6)"),
                expected="refuted",
            ),
            Step(
                "appending_a_token_lowers_the_log_probability",
                Implies([sp.Eq(s, a + b), sp.Lt(b, 0)], Inequality(s, "<", a)),
                "s = a + b < a",
                Source(SIMPO, "§2.2"),
            ),
            Step(
                "appending_a_token_lowers_the_average_log_probability",
                Implies([sp.Eq(s, a + b), sp.Lt(b, 0)], Inequality(s / 2, "<", a)),
                "planted: (a + b)/2 ≥ a whenever b ≥ a (a likely token after an unlikely one)",
                Source(SIMPO, "§2.2"),
                expected="refuted",
            ),
            Step(
                "ratio_below_inverse_reference",
                Implies([sp.Eq(policy, rho * ref)], Inequality(rho, "<", 1 / ref)),
                "π_θ = ρ π_ref < 1 because π_θ is a probability (the domain of the defined symbol)",
                Source(DPO, "§5"),
            ),
            Step(
                "ratio_below_one",
                Implies([sp.Eq(policy, rho * ref)], Inequality(rho, "<", 1)),
                "planted: a response the policy favours over the reference has ρ > 1",
                Source(DPO, "§5"),
                expected="refuted",
            ),
        ],
    )
]
