r"""Audit of Kong et al., "Common Learning Constraints Alter Interpretations of Direct Preference Optimization" (004).

Every displayed equation of the main text, the propositions, and the appendix equations their
proofs rest on, transcribed as written and checked.

Main findings:

- Prop. 4.1 states μ(·) = (·)^{1/2}, but the proof (App. E) uses μ(·) = (·)^{λ/2}. With the square
  root the profiled Gaussian loss is the DPO loss at λ = 1, not at λ: refuted per tuple, and a
  two-tuple, two-policy constraint set at λ = 1/2 on which the two objectives pick different
  policies. Corrected: μ(·) = (·)^{λ/2} (any λ), or μ(·) = (·)^{1/2} when λ = 1.
- eq. (14) defines ξ(y₁, y₂) = μ[π(y₁)/π(y₂)] (winner over loser at (y_w, y_l)); App. E, eq. (56)
  evaluates it as μ[π(y_l)/π(y_w)] (loser over winner). With (14) as written (56) is refuted,
  and the profiled loss is the DPO loss with winner and loser exchanged, −log σ(−m). Corrected:
  ξ(y₁, y₂) := μ[π(y₂)/π(y₁)]. The inline likelihood of §4, −log μ[π_θ(y₂)/π_θ(y₁)] for
  y₁ ≻ y₂, has the same inversion relative to (13): refuted, corrected to −log μ[π_θ(y₁)/π_θ(y₂)].
- App. D, eq. (49): the printed ratio π_θ(y₁)/π_θ(y₃) does not solve the KKT system (43)–(48)
  (it does not even involve π*(y₃)); refuted. Corrected: π₁/π₃ = (π*₁/π*₃)(kπ*₁/π*₂)^{−k/(1+k)}
  with k = π*₂/π*₁ + ε. With it the constrained RLHF and IPO ratios differ by the factor
  (kπ*₁/π*₂)^{(1−k)/(2(1+k))}, so Prop. 3.2 holds whenever k ≠ 1 (they coincide when k = 1).
- §3.3, mode-seeking vs mode-covering: the DPO loss on the three-response example is not the
  forward KL of (38) up to a constant ((38) needs π_θ(y_w) + π_θ(y_l) = 1, i.e. two responses);
  the paper claims the reduction only under App. C's assumptions, which the example violates, so
  this is "not reproduced under" the reading that it carries over, not an error of the paper.
  At λ = 1 the DPO minimiser over the family is θ = 2/5, the forward-KL minimiser is θ = 1/4.
  The example's π*(y_b) = 0 (p*(y_a ≻ y_b) = 1) lies outside (1) with finite rewards and
  outside App. C's hypothesis p* ∈ (0, 1); the RLHF (reverse-KL) loss is infinite for every θ < 1.
- App. A, (24): the BT/DPO loss is decreasing in π_θ(y_w) and increasing in π_θ(y_l), the opposite
  of the monotonicity (24) requires; and for an η with (24)'s monotonicity, π_θ(y_w) = 1 maximises
  rather than minimises ℓ_η (footnote 5); both refuted, corrected with the monotonicity reversed.
- Figure 4 caption: lim_{γ→∞} γ log(γ + |u|) = |u| is false (the left side diverges); corrected:
  lim_{γ→∞} γ[log(γ + |u|) − log γ] = |u|.
- eq. (20): the bandit DPO loss equals log(ρ^{1/2} + ((1−θ)/θ)^{1/2}) only up to the θ-independent
  −½ log ρ (ρ = π_ref(y_b)/π_ref(y_a)), i.e. exactly only when ρ = 1; refuted as an equality, holds
  up to a constant (minimisers and absolute decreases are unaffected; relative decreases are).
- Everything else checked holds: (1), (4)–(6), (8), (9) (IPO equivalence with pairs drawn from
  π_ref), (10) on a two-response bandit, (13), (17), relative concavity (18) for γ₁ < γ₂, (21), (23),
  the unconstrained DPO/RLHF agreement on the setup (26)–(28), the Mann–Whitney identity (29), App. C
  (31)–(38) and footnote 7 (a pair y₁ = y₂ adds the constant log 2), App. D (43)–(48), (50), the
  active constraint of (51) (π* is its unconstrained minimiser), (52), (53), App. E (54), (55), (57).
  Remark (§5.3): the "steeper initial gradient" for a small noise factor γ holds in u = (π_l/π_w)^λ,
  where it is 1/(2γ); in the log-ratio coordinate it is λ/2 for every γ.

References: the paper's labels — eqs. (1)–(29), Propositions 3.1, 3.2, 4.1, A.1, Definition 5.1,
§3.3, §4, §5.1–§5.3, Figure 4, App. A–E, eqs. (31)–(57).

Displayed equations not transcribed, with the reason:

- (2), (3), (7), (15), (16), (24), (33): definitions; checked through the claims that use them
  ((6), (4), (8)/(9), Prop. 4.1, App. A, (34)).
- (18): Definition 5.1 itself; the claim made with it (relative concavity for γ₁ < γ₂) is checked.
- (19), (51): problem statements (a class of optimisation problems), not claims; DPO's
  identification with (19) is (17), checked.
- (22), (39): restatements of (10), checked once as (10).
- (11), (12): existential ("we can have"), checked by explicit witnesses (Prop. 3.1 on App. C's
  two-response setting, Prop. 3.2 on App. D's).
- (25), Prop. A.1: as literally stated it holds vacuously (take ℓ̄_η ≤ min ℓ_η, the set is
  empty), and its hypothesis compares a loss value with an argmin (a policy); its substance is
  footnote 5's argument, checked (and refuted for (24)'s monotonicity).
- (26), (28): parameter values; used by the (26)–(28) step.
- (30): the null mean and standard deviation of U; checked by exact enumeration of all rank
  assignments for small n₁, n₂ (it is a distributional fact, not an algebraic identity).
- (40), (41), (42), (47), (48): the constraint set and the problem; (41) is (32)–(36) with
  r = r_IPO; (42) is (40) multiplied by π_θ(y₁) > 0; (47), (48) enter the KKT step.
- Figure 4 caption, log|u| = lim_{p→0} (|u|^p − 1)/p: true (the derivative of |u|^p at p = 0), not
  transcribed because the numeric limit check loses every digit to cancellation in |u|^p − 1; the
  caption's "∝ I[u ≠ 0]" is a heuristic, not an identity.
- The printed numbers of §3.3 (θ^RLHF = 1.00, θ^DPO = 0.44), Table 1, Table 2, App. B.3 and the
  figures are numeric results of experiments, not transcribed here.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import sympy as sp

from verify import (
    Derivation,
    Equal,
    EqualUpToConstant,
    ForSizes,
    Implies,
    IndependentOf,
    Inequality,
    Limit,
    Record,
    Solves,
    Source,
    Stationary,
    Step,
    sigmoid,
    var,
)
from verify.domains import CLOSED_UNIT, POSITIVE, REAL, UNIT, simplex, vector

from .._notation import (
    CONSTRAINTS_PAPER,
    Z,
    boltzmann,
    distribution,
    kl,
    lam,
    pi_l,
    pi_w,
    ref,
    ref_l,
    ref_w,
    rewards,
)
from ..gaussian_rederivation import gamma, neg_log_gaussian, v1, v2
from ..ipo_lemma import _expect, _setting

DOC = CONSTRAINTS_PAPER

r1 = var("r_1", REAL, "r_{1}")
r2 = var("r_2", REAL, "r_{2}")
theta = var("theta", UNIT, r"\theta")
q = var("q_ref", UNIT, r"\pi_{\mathrm{ref}}(y_1)")
s_star = var("s_star", UNIT, r"\pi^{*}(y_1)")
pi_1 = var("pi_1", UNIT, r"\pi_\theta(y_1)")
pi_2 = var("pi_2", UNIT, r"\pi_\theta(y_2)")
eps = var("eps", POSITIVE, r"\varepsilon")
u = var("u", POSITIVE, "u")
u1 = var("u_1", POSITIVE, "u_{1}")
u2 = var("u_2", POSITIVE, "u_{2}")
delta = var("delta", POSITIVE, r"\delta")
p_ = var("p_pow", POSITIVE, "p")
t_ = var("t_log_ratio", REAL, "t")
v_ = var("v_x", REAL, "v_x")
n1 = var("n_1", POSITIVE, "n_{1}")
n2 = var("n_2", POSITIVE, "n_{2}")
R1 = var("R_1", REAL, "R_{1}")
ref_a = var("ref_a", UNIT, r"\pi_{\mathrm{ref}}(y_a)")
ref_b = var("ref_b", UNIT, r"\pi_{\mathrm{ref}}(y_b)")
# the mode example's π* = (1/2, 0, 1/2) has a zero entry: a probability in the closed interval
s_a, s_b, s_c = (var(f"star_{k}", CLOSED_UNIT, rf"\pi^{{*}}(y_{k})") for k in "abc")
pstar = vector("pstar", 3, POSITIVE, r"\pi^{*}")
P = vector("P", 3, UNIT, r"p^{*}(y \succ \mu)")
logit_1 = var("logit_1", REAL, r"\theta_{1}")
logit_2 = var("logit_2", REAL, r"\theta_{2}")
HALF = sp.S.Half
#: the hypothesis that π_θ(y₁), π_θ(y₂) are two probabilities of one policy (a distribution)
ONE_POLICY = "π_θ a distribution: π_θ(y_1) + π_θ(y_2) ≤ 1"


def dpo_loss(pw, pl, rw, rl, temp=lam):
    """−log σ(λ log(π_w/π_ref,w) − λ log(π_l/π_ref,l)), eq. (6)."""
    return -sp.log(sigmoid(temp * sp.log(pw / rw) - temp * sp.log(pl / rl)))


def margin(temp=lam):
    return temp * sp.log(pi_w / ref_w) - temp * sp.log(pi_l / ref_l)


# ---------------------------------------------------------------- §2: RLHF, DPO, IPO


def _rlhf_eq_kl_to_tilted(n: int) -> Equal:
    pi, q_, r = distribution("pi", n, r"\pi"), distribution("ref", n, r"\pi_{\mathrm{ref}}"), rewards(n)
    tilted, Zx = boltzmann(q_, r, lam)
    loss = sp.Add(*[-p * ri for p, ri in zip(pi, r, strict=True)]) + lam * kl(pi, q_)
    return Equal(loss, lam * kl(pi, tilted) - lam * sp.log(Zx))


def _rlhf_two(th, q1, ra, rb, temp=lam, th_c=None):
    """ℓ_RLHF of (3) on two responses, π_θ = (θ, 1 − θ), π_ref = (q, 1 − q)."""
    th_c = 1 - th if th_c is None else th_c
    return -th * ra - th_c * rb + temp * (th * sp.log(th / q1) + th_c * sp.log(th_c / (1 - q1)))


# two-response policies in the log-odds t = log(π_θ(y₁)/π_θ(y₂)): π_θ = (σ(t), σ(−t))
log_odds = var("log_odds", REAL, r"t")
log_odds_rlhf = sp.log(q / (1 - q)) + (r1 - r2) / lam  # the log-odds of π_r of (4)
p_bt = sigmoid(r1 - r2)
_z = lam * (log_odds - sp.log(q / (1 - q)))  # the DPO margin of y₁ over y₂
dpo_population_two = -p_bt * sp.log(sigmoid(_z)) - (1 - p_bt) * sp.log(sigmoid(-_z))


def _ipo_equivalence(n: int) -> EqualUpToConstant:
    """(9): pairs from μ = π_ref, labels from p*; q_i = log(π_i/π_ref,i), r_IPO(y_i) = E_y[p*(y_i ≻ y)]."""
    mu, qv, v, idx = _setting(n)
    r_ipo = [sp.Add(*[mu[k] * v(i, k) for k in idx]) for i in idx]
    c = 1 / (2 * lam)
    population = _expect(mu, idx, lambda i, j: (qv[i] - qv[j] - (r_ipo[i] - r_ipo[j]) / lam) ** 2)
    sampled = _expect(
        mu, idx, lambda i, j: v(i, j) * (qv[i] - qv[j] - c) ** 2 + (1 - v(i, j)) * (qv[j] - qv[i] - c) ** 2
    )
    return EqualUpToConstant(population, sampled, qv)


# ---------------------------------------------------------------- §3: constraints


def _kl2(a, b):
    return a * (sp.log(a) - sp.log(b)) + (1 - a) * (sp.log(1 - a) - sp.log(1 - b))


# App. C's setting: two responses, uniform reference, λ = 1, p*(y_1 ≻ y_2) = 4/5 (r* = log π*).
_P31 = sp.Rational(4, 5)
_A, _B = sp.Rational(3, 5), sp.Rational(19, 20)


def _rlhf_c(th):
    return _rlhf_two(th, HALF, sp.log(_P31), sp.log(1 - _P31), 1)


def _dpo_c(th):
    return _P31 * dpo_loss(th, 1 - th, HALF, HALF, 1) + (1 - _P31) * dpo_loss(1 - th, th, HALF, HALF, 1)


# §3.3 mode example: π_θ = θ e_a + (1 − θ) u, π* = (1/2, 0, 1/2), uniform reference.
mode_pi = ((1 + 2 * theta) / 3, (1 - theta) / 3, (1 - theta) / 3)


def _pair_nll_lambda_one(w, l_):
    """−log σ(log(π_w/π_l)) at λ = 1 with a uniform reference, in the form (37): log((π_w + π_l)/π_w)."""
    return sp.log((w + l_) / w)


_pa, _pb, _pc = mode_pi
mode_dpo = (
    _pair_nll_lambda_one(_pa, _pb)
    + _pair_nll_lambda_one(_pc, _pb)
    + HALF * _pair_nll_lambda_one(_pa, _pc)
    + HALF * _pair_nll_lambda_one(_pc, _pa)
) / 3
mode_forward_kl = HALF * sp.log(HALF / _pa) + HALF * sp.log(HALF / _pc)
mode_star_delta = ((1 - delta) / 2, delta, (1 - delta) / 2)
mode_reverse_kl = sp.Add(*[p * sp.log(p / s) for p, s in zip(mode_pi, mode_star_delta, strict=True)])
depth = var("depth", POSITIVE, "s")


def _pref27(x, y):
    """(27): p*(y₁ ≻ y₂) = π*(y₁)/(π*(y₁) + π*(y₂))."""
    return x / (x + y)


# (26)–(28): softmax policy with logits (θ₁, θ₂, 0); pairs {a,b}, {b,c}, {a,c} equally weighted.
STAR26 = (sp.Rational(3, 5), sp.Rational(3, 10), sp.Rational(1, 10))
REF28 = (sp.Rational(2, 5), sp.Rational(2, 5), sp.Rational(1, 5))


def _setup_dpo_loss():
    logits = (logit_1, logit_2, sp.S.Zero)
    total = sp.exp(logit_1) + sp.exp(logit_2) + 1
    pol = [sp.exp(t) / total for t in logits]
    loss = sp.S.Zero
    for i, j in ((0, 1), (1, 2), (0, 2)):
        pij = _pref27(STAR26[i], STAR26[j])
        loss += pij * dpo_loss(pol[i], pol[j], REF28[i], REF28[j]) + (1 - pij) * dpo_loss(
            pol[j], pol[i], REF28[j], REF28[i]
        )
    return loss / 3


def _setup_rlhf_logits():
    """RLHF optimum (4) with r* = log π* (BT-optimal for (27)): π ∝ π_ref π*^{1/λ}; logits relative to y_c."""
    w = [REF28[i] * STAR26[i] ** (1 / lam) for i in range(3)]
    return {logit_1: sp.log(w[0] / w[2]), logit_2: sp.log(w[1] / w[2])}


# ---------------------------------------------------------------- §4 and App. E: Gaussian rederivation


def mu_bt(x):
    """A μ of (13) reproducing Bradley–Terry: μ(t) = t/(1 + t)."""
    return x / (1 + x)


def mu_pow(x, power):
    return x**power


sq_norm = v1**2 + v2**2
bracket54 = sq_norm / gamma + sp.log(gamma**2)  # v^T v/γ + log|γ I₂|
mu_half_lam = lam / 2
profiled_56 = sp.log(mu_pow(pi_l / pi_w, mu_half_lam) ** 2 + mu_pow(ref_l / ref_w, mu_half_lam) ** 2)
profiled_14 = sp.log(mu_pow(ref_w / ref_l, mu_half_lam) ** 2 + mu_pow(pi_w / pi_l, mu_half_lam) ** 2)
# the per-tuple losses depend on π_θ and π_ref only through x = π_θ(y_w)/π_θ(y_l), y = π_ref(y_w)/π_ref(y_l)
x_pol = var("ratio_pol", POSITIVE, r"\tfrac{\pi_\theta(y_w)}{\pi_\theta(y_l)}")
x_ref = var("ratio_ref", POSITIVE, r"\tfrac{\pi_{\mathrm{ref}}(y_w)}{\pi_{\mathrm{ref}}(y_l)}")
profiled_14_ratio = sp.log(mu_pow(x_ref, mu_half_lam) ** 2 + mu_pow(x_pol, mu_half_lam) ** 2)
profiled_56_ratio = sp.log(mu_pow(1 / x_pol, mu_half_lam) ** 2 + mu_pow(1 / x_ref, mu_half_lam) ** 2)
profiled_sqrt_ratio = sp.log(mu_pow(1 / x_pol, HALF) ** 2 + mu_pow(1 / x_ref, HALF) ** 2)
dpo_ratio = -sp.log(sigmoid(lam * sp.log(x_pol) - lam * sp.log(x_ref)))
profiled_sqrt = sp.log(mu_pow(pi_l / pi_w, HALF) ** 2 + mu_pow(ref_l / ref_w, HALF) ** 2)
dpo_tuple = dpo_loss(pi_w, pi_l, ref_w, ref_l)
noise = (ref_l / ref_w) ** lam
u_pol = (pi_l / pi_w) ** lam


def _two_tuple_objectives():
    """Two tuples with log-ratio margins (m₁, m₂); policies A: (0, 0), B: (3, −3/2); λ = 1/2.

    With μ = (·)^{1/2} the profiled Gaussian loss per tuple is log(1 + e^{−m}) + const, the DPO loss at
    λ is log(1 + e^{−λm}).
    """
    g = lambda m1, m2: sp.log(1 + sp.exp(-m1)) + sp.log(1 + sp.exp(-m2))  # noqa: E731
    d = lambda m1, m2: sp.log(1 + sp.exp(-HALF * m1)) + sp.log(1 + sp.exp(-HALF * m2))  # noqa: E731
    a, b = (0, 0), (3, -sp.Rational(3, 2))
    return (g(*b) - g(*a)) * (d(*a) - d(*b))


# ---------------------------------------------------------------- App. D: IPO under a ratio constraint

s1, s2, s3 = pstar
k_ratio = s2 / s1 + eps
rho_rlhf = (s1 / s3) * (k_ratio * s1 / s2) ** (-k_ratio / (1 + k_ratio))
pi3_kkt = 1 / (1 + (1 + k_ratio) * rho_rlhf)
pi1_kkt = rho_rlhf * pi3_kkt
u_kkt = sp.log(k_ratio * s1 / s2) / (1 + k_ratio)
mult_u = var("kkt_u", REAL, "u")
mult_v = var("kkt_v", REAL, "v")
x1, x2, x3 = vector("pi_kkt", 3, UNIT, r"\pi_\theta")
kkt_equations = [
    (sp.log(x1 / s1) + 1 + mult_u * k_ratio + mult_v, 0),
    (sp.log(x2 / s2) + 1 - mult_u + mult_v, 0),
    (sp.log(x3 / s3) + 1 + mult_v, 0),
    (k_ratio * x1 - x2, 0),
    (x1 + x2 + x3, 1),
]
kkt_solution = {
    x1: pi1_kkt,
    x2: k_ratio * pi1_kkt,
    x3: pi3_kkt,
    mult_u: u_kkt,
    mult_v: -1 - sp.log(pi3_kkt / s3),
}
eq49 = ((s2 / s1 + eps + 1) / s1) * sp.sqrt(s1 * s2 * (s2 / s1) + eps)


#: the pairs i < j of App. D's three responses
PAIRS = ((0, 1), (0, 2), (1, 2))


def _ipo_sum(pis, Ps):
    return sp.Add(*[(sp.log(pis[i] / pis[j]) - (Ps[i] - Ps[j])) ** 2 for i in range(3) for j in range(i + 1, 3)])


_third = sp.Rational(1, 3)
ipo_first_line = sp.Rational(1, 9) * sp.Add(
    *[(sp.log(pstar[i] * _third / (pstar[j] * _third)) - (P[i] - P[j]) / 1) ** 2 for i in range(3) for j in range(3)]
)
log_k = sp.log(k_ratio)
ipo_52 = (v_ - (P[0] - P[2])) ** 2 + (v_ + log_k - (P[1] - P[2])) ** 2
v_star = (P[0] + P[1] - 2 * P[2]) / 2 - log_k / 2
eq53 = k_ratio ** (-HALF) * sp.exp((P[0] + P[1] - 2 * P[2]) / 2)
# π* ∝ exp(p*(y ≻ μ)) (App. D): the constrained IPO ratio (53) in terms of π*
rho_ipo = k_ratio ** (-HALF) * sp.sqrt(s1 * s2) / s3
#: Proposition 3.2's witness: π* ∝ exp(p*(y ≻ μ)), p*(y ≻ μ) = (2/3, 1/2, 1/3), ε = 1. App. D's p*(y ≻ μ) is a mean
#: over uniform μ of p*(y ≻ y') with p*(y ≻ y) = 1/2, so it lies in [1/6, 5/6]: |log π*_i/π*_j| ≤ 2/3.
PROP32_P = (sp.Rational(2, 3), sp.S.Half, sp.Rational(1, 3))
_prop32_norm = sum(sp.exp(x) for x in PROP32_P)
PROP32_WITNESS = {s: sp.exp(x) / _prop32_norm for s, x in zip((s1, s2, s3), PROP32_P, strict=True)} | {eps: sp.S.One}
#: App. D's π* from its preference model: p*(y_i ≻ y_j) ∈ (0, 1) for i < j (p*(y_j ≻ y_i) = 1 − p*(y_i ≻ y_j),
#: p*(y ≻ y) = 1/2), p*(y_i ≻ μ) their mean over the uniform μ = π_ref, and π* = π** ∝ exp(p*(y ≻ μ)) (λ = 1)
pref_12, pref_13, pref_23 = (
    var(f"pref_{ij}", UNIT, rf"p^{{*}}(y_{ij[0]} \succ y_{ij[1]})") for ij in ("12", "13", "23")
)
APP_D_PREFERENCES = [
    sp.Eq(P[0], (HALF + pref_12 + pref_13) / 3),
    sp.Eq(P[1], (HALF + (1 - pref_12) + pref_23) / 3),
    sp.Eq(P[2], (HALF + (1 - pref_13) + (1 - pref_23)) / 3),
    *(sp.Eq(s, sp.exp(x) / sp.Add(*[sp.exp(z) for z in P])) for s, x in zip((s1, s2, s3), P, strict=True)),
]
APP_D_NAMES = [
    *(f"p*(y_{i} ≻ μ), the mean of p*(y_{i} ≻ y) over the uniform μ" for i in (1, 2, 3)),
    *(f"π*(y_{i}) = π**(y_{i}) ∝ exp(p*(y_{i} ≻ μ))" for i in (1, 2, 3)),
]

# ---------------------------------------------------------------- App. B.3: Mann–Whitney


def _u_statistics(n_1: int, n_2: int):
    """All rank assignments without ties: (R₁, U₁ by (29), number of (group 1, group 2) pairs in rank order)."""
    N = n_1 + n_2
    for g1 in itertools.combinations(range(1, N + 1), n_1):
        g2 = [x for x in range(1, N + 1) if x not in g1]
        R_1 = sum(g1)
        u1_29 = n_1 * n_2 + Fraction(n_1 * (n_1 + 1), 2) - R_1
        precedes = sum(1 for a in g1 for b in g2 if a < b)
        yield u1_29, precedes


def _u1_counts_precedences(n: int) -> Equal:
    gaps = [u_ - c for u_, c in _u_statistics(n, n + 1)]
    return Equal(sp.Integer(sum(abs(g) for g in gaps)), 0)


def _null_moments(n: int) -> Equal:
    us = [u_ for u_, _ in _u_statistics(n, n + 1)]
    mean = sum(us, Fraction(0)) / len(us)
    var_ = sum(((x - mean) ** 2 for x in us), Fraction(0)) / len(us)
    n_1, n_2 = n, n + 1
    want_mean, want_var = Fraction(n_1 * n_2, 2), Fraction(n_1 * n_2 * (n_1 + n_2 + 1), 12)
    return Equal(sp.Rational(mean - want_mean) ** 2 + sp.Rational(var_ - want_var) ** 2, 0)


# ---------------------------------------------------------------- App. C


def _rlhf_eq_kl_lambda_one(n: int) -> EqualUpToConstant:
    pi_, weights = simplex("pi", n, r"\pi")
    q_, r = distribution("ref", n, r"\pi_{\mathrm{ref}}"), rewards(n)
    tilted, _ = boltzmann(q_, r, 1)
    loss = sp.Add(*[-p * ri for p, ri in zip(pi_, r, strict=True)]) + kl(pi_, q_)
    return EqualUpToConstant(loss, kl(pi_, tilted), weights)


def _rlhf_eq_kl_to_bt_policy_as_printed(n: int) -> Equal:
    """(36) with its "=": App. C's λ = 1 and uniform π_ref, π** = π* = softmax(r*) (34)–(35)."""
    pi_, _ = simplex("pi", n, r"\pi")
    q_, r = [sp.Rational(1, n)] * n, rewards(n)
    tilted, _ = boltzmann(q_, r, 1)
    loss = sp.Add(*[-p * ri for p, ri in zip(pi_, r, strict=True)]) + kl(pi_, q_)
    return Equal(loss, kl(pi_, tilted))


