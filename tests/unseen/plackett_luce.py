"""Plackett–Luce rankings under the DPO reparametrisation.

Source: R. Rafailov et al., "Direct Preference Optimization: Your Language Model is Secretly a
Reward Model", NeurIPS 2023 (arXiv:2305.18290), Section 5 / Appendix A.3 ("Deriving the DPO
Objective Under the Plackett-Luce Model"), eqs. (18)–(20): p*(τ | y_1, …, y_K) =
Π_{k=1}^K exp(r(x, y_τ(k))) / Σ_{j=k}^K exp(r(x, y_τ(j))); substituting r = β log(π/π_ref) + β log Z(x)
the factor Z(x)^β cancels in every stage; the K! ranking probabilities sum to one (Plackett 1975,
Luce 1959).

Planted errors: every stage normalised by the sum over all K candidates (not the remaining ones);
the partition function entering one candidate's reward without β, so that it does not cancel.
"""

from __future__ import annotations

import itertools

import sympy as sp

from verify import Derivation, Equal, ForSizes, IndependentOf, Source, Step, var, vector
from verify.domains import POSITIVE, PROBABILITY

SOURCE = Source("Rafailov et al. 2023, Direct Preference Optimization (arXiv:2305.18290)", "Appendix A.3")

beta = var("beta", POSITIVE, r"\beta")
Z = var("Z", POSITIVE, "Z(x)")
p = vector("pi", 3, PROBABILITY, r"\pi_\theta")
q = vector("ref", 3, PROBABILITY, r"\pi_{\mathrm{ref}}")


def plackett_luce(scores, full_denominator: bool = False) -> sp.Expr:
    """Π_k s_k / Σ_{j≥k} s_j for positive scores in ranking order (or / Σ_j s_j if ``full_denominator``)."""
    return sp.Mul(*[scores[k] / sp.Add(*(scores if full_denominator else scores[k:])) for k in range(len(scores))])


def rankings_sum(n: int, full_denominator: bool = False) -> Equal:
    s = vector("s", n, POSITIVE, "s")
    total = sp.Add(
        *[plackett_luce([s[i] for i in order], full_denominator) for order in itertools.permutations(range(n))]
    )
    return Equal(total, 1)


def reward(i: int, partition: sp.Expr | None = None) -> sp.Expr:
    """r_i = β log(π_i/π_ref,i) + β log Z (or + ``partition`` instead of β log Z)."""
    return beta * sp.log(p[i] / q[i]) + (beta * sp.log(Z) if partition is None else partition)


three_stage = plackett_luce([sp.exp(reward(i)) for i in range(3)])
three_stage_z_leaks = plackett_luce([sp.exp(reward(0)), sp.exp(reward(1)), sp.exp(reward(2, sp.log(Z)))])

DERIVATIONS = [
    Derivation(
        id="unseen_plackett_luce",
        title="DPO App. A.3: Plackett–Luce with implicit rewards",
        source=SOURCE,
        steps=[
            Step(
                "rankings_sum_to_one",
                ForSizes(rankings_sum, symbolic=(2, 3), numeric=(4,), size_name="K"),
                "sum out the last stage, then the one before, …",
                "eq. (18)",
            ),
            Step(
                "rankings_full_denominator",
                ForSizes(lambda n: rankings_sum(n, True), symbolic=(2, 3), numeric=(4,), size_name="K"),
                "planted: each stage divided by the sum over all K candidates",
                "eq. (18)",
                expected="refuted",
            ),
            Step(
                "partition_cancels_in_every_stage",
                IndependentOf(three_stage, [Z]),
                "e^{r_i} = Z^β (π_i/π_ref,i)^β; Z^β cancels between numerator and denominator",
                "eqs. (19)–(20)",
            ),
            Step(
                "partition_without_beta_does_not_cancel",
                IndependentOf(three_stage_z_leaks, [Z]),
                "planted: the third candidate's reward with log Z instead of β log Z",
                "eqs. (19)–(20)",
                expected="refuted",
            ),
        ],
    )
]
