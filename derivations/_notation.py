"""Shared notation: every symbol of the core derivations, declared once with its domain.

Responses are indexed ``w`` (preferred, winner) and ``l`` (rejected, loser). ``pi_*`` is the
trained policy, ``ref_*`` the reference policy, ``star_*`` the optimal policy of the
KL-regularised objective; all are probabilities in (0, 1). ``logp_*`` are log-probabilities.
"""

from __future__ import annotations

import sympy as sp

from verify.domains import LOG_PROB, POSITIVE, PROBABILITY, REAL, simplex, var, vector

#: Source documents (file names under ``derivations/audits/sources``).
DPO_NOTES = "000_a47562aeb62a5244.txt"
DPO_VS_IPO = "001_0c1cf60cc7e1b9c1.txt"
HONEY_REWARD_MODEL = "002_f78c1e248fe2f82e.txt"
DPO_MIXTURE = "003_3e591630db1ec55c.txt"
CONSTRAINTS_PAPER = "004_b81e04cdf7a60693.txt"

beta = var("beta", POSITIVE, r"\beta")
lam = var("lam", POSITIVE, r"\lambda")
Z = var("Z", POSITIVE, "Z")

r = var("r", REAL, "r")
r_w = var("r_w", REAL, "r_{w}")
r_l = var("r_l", REAL, "r_{l}")
z = var("z", REAL, "z")
a = var("a", REAL, "a")
b = var("b", REAL, "b")

pi_w = var("pi_w", PROBABILITY, r"\pi_\theta(y_w)")
pi_l = var("pi_l", PROBABILITY, r"\pi_\theta(y_l)")
ref = var("ref", PROBABILITY, r"\pi_{\mathrm{ref}}")
ref_w = var("ref_w", PROBABILITY, r"\pi_{\mathrm{ref}}(y_w)")
ref_l = var("ref_l", PROBABILITY, r"\pi_{\mathrm{ref}}(y_l)")
star = var("star", PROBABILITY, r"\pi^{*}")
star_w = var("star_w", PROBABILITY, r"\pi^{*}(y_w)")
star_l = var("star_l", PROBABILITY, r"\pi^{*}(y_l)")

logp_w = var("logp_w", LOG_PROB, r"\log\pi_\theta(y_w)")
logp_l = var("logp_l", LOG_PROB, r"\log\pi_\theta(y_l)")
ref_logp_w = var("ref_logp_w", LOG_PROB, r"\log\pi_{\mathrm{ref}}(y_w)")
ref_logp_l = var("ref_logp_l", LOG_PROB, r"\log\pi_{\mathrm{ref}}(y_l)")


def distribution(name: str, n: int, latex: str | None = None) -> list[sp.Expr]:
    """A distribution on ``n`` points as normalised positive weights (see ``verify.domains.simplex``)."""
    return simplex(name, n, latex)[0]


def rewards(n: int) -> list[sp.Symbol]:
    """Rewards ``r_1 … r_n`` (reals)."""
    return vector("r", n, REAL, "r")


def kl(p: list[sp.Expr], q: list[sp.Expr]) -> sp.Expr:
    """``KL(p‖q) = Σ_i p_i log(p_i / q_i)``."""
    return sp.Add(*[pi * sp.log(pi / qi) for pi, qi in zip(p, q, strict=True)])


def boltzmann(ref_: list[sp.Expr], r_: list[sp.Expr], temp: sp.Expr) -> tuple[list[sp.Expr], sp.Expr]:
    """``π*_i = ref_i e^{r_i/β} / Z`` with ``Z = Σ_j ref_j e^{r_j/β}``; returns ``(π*, Z)``."""
    weights = [q * sp.exp(ri / temp) for q, ri in zip(ref_, r_, strict=True)]
    partition = sp.Add(*weights)
    return [w / partition for w in weights], partition


def implicit_reward(policy: sp.Expr, reference: sp.Expr, temp: sp.Expr = beta) -> sp.Expr:
    """``β log(π/π_ref)``, the implicit reward of a policy."""
    return temp * sp.log(policy / reference)
