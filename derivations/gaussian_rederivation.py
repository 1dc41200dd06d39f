r"""DPO re-derived from a Gaussian model with a shared, profiled-out variance.

Main statements (Kong et al., Section 4 and Appendix E):

- ``gaussian_variance_minimiser_eq_half_sq_norm`` (eq. (54)): :math:`\gamma = v^\top v/2`
  minimises :math:`-\log\mathcal N(v\mid 0,\gamma I_2)` over γ > 0, globally;
- ``profiled_gaussian_eq_log_sq_norm_add_const`` (eq. (55));
- ``profiled_loss_eq_log_sum_of_powered_ratios`` (eq. (56)) with μ(x) = x^{λ/2} and ratios
  oriented loser-over-winner;
- ``profiled_loss_eq_dpo_up_to_constant`` (eq. (57)): this is the DPO loss plus a constant in π_θ;
- ``dpo_loss_eq_log_gamma_add_u_sub_log_gamma`` (eq. (17)): DPO = log(γ + u) − log γ.

References: Kong et al., "Common Learning Constraints Alter Interpretations of DPO" (004),
eqs. (13)–(17), (54)–(57).
"""

from __future__ import annotations

import sympy as sp

from verify import Derivation, Equal, EqualUpToConstant, Source, Stationary, Step, sigmoid, var
from verify.domains import POSITIVE

from ._notation import CONSTRAINTS_PAPER, lam, pi_l, pi_w, ref_l, ref_w

DOC = CONSTRAINTS_PAPER
v1 = var("v1", POSITIVE, "v_{1}")
v2 = var("v2", POSITIVE, "v_{2}")
gamma = var("gamma", POSITIVE, r"\gamma")
sq_norm = v1**2 + v2**2


def neg_log_gaussian(v_sq: sp.Expr, var_: sp.Expr) -> sp.Expr:
    """``−log N(v | 0, γ I₂)`` written from the density ``e^{−vᵀv/(2γ)}/(2πγ)``."""
    return -sp.log(sp.exp(-v_sq / (2 * var_)) / (2 * sp.pi * var_))


def mu(x: sp.Expr) -> sp.Expr:
    """μ(x) = x^{λ/2} (Appendix E)."""
    return x ** (lam / 2)


xi_theta = mu(pi_l / pi_w)
xi_ref = mu(ref_l / ref_w)
dpo = -sp.log(sigmoid(lam * sp.log(pi_w / ref_w) - lam * sp.log(pi_l / ref_l)))
u = (pi_l / pi_w) ** lam
g = (ref_l / ref_w) ** lam

derivation = Derivation(
    id="gaussian_rederivation",
    title="DPO from a Gaussian with a profiled-out variance",
    source=Source(DOC, "Proposition 4.1 as proved in App. E (μ = (·)^{λ/2}, ratios loser over winner)"),
    summary=(
        "min over γ of −log N((ξ_θ, ξ_ref) | 0, γI₂) is the DPO loss up to a constant, with App. E's μ and "
        "orientation; Proposition 4.1 as stated (μ = (·)^{1/2}, (14)'s winner-over-loser ratio) is refuted in "
        "audit_constraints_paper."
    ),
    steps=[
        Step(
            "neg_log_gaussian_eq_quadratic_over_gamma_add_log_gamma",
            Equal(neg_log_gaussian(sq_norm, gamma), sq_norm / (2 * gamma) + sp.log(gamma) + sp.log(2 * sp.pi)),
            "|γI₂| = γ², so −log N = vᵀv/(2γ) + log γ + log 2π",
            "eq. (54)",
        ),
        Step(
            "gaussian_variance_minimiser_eq_half_sq_norm",
            Stationary(neg_log_gaussian(sq_norm, gamma), {gamma: sq_norm / 2}, kind="min", scope="global"),
            "derivative −vᵀv/(2γ²) + 1/γ vanishes only at γ = vᵀv/2; negative before, positive after",
            "eq. (54)",
            uses=["neg_log_gaussian_eq_quadratic_over_gamma_add_log_gamma"],
        ),
        Step(
            "profiled_gaussian_eq_log_sq_norm_add_const",
            EqualUpToConstant(neg_log_gaussian(sq_norm, sq_norm / 2), sp.log(sq_norm), [v1, v2]),
            "at γ = vᵀv/2: 1 + log(vᵀv/2) + log 2π = log vᵀv + const",
            "eq. (55)",
            uses=["gaussian_variance_minimiser_eq_half_sq_norm"],
        ),
        Step(
            "profiled_loss_eq_log_sum_of_powered_ratios",
            Equal(sp.log(xi_theta**2 + xi_ref**2), sp.log(u + g)),
            "μ(x)² = x^λ with ratios oriented loser over winner",
            "eq. (56)",
            uses=["profiled_gaussian_eq_log_sq_norm_add_const"],
        ),
        Step(
            "log_sum_eq_log1p_cross_ratio_add_const",
            Equal(sp.log(u + g), sp.log(1 + (pi_l / ref_l) ** lam * (ref_w / pi_w) ** lam) + sp.log(g)),
            "factor out the reference term γ = (π_ref(y_l)/π_ref(y_w))^λ",
            "eq. (57)",
            uses=["profiled_loss_eq_log_sum_of_powered_ratios"],
        ),
        Step(
            "profiled_loss_eq_dpo_up_to_constant",
            EqualUpToConstant(sp.log(xi_theta**2 + xi_ref**2), dpo, [pi_w, pi_l]),
            "log(1 + e^{−m}) = −log σ(m) with m the λ-scaled log-ratio margin",
            "eq. (57)",
            uses=["log_sum_eq_log1p_cross_ratio_add_const"],
        ),
        Step(
            "dpo_loss_eq_log_gamma_add_u_sub_log_gamma",
            Equal(dpo, sp.log(g + u) - sp.log(g)),
            "the DPO loss is log(γ + u) up to the policy-independent log γ",
            "eq. (17)",
            uses=["profiled_loss_eq_dpo_up_to_constant"],
        ),
    ],
)