def _rlhf_ipo_eq_kl_as_printed(n: int, upto: bool = False) -> Equal | EqualUpToConstant:
    """(41) with its "=": ℓ_RLHF(π, r_IPO, λ) = KL(π‖π**), π** = π_ref e^{r_IPO/λ}/Z; ``upto``: λ KL + const."""
    pi_, weights = simplex("pi", n, r"\pi")
    q_, r = distribution("ref", n, r"\pi_{\mathrm{ref}}"), rewards(n)
    tilted, _ = boltzmann(q_, r, lam)
    loss = sp.Add(*[-p * ri for p, ri in zip(pi_, r, strict=True)]) + lam * kl(pi_, q_)
    if upto:
        return EqualUpToConstant(loss, lam * kl(pi_, tilted), weights)
    return Equal(loss, kl(pi_, tilted))


def _uniform_tilt_eq_softmax(n: int) -> Equal:
    r = rewards(n)
    tilted, _ = boltzmann([sp.Rational(1, n)] * n, r, 1)
    return Equal(tilted[0], sp.exp(r[0]) / sp.Add(*[sp.exp(x) for x in r]))


def _any_policy_optimal(n: int) -> Solves:
    pol = distribution("pi", n, r"\hat\pi")
    q_ = distribution("ref", n, r"\pi_{\mathrm{ref}}")
    r = rewards(n)
    tilted, _ = boltzmann(q_, r, lam)
    return Solves(
        [(t, p) for t, p in zip(tilted, pol, strict=True)],
        {ri: lam * sp.log(p / qi) for ri, p, qi in zip(r, pol, q_, strict=True)},
    )


