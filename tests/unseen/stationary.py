"""Stationary points: the KL-regularised optimum on two responses and its multiplier; a quartic and a double well.

Sources:

- R. Rafailov et al., "Direct Preference Optimization: Your Language Model is Secretly a Reward
  Model", NeurIPS 2023 (arXiv:2305.18290), Appendix A.1 (and Peters & Schaal 2007; Peng et al. 2019,
  cited there): maximising Σ_y π(y) r(y) − β Σ_y π(y) log(π(y)/π_ref(y)) subject to Σ_y π(y) = 1 with
  a Lagrange multiplier λ gives π(y) = π_ref(y) e^{(r(y) − λ)/β − 1}; the Lagrangian is strictly concave
  in π (Hessian diag(−β/π(y))), so this is its global maximiser, and the normalisation fixes
  λ = β log Z − β with Z = Σ_y π_ref(y) e^{r(y)/β}.
- J. Nocedal, S. J. Wright, "Numerical Optimization", 2nd ed., Springer 2006, §2.1, Theorems 2.2–2.4:
  second-order conditions are sufficient, not necessary (x⁴ has a strict global minimiser at 0 with
  f''(0) = 0, and so has y₁⁴ + y₂⁴ + a y₁²y₂² in two variables, with a zero Hessian there); the double
  well (y² − 1)² has global minimisers ±1 and a local maximiser 0, and is unbounded above; a positive
  semidefinite Hessian is necessary for a local minimiser, so the saddle y₁² − a y₂² (a > 0) has a
  stationary point at 0 that is no minimiser. Ch. 12: with a bound constraint ρ > 0, the unconstrained
  minimiser ρ = c of (ρ − c)² is the minimiser only when it is feasible (c > 0).

Planted errors: the optimum with the two rewards swapped; the multiplier without the −β shift;
the double well's local maximiser declared a global maximiser; the saddle declared a minimiser;
the least-squares minimiser ρ = c claimed for every real target c (infeasible for c ≤ 0).
"""

from __future__ import annotations

import sympy as sp

from verify import Derivation, Solves, Source, Stationary, Step, var
from verify.domains import POSITIVE, PROBABILITY, REAL

DPO = "Rafailov et al. 2023, Direct Preference Optimization (arXiv:2305.18290)"
NOCEDAL_WRIGHT = "Nocedal, Wright 2006, Numerical Optimization, 2nd ed."

beta = var("beta", POSITIVE, r"\beta")
lam = var("lam", REAL, r"\lambda")
p1 = var("p1", POSITIVE, r"\pi(y_1)")
p2 = var("p2", POSITIVE, r"\pi(y_2)")
q1 = var("q1", PROBABILITY, r"\pi_{\mathrm{ref}}(y_1)")
q2 = var("q2", PROBABILITY, r"\pi_{\mathrm{ref}}(y_2)")
r1 = var("r1", REAL, "r(y_1)")
r2 = var("r2", REAL, "r(y_2)")
x = var("x", REAL, "x")
y = var("y", REAL, "y")
y1 = var("y1", REAL, "y_1")
y2 = var("y2", REAL, "y_2")
a = var("a", POSITIVE, "a")
rho = var("rho", POSITIVE, r"\rho")
target = var("target", POSITIVE, "c")
any_target = var("target", REAL, "c")

lagrangian = r1 * p1 + r2 * p2 - beta * (p1 * sp.log(p1 / q1) + p2 * sp.log(p2 / q2)) - lam * (p1 + p2 - 1)


def maximiser(q, reward):
    return q * sp.exp((reward - lam) / beta - 1)


partition = q1 * sp.exp(r1 / beta) + q2 * sp.exp(r2 / beta)
normalisation = [sp.Eq(maximiser(q1, r1) + maximiser(q2, r2), 1)]
double_well = (y**2 - 1) ** 2

