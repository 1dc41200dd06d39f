r"""Audit of "Problem 2: Honey, Where's My Reward Model?" (002), parts (a)–(g), as written.

Main findings:

- (b) the auxiliary fact :math:`\sum_y\pi[r - \beta\log\pi_{ref}] = \beta\sum_y\pi\log(\pi_{ref}e^{r/\beta})`
  is false: the reference term has the wrong sign. The corrected fact
  :math:`\sum_y\pi[r + \beta\log\pi_{ref}] = \beta\sum_y\pi\log(\pi_{ref}e^{r/\beta})` holds, and so does
  the decomposition of J it is used for.
- Every other displayed equation of (a)–(g) holds.

References: the document's own part labels (a)–(g).
"""

from __future__ import annotations

import sympy as sp

from derivations._notation import (
    HONEY_REWARD_MODEL,
    Z,
    beta,
    boltzmann,
    distribution,
    kl,
    logp_l,
    logp_w,
    ref,
    ref_l,
    ref_logp_l,
    ref_logp_w,
    ref_w,
    rewards,
    star,
    star_l,
    star_w,
    z,
)
from derivations.optimal_policy import _reward_term_as_tilted_log as _fact_corrected
from derivations.plackett_luce import _free_of_partition, _ratio_form
from verify import Derivation, Equal, ForSizes, IndependentOf, Inequality, Source, Step, sigmoid, var
from verify.domains import REAL

DOC = HONEY_REWARD_MODEL
r_ = var("r", REAL, "r")
g_w = var("g_w", REAL, r"\nabla_\theta\log\pi_\theta(y_w)")
g_l = var("g_l", REAL, r"\nabla_\theta\log\pi_\theta(y_l)")


def _pi_ref_r(n: int):
    return distribution("pi", n, r"\pi"), distribution("ref", n, r"\pi_{\mathrm{ref}}"), rewards(n)


def _fact_as_written(n: int) -> Equal:
    pi, q, r = _pi_ref_r(n)
    return Equal(
        sp.Add(*[p * (ri - beta * sp.log(qi)) for p, ri, qi in zip(pi, r, q, strict=True)]),
        beta * sp.Add(*[p * sp.log(qi * sp.exp(ri / beta)) for p, ri, qi in zip(pi, r, q, strict=True)]),
    )


def _objective(n: int):
    pi, q, r = _pi_ref_r(n)
    return pi, q, r, sp.Add(*[p * ri for p, ri in zip(pi, r, strict=True)]) - beta * kl(pi, q)


def _rearranged(n: int) -> Equal:
    pi, q, r, J = _objective(n)
    _, Zx = boltzmann(q, r, beta)
    tilted = [qi * sp.exp(ri / beta) / Zx for qi, ri in zip(q, r, strict=True)]
    return Equal(J, -beta * sp.Add(*[p * sp.log(p / t) for p, t in zip(pi, tilted, strict=True)]) + beta * sp.log(Zx))


def _kl_form(n: int) -> Equal:
    pi, q, r, J = _objective(n)
    star_, Zx = boltzmann(q, r, beta)
    return Equal(J, -beta * kl(pi, star_) + beta * sp.log(Zx))


def _gibbs(n: int) -> Inequality:
    return Inequality(kl(distribution("p", n), distribution("q", n)), ">=", 0)


def _kl_min_at_q(n: int) -> Equal:
    q = distribution("q", n)
    return Equal(kl(q, q), 0)


optimal = ref * sp.exp(r_ / beta) / Z
r_hat_w = beta * (logp_w - ref_logp_w)
r_hat_l = beta * (logp_l - ref_logp_l)
margin = r_hat_w - r_hat_l
loss = -sp.log(sigmoid(margin))
#: ∇θℓ by the chain rule through the two log-probabilities (the reference is fixed)
grad = sp.diff(loss, logp_w) * g_w + sp.diff(loss, logp_l) * g_l

