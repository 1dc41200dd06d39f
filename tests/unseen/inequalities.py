"""Classic inequalities: AM–GM, log x ≤ x − 1, Cauchy–Schwarz, Bernoulli, Pinsker; extremum hints.

Sources: G. H. Hardy, J. E. Littlewood, G. Pólya, "Inequalities", 2nd ed., Cambridge 1952,
Ch. II (the theorem of the arithmetic and geometric means, here n = 2; Cauchy's inequality
(Σ a_i b_i)² ≤ Σ a_i² Σ b_i²; Bernoulli's inequality (1 + x)^n ≥ 1 + nx for x ≥ −1 and integer
n ≥ 1) and Ch. IV (the elementary bound log x ≤ x − 1, equality only at x = 1). T. M. Cover,
J. A. Thomas, "Elements of Information Theory", 2nd ed., Wiley 2006, Theorem 2.6.2 (Jensen's
inequality, here for the concave log with two points: log(w a + (1 − w) b) ≥ w log a + (1 − w) log b)
and Lemma 11.6.1 (Pinsker):
D(P‖Q) ≥ (1/2) ‖P − Q‖₁² in nats, which for two points is p log(p/q) + (1 − p) log((1 − p)/(1 − q)) ≥ 2(p − q)²,
proved there by the extremum argument in q (the difference vanishes at q = p and its derivative has
the sign of q − p).

Extremum hints: a true bound whose hint's sufficient condition fails ((y² − 1)² ≥ 0 with y* = 1:
not monotone away from 1) must not be refuted; a false bound with a hint inside the domain
(o/(1 + o) ≥ 1/3, o* = 2, false for o < 1/2) must be.

Planted errors: AM–GM with a factor 1/4; Jensen with the weights swapped on one side;
Cauchy–Schwarz with an extra 1/n;
Bernoulli without x ≥ −1 (false for odd n ≥ 3, x < −2); Pinsker with the constant 4.
"""

from __future__ import annotations

import sympy as sp

from verify import Derivation, ForSizes, Implies, Inequality, Source, Step, var, vector
from verify.domains import POSITIVE, POSITIVE_INTEGER, PROBABILITY, REAL

HLP = "Hardy, Littlewood, Pólya 1952, Inequalities"
COVER_THOMAS = "Cover, Thomas 2006, Elements of Information Theory"

a = var("a", POSITIVE, "a")
b = var("b", POSITIVE, "b")
x = var("x", POSITIVE, "x")
u = var("u", REAL, "x")
n = var("n", POSITIVE_INTEGER, "n")
p = var("p", PROBABILITY, "p")
q = var("q", PROBABILITY, "q")
y = var("y", REAL, "y")
o = var("o", POSITIVE, "o")
w = var("w", PROBABILITY, "w")


def cauchy_schwarz(k: int, factor: sp.Expr = sp.S.One) -> Inequality:
    av = vector("a", k, REAL, "a")
    bv = vector("b", k, REAL, "b")
    dot = sp.Add(*[ai * bi for ai, bi in zip(av, bv, strict=True)])
    return Inequality(dot**2, "<=", factor * sp.Add(*[ai**2 for ai in av]) * sp.Add(*[bi**2 for bi in bv]))


binary_kl = p * sp.log(p / q) + (1 - p) * sp.log((1 - p) / (1 - q))