DERIVATIONS = [
    Derivation(
        id="unseen_kl_lagrangian",
        title="The KL-regularised optimum on two responses, by a Lagrange multiplier",
        source=Source(DPO, "Appendix A.1"),
        steps=[
            Step(
                "lagrangian_global_maximiser",
                Stationary(lagrangian, {p1: maximiser(q1, r1), p2: maximiser(q2, r2)}, "max", "global"),
                "∂/∂π(y): r(y) − β log(π(y)/π_ref(y)) − β − λ = 0; the Hessian diag(−β/π(y)) is negative definite",
                "A.1",
            ),
            Step(
                "lagrangian_maximiser_rewards_swapped",
                Stationary(lagrangian, {p1: maximiser(q1, r2), p2: maximiser(q2, r1)}, "max", "global"),
                "planted: each response given the other's reward",
                "A.1",
                expected="refuted",
            ),
            Step(
                "multiplier_is_log_partition_minus_beta",
                Solves(normalisation, {lam: beta * sp.log(partition) - beta}),
                "Σ_y π_ref(y) e^{(r(y) − λ)/β − 1} = Z e^{−λ/β − 1} = 1",
                "A.1",
            ),
            Step(
                "multiplier_without_shift",
                Solves(normalisation, {lam: beta * sp.log(partition)}),
                "planted: λ = β log Z leaves a total mass e^{−1}",
                "A.1",
                expected="refuted",
            ),
        ],
    ),
    Derivation(
        id="unseen_second_order_conditions",
        title="Second-order conditions are sufficient, not necessary",
        source=Source(NOCEDAL_WRIGHT, "§2.1"),
        steps=[
            Step(
                "quartic_global_minimiser",
                Stationary(x**4, {x: 0}, "min", "global"),
                "x⁴ ≥ 0 = f(0), although f''(0) = 0",
                "Theorem 2.4 and the remark after it",
            ),
            Step(
                "double_well_global_minimiser",
                Stationary(double_well, {y: 1}, "min", "global"),
                "(y² − 1)² ≥ 0 = f(1); f does not rise monotonically away from 1 (it falls again on (−1, 0))",
                "§2.1",
            ),
            Step(
                "double_well_local_maximiser_declared_global",
                Stationary(double_well, {y: 0}, "max", "global"),
                "planted: f(2) = 9 > f(0) = 1; the double well is unbounded above",
                "§2.1",
                expected="refuted",
            ),
            Step(
                "degenerate_minimiser_of_two_variables",
                Stationary(y1**4 + y2**4 + a * y1**2 * y2**2, {y1: 0, y2: 0}, "min", "global"),
                "every term is ≥ 0 = f(0, 0); the Hessian vanishes there, so second-order conditions say nothing",
                "§2.1",
            ),
            Step(
                "saddle_is_stationary",
                Stationary(y1**2 - a * y2**2, {y1: 0, y2: 0}, "stationary"),
                "both partial derivatives vanish at 0",
                "§2.1",
            ),
            Step(
                "saddle_declared_minimiser",
                Stationary(y1**2 - a * y2**2, {y1: 0, y2: 0}, "min"),
                "planted: the Hessian diag(2, −2a) is indefinite (f(0, y₂) = −a y₂² < 0)",
                "Theorem 2.3 (second-order necessary conditions)",
                expected="refuted",
            ),
            Step(
                "least_squares_minimiser_feasible",
                Stationary((rho - target) ** 2, {rho: target}, "min", "global"),
                "(ρ − c)² ≥ 0 = f(c), and c > 0 is feasible",
                "Ch. 12",
            ),
            Step(
                "least_squares_minimiser_infeasible_target",
                Stationary((rho - any_target) ** 2, {rho: any_target}, "min", "global"),
                "planted: for c ≤ 0 the point ρ = c violates ρ > 0 (the constrained minimiser is the boundary)",
                "Ch. 12",
                expected="refuted",
            ),
        ],
    ),
]
