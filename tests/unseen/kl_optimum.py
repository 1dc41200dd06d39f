"""The optimum of the KL-constrained reward maximisation objective and its partition function.

Source: R. Rafailov, A. Sharma, E. Mitchell, S. Ermon, C. D. Manning, C. Finn, "Direct Preference
Optimization: Your Language Model is Secretly a Reward Model", NeurIPS 2023 (arXiv:2305.18290),
Appendix A.1, eqs. (11)–(14): the objective max_π E_π[r] − β KL(π‖π_ref) is rewritten, per
response y, as log(π/π_ref) − r/β = log(π/π*) − log Z(x), with π*(y|x) = π_ref(y|x) e^{r(x,y)/β}/Z(x)
and the partition function Z(x) = Σ_y π_ref(y|x) e^{r(x,y)/β}, which makes π* a distribution.

Planted errors: the log-partition term with the wrong sign; the optimum written with e^{βr}
in the numerator while Z keeps e^{r/β} (so it no longer normalises).
"""

from __future__ import annotations

import sympy as sp

from verify import Derivation, Equal, ForSizes, Source, Step, simplex, var, vector
from verify.domains import POSITIVE, PROBABILITY, REAL

SOURCE = Source("Rafailov et al. 2023, Direct Preference Optimization (arXiv:2305.18290)", "Appendix A.1")

beta = var("beta", POSITIVE, r"\beta")
Z = var("Z", POSITIVE, "Z(x)")
pi = var("pi", PROBABILITY, r"\pi(y|x)")
ref = var("ref", PROBABILITY, r"\pi_{\mathrm{ref}}(y|x)")
r = var("r", REAL, "r(x,y)")


def optimum(reward: sp.Expr = r) -> sp.Expr:
    """π*(y|x) = π_ref(y|x) exp(r/β) / Z(x)."""
    return ref * sp.exp(reward / beta) / Z


def normalised(n: int, numerator=lambda ri: ri / beta) -> Equal:
    """Σ_y π_ref(y) e^{numerator(r(y))} / Z = 1 with Z = Σ_y π_ref(y) e^{r(y)/β}, on n responses."""
    q, _ = simplex("ref", n, r"\pi_{\mathrm{ref}}")
    rs = vector("r", n, REAL, "r")
    Zn = sp.Add(*[qi * sp.exp(ri / beta) for qi, ri in zip(q, rs, strict=True)])
    return Equal(sp.Add(*[qi * sp.exp(numerator(ri)) / Zn for qi, ri in zip(q, rs, strict=True)]), 1)


DERIVATIONS = [
    Derivation(
        id="unseen_kl_optimum",
        title="DPO App. A.1: the KL-constrained objective as a KL divergence to π*",
        source=SOURCE,
        steps=[
            Step(
                "objective_as_kl_to_optimum",
                Equal(sp.log(pi / ref) - r / beta, sp.log(pi / optimum()) - sp.log(Z)),
                "divide the objective by −β, then multiply and divide by Z inside the log",
                "eq. (12)",
            ),
            Step(
                "objective_partition_sign_flipped",
                Equal(sp.log(pi / ref) - r / beta, sp.log(pi / optimum()) + sp.log(Z)),
                "planted: the log Z term with the wrong sign",
                "eq. (12)",
                expected="refuted",
            ),
            Step(
                "optimum_is_normalised",
                ForSizes(normalised, symbolic=(2, 3), numeric=(5,)),
                "Σ_y π_ref(y) e^{r(y)/β} is Z by definition",
                "eq. (13)",
            ),
            Step(
                "optimum_numerator_beta_inverted",
                ForSizes(lambda n: normalised(n, lambda ri: beta * ri), symbolic=(2, 3), numeric=(5,)),
                "planted: e^{βr} in the numerator while Z has e^{r/β}: Z no longer normalises",
                "eq. (13)",
                expected="refuted",
            ),
        ],
    )
]