DERIVATIONS = [
    Derivation(
        id="unseen_classic_inequalities",
        title="AM–GM, log x ≤ x − 1, Cauchy–Schwarz, Bernoulli",
        source=Source(HLP),
        steps=[
            Step(
                "am_gm_two",
                Inequality((a + b) / 2, ">=", sp.sqrt(a * b)),
                "(a + b)/2 − √(ab) = (√a − √b)²/2",
                "Ch. II, arithmetic and geometric means",
            ),
            Step(
                "am_gm_two_factor_quarter",
                Inequality((a + b) / 4, ">=", sp.sqrt(a * b)),
                "planted: 1/4 instead of 1/2 (false at a = b)",
                "Ch. II, arithmetic and geometric means",
                expected="refuted",
            ),
            Step(
                "log_below_tangent",
                Inequality(sp.log(x), "<=", x - 1, extremum={x: 1}),
                "equality at x = 1; (x − 1)(1 − 1/x) ≥ 0",
                "Ch. IV, log x ≤ x − 1",
            ),
            Step(
                "cauchy_schwarz",
                ForSizes(cauchy_schwarz, symbolic=(2, 3), numeric=(4, 6)),
                "Lagrange's identity: the difference is Σ_{i<j} (a_i b_j − a_j b_i)²",
                "Ch. II, Cauchy's inequality",
            ),
            Step(
                "cauchy_schwarz_extra_mean",
                ForSizes(lambda k: cauchy_schwarz(k, sp.Rational(1, k)), symbolic=(2, 3), numeric=(4, 6)),
                "planted: the right side divided by n (false for a = b)",
                "Ch. II, Cauchy's inequality",
                expected="refuted",
            ),
            Step(
                "bernoulli",
                Implies([sp.Ge(u, -1)], Inequality((1 + u) ** n, ">=", 1 + n * u)),
                "induction on n: (1 + x)^{n+1} ≥ (1 + nx)(1 + x) ≥ 1 + (n + 1)x when 1 + x ≥ 0",
                "Ch. II, Bernoulli's inequality",
            ),
            Step(
                "bernoulli_without_hypothesis",
                Inequality((1 + u) ** n, ">=", 1 + n * u),
                "planted: x ≥ −1 dropped (n = 3, x = −4: −27 < −11)",
                "Ch. II, Bernoulli's inequality",
                expected="refuted",
            ),
        ],
    ),
    Derivation(
        id="unseen_pinsker_and_hints",
        title="Jensen's and Pinsker's inequalities for two points; extremum hints that do and do not suffice",
        source=Source(COVER_THOMAS, "Lemma 11.6.1"),
        steps=[
            Step(
                "jensen_for_log",
                Inequality(sp.log(w * a + (1 - w) * b), ">=", w * sp.log(a) + (1 - w) * sp.log(b)),
                "log is concave",
                "Theorem 2.6.2",
            ),
            Step(
                "jensen_for_log_weights_swapped",
                Inequality(sp.log(w * a + (1 - w) * b), ">=", (1 - w) * sp.log(a) + w * sp.log(b)),
                "planted: the weights of the two points swapped on the right",
                "Theorem 2.6.2",
                expected="refuted",
            ),
            Step(
                "pinsker_binary",
                Inequality(binary_kl, ">=", 2 * (p - q) ** 2, extremum={q: p}),
                "the difference is 0 at q = p and (q − p)·∂/∂q = (q − p)²(1/(q(1 − q)) − 4) ≥ 0",
                "Lemma 11.6.1",
            ),
            Step(
                "pinsker_constant_doubled",
                Inequality(binary_kl, ">=", 4 * (p - q) ** 2, extremum={q: p}),
                "planted: constant 4 (false near q = 1/2: KL ≈ 2(p − q)² there)",
                "Lemma 11.6.1",
                expected="refuted",
            ),
            Step(
                "true_bound_with_insufficient_hint",
                Inequality((y**2 - 1) ** 2, ">=", 0, extremum={y: 1}),
                "a square is ≥ 0; the hint's monotonicity condition fails on (−1, 0), which proves nothing",
                "extremum method, a hint that does not suffice",
            ),
            Step(
                "odds_bound_false_below_one_half",
                Inequality(o / (1 + o), ">=", sp.Rational(1, 3), extremum={o: 2}),
                "planted: o/(1 + o) < 1/3 for 0 < o < 1/2",
                "extremum method, a false bound",
                expected="refuted",
            ),
        ],
    ),
]
