r"""Audit of "LLM Alignment Fine-tuning via Human Preference: DPO vs IPO" (001), as written.

Setting of the IPO part (as in :mod:`derivations.ipo_lemma`): a support of ``n`` responses,
``y₁, y₂, y`` i.i.d. from μ, ``q_i = β log(π_θ(y_i)/π_ref(y_i))``, ``h_ij = q_i − q_j`` and the
preference probabilities ``v_ij`` with ``v_ii = 1/2`` and ``v_ji = 1 − v_ij``. Expectations over
μ are finite sums; identities are proved at n = 2 (and n = 3 for the double sums) and fuzzed at
n = 3 or 4.

Main findings:

- DPO display "E_y~π[s − β KL(π‖π_ref)] = E[KL(π‖π_ref e^{s/β}/Z)] + const": refuted. The
  objective equals −β KL(π‖π*) + β log Z: the factor β is dropped and the sign of the KL term
  flipped (as written, the maximiser of the objective would maximise the KL). The corrected
  form is proved.
- "v(y₁, y₂, x) ≈ c − 1" (repeated in the Take-Home Points): refuted. Given (y₁, y₂) with
  Pr(c = 1) = v, E[c − 1] = 1 − v, and regressing h onto c − 1 regresses onto 1 − v, not v.
  The unbiased target is 1[c = 1] = 2 − c; with it the regression equals the lemma's
  objective up to a constant (proved).
- Consequently "the previous problem [target c − 1] is equivalent to regressing h(y_w, y_ℓ)
  onto 0.5" is refuted (with c − 1 the symmetrised target is −1/2); with the target 2 − c the
  target 1/2 is proved.
- The Bradley–Terry display and its "Drawback" (σ → 1 only as the gap → ∞; with a deterministic
  preference the DPO loss reaches its infimum only as the log-ratio gap → ∞, for every β), the
  MLE of the logistic loss recovering the score gap, the optimality of
  π* (Gibbs' inequality, numeric only), the reward inversion and eq:qoblq, the prose claim that a
  policy meeting eq:h_theta_cond is the optimum (the "trivial ambiguity" is a constant the
  normalisation removes), the Lemma and every link of
  its proof (eq:qioqli, the second-term chain, the (*) and (**) chains, the tcolorbox example,
  the (*) − (**) chain and the final argmin identity) hold.

Displays not transcribed (each a ``Record`` of the derivation, so that the coverage ledger accounts for it):

- eq:original_obj, eq:score_learning (with L_logistic), eq:score_learning_dpo, the definition of
  h_θ, eq:s_v, the final IPO loss and the conditions eq:ipo_boundedness / eq:ipo_self_compare /
  eq:ipo_symmetric: definitions of objectives, functions and hypotheses, not claims (the
  conditions are built into the symbols: v_ij ∈ (0, 1), v_ii = 1/2, v_ji = 1 − v_ij).
- eq:general_spec: a diagram, no mathematical content.
- eq:h_theta_cond and "h_θ = s(y₁) − s(y₂) = E_y~μ[v(y₁, y) − v(y₂, y)]": a condition imposed
  on h_θ, not a claim; the second equality is eq:s_v substituted (a definition).
- The display of eq:ipo_first_square and eq:ipo_square_2 as optimisation problems: their
  equivalence is the Lemma, transcribed.
- "σ(ĥ) ≈ σ(s₁ − s₂)" and "ĥ ≈ s₁ − s₂" (Drawback): informal approximations with no stated
  error, not checkable.
- The first line of the (*) and of the (**) chains restates the definition of (*) and (**).

References: the document's sections "RLHF", "DPO", "IPO's Loss Derivation", "Take-Home Points"
and "Technical Derivation" (Lemma and proof, eq:qioqli, eq:qobpal, eq:qoaibl); Azar et al.
(2024), Proposition 4.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from verify import (
    AllOf,
    Derivation,
    Equal,
    EqualUpToConstant,
    ForSizes,
    Implies,
    Inequality,
    Limit,
    Record,
    Solves,
    Source,
    Step,
    sigmoid,
    var,
)
from verify.domains import POSITIVE, PROBABILITY, REAL, UNIT, simplex

from .._notation import DPO_VS_IPO, beta, boltzmann, distribution, kl, rewards
from ..ipo_lemma import _half, _lemma, _setting

DOC = DPO_VS_IPO

#: sizes: identities proved at n = 2 (and 3 when cheap), fuzzed at one larger n
PAIR = {"symbolic": (2, 3), "numeric": (4,)}
TRIPLE = {"symbolic": (2,), "numeric": (3,)}
#: the full objectives (squares of n² terms): proved at n = 2, fuzzed at 3 and 4
SQUARES = {"symbolic": (2,), "numeric": (3, 4)}
#: false claims and claims SymPy cannot sign: numeric only (a failed SymPy attempt costs its whole budget)
NUMERIC = {"symbolic": (), "numeric": (2, 3)}

s_1 = var("s_y1", REAL, r"s(x, y_1)")
s_2 = var("s_y2", REAL, r"s(x, y_2)")
s_y = var("s_y", REAL, r"s(x, y)")
pistar_y = var("pistar_y", PROBABILITY, r"\pi^{*}(y \mid x)")
ref_y = var("ref_y", PROBABILITY, r"\pi_{\mathrm{ref}}(y \mid x)")
pistar_1 = var("pistar_y1", PROBABILITY, r"\pi^{*}(y_1 \mid x)")
pistar_2 = var("pistar_y2", PROBABILITY, r"\pi^{*}(y_2 \mid x)")
ref_1 = var("ref_y1", PROBABILITY, r"\pi_{\mathrm{ref}}(y_1 \mid x)")
ref_2 = var("ref_y2", PROBABILITY, r"\pi_{\mathrm{ref}}(y_2 \mid x)")
Zx = var("Z_x", POSITIVE, "Z(x)")
v = var("v_pref", UNIT, r"v(y_1, y_2, x)")
h = var("h_margin", REAL, r"h_\theta(y_w, y_\ell)")
gap = var("score_gap", REAL, r"s(x, y_1) - s(x, y_2)")
log_ratio_gap = var("log_ratio_gap", REAL, r"t")


def _logistic_loss(margin: sp.Expr) -> sp.Expr:
    """The expected logistic loss of a margin when Pr(c = 1) = σ(s₁ − s₂) (the BT model of the scores)."""
    return -(sigmoid(gap) * sp.log(sigmoid(margin)) + (1 - sigmoid(gap)) * sp.log(sigmoid(-margin)))


# ---------------------------------------------------------------- DPO: the KL rewriting
def _dpo(n: int):
    pi, w_pi = simplex("pi", n, r"\pi")
    ref, s = distribution("ref", n, r"\pi_{\mathrm{ref}}"), rewards(n)
    star, partition = boltzmann(ref, s, beta)
    objective = sp.Add(*[p * si for p, si in zip(pi, s, strict=True)]) - beta * kl(pi, ref)
    return pi, w_pi, objective, star, partition


def _kl_as_written(n: int) -> EqualUpToConstant:
    pi, w_pi, objective, star, _ = _dpo(n)
    return EqualUpToConstant(objective, kl(pi, star), w_pi)


def _optimum(n: int) -> Inequality:
    pi, _, objective, star, _ = _dpo(n)
    return Inequality(objective.subs(dict(zip(pi, star, strict=True))), ">=", objective)


def _kl_corrected(n: int) -> Equal:
    pi, _, objective, star, partition = _dpo(n)
    return Equal(objective, -beta * kl(pi, star) + beta * sp.log(partition))


def _condition_gives_optimum(n: int) -> Implies:
    """DPO's claim: a policy with h_θ(y_i, y_1) = s(y_i) − s(y_1) for every i, i.e. β log(π_θ(y_i)/π_ref(y_i))
    − β log(π_θ(y_1)/π_ref(y_1)) = s_i − s_1, is the optimum π* (the condition solved for π_θ's weights)."""
    pi, w_pi, _, star, _ = _dpo(n)
    _, w_ref = simplex("ref", n, r"\pi_{\mathrm{ref}}")
    s = rewards(n)
    hyps = [sp.Eq(w_pi[i], w_pi[0] * (w_ref[i] / w_ref[0]) * sp.exp((s[i] - s[0]) / beta)) for i in range(1, n)]
    names = [f"h_θ(y_{i + 1}, y_1) = s(y_{i + 1}) − s(y_1)" for i in range(1, n)]
    return Implies(hyps, AllOf([Equal(p, q) for p, q in zip(pi, star, strict=True)]), names=names, symbolic=True)


# ---------------------------------------------------------------- IPO: finite expectations
def _e2(mu, idx, f) -> sp.Expr:
    """``E_{y₁,y₂~μ}[f(y₁, y₂)]``."""
    return sp.Add(*[mu[i] * mu[j] * f(i, j) for i in idx for j in idx])


def _e3(mu, idx, f) -> sp.Expr:
    """``E_{y₁,y₂,y~μ}[f(y₁, y₂, y)]``."""
    return sp.Add(*[mu[i] * mu[j] * mu[k] * f(i, j, k) for i in idx for j in idx for k in idx])


def _e1(mu, idx, f) -> sp.Expr:
    return sp.Add(*[mu[i] * f(i) for i in idx])


def _chain(lines: Callable[[int], list[sp.Expr]], k: int) -> Callable[[int], Equal]:
    """The ``k``-th link (line ``k`` = line ``k + 1``) of an equality chain built at size ``n``."""

    def build(n: int) -> Equal:
        exprs = lines(n)
        return Equal(exprs[k], exprs[k + 1])

    return build


def _score(mu, v_, idx):
    """``s♮(y_i) = E_{y~μ}[v(y_i, y)]`` (eq:s_v)."""
    return [sp.Add(*[mu[k] * v_(i, k) for k in idx]) for i in idx]


def _expanded_square(n: int) -> EqualUpToConstant:
    mu, q, v_, idx = _setting(n)
    s = _score(mu, v_, idx)
    first = _e2(mu, idx, lambda i, j: (q[i] - q[j] - (s[i] - s[j])) ** 2)
    reduced = _e2(mu, idx, lambda i, j: (q[i] - q[j]) ** 2 - 2 * (q[i] - q[j]) * (s[i] - s[j]))
    return EqualUpToConstant(first, reduced, q)


def _second_term(n: int) -> list[sp.Expr]:
    mu, q, v_, idx = _setting(n)
    s = _score(mu, v_, idx)
    return [
        _e2(mu, idx, lambda i, j: (q[i] - q[j]) * (s[i] - s[j])),
        _e3(mu, idx, lambda i, j, k: (q[i] - q[j]) * (v_(i, k) - v_(j, k))),
        _e3(mu, idx, lambda i, j, k: q[i] * v_(i, k) + q[j] * v_(j, k))
        - _e3(mu, idx, lambda i, j, k: q[i] * v_(j, k) + q[j] * v_(i, k)),
    ]


def _star_chain(n: int) -> list[sp.Expr]:
    mu, q, v_, idx = _setting(n)
    return [
        _e3(mu, idx, lambda i, j, k: q[i] * v_(i, k) + q[j] * v_(j, k)),
        _e2(mu, idx, lambda i, k: q[i] * v_(i, k)) + _e2(mu, idx, lambda j, k: q[j] * v_(j, k)),
        _e2(mu, idx, lambda i, j: q[i] * v_(i, j)) + _e2(mu, idx, lambda i, k: q[i] * v_(i, k)),
        _e2(mu, idx, lambda i, j: q[i] * v_(i, j)) + _e2(mu, idx, lambda i, j: q[i] * v_(i, j)),
        2 * _e2(mu, idx, lambda i, j: q[i] * v_(i, j)),
    ]


def _renaming_example(n: int) -> Equal:
    p = distribution("p_ex", n, "p")
    f = [var(f"f_ex_{i + 1}", REAL, f"f(x_{{{i + 1}}})") for i in range(n)]
    ex = sp.Add(*[pi * fi for pi, fi in zip(p, f, strict=True)])
    return Equal(ex + ex, 2 * ex)


def _double_star_chain(n: int) -> list[sp.Expr]:
    mu, q, v_, idx = _setting(n)
    return [
        _e3(mu, idx, lambda i, j, k: q[i] * v_(j, k) + q[j] * v_(i, k)),
        2 * _e3(mu, idx, lambda i, j, k: q[i] * v_(j, k)),
        2 * _e1(mu, idx, lambda i: q[i]) * _e2(mu, idx, v_),
        _e1(mu, idx, lambda i: q[i]),
    ]


def _difference_chain(n: int) -> list[sp.Expr]:
    mu, q, v_, idx = _setting(n)
    return [
        2 * _e2(mu, idx, lambda i, j: q[i] * v_(i, j)) - _e1(mu, idx, lambda i: q[i]),
        _e2(mu, idx, lambda i, j: 2 * q[i] * v_(i, j) - (v_(i, j) + v_(j, i)) * q[i]),
        _e2(mu, idx, lambda i, j: q[i] * v_(i, j) - v_(j, i) * q[i]),
        _e2(mu, idx, lambda i, j: q[i] * v_(i, j) - v_(i, j) * q[j]),
        _e2(mu, idx, lambda i, j: (q[i] - q[j]) * v_(i, j)),
    ]


def _final_argmin(n: int) -> EqualUpToConstant:
    mu, q, v_, idx = _setting(n)
    lhs = _e2(mu, idx, lambda i, j: (q[i] - q[j]) ** 2) - 2 * _e2(mu, idx, lambda i, j: (q[i] - q[j]) * v_(i, j))
    return EqualUpToConstant(lhs, _e2(mu, idx, lambda i, j: (q[i] - q[j] - v_(i, j)) ** 2), q)


def _label_regression(target: Callable[[int], int]) -> Callable[[int], EqualUpToConstant]:
    """``E_{y₁,y₂~μ, c}[(h − target(c))²]`` with ``Pr(c = 1 | y₁, y₂) = v(y₁, y₂)`` vs ``E[(h − v)²]``."""

    def build(n: int) -> EqualUpToConstant:
        mu, q, v_, idx = _setting(n)
        labelled = _e2(
            mu,
            idx,
            lambda i, j: v_(i, j) * (q[i] - q[j] - target(1)) ** 2 + (1 - v_(i, j)) * (q[i] - q[j] - target(2)) ** 2,
        )
        return EqualUpToConstant(labelled, _e2(mu, idx, lambda i, j: (q[i] - q[j] - v_(i, j)) ** 2), q)

    return build


def _sizes(build: Callable[[int], object], sizes: dict) -> ForSizes:
    return ForSizes(build, **sizes)


def _link(lines: Callable[[int], list[sp.Expr]], k: int, sizes: dict) -> ForSizes:
    return ForSizes(_chain(lines, k), **sizes)


derivation = Derivation(
    id="audit_dpo_vs_ipo",
    title="Audit: DPO vs IPO blog post (001)",
    source=Source(DOC, "DPO; IPO's Loss Derivation; Technical Derivation"),
    kind="audit",
    summary=(
        "The IPO lemma and its proof hold; refuted: the DPO KL rewriting (β dropped, sign of the KL "
        "flipped) and the label target c − 1 (it is 1[c = 1] = 2 − c), with the symmetrised target "
        "0.5 derived from it."
    ),
    steps=[
        # ------------------------------------------------------------ RLHF / DPO
        Step(
            "bt_preference_eq_sigmoid_of_score_gap",
            Equal(sp.exp(s_1) / (sp.exp(s_1) + sp.exp(s_2)), sigmoid(s_1 - s_2)),
            "divide numerator and denominator by exp(s(x, y₁))",
            "RLHF, Bradley-Terry display",
            anchor=r"\textsf{Pr}\left(\bm{y}_1 \succ \bm{y}_2 \mid \bm{x}\right) \triangleq",
        ),
        Step(
            "kl_objective_eq_kl_to_optimal_policy_up_to_constant",
            _sizes(_kl_as_written, NUMERIC),
            "the display after 'can be expressed as', as printed: E_y~π[s] − β KL(π‖π_ref) = "
            "KL(π‖π_ref e^{s/β}/Z) + const, the constant not depending on π",
            "DPO, display after 'can be expressed as'",
            expected="refuted",
            correction=_kl_corrected(2),
            diagnosis="the objective equals −β KL(π‖π*) + β log Z: the factor β is dropped and the sign of "
            "the KL term flipped, so the difference with KL(π‖π*) varies with π",
            anchor=r"&= \mathop{\mathbb{E}}_{\bm{x}} \left[  \Dkl{\pi}{\dfrac{1}{Z(\bm{x})}",
        ),
        Step(
            "kl_objective_eq_neg_beta_kl_to_optimal_policy_add_beta_log_partition",
            _sizes(_kl_corrected, {"symbolic": (2,), "numeric": (3,)}),
            "log(π/π*) = log(π/π_ref) − s/β + log Z, and Σ_y π = 1",
            "DPO, display after 'can be expressed as' (corrected)",
        ),
        Step(
            "optimal_policy_maximises_objective",
            _sizes(_optimum, NUMERIC),  # Gibbs' inequality: SymPy cannot sign a KL divergence
            "objective(π*) − objective(π) = β KL(π‖π*) ≥ 0 by the corrected rewriting",
            "DPO, display of π* ('suggests an optimal solution')",
            uses=["kl_objective_eq_neg_beta_kl_to_optimal_policy_add_beta_log_partition"],
            anchor=r"\pi^{\star }(\bm{y} \mid \bm{x}) = \dfrac{1}{Z(\bm{x})} \pi_{\rm",
        ),
        Step(
            "score_eq_beta_log_ratio_add_beta_log_partition",
            Solves(
                [(pistar_y, ref_y * sp.exp(s_y / beta) / Zx)],
                {s_y: beta * sp.log(pistar_y / ref_y) + beta * sp.log(Zx)},
            ),
            "take logs of π* = π_ref e^{s/β}/Z and multiply by β",
            "DPO, display after 'which equivalently implies'",
            uses=["kl_objective_eq_neg_beta_kl_to_optimal_policy_add_beta_log_partition"],
            anchor=r"s(\bm{y}, \bm{x}) = \beta \log \dfrac{\pi^{\star }(\bm{y} \mid",
        ),
        Step(
            "score_gap_eq_beta_log_ratio_difference",
            Equal(
                (beta * sp.log(pistar_1 / ref_1) + beta * sp.log(Zx))
                - (beta * sp.log(pistar_2 / ref_2) + beta * sp.log(Zx)),
                beta * sp.log(pistar_1 / ref_1) - beta * sp.log(pistar_2 / ref_2),
            ),
            "β log Z(x) is the same for y₁ and y₂ and cancels",
            "eq:qoblq",
            uses=["score_eq_beta_log_ratio_add_beta_log_partition"],
            anchor="label:eq:qoblq",
            trivial="β log Z(x) cancels as the line is built: eq:qoblq is that cancellation",
        ),
        Step(
            "policy_meeting_score_gap_condition_is_optimal",
            _sizes(_condition_gives_optimum, {"symbolic": (2, 3), "numeric": (4,)}),
            "β log(π_θ/π_ref) = s + c(x) on every response; normalising π_θ fixes e^{c/β} = Z(x)^{-1}, so π_θ = π*: "
            "the 'trivial ambiguity' is only the constant c(x), which the normalisation removes",
            "DPO, 'any policy satisfying (h_theta_cond) is an optimal solution'",
            uses=["score_gap_eq_beta_log_ratio_difference"],
        ),
        Step(
            "bt_preference_below_one_at_finite_score_gap",
            Inequality(sigmoid(gap), "<", 1),
            "1 − σ(d) = e^{−d}/(1 + e^{−d}) > 0: Pr(c = 1) = 1 is never reached at a finite gap",
            "Drawback, 'needs to reach ∞'",
            uses=["bt_preference_eq_sigmoid_of_score_gap"],
        ),
        Step(
            "bt_preference_tends_to_one_as_score_gap_grows",
            Limit(sigmoid(gap), gap, sp.oo, 1),
            "e^{−d} → 0",
            "Drawback, 'Pr(c = 1 | x, y₁, y₂) → 1'",
            uses=["bt_preference_eq_sigmoid_of_score_gap"],
        ),
        Step(
            "dpo_logistic_loss_minimised_at_the_score_gap",
            Inequality(_logistic_loss(h), ">=", _logistic_loss(gap), extremum={h: gap}),
            "with Pr(c = 1) = σ(s₁ − s₂), the expected logistic loss in h exceeds its value at h = s₁ − s₂ by the "
            "Bernoulli KL(σ(s₁ − s₂)‖σ(h)) ≥ 0: MLE recovers the score gap, so θ* meets eq:h_theta_cond and "
            "π_θ* is the optimum (policy_meeting_score_gap_condition_is_optimal), when the parameterisation can "
            "reach the gap",
            "DPO, 'an optimal solution θ* … gives us an optimal policy π_θ* … simultaneously'",
            uses=["policy_meeting_score_gap_condition_is_optimal"],
        ),
        Step(
            "deterministic_preference_loss_positive_at_every_finite_log_ratio_gap",
            Inequality(-sp.log(sigmoid(beta * log_ratio_gap)), ">", 0),
            "with Pr(c = 1) = 1 the DPO loss −log σ(β t), t = log(π_θ(y₁)/π_ref(y₁)) − log(π_θ(y₂)/π_ref(y₂)), "
            "is positive at every finite t and for every β > 0: no finite policy ratio minimises it",
            "Drawback, 'drifting arbitrarily far away from π_ref regardless of β'",
        ),
        Step(
            "deterministic_preference_loss_tends_to_zero_only_as_log_ratio_gap_grows",
            Limit(-sp.log(sigmoid(beta * log_ratio_gap)), log_ratio_gap, sp.oo, 0),
            "its infimum 0 is approached only as t → ∞, whatever β > 0: the minimising policies drift "
            "arbitrarily far from π_ref",
            "Drawback, 'drifting arbitrarily far away from π_ref regardless of β'",
            uses=["deterministic_preference_loss_positive_at_every_finite_log_ratio_gap"],
        ),
        # ------------------------------------------------------------ Technical Derivation: the proof
        Step(
            "first_square_objective_eq_eq_qioqli_up_to_constant",
            _sizes(_expanded_square, SQUARES),
            "expand the square; E[(s₁ − s₂)²] does not depend on θ",
            "Proof, eq:qioqli",
            anchor=("label:eq:ipo_first_square", "label:eq:qioqli"),
        ),
        Step(
            "second_term_eq_triple_expectation",
            _link(_second_term, 0, PAIR),
            "linearity: pull the inner expectation over y out",
            "Proof, second-term chain, line 2",
            anchor=r"\quad \quad &\mathop{\mathbb{E}}_{\bm{y}_1, \bm{y}_2 \sim \mu} \left[",
        ),
        Step(
            "triple_expectation_eq_star_minus_double_star",
            _link(_second_term, 1, PAIR),
            "multiply out (q₁ − q₂)(v(y₁, y) − v(y₂, y))",
            "Proof, second-term chain, lines 3–4",
            uses=["second_term_eq_triple_expectation"],
            anchor=r"\quad \quad &\mathop{\mathbb{E}}_{\bm{y}_1, \bm{y}_2 \sim \mu} \left[",
        ),
        Step(
            "star_eq_sum_of_pair_expectations",
            _link(_star_chain, 0, TRIPLE),
            "split the sum; marginalise the variable not appearing in each term",
            "Proof, (*) chain, line 2",
            anchor="label:eq:qobpal",
        ),
        Step(
            "star_pair_expectations_renamed",
            _link(_star_chain, 1, TRIPLE),
            "rename y → y₂ in the first term and y₂ → y₁ in the second",
            "Proof, (*) chain, line 3",
            uses=["star_eq_sum_of_pair_expectations"],
            trivial=(
                "renaming the bound variables of an expectation over i.i.d. draws from the same μ gives the same"
                " finite sum as the line is built: the line records that the document's renaming is legitimate"
            ),
        ),
        Step(
            "star_second_pair_expectation_renamed",
            _link(_star_chain, 2, TRIPLE),
            "rename y → y₂ (same distribution μ)",
            "Proof, (*) chain, line 4",
            uses=["star_pair_expectations_renamed"],
            trivial=(
                "renaming the bound variables of an expectation over i.i.d. draws from the same μ gives the same"
                " finite sum as the line is built: the line records that the document's renaming is legitimate"
            ),
        ),
        Step(
            "star_eq_twice_cross_expectation",
            _link(_star_chain, 3, TRIPLE),
            "two equal terms",
            "Proof, (*) chain, line 5 (eq:qobpal)",
            uses=["star_second_pair_expectation_renamed"],
            anchor="label:eq:qobpal",
            trivial=(
                "renaming the bound variables of an expectation over i.i.d. draws from the same μ gives the same"
                " finite sum as the line is built: the line records that the document's renaming is legitimate"
            ),
        ),
        Step(
            "renamed_expectations_sum_to_twice_expectation",
            _sizes(_renaming_example, {"symbolic": (2, 3), "numeric": ()}),
            "the names of variables under an expectation do not matter",
            "Proof, tcolorbox example",
            anchor=r"= \mathop{\mathbb{E}}_{x \sim p}[f(x)] + \mathop{\mathbb{E}}_{x \sim p}[f(x)]",
            trivial=(
                "renaming the bound variables of an expectation over i.i.d. draws from the same μ gives the same"
                " finite sum as the line is built: the line records that the document's renaming is legitimate"
            ),
        ),
        Step(
            "double_star_eq_twice_one_cross_term",
            _link(_double_star_chain, 0, TRIPLE),
            "swap the names y₁ and y₂ in the second term",
            "Proof, (**) chain, line 2",
            uses=["renamed_expectations_sum_to_twice_expectation"],
            anchor="label:eq:qoaibl",
        ),
        Step(
            "double_star_factorises_by_independence",
            _link(_double_star_chain, 1, TRIPLE),
            "y₁ is independent of (y₂, y)",
            "Proof, (**) chain, line 3",
            uses=["double_star_eq_twice_one_cross_term"],
        ),
        Step(
            "self_preference_expectation_eq_half",
            _sizes(_half, PAIR),
            "pair (i, j) with (j, i): v_ij + v_ji = 1, and v_ii = 1/2 (eq:ipo_self_compare, eq:ipo_symmetric)",
            "Proof, 'E_{y₂,y}[v(y₂, y, x)] = 0.5'",
        ),
        Step(
            "double_star_eq_mean_q",
            _link(_double_star_chain, 2, TRIPLE),
            "E[v(y₂, y)] = 1/2",
            "Proof, (**) chain, line 4 (eq:qoaibl)",
            uses=["double_star_factorises_by_independence", "self_preference_expectation_eq_half"],
            anchor="label:eq:qoaibl",
        ),
        Step(
            "mean_q_eq_expectation_of_symmetrised_preference",
            _link(_difference_chain, 0, PAIR),
            "1 = v(y₁, y₂) + v(y₂, y₁) (eq:ipo_symmetric)",
            "Proof, (*) − (**) chain, line 2",
            uses=["star_eq_twice_cross_expectation", "double_star_eq_mean_q"],
        ),
        Step(
            "difference_terms_collected",
            _link(_difference_chain, 1, PAIR),
            "2 q₁ v₁₂ − (v₁₂ + v₂₁) q₁ = q₁ v₁₂ − v₂₁ q₁",
            "Proof, (*) − (**) chain, line 3",
            uses=["mean_q_eq_expectation_of_symmetrised_preference"],
            anchor=r"&= \mathop{\mathbb{E}}_{\bm{y}_1, \bm{y}_2} \left[2q_{\boldsymbol",
        ),
        Step(
            "difference_second_term_renamed",
            _link(_difference_chain, 2, PAIR),
            "swap the names y₁ and y₂ in the second term",
            "Proof, (*) − (**) chain, line 4",
            uses=["difference_terms_collected"],
        ),
        Step(
            "star_minus_double_star_eq_margin_times_preference",
            _link(_difference_chain, 3, PAIR),
            "factor v(y₁, y₂)",
            "Proof, (*) − (**) chain, line 5",
            uses=["difference_second_term_renamed"],
            anchor=r"&= \mathop{\mathbb{E}}_{\bm{y}_1, \bm{y}_2} \left[2q_{\boldsymbol",
        ),
        Step(
            "eq_qioqli_eq_square_2_up_to_constant",
            _sizes(_final_argmin, SQUARES),
            "complete the square: E[v(y₁, y₂)²] does not depend on θ",
            "Proof, final argmin display",
            uses=[
                "first_square_objective_eq_eq_qioqli_up_to_constant",
                "star_minus_double_star_eq_margin_times_preference",
            ],
            anchor=("label:eq:ipo_square_2", r"&\mathop{\mathrm{arg\,min}}_{\boldsymbol \theta} \;"),
        ),
        Step(
            "ipo_objectives_differ_by_constant",
            _sizes(_lemma, SQUARES),
            "eq:ipo_first_square and eq:ipo_square_2 have the same minimisers in θ",
            "Lemma",
            uses=["eq_qioqli_eq_square_2_up_to_constant"],
        ),
        # ------------------------------------------------------------ IPO's loss: the label target
        Step(
            "label_target_c_minus_one_has_mean_v",
            Equal(v * (1 - 1) + (1 - v) * (2 - 1), v),
            "'v(y₁, y₂, x) ≈ c − 1' read as an unbiased estimate: Pr(c = 1 | y₁, y₂) = v",
            "IPO's Loss Derivation, eq. after 'can be approximated as' (and Take-Home Points)",
            expected="refuted",
            correction=_label_regression(lambda c: 2 - c)(2),
            diagnosis="c − 1 is 0 when y₁ is preferred, so E[c − 1 | y₁, y₂] = 1 − v; the estimate of v is "
            "1[c = 1] = 2 − c",
            anchor=r"v(\bm{y}_1, \bm{y}_2, \bm{x}) \approx c-1",
        ),
        Step(
            "label_target_two_minus_c_has_mean_v",
            Equal(v * (2 - 1) + (1 - v) * (2 - 2), v),
            "1[c = 1] = 2 − c for c ∈ {1, 2}",
            "IPO's Loss Derivation (corrected target)",
            trivial=(
                "the expectation over c ∈ {1, 2} is evaluated as the line is built; the line records that the target "
                "2 − c averages to v given (y₁, y₂)"
            ),
        ),
        Step(
            "regression_onto_c_minus_one_eq_square_2_up_to_constant",
            _sizes(_label_regression(lambda c: c - 1), NUMERIC),
            "the problem after 'With such approximation': E_{y₁,y₂~μ,c}[(h_θ − c + 1)²] against eq:ipo_square_2",
            "IPO's Loss Derivation, display after 'With such approximation'",
            expected="refuted",
            correction=_label_regression(lambda c: 2 - c)(2),
            diagnosis="with target c − 1 the regression is onto E[c − 1 | y₁, y₂] = 1 − v, not v, so it does not "
            "have the minimisers of eq:ipo_square_2; the target 2 − c does",
            uses=["ipo_objectives_differ_by_constant"],
            anchor="display 20",
        ),
        Step(
            "regression_onto_two_minus_c_eq_square_2_up_to_constant",
            _sizes(_label_regression(lambda c: 2 - c), {"symbolic": (2,), "numeric": (3,)}),
            "E_c[(h − 1[c = 1])²] = (h − v)² + v(1 − v)",
            "IPO's Loss Derivation (corrected target)",
            uses=["ipo_objectives_differ_by_constant", "label_target_two_minus_c_has_mean_v"],
        ),
        Step(
            "symmetrised_c_minus_one_regression_targets_half",
            EqualUpToConstant((h - 0) ** 2 + (-h - 1) ** 2, 2 * (h - sp.S.Half) ** 2, [h]),
            "sample (y_w, y_ℓ, 1) has target c − 1 = 0; its induced (y_ℓ, y_w, 2) has target 1 and h_ℓw = −h_wℓ",
            "IPO's Loss Derivation, display after 'the previous problem is equivalent to'",
            expected="refuted",
            correction=EqualUpToConstant((h - 1) ** 2 + (-h - 0) ** 2, 2 * (h - sp.S.Half) ** 2, [h]),
            diagnosis="with the printed target c − 1 the symmetrised target is −1/2, since (h − 0)² + (−h − 1)² = "
            "2(h + 1/2)² + 1/2; the target 0.5 follows from 1[c = 1] = 2 − c",
            uses=["regression_onto_c_minus_one_eq_square_2_up_to_constant"],
            anchor="display 21",
        ),
        Step(
            "symmetrised_two_minus_c_regression_targets_half",
            EqualUpToConstant((h - 1) ** 2 + (-h - 0) ** 2, 2 * (h - sp.S.Half) ** 2, [h]),
            "target 2 − c: 1 for (y_w, y_ℓ), 0 for (y_ℓ, y_w), and h_ℓw = −h_wℓ",
            "IPO's Loss Derivation (corrected target)",
            uses=["regression_onto_two_minus_c_eq_square_2_up_to_constant"],
        ),
    ],
    records=[
        Record("label:eq:original_obj", "definition", "the KL-regularised objective"),
        Record("label:eq:general_spec", "prose", "a diagram: score function ↔ preference data"),
        Record("label:eq:score_learning", "definition", "the score-learning MLE problem"),
        Record(r"\mathcal{L}_{\rm logistic}(p, c) = \mathbb{I}[c=1] \log p +", "definition", "L_logistic"),
        Record(r"h_{\boldsymbol \theta}(\bm{x}, \bm{y}_1, \bm{y}_2)=\beta \log", "definition", "h_θ"),
        Record("label:eq:h_theta_cond", "assumption", "the condition imposed on h_θ"),
        Record("label:eq:score_learning_dpo", "definition", "the DPO problem"),
        Record("display 13", "definition", "the IPO loss as stated"),
        Record("label:eq:s_v", "definition", "the score s♮ from v"),
        Record("label:eq:ipo_boundedness", "assumption", "conditions on v, built into the symbols' domains"),
        Record(
            r"h_{\boldsymbol \theta}(\bm{x}, \bm{y}_1, \bm{y}_2) = s(\bm{x},",
            "assumption",
            "eq:h_theta_cond with eq:s_v substituted",
        ),
        Record(r"\bm{q}_{\boldsymbol \theta}(\bm{y}, \bm{x}) = \beta \log", "definition", "q_θ"),
    ],
)
