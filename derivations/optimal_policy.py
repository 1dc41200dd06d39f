r"""Optimal policy of the KL-regularised reward objective.

Main statements (on a support of ``n`` responses):

- ``objective_eq_neg_beta_kl_add_beta_log_partition``:
  :math:`J(\pi) = \sum\pi r - \beta\sum\pi\log(\pi/\pi_{ref}) = -\beta\,KL(\pi\|\pi^*) + \beta\log Z`
  with :math:`\pi^* = \pi_{ref} e^{r/\beta}/Z`;
- ``optimal_policy_sums_to_one``: :math:`\sum\pi^* = 1`;
- ``gibbs_inequality``: :math:`KL(p\|q) \ge 0`, with equality at ``p = q``;
- ``lagrangian_maximised_at_tilted_reference`` and ``multiplier_normalises``: the stationary
  point of the Lagrangian is :math:`\pi^*` after normalisation.

References: "Honey, Where's My Reward Model?" (002) parts (a), (b); DPO mixture analysis
(003) "Proofs"; Rafailov et al. (2023), DPO, Appendix A.1.
"""

from __future__ import annotations

import sympy as sp

from verify import Derivation, Equal, ForSizes, Inequality, Solves, Source, Stationary, Step, var
from verify.domains import POSITIVE, PROBABILITY, REAL, vector

from ._notation import HONEY_REWARD_MODEL, beta, boltzmann, distribution, kl, rewards


def _objective(pi, ref, r):
    return sp.Add(*[p * ri for p, ri in zip(pi, r, strict=True)]) - beta * kl(pi, ref)


def _objective_decomposition(n: int) -> Equal:
    pi, ref, r = distribution("pi", n, r"\pi"), distribution("ref", n, r"\pi_{\mathrm{ref}}"), rewards(n)
    star, Z = boltzmann(ref, r, beta)
    return Equal(_objective(pi, ref, r), -beta * kl(pi, star) + beta * sp.log(Z))


def _reward_term_as_tilted_log(n: int) -> Equal:
    pi, ref, r = distribution("pi", n, r"\pi"), distribution("ref", n, r"\pi_{\mathrm{ref}}"), rewards(n)
    lhs = sp.Add(*[p * (ri + beta * sp.log(q)) for p, ri, q in zip(pi, r, ref, strict=True)])
    rhs = beta * sp.Add(*[p * sp.log(q * sp.exp(ri / beta)) for p, ri, q in zip(pi, r, ref, strict=True)])
    return Equal(lhs, rhs)


def _sums_to_one(n: int) -> Equal:
    star, _ = boltzmann(distribution("ref", n, r"\pi_{\mathrm{ref}}"), rewards(n), beta)
    return Equal(sp.Add(*star), 1)


def _kl_as_sum_of_convex_gaps(n: int) -> Equal:
    p, q = distribution("p", n), distribution("q", n)
    return Equal(kl(p, q), sp.Add(*[pi * (qi / pi - 1 - sp.log(qi / pi)) for pi, qi in zip(p, q, strict=True)]))


def _gibbs(n: int) -> Inequality:
    p, q = distribution("p", n), distribution("q", n)
    return Inequality(kl(p, q), ">=", 0)


def _kl_self(n: int) -> Equal:
    p = distribution("p", n)
    return Equal(kl(p, p), 0)


nu = var("nu", REAL, r"\nu")


def _lagrangian(n: int):
    pi = vector("x", n, POSITIVE, r"\pi")  # maximised over π > 0; ν enforces Σπ = 1
    ref = distribution("ref", n, r"\pi_{\mathrm{ref}}")
    r = rewards(n)
    lag = _objective(pi, ref, r) - nu * (sp.Add(*pi) - 1)
    point = {p: q * sp.exp((ri - nu) / beta - 1) for p, q, ri in zip(pi, ref, r, strict=True)}
    return lag, point, ref, r


