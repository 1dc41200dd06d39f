"""Notation shared by the appendix: symbols declared once with their domains, and small helpers.

``w`` indexes the preferred (winning) response and ``l`` the rejected one; ``logp_*`` are the
policy's sequence log-probabilities, ``ref_logp_*`` the reference's.
"""

from __future__ import annotations

import sympy as sp

from verify import simplex, var, vector
from verify.domains import LOG_PROB, POSITIVE, POSITIVE_INTEGER, PROBABILITY, REAL

APPENDIX = "appendix.tex"

beta = var("beta", POSITIVE, r"\beta")
gamma = var("gamma", POSITIVE, r"\gamma")
Z = var("Z", POSITIVE, "Z")

logp_w = var("logp_w", LOG_PROB, r"\log\pi_\theta(y_w)")
logp_l = var("logp_l", LOG_PROB, r"\log\pi_\theta(y_l)")
ref_logp_w = var("ref_logp_w", LOG_PROB, r"\log\pi_{\mathrm{ref}}(y_w)")
ref_logp_l = var("ref_logp_l", LOG_PROB, r"\log\pi_{\mathrm{ref}}(y_l)")

len_w = var("len_w", POSITIVE_INTEGER, "|y_w|")
len_l = var("len_l", POSITIVE_INTEGER, "|y_l|")

r_w = var("r_w", REAL, "r(y_w)")
r_l = var("r_l", REAL, "r(y_l)")
r = var("r", REAL, "r")
h = var("h", REAL, "h")
x = var("x", REAL, "x")
c = var("c", REAL, "c")

pref = var("pref", PROBABILITY, "p")
ref_y = var("ref_y", PROBABILITY, r"\pi_{\mathrm{ref}}(y)")


def margin() -> sp.Expr:
    """The log-ratio margin ``h = (log π(y_w) − log π_ref(y_w)) − (log π(y_l) − log π_ref(y_l))``."""
    return (logp_w - ref_logp_w) - (logp_l - ref_logp_l)


def distribution(name: str, n: int, latex: str | None = None) -> list[sp.Expr]:
    """A distribution on ``n`` points as normalised positive weights."""
    return simplex(name, n, latex)[0]


def reals(name: str, n: int, latex: str | None = None) -> list[sp.Symbol]:
    """``n`` real numbers ``name_1 … name_n`` (logits, rewards)."""
    return vector(name, n, REAL, latex or name)


def positives(name: str, n: int, latex: str | None = None) -> list[sp.Symbol]:
    """``n`` positive numbers ``name_1 … name_n``."""
    return vector(name, n, POSITIVE, latex or name)


def probabilities(name: str, n: int, latex: str | None = None) -> list[sp.Symbol]:
    """``n`` numbers in (0, 1), e.g. token probabilities."""
    return vector(name, n, PROBABILITY, latex or name)


def kl(p: list[sp.Expr], q: list[sp.Expr]) -> sp.Expr:
    """``KL(p‖q) = Σ_i p_i log(p_i / q_i)``."""
    return sp.Add(*[pi * sp.log(pi / qi) for pi, qi in zip(p, q, strict=True)])


def softmax(logits: list[sp.Expr]) -> list[sp.Expr]:
    """``e^{θ_i} / Σ_j e^{θ_j}``."""
    total = sp.Add(*[sp.exp(t) for t in logits])
    return [sp.exp(t) / total for t in logits]
