r"""Reward inversion: the reward is the scaled log-ratio of the optimal policy, up to log Z.

Main statements:

- ``log_optimal_policy_eq_log_ref_add_reward_over_beta_sub_log_partition``:
  :math:`\log\pi^* = \log\pi_{ref} + r/\beta - \log Z`;
- ``reward_eq_beta_log_ratio_add_beta_log_partition``: :math:`r = \beta\log(\pi^*/\pi_{ref}) + \beta\log Z`
  solves :math:`\pi^* = \pi_{ref}e^{r/\beta}/Z` for ``r``;
- ``optimal_policy_recovered_from_inverted_reward``: substituting that ``r`` back gives ``π*``.

References: "Honey, Where's My Reward Model?" (002) part (d); Kong et al., eq. (5) (004);
Rafailov et al. (2023), eq. (5).
"""

from __future__ import annotations

import sympy as sp

from verify import Derivation, Equal, Solves, Source, Step

from ._notation import HONEY_REWARD_MODEL, Z, beta, r, ref, star

DOC = HONEY_REWARD_MODEL
optimal = ref * sp.exp(r / beta) / Z
inverted = beta * sp.log(star / ref) + beta * sp.log(Z)

derivation = Derivation(
    id="reward_inversion",
    title="Reward inversion: r = β log(π*/π_ref) + β log Z",
    source=Source(DOC, "(d)"),
    summary="Any reward is recovered from its optimal policy up to the prompt-only term β log Z.",
    steps=[
        Step(
            "log_optimal_policy_eq_log_ref_add_reward_over_beta_sub_log_partition",
            Equal(sp.log(optimal), sp.log(ref) + r / beta - sp.log(Z)),
            "log of a product and a quotient of positive factors; log∘exp = id",
            "(d)",
        ),
        Step(
            "reward_eq_beta_log_ratio_add_beta_log_partition",
            Solves([(star, optimal)], {r: inverted}),
            "solve log π* = log π_ref + r/β − log Z for r",
            "(d)",
            uses=["log_optimal_policy_eq_log_ref_add_reward_over_beta_sub_log_partition"],
        ),
        Step(
            "bracketed_form_eq_log_ratio_form",
            Equal(beta * (sp.log(star) - sp.log(ref) + sp.log(Z)), inverted),
            "log π* − log π_ref = log(π*/π_ref) for positive probabilities",
            "(d)",
            uses=["reward_eq_beta_log_ratio_add_beta_log_partition"],
        ),
        Step(
            "optimal_policy_recovered_from_inverted_reward",
            Equal(optimal.subs(r, inverted), star),
            "e^{log(π*/π_ref) + log Z} = Z π*/π_ref: the map r ↦ π* is inverted exactly",
            "(d)",
            uses=["reward_eq_beta_log_ratio_add_beta_log_partition"],
        ),
        Step(
            "inverted_reward_recovers_reward",
            Equal(inverted.subs(star, optimal), r),
            "the composition in the other order is the identity on rewards too",
            "(d)",
            uses=["reward_eq_beta_log_ratio_add_beta_log_partition"],
        ),
    ],
)