def _lagrangian_max(n: int) -> Stationary:
    lag, point, _, _ = _lagrangian(n)
    return Stationary(lag, point, kind="max", scope="global")


def _multiplier(n: int) -> Solves:
    _, point, ref, r = _lagrangian(n)
    _, Z = boltzmann(ref, r, beta)
    return Solves([(sp.Add(*point.values()), 1)], {nu: beta * sp.log(Z) - beta})


t = var("t", POSITIVE, "t")
r_y = var("r_y", REAL, "r(y)")
ref_y = var("ref_y", PROBABILITY, r"\pi_{\mathrm{ref}}(y)")
Z_ = var("Z", POSITIVE, "Z")

DOC = HONEY_REWARD_MODEL

derivation = Derivation(
    id="optimal_policy",
    title="The optimal policy of KL-regularised reward maximisation",
    source=Source(DOC, "(b)"),
    summary="J(π) = −β·KL(π‖π*) + β log Z, so the Boltzmann-tilted reference π* maximises J.",
    steps=[
        Step(
            "optimal_policy_sums_to_one",
            ForSizes(_sums_to_one),
            "Z is the sum of the unnormalised weights π_ref e^{r/β}",
            "(b)",
        ),
        Step(
            "reward_add_beta_log_ref_eq_beta_log_tilted_reference",
            ForSizes(_reward_term_as_tilted_log),
            "β log(π_ref e^{r/β}) = β log π_ref + r (log of a product, log∘exp)",
            "(b)",
        ),
        Step(
            "objective_eq_neg_beta_kl_add_beta_log_partition",
            ForSizes(_objective_decomposition),
            "expand log(π/π*) = log(π/π_ref) − r/β + log Z and use Σπ = 1",
            "(b)",
            uses=["optimal_policy_sums_to_one", "reward_add_beta_log_ref_eq_beta_log_tilted_reference"],
        ),
        Step(
            "log_le_sub_one",
            Inequality(t - 1 - sp.log(t), ">=", 0, extremum={t: 1}),
            "t − 1 − log t has derivative 1 − 1/t: negative below 1, positive above, and is 0 at 1",
            "(a)",
        ),
        Step(
            "kl_eq_sum_of_convex_gaps",
            ForSizes(_kl_as_sum_of_convex_gaps),
            "add Σq − Σp = 0 termwise",
            "(a)",
        ),
        Step(
            "gibbs_inequality",
            ForSizes(_gibbs),
            "each term p_i·(t_i − 1 − log t_i) with t_i = q_i/p_i is ≥ 0 by log_le_sub_one",
            "(a)",
            uses=["log_le_sub_one", "kl_eq_sum_of_convex_gaps"],
        ),
        Step(
            "kl_self_eq_zero",
            ForSizes(_kl_self),
            "log(p/p) = 0: equality in Gibbs' inequality at p = q",
            "(a)",
        ),
        Step(
            "lagrangian_maximised_at_tilted_reference",
            ForSizes(_lagrangian_max, numeric=(5, 6, 8)),
            "∂L/∂π_i = r_i − β(log(π_i/π_ref,i) + 1) − ν = 0; the Hessian diag(−β/π_i) is "
            "negative definite, so L is strictly concave in π",
            "(b)",
        ),
        Step(
            "multiplier_normalises_stationary_point",
            ForSizes(_multiplier),
            "Σ_i π_ref,i e^{(r_i − ν)/β − 1} = 1 fixes ν = β log Z − β",
            "(b)",
            uses=["lagrangian_maximised_at_tilted_reference"],
        ),
        Step(
            "normalised_stationary_point_eq_optimal_policy",
            Equal(
                ref_y * sp.exp((r_y - (beta * sp.log(Z_) - beta)) / beta - 1),
                ref_y * sp.exp(r_y / beta) / Z_,
            ),
            "substitute ν = β log Z − β",
            "(b)",
            uses=["multiplier_normalises_stationary_point"],
        ),
    ],
)
