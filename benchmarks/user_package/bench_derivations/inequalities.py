r"""The inequalities the appendix leans on: Jensen for log, log-sum-exp against the maximum,
sigmoid bounds, Pinsker, entropy and KL against χ², on distributions of ``n`` points.

Main statements:

- ``jensen_for_log``: :math:`\sum_i p_i\log x_i \le \log\sum_i p_i x_i`;
- ``log_sum_exp_at_least_max`` and ``log_sum_exp_at_most_max_add_log_n``:
  :math:`\max_i x_i \le \log\sum_i e^{x_i} \le \max_i x_i + \log n`;
- ``sigmoid_product_at_most_quarter`` and ``sigmoid_is_quarter_lipschitz``;
- ``pinsker``: :math:`KL(p\|q) \ge \tfrac12\|p - q\|_1^2`; ``kl_at_most_chi_square``;
  ``entropy_at_most_log_n``.

Draft errors kept as evidence: Jensen with the inequality reversed, and softplus claimed to grow
at least as fast as the identity.
"""

from __future__ import annotations

import sympy as sp

from verify import Derivation, ForSizes, Implies, Inequality, Source, Step, sigmoid, softplus, var
from verify.domains import REAL

from ._common import APPENDIX, distribution, kl, positives, reals, x

a = var("a", REAL, "a")
b = var("b", REAL, "b")


def _jensen(n: int, rel: str = "<=") -> Inequality:
    p = distribution("p", n)
    xs = positives("x", n, "x")
    lhs = sp.Add(*[pi * sp.log(xi) for pi, xi in zip(p, xs, strict=True)])
    return Inequality(lhs, rel, sp.log(sp.Add(*[pi * xi for pi, xi in zip(p, xs, strict=True)])))


def _lse(xs: list[sp.Symbol]) -> sp.Expr:
    return sp.log(sp.Add(*[sp.exp(xi) for xi in xs]))


def _lse_at_least_max(n: int) -> Inequality:
    xs = reals("s", n, "s")
    return Inequality(_lse(xs), ">=", sp.Max(*xs))


def _lse_at_most_max(n: int) -> Inequality:
    xs = reals("s", n, "s")
    return Inequality(_lse(xs), "<=", sp.Max(*xs) + sp.log(n))


def _pinsker(n: int) -> Inequality:
    p, q = distribution("p", n), distribution("q", n)
    l1 = sp.Add(*[sp.Abs(pi - qi) for pi, qi in zip(p, q, strict=True)])
    return Inequality(kl(p, q), ">=", l1**2 / 2)


def _entropy(n: int) -> Inequality:
    p = distribution("p", n)
    return Inequality(-sp.Add(*[pi * sp.log(pi) for pi in p]), "<=", sp.log(n))


def _chi_square(n: int) -> Inequality:
    p, q = distribution("p", n), distribution("q", n)
    return Inequality(kl(p, q), "<=", sp.Add(*[pi**2 / qi for pi, qi in zip(p, q, strict=True)]) - 1)


derivation = Derivation(
    id="preference_inequalities",
    title="Jensen, log-sum-exp, sigmoid and divergence bounds",
    source=Source(APPENDIX, "App. E"),
    summary="The bounds used in the appendix, each on distributions of n points or on the real line.",
    steps=[
        Step(
            "jensen_for_log",
            ForSizes(_jensen, symbolic=(2, 3), numeric=(5, 8)),
            "log is concave",
            "eq. (E.1)",
        ),
        Step(
            "jensen_for_log_reversed",
            ForSizes(lambda n: _jensen(n, ">="), symbolic=(2, 3), numeric=(5, 8)),
            "the draft applies Jensen as if log were convex",
            "eq. (E.1), draft",
            expected="refuted",
            diagnosis="for the concave log the mean of the logs is at most the log of the mean",
        ),
        Step(
            "log_sum_exp_at_least_max",
            ForSizes(_lse_at_least_max, symbolic=(2, 3), numeric=(5, 8)),
            "the sum of exponentials exceeds its largest term",
            "eq. (E.2)",
        ),
        Step(
            "log_sum_exp_at_most_max_add_log_n",
            ForSizes(_lse_at_most_max, symbolic=(2, 3), numeric=(5, 8)),
            "each of the n terms is at most the largest",
            "eq. (E.2)",
        ),
        Step(
            "two_point_log_sum_exp_at_most_larger_add_log_two",
            Implies([sp.Ge(a, b)], Inequality(sp.log(sp.exp(a) + sp.exp(b)), "<=", a + sp.log(2))),
            "e^b ≤ e^a",
            "eq. (E.3)",
            uses=["log_sum_exp_at_most_max_add_log_n"],
        ),
        Step(
            "sigmoid_product_at_most_quarter",
            Inequality(sigmoid(x) * sigmoid(-x), "<=", sp.Rational(1, 4), extremum={x: 0}),
            "σ(x)σ(−x) = σ′(x) is largest at x = 0",
            "eq. (E.4)",
        ),
        Step(
            "sigmoid_is_quarter_lipschitz",
            Implies([sp.Gt(a, b)], Inequality(sigmoid(a) - sigmoid(b), "<=", (a - b) / 4)),
            "mean value theorem with σ′ ≤ 1/4",
            "eq. (E.5)",
            uses=["sigmoid_product_at_most_quarter"],
        ),
        Step(
            "neg_log_sigmoid_exceeds_neg_argument",
            Inequality(softplus(-x), ">", -x),
            "log(1 + e^{−x}) > log e^{−x}",
            "eq. (E.6)",
        ),
        Step(
            "softplus_grows_at_least_like_identity",
            Implies([sp.Gt(a, b)], Inequality(softplus(a) - softplus(b), ">=", a - b)),
            "the draft bounds the softplus increment from below by the argument's",
            "eq. (E.7), draft",
            expected="refuted",
            diagnosis="softplus′ = σ < 1: the increment is at most a − b",
        ),
        Step(
            "pinsker",
            ForSizes(_pinsker, symbolic=(2, 3), numeric=(5, 8)),
            "Pinsker's inequality in nats",
            "eq. (E.8)",
        ),
        Step(
            "kl_at_most_chi_square",
            ForSizes(_chi_square, symbolic=(2, 3), numeric=(5, 8)),
            "Jensen for log with weights p: KL = Σ p log(p/q) ≤ log Σ p²/q ≤ Σ p²/q − 1",
            "eq. (E.9)",
            uses=["jensen_for_log"],
        ),
        Step(
            "entropy_at_most_log_n",
            ForSizes(_entropy, symbolic=(2, 3), numeric=(5, 8)),
            "Jensen for log with x_i = 1/p_i",
            "eq. (E.10)",
            uses=["jensen_for_log"],
        ),
    ],
)
