"""ΨPO and IPO: the population optima of DPO and IPO, and the IPO regression objective.

Source: M. G. Azar, M. Rowland, B. Piot, D. Guo, D. Calandriello, M. Valko, R. Munos, "A General
Theoretical Paradigm to Understand Learning from Human Preferences", AISTATS 2024
(arXiv:2310.12036). §4.1–4.2: with Ψ(q) = log(q/(1 − q)) ΨPO is DPO, whose population loss for a
pair preferred with probability p, −p log σ(βh) − (1 − p) log σ(−βh), is minimised at h* = Ψ(p)/β;
with deterministic preferences (p → 1) this optimum diverges, whatever the regularisation. §5,
eq. (17): the IPO sampled loss (h_π(y_w, y_l) − τ^{-1}/2)², h_π = log(π(y_w)π_ref(y_l) /
(π(y_l)π_ref(y_w))); for a pair preferred with probability p its population minimiser is
h* = (2p − 1)/(2τ) (= (p(y ≻ μ) − p(y' ≻ μ))/τ for μ uniform on the pair, §5.1).

Planted errors: the IPO objective's linear term doubled; the IPO optimum with winner and loser
swapped; the DPO optimum with β dropped.
"""

from __future__ import annotations

import sympy as sp

from verify import Derivation, EqualUpToConstant, Limit, Source, Stationary, Step, logsigmoid, var
from verify.domains import POSITIVE, REAL, UNIT

SOURCE = Source("Azar et al. 2023, A General Theoretical Paradigm to Understand Learning from Human Preferences")

tau = var("tau", POSITIVE, r"\tau")
beta = var("beta", POSITIVE, r"\beta")
h = var("h", REAL, r"h_\pi(y, y')")
pr = var("pr", UNIT, r"p^*(y \succ y')")

ipo_population = pr * (h - 1 / (2 * tau)) ** 2 + (1 - pr) * (h + 1 / (2 * tau)) ** 2
dpo_population = -pr * logsigmoid(beta * h) - (1 - pr) * logsigmoid(-beta * h)
logit = sp.log(pr / (1 - pr))

DERIVATIONS = [
    Derivation(
        id="unseen_psi_po",
        title="ΨPO with Ψ = logit (DPO): its optimum diverges for deterministic preferences",
        source=SOURCE,
        steps=[
            Step(
                "dpo_population_minimiser",
                Stationary(dpo_population, {h: logit / beta}, "min", "global"),
                "the loss falls then rises: its derivative β(σ(βh) − p) changes sign at σ(βh) = p",
                "§4.2",
            ),
            Step(
                "dpo_population_minimiser_beta_dropped",
                Stationary(dpo_population, {h: logit}, "min", "global"),
                "planted: h* = Ψ(p) without the 1/β",
                "§4.2",
                expected="refuted",
            ),
            Step(
                "dpo_optimum_diverges_for_deterministic_preferences",
                Limit(logit / beta, pr, 1, sp.oo),
                "log(p/(1 − p)) → ∞ as p → 1⁻ (the only side a probability allows)",
                "§4.2",
            ),
        ],
    ),
    Derivation(
        id="unseen_ipo",
        title="IPO: the regression objective and its population minimiser",
        source=Source(SOURCE.document, "§5"),
        steps=[
            Step(
                "ipo_objective_up_to_constant",
                EqualUpToConstant((h - 1 / (2 * tau)) ** 2, h**2 - h / tau, [h]),
                "expand the square; 1/(4τ²) does not depend on h",
                "eq. (17)",
            ),
            Step(
                "ipo_objective_linear_term_doubled",
                EqualUpToConstant((h - 1 / (2 * tau)) ** 2, h**2 - 2 * h / tau, [h]),
                "planted: the cross term counted twice",
                "eq. (17)",
                expected="refuted",
            ),
            Step(
                "ipo_population_minimiser",
                Stationary(ipo_population, {h: (2 * pr - 1) / (2 * tau)}, "min", "global"),
                "a quadratic in h with leading coefficient 1: f'(h) = 2(h − (2p − 1)/(2τ))",
                "§5.1",
            ),
            Step(
                "ipo_population_minimiser_winner_loser_swapped",
                Stationary(ipo_population, {h: (1 - 2 * pr) / (2 * tau)}, "min", "global"),
                "planted: 1 − 2p instead of 2p − 1",
                "§5.1",
                expected="refuted",
            ),
        ],
    ),
]
