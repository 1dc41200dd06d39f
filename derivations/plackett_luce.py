r"""Plackett–Luce with implicit rewards: Z cancels in every stage; K = 2 is Bradley–Terry.

Main statements (candidates ranked in the order 1, …, K; any ranking is a relabelling):

- ``exp_implicit_reward_eq_partition_pow_beta_times_ratio_pow_beta``:
  :math:`e^{\beta\log(\pi^*/\pi_{ref}) + \beta\log Z} = Z^\beta(\pi^*/\pi_{ref})^\beta`;
- ``plackett_luce_stage_free_of_partition`` and ``plackett_luce_eq_ratio_form``: each stage
  :math:`e^{r_k}/\sum_{j\ge k}e^{r_j}` loses the factor :math:`Z^\beta`;
- ``plackett_luce_two_candidates_eq_bradley_terry``;
- ``plackett_luce_rankings_sum_to_one``: the K! ranking probabilities sum to 1.

References: "Honey, Where's My Reward Model?" (002) part (g); Rafailov et al. (2023), App. A.3.
"""

from __future__ import annotations

import itertools

import sympy as sp

from verify import Derivation, Equal, ForSizes, IndependentOf, Source, Step, sigmoid
from verify.domains import POSITIVE, PROBABILITY, vector

from ._notation import HONEY_REWARD_MODEL, Z, beta, ref, star

DOC = HONEY_REWARD_MODEL


def _candidates(k: int):
    stars = vector("star", k, PROBABILITY, r"\pi^{*}")
    refs = vector("ref", k, PROBABILITY, r"\pi_{\mathrm{ref}}")
    return stars, refs


def _reward(s, q):
    return beta * sp.log(s / q) + beta * sp.log(Z)


def plackett_luce(scores: list[sp.Expr]) -> sp.Expr:
    """``Π_k s_k / Σ_{j≥k} s_j`` for positive scores in ranking order."""
    return sp.Mul(*[scores[k] / sp.Add(*scores[k:]) for k in range(len(scores))])


def _with_partition(k: int) -> sp.Expr:
    stars, refs = _candidates(k)
    return plackett_luce([sp.exp(_reward(s, q)) for s, q in zip(stars, refs, strict=True)])


def _ratio_form(k: int) -> Equal:
    stars, refs = _candidates(k)
    return Equal(_with_partition(k), plackett_luce([(s / q) ** beta for s, q in zip(stars, refs, strict=True)]))


def _free_of_partition(k: int) -> IndependentOf:
    return IndependentOf(_with_partition(k), [Z])


def _rankings_sum_to_one(k: int) -> Equal:
    scores = vector("s", k, POSITIVE, "s")
    total = sp.Add(*[plackett_luce([scores[i] for i in order]) for order in itertools.permutations(range(k))])
    return Equal(total, 1)


star_1, star_2 = _candidates(2)[0]
ref_1, ref_2 = _candidates(2)[1]

derivation = Derivation(
    id="plackett_luce",
    title="Plackett–Luce with implicit rewards: Z^β cancels in every stage",
    source=Source(DOC, "(g)"),
    summary="Ranking likelihoods depend on the policy only through ratios π/π_ref.",
    steps=[
        Step(
            "exp_implicit_reward_eq_partition_pow_beta_times_ratio_pow_beta",
            Equal(sp.exp(_reward(star, ref)), Z**beta * (star / ref) ** beta),
            "e^{β log x} = x^β for x > 0, and e^{u+v} = e^u e^v",
            "(g)",
        ),
        Step(
            "plackett_luce_eq_ratio_form",
            ForSizes(_ratio_form, symbolic=(2, 3, 4), numeric=(5, 6, 8), size_name="K"),
            "each numerator and each denominator carries the same factor Z^β",
            "(g)",
            uses=["exp_implicit_reward_eq_partition_pow_beta_times_ratio_pow_beta"],
        ),
        Step(
            "plackett_luce_stage_free_of_partition",
            ForSizes(_free_of_partition, symbolic=(2, 3, 4), numeric=(5, 6, 8), size_name="K"),
            "the ratio form contains no Z",
            "(g)",
            uses=["plackett_luce_eq_ratio_form"],
        ),
        Step(
            "plackett_luce_two_candidates_eq_bradley_terry",
            Equal(
                plackett_luce([sp.exp(_reward(star_1, ref_1)), sp.exp(_reward(star_2, ref_2))]),
                sigmoid(beta * sp.log(star_1 / ref_1) - beta * sp.log(star_2 / ref_2)),
            ),
            "for K = 2 the last stage is 1 and the first is a two-way softmax",
            "(g)",
            uses=["plackett_luce_eq_ratio_form"],
        ),
        Step(
            "plackett_luce_rankings_sum_to_one",
            ForSizes(_rankings_sum_to_one, symbolic=(2, 3), numeric=(4, 5, 6), size_name="K"),
            "summing the first stage over the top choice leaves a Plackett–Luce model on K − 1 items",
            "(g)",
        ),
    ],
)