#: the BT loss as a pairwise loss η(π_θ(y_w), π_θ(y_l)) of (24): rewards log π_θ, no reference
eta_bt = -sp.log(sigmoid(sp.log(pi_1) - sp.log(pi_2)))

derivation = Derivation(
    id="audit_constraints_paper",
    title="Audit: Common Learning Constraints Alter Interpretations of DPO (Kong et al., 004)",
    source=Source(DOC, "eqs. (1)–(57)"),
    kind="audit",
    summary=(
        "Refuted: Prop. 4.1's μ = (·)^{1/2}; the orientation of (14) against (56) and of §4's likelihood; "
        "(49); (24)'s monotonicity and footnote 5; Figure 4's ℓ₁ limit; (20), (36) and (41) as exact equalities "
        "(each holds up to a constant). Not "
        "reproduced under an assumption the paper does not make: §3.3's forward-KL reading of the three-response "
        "DPO loss. Everything else holds."
    ),
    steps=[
        # ------------------------------------------------------------ §2
        Step(
            "bt_preference_eq_normalised_exponentiated_rewards",
            Equal(sigmoid(r1 - r2), sp.exp(r1) / (sp.exp(r1) + sp.exp(r2))),
            "σ(r₁ − r₂) = 1/(1 + e^{r₂−r₁}); multiply by e^{r₁}",
            "eq. (1)",
            anchor="eq. (1)",
        ),
        Step(
            "rlhf_loss_eq_lambda_kl_to_tilted_reference_sub_log_partition",
            ForSizes(_rlhf_eq_kl_to_tilted, symbolic=(2, 3), numeric=(4, 6)),
            "ℓ_RLHF = λ KL(π‖π_ref e^{r/λ}/Z) − λ log Z; by Gibbs' inequality its minimiser is π_r of (4)",
            "eq. (4)",
            anchor="eq. (4)",
        ),
        Step(
            "reward_eq_lambda_log_ratio_add_lambda_log_partition",
            Equal(r1, lam * sp.log((ref * sp.exp(r1 / lam) / Z) / ref) + lam * sp.log(Z)),
            "take logs of π_r = π_ref e^{r/λ}/Z",
            "eq. (5)",
            anchor="eq. (5)",
        ),
        Step(
            "dpo_loss_eq_bt_loss_of_reparameterised_reward",
            Equal(
                -sp.log(
                    sigmoid(
                        (lam * sp.log(pi_w / ref_w) + lam * sp.log(Z)) - (lam * sp.log(pi_l / ref_l) + lam * sp.log(Z))
                    )
                ),
                dpo_tuple,
            ),
            "substitute (5) into the BT loss (2): the partition function cancels",
            "eq. (6)",
            uses=["reward_eq_lambda_log_ratio_add_lambda_log_partition"],
            anchor="eq. (6)",
            trivial=(
                "substituting (5) into (2) cancels λ log Z(x) as the line is built; the line records that the "
                "cancellation leaves exactly (6)"
            ),
        ),
        Step(
            "ipo_log_ratio_eq_reward_difference_over_lambda",
            Equal(
                sp.log(
                    (ref_w * sp.exp(r1 / lam) / Z) * ref_l / ((ref_l * sp.exp(r2 / lam) / Z) * ref_w),
                ),
                (r1 - r2) / lam,
            ),
            "π_IPO = π_ref e^{r_IPO/λ}/Z from (4): references and Z cancel",
            "eq. (8)",
            anchor="eq. (8)",
        ),
        Step(
            "ipo_population_loss_eq_sampled_half_target_loss_up_to_constant",
            ForSizes(_ipo_equivalence, symbolic=(2, 3), numeric=(4,)),
            "(9) with pairs drawn from π_ref (the distribution of (7)) and labels from p*: expand both squares",
            "eq. (9)",
            anchor="eq. (9)",
        ),
        # ------------------------------------------------------------ §3
        Step(
            "dpo_optimum_is_rlhf_optimum_without_constraint",
            Stationary(dpo_population_two, {log_odds: log_odds_rlhf}, kind="min"),
            "two-response bandit, p* = σ(r*₁ − r*₂), π_θ = (σ(t), σ(−t)): the population DPO loss (margin "
            "λ(t − log(q/(1 − q)))) is minimised at the log-odds of the RLHF optimum π_r of (4); (22) and (39) "
            "restate (10)",
            "eq. (10)",
            uses=[
                "rlhf_loss_eq_lambda_kl_to_tilted_reference_sub_log_partition",
                "dpo_loss_eq_bt_loss_of_reparameterised_reward",
            ],
            anchor=("eq. (10)", "eq. (22)", "eq. (39)"),
        ),
        Step(
            "constrained_rlhf_and_dpo_minimisers_differ_on_two_policy_set",
            Inequality((_rlhf_c(_A) - _rlhf_c(_B)) * (_dpo_c(_B) - _dpo_c(_A)), ">", 0),
            "App. C's setting (two responses, uniform π_ref, λ = 1, p* = 4/5, r* = log π*), S_π = {θ = 3/5, "
            "θ = 19/20}: RLHF prefers 19/20, DPO prefers 3/5 (the product of the two gaps is positive)",
            "Proposition 3.1",
            anchor="eq. (11)",
        ),
        Step(
            "mode_example_preferences_induced_by_two_mode_policy",
            Solves(
                [(_pref27(s_a, s_b), 1), (_pref27(s_c, s_b), 1), (_pref27(s_a, s_c), HALF)],
                {s_a: HALF, s_b: 0, s_c: HALF},
            ),
            "(27) at π* = (1/2, 0, 1/2)",
            "§3.3",
        ),
        Step(
            "bt_preference_with_finite_rewards_below_one",
            Inequality(sigmoid(r1 - r2), "<", 1),
            "p*(y_a ≻ y_b) = 1 is not σ(r*_a − r*_b) for finite rewards: the mode example lies outside (1) "
            "and outside App. C's hypothesis p* ∈ (0, 1)",
            "§3.3",
        ),
        Step(
            "mode_example_reverse_kl_unbounded_off_theta_one",
            Limit(mode_reverse_kl.subs(delta, sp.exp(-depth)), depth, sp.oo, sp.oo),
            "π*(y_b) = δ = e^{−s} → 0: KL(π_θ‖π*) → ∞ for every θ < 1, so the RLHF loss (36) selects θ = 1",
            "§3.3",
        ),
        Step(
            "mode_example_dpo_loss_eq_forward_kl_up_to_constant",
            EqualUpToConstant(mode_dpo, mode_forward_kl, [theta]),
            "§3.3's prediction from §3.1: the DPO loss reduces to the forward KL KL(π*‖π_θ) (λ = 1, uniform "
            "π_ref, pairs {a,b}, {b,c}, {a,c} equally weighted, each pair's loss in the form (37))",
            "§3.3",
            expected="refuted",
            correction=Stationary(mode_dpo, {theta: sp.Rational(2, 5)}, kind="min"),
            diagnosis="(38) needs π_θ(y_w) + π_θ(y_l) = 1, which fails with three responses: the DPO minimiser "
            "over the family is θ = 2/5, the forward-KL minimiser θ = 1/4",
            assumes="§3.1's reduction (DPO loss ≡ forward KL, App. C) applied to the three-response mode example: the "
            "paper states it only 'under certain assumptions' (App. C: two responses, p* ∈ (0, 1)), which the example "
            "violates, and only hypothesises the mode-covering behaviour there (θ_DPO = 2/5 < 1 does cover both modes)",
        ),
        Step(
            "mode_example_dpo_minimiser_eq_two_fifths",
            Stationary(mode_dpo, {theta: sp.Rational(2, 5)}, kind="min"),
            "∂ℓ/∂θ ∝ 15θ − 6 over positive factors: mode covering, π_θ(y_c) = 1/5 > 0",
            "§3.3",
        ),
        Step(
            "mode_example_forward_kl_minimiser_eq_one_quarter",
            Stationary(mode_forward_kl, {theta: sp.Rational(1, 4)}, kind="min"),
            "−1/(1 + 2θ) + 1/(2(1 − θ)) = 0 at θ = 1/4",
            "§3.3",
        ),
        Step(
            "unconstrained_dpo_optimum_eq_rlhf_optimum_on_bandit_setup",
            Stationary(_setup_dpo_loss(), _setup_rlhf_logits(), kind="stationary"),
            "π* of (26), p* of (27), π_ref of (28), softmax logits (θ₁, θ₂, 0): the population DPO gradient "
            "vanishes at the RLHF optimum π ∝ π_ref π*^{1/λ} (α = 0 gives zero distance, §3.3)",
            "eqs. (26)–(28)",
            anchor=("eq. (26)", "eq. (27)", "eq. (28)"),
        ),
        # ------------------------------------------------------------ §4
        Step(
            "bt_preference_eq_mu_of_policy_ratio",
            Equal(sigmoid(r1 - r2), mu_bt((sp.exp(r1) / Z) / (sp.exp(r2) / Z))),
            "μ(t) = t/(1 + t) and π*(y) = e^{r*(y)}/Z reproduce Bradley–Terry",
            "eq. (13)",
            anchor="eq. (13)",
        ),
        Step(
            "likelihood_of_first_preferred_eq_neg_log_mu_of_second_over_first",
            Implies(
                [sp.Le(pi_1 + pi_2, 1)],
                Equal(-sp.log(mu_bt(pi_1 / pi_2)), -sp.log(mu_bt(pi_2 / pi_1))),
                names=[ONE_POLICY],
            ),
            "§4's inline likelihood −log μ[π_θ(y₂)/π_θ(y₁)] for y₁ ≻ y₂, against (13) (μ(t) = t/(1 + t))",
            "§4",
            expected="refuted",
            correction=Equal(-sp.log(mu_bt(pi_1 / pi_2)), -sp.log(sigmoid(sp.log(pi_1) - sp.log(pi_2)))),
            diagnosis="by (13) the likelihood of y₁ ≻ y₂ is μ[π_θ(y₁)/π_θ(y₂)]; the inverted ratio is that of y₂ ≻ y₁",
        ),
        Step(
            "likelihood_of_first_preferred_eq_bt_loss_of_log_policy",
            Equal(-sp.log(mu_bt(pi_1 / pi_2)), -sp.log(sigmoid(sp.log(pi_1) - sp.log(pi_2)))),
            "corrected: −log μ[π_θ(y₁)/π_θ(y₂)] = −log σ(log π_θ(y₁) − log π_θ(y₂))",
            "§4",
        ),
        Step(
            "neg_log_gaussian_eq_half_bracket_of_eq54_add_const",
            Equal(neg_log_gaussian(sq_norm, gamma), bracket54 / 2 + sp.log(2 * sp.pi)),
            "2-D: −log N(v|0, γI) = vᵀv/(2γ) + ½ log|γI| + log 2π, half the bracket of (54) plus a constant",
            "App. E, eq. (54)",
            anchor="eq. (54)",
        ),
        Step(
            "gaussian_variance_minimiser_eq_half_sq_norm",
            Stationary(bracket54, {gamma: sq_norm / 2}, kind="min", scope="global"),
            "−vᵀv/γ² + 2/γ vanishes only at γ = vᵀv/2; negative before, positive after",
            "App. E, eq. (54)",
            uses=["neg_log_gaussian_eq_half_bracket_of_eq54_add_const"],
            anchor="eq. (54)",
        ),
        Step(
            "profiled_gaussian_eq_log_sq_norm_add_const",
            EqualUpToConstant(neg_log_gaussian(sq_norm, sq_norm / 2), sp.log(sq_norm), [v1, v2]),
            "at γ = vᵀv/2: 1 + log(vᵀv/2) + log 2π",
            "App. E, eq. (55)",
            uses=["gaussian_variance_minimiser_eq_half_sq_norm"],
            anchor="eq. (55)",
        ),
        Step(
            "profiled_loss_with_eq14_orientation_eq_eq56",
            Equal(profiled_14_ratio, profiled_56_ratio),
            "ξ of (14) at (y_w, y_l) is μ[π(y_w)/π(y_l)]; (56) writes μ[π(y_l)/π(y_w)] (μ = (·)^{λ/2}; both sides "
            "in the winner-over-loser ratios of π_θ and π_ref)",
            "App. E, eq. (56)",
            uses=["profiled_gaussian_eq_log_sq_norm_add_const"],
            expected="refuted",
            correction=EqualUpToConstant(profiled_56_ratio, dpo_ratio, [x_pol]),
            diagnosis="(14) orients the ratio winner over loser, (56) loser over winner; (14) should read "
            "ξ(y₁, y₂) := μ[π(y₂)/π(y₁)]",
            anchor="eq. (56)",
        ),
        Step(
            "profiled_loss_with_eq14_orientation_eq_reversed_dpo_up_to_constant",
            EqualUpToConstant(profiled_14, -sp.log(sigmoid(-margin())), [pi_w, pi_l]),
            "with (14) as written the Gaussian model trains towards the loser: −log σ(−m) + const",
            "eq. (14)",
            anchor="eq. (14)",
        ),
        Step(
            "profiled_loss_with_loser_over_winner_orientation_eq_eq56",
            Equal(sp.log(mu_pow(ref_l / ref_w, mu_half_lam) ** 2 + mu_pow(pi_l / pi_w, mu_half_lam) ** 2), profiled_56),
            "corrected (14): ξ(y_w, y_l) = μ[π(y_l)/π(y_w)]",
            "App. E, eq. (56)",
            anchor="eq. (56)",
            trivial=(
                "with ξ(y_w, y_l) = μ[π(y_l)/π(y_w)] substituted, (55)'s log of the squared norm is (56) term for "
                "term: the line records that the corrected orientation reproduces (56) as printed"
            ),
        ),
        Step(
            "eq57_log_sum_eq_log1p_cross_ratio_add_const",
            Equal(
                sp.log(pi_l**lam / pi_w**lam + ref_l**lam / ref_w**lam),
                sp.log(1 + (pi_l / ref_l) ** lam * (ref_w / pi_w) ** lam) + sp.log(noise),
            ),
            "factor out (π_ref(y_l)/π_ref(y_w))^λ; C = λ log(π_ref(y_l)/π_ref(y_w))",
            "App. E, eq. (57)",
            uses=["profiled_loss_with_loser_over_winner_orientation_eq_eq56"],
            anchor="eq. (57)",
        ),
        Step(
            "eq57_log1p_cross_ratio_eq_dpo_loss",
            Equal(sp.log(1 + (pi_l / ref_l) ** lam * (ref_w / pi_w) ** lam), dpo_tuple),
            "log(1 + e^{−m}) = −log σ(m) with m the λ-scaled margin",
            "App. E, eq. (57)",
            uses=["eq57_log_sum_eq_log1p_cross_ratio_add_const"],
            anchor="eq. (57)",
        ),
        Step(
            "profiled_loss_with_sqrt_mu_eq_dpo_up_to_constant",
            EqualUpToConstant(profiled_sqrt_ratio, dpo_ratio, [x_pol]),
            "Prop. 4.1's μ(·) = (·)^{1/2} in the proof's per-tuple identity (57) (orientation of (56)), in the "
            "winner-over-loser ratios; equivalence for every constraint set S_π needs equality up to a "
            "π_θ-independent constant",
            "Proposition 4.1",
            uses=["eq57_log1p_cross_ratio_eq_dpo_loss"],
            expected="refuted",
            correction=EqualUpToConstant(profiled_56, dpo_tuple, [pi_w, pi_l]),
            diagnosis="with μ = (·)^{1/2} the profiled loss is the DPO loss at λ = 1; the proof uses μ = (·)^{λ/2}",
        ),
        Step(
            "sqrt_mu_and_dpo_at_lambda_half_rank_two_policies_oppositely",
            Inequality(_two_tuple_objectives(), ">", 0),
            "two tuples, S_π = {A, B} with margins (0, 0) and (3, −3/2), λ = 1/2: the μ = (·)^{1/2} Gaussian "
            "objective prefers A, the DPO loss prefers B, so the joint minimisations differ",
            "Proposition 4.1",
        ),
        Step(
            "profiled_loss_with_lambda_half_power_mu_eq_dpo_up_to_constant",
            EqualUpToConstant(profiled_56, dpo_tuple, [pi_w, pi_l]),
            "corrected: μ(·) = (·)^{λ/2}, as in App. E",
            "Proposition 4.1",
            uses=["eq57_log1p_cross_ratio_eq_dpo_loss"],
        ),
        Step(
            "profiled_loss_with_sqrt_mu_eq_dpo_up_to_constant_at_lambda_one",
            EqualUpToConstant(profiled_sqrt, dpo_loss(pi_w, pi_l, ref_w, ref_l, 1), [pi_w, pi_l]),
            "the unstated condition under which μ = (·)^{1/2} is right: λ = 1",
            "Proposition 4.1",
            uses=["eq57_log1p_cross_ratio_eq_dpo_loss"],
        ),
        # ------------------------------------------------------------ §5
        Step(
            "dpo_loss_eq_log_noise_add_policy_ratio_up_to_constant",
            EqualUpToConstant(dpo_tuple, sp.log(noise + u_pol), [pi_w, pi_l]),
            "(57) read backwards: log(γ + u) with γ = (π_ref(y_l)/π_ref(y_w))^λ, u = (π_θ(y_l)/π_θ(y_w))^λ",
            "eq. (17)",
            uses=["profiled_loss_with_lambda_half_power_mu_eq_dpo_up_to_constant"],
            anchor="eq. (17)",
        ),
        Step(
            "log_gamma_add_u_nondecreasing_in_u",
            Inequality(sp.diff(sp.log(gamma + u), u), ">=", 0),
            "∂/∂u log(γ + u) = 1/(γ + u)",
            "§5.1",
        ),
        Step(
            "log_gamma_add_u_concave_in_u",
            Inequality(sp.diff(sp.log(gamma + u), u, 2), "<=", 0),
            "∂²/∂u² log(γ + u) = −1/(γ + u)²",
            "§5.1",
        ),
        Step(
            "log_gamma1_add_u_concave_relative_to_log_gamma2_add_u",
            Inequality(
                sp.log(gamma + u1)
                + ((gamma + delta + u1) / (gamma + u1)) * (sp.log(gamma + delta + u2) - sp.log(gamma + delta + u1)),
                ">=",
                sp.log(gamma + u2),
                extremum={u2: u1},
            ),
            "(18) with g = log(γ₁ + u), f = log(γ₂ + u), γ₂ = γ₁ + δ, δ > 0: equality at u₂ = u₁, and the "
            "u₂-derivative of the gap is δ(u₂ − u₁)/((γ₁ + u₁)(γ₂ + u₂)(γ₁ + u₂))",
            "Definition 5.1",
            anchor="eq. (18)",
        ),
        Step(
            "log_gamma_add_u_tends_to_log_u_as_gamma_to_zero",
            Limit(sp.log(gamma + u) - sp.log(u), gamma, 0, 0),
            "continuity of log at u > 0",
            "Figure 4",
        ),
        Step(
            "gamma_log_gamma_add_u_tends_to_u",
            Limit(gamma * sp.log(gamma + u) - u, gamma, sp.oo, 0),
            "the ℓ₁ extreme of the caption, as written (limit of the difference to |u|, u > 0)",
            "Figure 4",
            expected="refuted",
            correction=Limit(gamma * (sp.log(gamma + u) - sp.log(gamma)), gamma, sp.oo, u),
            diagnosis="γ log(γ + |u|) diverges as γ → ∞; the affine normalisation γ[log(γ + |u|) − log γ] → |u|",
        ),
        Step(
            "gamma_log1p_u_over_gamma_at_most_u",
            Inequality(gamma * sp.log(1 + u / gamma), "<=", u, extremum={u: 0}),
            "corrected, upper half of the squeeze: log(1 + x) ≤ x (equality at u = 0, ∂/∂u of the gap is "
            "u/(γ + u) ≥ 0)",
            "Figure 4",
        ),
        Step(
            "gamma_log1p_u_over_gamma_at_least_u_sub_half_sq_over_gamma",
            Inequality(gamma * sp.log(1 + u / gamma), ">=", u - u**2 / (2 * gamma), extremum={u: 0}),
            "corrected, lower half: log(1 + x) ≥ x − x²/2; with the upper half γ[log(γ + u) − log γ] → u",
            "Figure 4",
            uses=["gamma_log1p_u_over_gamma_at_most_u"],
        ),
        Step(
            "bandit_dpo_loss_eq_eq20",
            Implies(
                [sp.Eq(ref_b, 1 - ref_a)],
                Equal(
                    dpo_loss(theta, 1 - theta, ref_a, ref_b, HALF),
                    sp.log(sp.sqrt(ref_b / ref_a) + sp.sqrt((1 - theta) / theta)),
                ),
                names=["π_ref a distribution on Y = {y_a, y_b}"],
            ),
            "(20) as an equality: y_w = y_a, y_l = y_b, λ = 1/2, π_θ = (θ, 1 − θ)",
            "eq. (20)",
            expected="refuted",
            correction=EqualUpToConstant(
                dpo_loss(theta, 1 - theta, ref_a, ref_b, HALF),
                sp.log(sp.sqrt(ref_b / ref_a) + sp.sqrt((1 - theta) / theta)),
                [theta],
            ),
            diagnosis="(17) drops the constant −½ log(π_ref(y_b)/π_ref(y_a)); (20) is exact only when "
            "π_ref(y_a) = π_ref(y_b), otherwise only up to a θ-independent constant",
            anchor="eq. (20)",
        ),
        Step(
            "bandit_dpo_loss_eq_eq20_up_to_constant",
            EqualUpToConstant(
                dpo_loss(theta, 1 - theta, ref_a, ref_b, HALF),
                sp.log(sp.sqrt(ref_b / ref_a) + sp.sqrt((1 - theta) / theta)),
                [theta],
            ),
            "corrected: equal up to −½ log(π_ref(y_b)/π_ref(y_a)); same minimisers and absolute decreases",
            "eq. (20)",
            uses=["dpo_loss_eq_log_noise_add_policy_ratio_up_to_constant"],
            anchor="eq. (20)",
        ),
        Step(
            "bandit_dpo_loss_eq_eq20_when_reference_uniform",
            Equal(dpo_loss(theta, 1 - theta, ref_a, ref_a, HALF), sp.log(1 + sp.sqrt((1 - theta) / theta))),
            "the unstated condition for exact equality: π_ref(y_a) = π_ref(y_b)",
            "eq. (20)",
            anchor="eq. (20)",
        ),
        Step(
            "policy_ratio_quotient_eq_exp_neg_margin_over_lambda",
            Equal((pi_l / pi_w) / (ref_l / ref_w), sp.exp(-margin() / lam)),
            "(21) is e^{−m/λ}; at initialisation π_θ = π_ref the margin is 0 and (21) = 1",
            "eq. (21)",
            anchor="eq. (21)",
        ),
        Step(
            "initial_gradient_in_u_eq_inverse_twice_noise",
            Equal(sp.diff(sp.log(gamma + u), u).subs(u, gamma), 1 / (2 * gamma)),
            "§5.3: at initialisation u = γ the slope of log(γ + u) in u is 1/(2γ), steeper for small γ",
            "§5.3",
            trivial=(
                "SymPy carries out d/du log(γ + u) at u = γ as the line is built; the line checks §5.3's value 1/(2γ)"
                " against that derivative"
            ),
        ),
        Step(
            "initial_gradient_in_log_ratio_eq_half_lambda",
            Equal(sp.diff(sp.log(gamma + sp.exp(lam * t_)), t_).subs(t_, sp.log(gamma) / lam), lam / 2),
            "remark: in the log-ratio t = log(π_l/π_w) (u = e^{λt}) the initial slope is λ/2 for every γ",
            "§5.3",
            trivial=(
                "the derivative is carried out as the line is built; the line checks the remark's value λ/2 against it"
            ),
        ),
        # ------------------------------------------------------------ App. A
        Step(
            "any_policy_is_rlhf_optimum_of_its_implicit_reward",
            ForSizes(_any_policy_optimal, symbolic=(2, 3), numeric=(5,)),
            "r̂ = λ log(π̂/π_ref) in (4): π_ref e^{r̂/λ} = π̂ and Z = 1",
            "App. A, eq. (23)",
            anchor="eq. (23)",
        ),
        Step(
            "bt_loss_increasing_in_winner_probability",
            Implies([sp.Le(pi_1 + pi_2, 1)], Inequality(sp.diff(eta_bt, pi_1), ">=", 0), names=[ONE_POLICY]),
            "(24) requires η increasing in its first argument; the BT loss η(a, b) = −log σ(log a − log b)",
            "App. A, eq. (24)",
            expected="refuted",
            correction=Inequality(sp.diff(eta_bt, pi_1), "<=", 0),
            diagnosis="the BT loss (and likewise DPO's) decreases in π_θ(y_w) and increases in π_θ(y_l): (24)'s "
            "monotonicity is reversed for a loss that is minimised",
            anchor="eq. (24)",
        ),
        Step(
            "bt_loss_decreasing_in_winner_probability",
            Inequality(sp.diff(eta_bt, pi_1), "<=", 0),
            "corrected: ∂η/∂a = −b/(a(a + b)) ≤ 0",
            "App. A, eq. (24)",
            anchor="eq. (24)",
        ),
        Step(
            "bt_loss_increasing_in_loser_probability",
            Inequality(sp.diff(eta_bt, pi_2), ">=", 0),
            "corrected: ∂η/∂b = 1/(a + b) ≥ 0",
            "App. A, eq. (24)",
            anchor="eq. (24)",
        ),
        Step(
            "winner_one_minimises_eq24_loss_with_stated_monotonicity",
            Inequality((pi_1 - (1 - pi_1)) - (1 - 0), ">=", 0),
            "footnote 5 for η(a, b) = a − b (increasing in a, decreasing in b, as (24) states), one pair, "
            "π_θ(y_l) = 1 − π_θ(y_w): η(1, 0) ≤ η(π_θ(y_w), π_θ(y_l))",
            "App. A, footnote 5",
            expected="refuted",
            correction=Inequality(((1 - pi_1) - pi_1) - (0 - 1), ">=", 0),
            diagnosis="with (24)'s monotonicity π_θ(y_w) = 1, π_θ(y_l) = 0 maximises η; it minimises η only with "
            "the monotonicity reversed",
        ),
        Step(
            "winner_one_minimises_eq24_loss_with_reversed_monotonicity",
            Inequality(((1 - pi_1) - pi_1) - (0 - 1), ">=", 0),
            "corrected: η(a, b) = b − a gives η(1, 0) = −1 ≤ 1 − 2a",
            "App. A, footnote 5",
        ),
        Step(
            "dpo_loss_tends_to_its_infimum_zero_as_winner_probability_tends_to_one",
            Limit(dpo_loss(theta, 1 - theta, ref_w, ref_l, lam), theta, 1, 0),
            "footnote 5: π_θ(y_w) = 1, π_θ(y_l) = 0 also minimise the DPO loss when π_ref > 0; the loss is positive "
            "and tends to 0 as π_θ(y_w) → 1 (an infimum, reached only in the limit: log π_θ(y_l) is undefined at 0)",
            "App. A, footnote 5",
        ),
        # ------------------------------------------------------------ App. B.3
        Step(
            "mann_whitney_u1_add_u2_eq_n1_n2",
            Equal(
                (n1 * n2 + n1 * (n1 + 1) / 2 - R1)
                + (n1 * n2 + n2 * (n2 + 1) / 2 - ((n1 + n2) * (n1 + n2 + 1) / 2 - R1)),
                n1 * n2,
            ),
            "(29) with R₂ = N(N + 1)/2 − R₁ (ranks 1…N without ties)",
            "App. B.3, eq. (29)",
            anchor="eq. (29)",
        ),
        Step(
            "mann_whitney_u1_counts_group1_values_preceding_group2",
            ForSizes(_u1_counts_precedences, symbolic=(1, 2, 3, 4), numeric=(), size_name="n_1"),
            "every rank assignment with n₂ = n₁ + 1: U₁ of (29) = #{(i ∈ G₁, j ∈ G₂): rank_i < rank_j}",
            "App. B.3, eq. (29)",
            anchor="eq. (29)",
            trivial=(
                "the enumeration of every rank assignment runs in exact rationals as the line is built and 0 = 0"
                " records that no assignment departs from (29); the checkers only confirm the recorded count"
            ),
        ),
        Step(
            "mann_whitney_null_mean_and_variance",
            ForSizes(_null_moments, symbolic=(1, 2, 3, 4), numeric=(), size_name="n_1"),
            "exact enumeration of all rank assignments (n₂ = n₁ + 1): mean n₁n₂/2, variance n₁n₂(n₁ + n₂ + 1)/12",
            "App. B.3, eq. (30)",
            anchor="eq. (30)",
            trivial=(
                "the mean and variance over every rank assignment are computed in exact rationals as the line is"
                " built and 0 = 0 records that they equal (30); the checkers only confirm the recorded gap"
            ),
        ),
        # ------------------------------------------------------------ App. C
        Step(
            "bt_preference_eq_policy_ratio_form",
            Equal(sp.exp(r1) / (sp.exp(r1) + sp.exp(r2)), (sp.exp(r1) / Z) / (sp.exp(r1) / Z + sp.exp(r2) / Z)),
            "divide by Z(x); π*(y) = e^{r*(y)}/Z gives π*(y₁)/(π*(y₁) + π*(y₂)), which is also (27)",
            "App. C, eq. (31)",
            uses=["bt_preference_eq_normalised_exponentiated_rewards"],
            anchor=("eq. (31)", "eq. (35)"),
        ),
        Step(
            "rlhf_loss_eq_kl_to_tilted_reference_up_to_constant_at_lambda_one",
            ForSizes(_rlhf_eq_kl_lambda_one, symbolic=(2,), numeric=(3, 4)),
            "(32) under App. C's λ = 1 (for general λ the loss is λ KL + const, the same minimisers)",
            "App. C, eq. (32)",
            uses=["rlhf_loss_eq_lambda_kl_to_tilted_reference_sub_log_partition"],
            anchor="eq. (32)",
        ),
        Step(
            "tilted_uniform_reference_eq_softmax_of_reward",
            ForSizes(_uniform_tilt_eq_softmax, symbolic=(2, 3), numeric=(5,)),
            "a constant π_ref cancels from (33): π** = e^{r*}/Σ e^{r*} = π* of (31), hence (35), (36)",
            "App. C, eq. (34)",
            anchor="eq. (34)",
        ),
        Step(
            "same_response_pair_adds_a_constant_to_the_dpo_loss",
            IndependentOf(dpo_loss(theta, theta, ref_a, ref_a), [theta, ref_a]),
            "y₁ = y₂ = y: the margin λ log(π_θ(y)/π_ref(y)) − λ log(π_θ(y)/π_ref(y)) is 0, and with p*(y ≻ y) = 1/2 "
            "either label gives −log σ(0) = log 2, whatever π_θ: a constant of the loss",
            "App. C, footnote 7",
            trivial="the margin of a response against itself cancels as the line is built; the line records that the "
            "pair's term is the constant log 2",
        ),
        Step(
            "rlhf_loss_eq_kl_to_bt_policy_as_printed",
            ForSizes(_rlhf_eq_kl_to_bt_policy_as_printed, symbolic=(), numeric=(2, 3, 4)),
            "(36) with its '=', under App. C's λ = 1 and uniform π_ref (π** = π*)",
            "App. C, eq. (36)",
            uses=["tilted_uniform_reference_eq_softmax_of_reward"],
            expected="refuted",
            correction=ForSizes(_rlhf_eq_kl_lambda_one, symbolic=(2,), numeric=(3, 4)),
            diagnosis="ℓ_RLHF = KL(π‖π*) − log Z with Z = Σ π_ref e^{r*}: equal only up to a π-independent constant "
            "(as (32)'s ≡ says), the rule applied to (20) and (41) too; the minimisers are the same. The BT model "
            "fixes r* only up to an additive constant, and '=' holds for the one representative with "
            "Σ π_ref e^{r*} = 1, which App. C does not choose (its π* divides by Z = Σ e^{r*})",
            anchor="eq. (36)",
        ),
        Step(
            "rlhf_ipo_loss_eq_kl_to_tilted_reference_as_printed",
            ForSizes(_rlhf_ipo_eq_kl_as_printed, symbolic=(), numeric=(2, 3, 4)),
            "(41) with its '=': ℓ_RLHF(π, π_ref, r_IPO, λ) = KL(π‖π**), π** = π_ref e^{r_IPO/λ}/Z (as in (43)'s "
            "display); λ kept general, as the display keeps it as an argument",
            "App. D, eq. (41)",
            expected="refuted",
            correction=ForSizes(
                lambda n: _rlhf_ipo_eq_kl_as_printed(n, upto=True), symbolic=(2,), numeric=(3, 4), size_name="n"
            ),
            diagnosis="ℓ_RLHF = λ KL(π‖π**) − λ log Z: a positive factor λ and a π-independent constant are "
            "dropped (same minimisers); '=' holds for neither unless λ = 1 and Z = 1",
            anchor="eq. (41)",
        ),
        Step(
            "rlhf_ipo_loss_eq_lambda_kl_to_tilted_reference_up_to_constant",
            ForSizes(lambda n: _rlhf_ipo_eq_kl_as_printed(n, upto=True), symbolic=(2,), numeric=(3, 4), size_name="n"),
            "corrected (41): λ KL(π‖π**) + const, the same minimisers over any constraint set",
            "App. D, eq. (41)",
            anchor="eq. (41)",
        ),
        Step(
            "dpo_loss_lambda_one_uniform_reference_eq_log_pair_mass_over_winner",
            Equal(dpo_loss(pi_w, pi_l, ref, ref, 1), sp.log((pi_w + pi_l) / pi_w)),
            "σ(log(π_w/π_l)) = π_w/(π_w + π_l)",
            "App. C, eq. (37)",
            anchor="eq. (37)",
        ),
        Step(
            "dpo_loss_two_responses_eq_neg_log_winner",
            Equal(sp.log((theta + (1 - theta)) / theta), sp.log(1 / theta)),
            "π_θ(y_w) + π_θ(y_l) = 1 with two responses",
            "App. C, eq. (38)",
            uses=["dpo_loss_lambda_one_uniform_reference_eq_log_pair_mass_over_winner"],
            anchor="eq. (38)",
            trivial=(
                "π_θ(y_w) + π_θ(y_l) = θ + (1 − θ) = 1 cancels as the line is built: (38)'s first equality is that "
                "cancellation"
            ),
        ),
        Step(
            "expected_dpo_loss_eq_cross_entropy_to_bt_policy",
            Equal(
                _pref27(s_star, 1 - s_star) * sp.log(1 / theta)
                + (1 - _pref27(s_star, 1 - s_star)) * sp.log(1 / (1 - theta)),
                s_star * sp.log(1 / theta) + (1 - s_star) * sp.log(1 / (1 - theta)),
            ),
            "p*(z = 1) = π*(y₁)/(π*(y₁) + π*(y₂)) = π*(y₁) by (31) with two responses",
            "App. C, eq. (38)",
            uses=["dpo_loss_two_responses_eq_neg_log_winner", "bt_preference_eq_policy_ratio_form"],
            anchor="eq. (38)",
            trivial=(
                "(27) at π*(y₂) = 1 − π*(y₁) is π*(y₁) as the line is built: (38)'s second equality is that "
                "substitution"
            ),
        ),
        Step(
            "cross_entropy_eq_forward_kl_up_to_constant",
            EqualUpToConstant(
                s_star * sp.log(1 / theta) + (1 - s_star) * sp.log(1 / (1 - theta)), _kl2(s_star, theta), [theta]
            ),
            "add the entropy of π*, a constant C",
            "App. C, eq. (38)",
            uses=["expected_dpo_loss_eq_cross_entropy_to_bt_policy"],
            anchor="eq. (38)",
        ),
        # ------------------------------------------------------------ App. D
        Step(
            "tilted_reference_with_ipo_reward_eq_softmax_of_preference_means",
            Equal(
                boltzmann([sp.Rational(1, 3)] * 3, P, 1)[0][0],
                sp.exp(P[0]) / sp.Add(*[sp.exp(x) for x in P]),
            ),
            "the display defining π** also asserts π_ref e^{r_IPO/λ}/Z = exp(p*(y ≻ π_ref))/Σ_y exp(p*(y ≻ π_ref)): "
            "true under App. D's λ = 1 and uniform π_ref on three responses, where r_IPO(y) = p*(y ≻ π_ref) by (7) "
            "and the constant π_ref = 1/3 cancels (for λ ≠ 1 the exponent would be p*/λ)",
            "App. D, display after (41)",
            anchor="display 43",
        ),
        Step(
            "constrained_kl_kkt_solved_with_active_ratio_constraint",
            Solves(kkt_equations, kkt_solution),
            "(43), (44) with u > 0 (active constraint (48)) and (47); π₁/π₃ = (π*₁/π*₃)(kπ*₁/π*₂)^{−k/(1+k)}, "
            "k = π*₂/π*₁ + ε (any positive π*, a fortiori a distribution)",
            "App. D, eqs. (43)–(48)",
            anchor=("eq. (43)", "eq. (44)", "eq. (45)", "eq. (46)", "eq. (47)", "eq. (48)"),
        ),
        Step(
            "kkt_multiplier_of_ratio_constraint_positive",
            Inequality(u_kkt, ">", 0),
            "u = log(kπ*₁/π*₂)/(1 + k) and kπ*₁/π*₂ = 1 + επ*₁/π*₂ > 1",
            "App. D, eq. (45)",
            uses=["constrained_kl_kkt_solved_with_active_ratio_constraint"],
            anchor="eq. (45)",
        ),
        Step(
            "ipo_unconstrained_minimiser_is_pi_star",
            Implies(
                APP_D_PREFERENCES,
                Equal(
                    sp.Matrix([sp.log(pstar[i] / pstar[j]) for i, j in PAIRS]),
                    sp.Matrix([P[i] - P[j] for i, j in PAIRS]),
                ),
                names=APP_D_NAMES,
                symbolic=True,
            ),
            "each square of (51)'s objective vanishes at π* ∝ exp(p*(y ≻ μ)): π* is its unconstrained minimiser "
            "and violates the ratio constraint (π*₂/π*₁ < π*₂/π*₁ + ε); the objective is convex in the log-ratios "
            "and the constraint a half-space in them, so the constraint is active at the optimum, giving (48)",
            "App. D, 'the optimal solution also satisfies (48)'",
            uses=["kkt_multiplier_of_ratio_constraint_positive"],
        ),
        Step(
            "eq49_ratio_eq_kkt_ratio",
            Implies(APP_D_PREFERENCES, Equal(rho_rlhf, eq49), names=APP_D_NAMES),
            "(49) as printed against the ratio π₁/π₃ solving (43)–(48), for π* of App. D's setup: π_ref = μ uniform "
            "on three responses, λ = 1, p*(y_i ≻ y_j) ∈ (0, 1), and π* = π** ∝ exp(p*(y ≻ μ)) (a distribution)",
            "App. D, eq. (49)",
            uses=["constrained_kl_kkt_solved_with_active_ratio_constraint"],
            expected="refuted",
            correction=Equal(sp.log(rho_rlhf), sp.log(s1 / s3) - k_ratio / (1 + k_ratio) * sp.log(k_ratio * s1 / s2)),
            diagnosis="(49) does not involve π*(y₃) and does not solve the KKT system; the solution is "
            "π₁/π₃ = (π*₁/π*₃)(kπ*₁/π*₂)^{−k/(1+k)}",
            anchor="eq. (49)",
        ),
        Step(
            "ipo_loss_uniform_reference_eq_two_ninths_sum_over_pairs",
            Equal(ipo_first_line, sp.Rational(2, 9) * _ipo_sum(pstar, P)),
            "λ = 1, π_ref = 1/3: references cancel; diagonal terms vanish, (i, j) and (j, i) agree",
            "App. D, eq. (50)",
            uses=["ipo_population_loss_eq_sampled_half_target_loss_up_to_constant"],
            anchor="eq. (50)",
        ),
        Step(
            "ipo_objective_on_active_constraint_eq_eq52_add_const",
            EqualUpToConstant(
                _ipo_sum((sp.exp(v_) * s3, k_ratio * sp.exp(v_) * s3, s3), P),
                ipo_52,
                [v_],
            ),
            "π₁/π₃ = e^{v_x}, π₂/π₁ = k: the (1, 2) term is constant",
            "App. D, eq. (52)",
            uses=["ipo_loss_uniform_reference_eq_two_ninths_sum_over_pairs"],
            anchor="eq. (52)",
        ),
        Step(
            "ipo_constrained_minimiser_v_star",
            Stationary(ipo_52, {v_: v_star}, kind="min", scope="global"),
            "a convex quadratic in v_x: the mean of the two targets",
            "App. D, eq. (52)",
            uses=["ipo_objective_on_active_constraint_eq_eq52_add_const"],
            anchor=("eq. (52)", r"v_x^* = \frac{p^*(y_1 \succ \mu|x) + p^*(y_2 \succ \mu|x) - 2p^*(y_3"),
        ),
        Step(
            "ipo_constrained_ratio_eq_eq53",
            Equal(sp.exp(v_star), eq53),
            "π₁/π₃ = e^{v*}",
            "App. D, eq. (53)",
            uses=["ipo_constrained_minimiser_v_star"],
            anchor=("eq. (53)", r"\log \left( \frac{\pi_\theta(y_2|x)}{\pi_\theta(y_3|x)} \right) - \log"),
            trivial=(
                "e^{v*} with v* of (52): e^{−½ log k} = k^{−1/2} is evaluated as the line is built; the line records "
                "that (53) is e^{v*}"
            ),
        ),
        Step(
            "constrained_rlhf_over_ipo_ratio_eq_power_of_k_ratio",
            Equal(rho_rlhf / rho_ipo, (k_ratio * s1 / s2) ** ((1 - k_ratio) / (2 * (1 + k_ratio)))),
            "with π* ∝ exp(p*(y ≻ μ)) (App. D) (53) is (π*₁/π*₃)(kπ*₁/π*₂)^{−1/2}; the ratio is 1 only if k = 1",
            "App. D, Final Step",
            uses=["ipo_constrained_ratio_eq_eq53", "constrained_kl_kkt_solved_with_active_ratio_constraint"],
        ),
        Step(
            "constrained_rlhf_and_ipo_minimisers_differ",
            Inequality(
                rho_ipo.subs(PROP32_WITNESS) - rho_rlhf.subs(PROP32_WITNESS),
                ">",
                0,
            ),
            "witness inside App. D's setup: π* ∝ exp(p*(y ≻ μ)) with p*(y ≻ μ) = (2/3, 1/2, 1/3) (each the mean of "
            "p*(y ≻ y') over uniform μ with p*(y ≻ y) = 1/2, so within [1/6, 5/6] and |log π*_i/π*_j| ≤ 2/3), "
            "ε = 1: the IPO ratio π₁/π₃ exceeds the RLHF one",
            "Proposition 3.2",
            uses=["constrained_rlhf_over_ipo_ratio_eq_power_of_k_ratio"],
            anchor=("eq. (12)", "display 58"),
        ),
    ],
    records=[
        Record("eq. (2)", "definition", "ℓ_BT"),
        Record("eq. (3)", "definition", "ℓ_RLHF"),
        Record("eq. (7)", "definition", "r_IPO"),
        Record("eq. (15)", "assumption", "the naive Gaussian joint distribution of (ξ_θ, ξ_ref)"),
        Record("eq. (16)", "definition", "the Gaussian estimation problem, profiled in App. E"),
        Record("eq. (19)", "definition", "the compressive-sensing objective"),
        Record(
            "eq. (25)",
            "unverifiable: as printed Proposition A.1 holds vacuously (any ℓ̄_η ≤ min ℓ_η leaves the set of policies "
            "empty) and its hypothesis compares a loss value with an argmin (a policy), so the intended statement is "
            "not determined",
            "its substance, (24)'s monotonicity and footnote 5's argument, are steps",
        ),
        Record(r"\begin{aligned} \text{Absolute Decrease} &:=", "definition", "absolute and relative decrease"),
        Record("eq. (33)", "definition", "π**"),
        Record("eq. (40)", "definition", "the constraint set S_π"),
        Record("eq. (42)", "definition", "the constrained RLHF problem, solved by its KKT conditions (43)–(48)"),
        Record("eq. (51)", "definition", "the constrained IPO problem"),
    ],
)