derivation = Derivation(
    id="audit_honey_reward_model",
    title="Audit: Honey, Where's My Reward Model? (002), parts (a)–(g)",
    source=Source(DOC, "(a)–(g)"),
    kind="audit",
    summary="One false auxiliary fact in (b) (sign of the reference term); everything else holds.",
    steps=[
        Step(
            "a_gibbs_kl_nonnegative",
            ForSizes(_gibbs, symbolic=(), numeric=(2, 3, 5, 8)),  # SymPy cannot sign a KL divergence
            "Gibbs' inequality",
            "(a)",
        ),
        Step("a_kl_zero_at_p_eq_q", ForSizes(_kl_min_at_q), "equality at p = q, hence p* = q", "(a)"),
        Step(
            "b_objective_rearranged_with_tilted_reference",
            ForSizes(_rearranged),
            "J = −β Σ π log(π / (π_ref e^{r/β})) + β log Z, with 1/Z inside the log as displayed in J_x",
            "(b)",
        ),
        Step(
            "b_fact_reward_minus_beta_log_ref",
            ForSizes(_fact_as_written),
            "the document's 'used the fact that' display, as written",
            "(b)",
            expected="refuted",
            correction=Equal(r_ + beta * sp.log(ref), beta * sp.log(ref * sp.exp(r_ / beta))),
            diagnosis="the reference term enters J as +β log π_ref (from −β log(π/π_ref)), not −β log π_ref",
        ),
        Step(
            "b_fact_corrected_reward_plus_beta_log_ref",
            ForSizes(_fact_corrected),
            "corrected fact: r + β log π_ref = β log(π_ref e^{r/β})",
            "(b)",
        ),
        Step(
            "b_objective_eq_neg_beta_kl_add_beta_log_partition",
            ForSizes(_kl_form),
            "J = −β KL(π‖π̃) + β log Z with π̃ = π_ref e^{r/β}/Z",
            "(b)",
            uses=["b_fact_corrected_reward_plus_beta_log_ref"],
        ),
        Step(
            "d_log_optimal_policy",
            Equal(sp.log(optimal), sp.log(ref) + r_ / beta - sp.log(Z)),
            "take logs",
            "(d)",
        ),
        Step(
            "d_reward_bracket_form",
            Equal(r_, beta * (sp.log(optimal) - sp.log(ref) + sp.log(Z))),
            "solve for r",
            "(d)",
            uses=["d_log_optimal_policy"],
        ),
        Step(
            "d_reward_log_ratio_form",
            Equal(beta * (sp.log(star) - sp.log(ref) + sp.log(Z)), beta * sp.log(star / ref) + beta * sp.log(Z)),
            "equivalently",
            "(d)",
        ),
        Step(
            "e_reward_difference_partition_cancels",
            Equal(
                (beta * sp.log(star_w / ref_w) + beta * sp.log(Z)) - (beta * sp.log(star_l / ref_l) + beta * sp.log(Z)),
                beta * sp.log(star_w / ref_w) - beta * sp.log(star_l / ref_l),
            ),
            "the β log Z(x) terms cancel",
            "(e)",
        ),
        Step(
            "e_reward_difference_independent_of_partition",
            IndependentOf(
                (beta * sp.log(star_w / ref_w) + beta * sp.log(Z)) - (beta * sp.log(star_l / ref_l) + beta * sp.log(Z)),
                [Z],
            ),
            "no dependence on Z(x) remains",
            "(e)",
            uses=["e_reward_difference_partition_cancels"],
        ),
        Step(
            "f_dloss_dz_eq_neg_sigmoid_neg",
            Equal(sp.diff(-sp.log(1 / (1 + sp.exp(-z))), z), -sigmoid(-z)),
            "dℓ/dz = −σ′(z)/σ(z) = −σ(z)σ(−z)/σ(z) = −σ(−z)",
            "(f)",
        ),
        Step(
            "f_dloss_dz_eq_sigmoid_sub_one",
            Equal(-sigmoid(-z), sigmoid(z) - 1),
            "σ(−z) = 1 − σ(z)",
            "(f)",
            uses=["f_dloss_dz_eq_neg_sigmoid_neg"],
        ),
        Step(
            "f_grad_chain_rule_form",
            Equal(grad, (sigmoid(margin) - 1) * (beta * g_w - beta * g_l)),
            "∇ℓ = (σ(z) − 1)(∇r̂_w − ∇r̂_l) with ∇r̂ = β∇log π",
            "(f)",
            uses=["f_dloss_dz_eq_sigmoid_sub_one"],
        ),
        Step(
            "f_grad_sigmoid_neg_form",
            Equal(grad, sigmoid(-margin) * (beta * g_l - beta * g_w)),
            "equivalently with σ(−z)",
            "(f)",
            uses=["f_grad_chain_rule_form"],
        ),
        Step(
            "f_grad_final_form",
            Equal(grad, beta * sigmoid(r_hat_l - r_hat_w) * (g_l - g_w)),
            "β σ(r̂_l − r̂_w)(∇log π_l − ∇log π_w)",
            "(f)",
            uses=["f_grad_sigmoid_neg_form"],
        ),
        Step(
            "g_plackett_luce_ratio_form",
            ForSizes(_ratio_form, symbolic=(2, 3), numeric=(4, 5, 6), size_name="K"),
            "Z(x)^β cancels in each fraction",
            "(g)",
        ),
        Step(
            "g_plackett_luce_free_of_partition",
            ForSizes(_free_of_partition, symbolic=(2, 3), numeric=(4, 5, 6), size_name="K"),
            "no explicit dependence on Z(x)",
            "(g)",
            uses=["g_plackett_luce_ratio_form"],
        ),
    ],
)
