r"""Audit of "DPO Mixture Analysis" (003), as written.

The reference is a mixture ``p_ref = α p_A + (1 − α) p_U`` of an aligned and an unaligned
distribution on a finite support; ``p_θ`` is the optimum of the KL-regularised objective.

Main findings:

- Lemma 1 (the mixture form of ``p_θ`` with weights ``α_A = α e^{r/β}/Z``,
  ``α_U = (1 − α) e^{r/β}/Z``) and the objective rewriting of the proof hold.
- Theorem 2 is false as stated: ``r`` positively correlated with ``p_A`` and negatively with
  ``p_U`` (over the uniform distribution on the support, as the proof uses) does not give
  ``TPM(A) ≥ α``; a three-point instance satisfying both hypotheses has ``TPM(A) < α``. Refuted,
  together with the strict form the proof concludes (``TPM(A) > α``) and the ``U`` half.
- The false lemma is in the proof: "α_A is a monotonic function of r, so the correlation
  properties are preserved". A monotone transform need not preserve the sign of a covariance;
  the first displayed inequality ``E[α_A p_A] > E[α_A] E[p_A]`` and its ``U`` counterpart are
  refuted on their own. The remaining steps (dividing the inequalities, "reciprocating, adding 1,
  reciprocating", ``card · E_unif[p] = 1``) are valid.
- Corrected form: ``TPM(A) − α = α(1 − α) Σ_y (p_A − p_U) e^{r/β} / Z`` (proved), so the
  theorem holds with the hypotheses on ``e^{r/β}`` (equivalently on ``α_A``, which is what the
  proof uses) instead of on ``r``: covariance of ``e^{r/β}`` with ``p_A`` positive and with
  ``p_U`` negative gives ``TPM(A) > α``.

- The reading matters: with "correlated" read as comonotone (r ordered like p_A and against p_U on
  every pair, under which "monotone functions preserve the correlation" is true) Theorem 2's
  TPM(A) ≥ α holds (Chebyshev's sum inequality; confirmed). The document does not say which it
  means; "positively correlated" usually means a positive covariance, the reading refuted.
- "supp p_θ = supp p_ref" holds (p_θ ∝ p_ref e^{r/β}); it is searched on references with zero entries.

Covariances are over the uniform distribution on the support,
``Cov(u, v) = (1/n) Σ u_i v_i − (1/n²) Σ u_i Σ v_i``; theorem instances are searched for
support sizes 3 and 4; the algebraic identities are proved at size 2 and fuzzed at sizes 3 and 6.

References: the document's "Lemma 1", "Theorem 2" and the displays of its "Proofs" section.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sympy as sp

from verify import (
    AllOf,
    Derivation,
    Equal,
    ForSizes,
    Implies,
    Inequality,
    Record,
    Source,
    Step,
    var,
)
from verify.domains import POSITIVE, REAL, UNIT, simplex, simplex_with_zeros

from .._notation import DPO_MIXTURE, beta, boltzmann, distribution, rewards

DOC = DPO_MIXTURE
# α ∈ (0, 1) as a normalised pair of positive weights, so that 1 − α > 0 is visible to SymPy.
(alpha, not_alpha), _alpha_weights = simplex("alpha", 2, r"\alpha")
alpha_display = var("alpha_mix", UNIT, r"\alpha")
Zx = var("Z_mix", POSITIVE, "Z")

THEOREM_SIZES = {"symbolic": (), "numeric": (3, 4), "size_name": "n"}
#: sizes at which the algebraic identities are proved (and fuzzed beyond)
ALGEBRA_SIZES = {"symbolic": (2,), "numeric": (3, 6)}


def _mean(u: Sequence[sp.Expr]) -> sp.Expr:
    return sp.Add(*u) / len(u)


def _mean_product(u: Sequence[sp.Expr], v: Sequence[sp.Expr]) -> sp.Expr:
    """The uniform mean of the pointwise product, (1/n) Σ u_i v_i."""
    return _mean([a * b for a, b in zip(u, v, strict=True)])


def cov(u: Sequence[sp.Expr], v: Sequence[sp.Expr]) -> sp.Expr:
    """Covariance over the uniform distribution on the support."""
    return _mean_product(u, v) - _mean(u) * _mean(v)


class Mixture:
    """The objects of the document at support size ``n``."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.pA = distribution("pA", n, "p_{\\mathcal{A}}")
        self.pU = distribution("pU", n, "p_{\\mathcal{U}}")
        self.r = rewards(n)
        self.ref = [alpha * a + not_alpha * u for a, u in zip(self.pA, self.pU, strict=True)]
        self.tilt = [sp.exp(ri / beta) for ri in self.r]
        self.theta, self.Z = boltzmann(self.ref, self.r, beta)
        self.alpha_A = [alpha * e / self.Z for e in self.tilt]
        self.alpha_U = [not_alpha * e / self.Z for e in self.tilt]
        self.tpm_a = sp.Add(*[w * p for w, p in zip(self.alpha_A, self.pA, strict=True)])
        self.tpm_u = sp.Add(*[w * p for w, p in zip(self.alpha_U, self.pU, strict=True)])

    def objective(self, p: Sequence[sp.Expr]) -> sp.Expr:
        """``L = Σ_y p r − β p log(p / p_ref)``."""
        return sp.Add(*[pi * ri - beta * pi * sp.log(pi / q) for pi, ri, q in zip(p, self.r, self.ref, strict=True)])

    def as_written_hypotheses(self) -> list[sp.Basic]:
        return [sp.Gt(cov(self.r, self.pA), 0), sp.Lt(cov(self.r, self.pU), 0)]

    def corrected_hypotheses(self) -> list[sp.Basic]:
        return [sp.Gt(cov(self.tilt, self.pA), 0), sp.Lt(cov(self.tilt, self.pU), 0)]


_cache: dict[int, Mixture] = {}


def mixture(n: int) -> Mixture:
    if n not in _cache:
        _cache[n] = Mixture(n)
    return _cache[n]


AS_WRITTEN = ["Cov(r, p_A) > 0", "Cov(r, p_U) < 0"]
CORRECTED = ["Cov(e^{r/β}, p_A) > 0", "Cov(e^{r/β}, p_U) < 0"]


def _sizes(build: Callable[[int], object], sizes: dict, display: sp.Basic | None = None) -> ForSizes:
    return ForSizes(build, **sizes, display=display)


def _theorem_display(rel: str, mass: str, hypotheses: str = "as written") -> sp.Basic:
    lhs, rhs = (tpm_a, alpha_display) if mass == "A" else (tpm_u, 1 - alpha_display)
    hyp = AS_WRITTEN_DISPLAY if hypotheses == "as written" else CORRECTED_DISPLAY
    return sp.Implies(hyp, {">=": sp.Ge, ">": sp.Gt, "<=": sp.Le, "<": sp.Lt}[rel](lhs, rhs), evaluate=False)


def _theorem_sizes(rel: str, mass: str, hypotheses: str = "as written") -> ForSizes:
    # the corrected statements follow from a proved identity; their search is a cross-check at n = 3
    sizes = THEOREM_SIZES if hypotheses == "as written" else {**THEOREM_SIZES, "numeric": (3,)}
    return _sizes(theorem(rel, mass, hypotheses), sizes, _theorem_display(rel, mass, hypotheses))


def theorem(rel: str, mass: str, hypotheses: str = "as written") -> Callable[[int], Implies]:
    """Theorem 2's conclusions: ``TPM(A) rel α`` or ``TPM(U) rel 1 − α`` under the hypotheses."""

    def build(n: int) -> Implies:
        m = mixture(n)
        hyps, names = (
            (m.as_written_hypotheses(), AS_WRITTEN)
            if hypotheses == "as written"
            else (m.corrected_hypotheses(), CORRECTED)
        )
        lhs, rhs = (m.tpm_a, alpha) if mass == "A" else (m.tpm_u, not_alpha)
        return Implies(hyps, Inequality(lhs, rel, rhs), names=names)

    return build


def _comonotone_theorem(n: int) -> Implies:
    """Theorem 2 (TPM(A) ≥ α) with "correlated" read as comonotone: (r_i − r_j)(p_A,i − p_A,j) ≥ 0 and
    (r_i − r_j)(p_U,i − p_U,j) ≤ 0 for every pair. Then e^{r/β} is comonotone with p_A − p_U and Chebyshev's sum
    inequality gives Σ (p_A − p_U) e^{r/β} ≥ 0, so TPM(A) − α ≥ 0."""
    m = mixture(n)
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    hyps = [sp.Ge((m.r[i] - m.r[j]) * (m.pA[i] - m.pA[j]), 0) for i, j in pairs]
    hyps += [sp.Le((m.r[i] - m.r[j]) * (m.pU[i] - m.pU[j]), 0) for i, j in pairs]
    names = [f"r, p_A comonotone on (y_{i + 1}, y_{j + 1})" for i, j in pairs]
    names += [f"r, p_U anti-monotone on (y_{i + 1}, y_{j + 1})" for i, j in pairs]
    return Implies(hyps, Inequality(m.tpm_a, ">=", alpha), names=names)


def _product_inequality(mass: str) -> Callable[[int], Implies]:
    """The proof's displays: E[α_A p_A] > E[α_A] E[p_A] (mass "A") or E[α_U p_U] < E[α_U] E[p_U] (mass "U")."""

    def build(n: int) -> Implies:
        m = mixture(n)
        i, weights, p, rel = (0, m.alpha_A, m.pA, ">") if mass == "A" else (1, m.alpha_U, m.pU, "<")
        return Implies(
            [m.as_written_hypotheses()[i]],
            Inequality(_mean_product(weights, p), rel, _mean(weights) * _mean(p)),
            names=[AS_WRITTEN[i]],
        )

    return build


def _monotone_preserves_correlation(n: int) -> Implies:
    m = mixture(n)
    return Implies([sp.Gt(cov(m.r, m.pA), 0)], Inequality(cov(m.alpha_A, m.pA), ">", 0), names=AS_WRITTEN[:1])


def _ratio_as_divided(n: int) -> Implies:
    m = mixture(n)
    lhs = _mean_product(m.alpha_A, m.pA) / _mean_product(m.alpha_U, m.pU)
    rhs = _mean([alpha * p for p in m.pA]) / _mean([not_alpha * p for p in m.pU])
    return Implies(m.as_written_hypotheses(), Inequality(lhs, ">", rhs), names=AS_WRITTEN)


def _after_reciprocating(n: int) -> Implies:
    m = mixture(n)
    lhs = _mean_product(m.alpha_A, m.pA) / _mean(m.theta)
    rhs = _mean([alpha * p for p in m.pA]) / _mean(m.ref)
    return Implies(m.as_written_hypotheses(), Inequality(lhs, ">", rhs), names=AS_WRITTEN)


def _free(n: int) -> list[sp.Expr]:
    """An arbitrary distribution ``p_θ`` on the support (the objective's argument)."""
    return distribution("p_free", n, "p")


def _same_support(n: int) -> AllOf:
    """supp p_θ = supp p_ref for p_θ = p_ref e^{r/β}/Z, with a reference that may have zero entries:
    for each y, p_ref(y) > 0 ⇒ p_θ(y) > 0 and p_ref(y) = 0 ⇒ p_θ(y) = 0 (p_ref(y_1) > 0: a support is
    not empty, and which point carries mass is a relabelling)."""
    ref, _ = simplex_with_zeros("ref0", n, r"p_{ref}")
    theta, _ = boltzmann(ref, rewards(n), beta)
    parts, names = [], []
    for i, (q, t) in enumerate(zip(ref, theta, strict=True), 1):
        names.append(f"y_{i} ∈ supp p_ref ⇒ y_{i} ∈ supp p_θ")
        if i == 1:  # p_ref(y_1) > 0 by construction
            parts.append(Inequality(t, ">", 0))
        else:
            parts.append(Implies([sp.Gt(q, 0)], Inequality(t, ">", 0), names=[f"p_ref(y_{i}) > 0"]))
            parts.append(Implies([sp.Le(q, 0)], Inequality(t, "<=", 0), names=[f"p_ref(y_{i}) = 0"]))
            names.append(f"y_{i} ∉ supp p_ref ⇒ y_{i} ∉ supp p_θ")
    return AllOf(parts, names)


# Positive reals for the order-theoretic steps (dividing, reciprocating).
qa, qb, qc, qd = (var(f"q_mix_{s}", POSITIVE, f"{s}") for s in "abcd")

# Display-only symbols: the general statements, for the LaTeX of theorem-level claims.
cov_r_pa = var("cov_r_pA", REAL, r"\operatorname{Cov}(r, p_{\mathcal{A}})")
cov_r_pu = var("cov_r_pU", REAL, r"\operatorname{Cov}(r, p_{\mathcal{U}})")
cov_tilt_pa = var("cov_tilt_pA", REAL, r"\operatorname{Cov}(e^{r/\beta}, p_{\mathcal{A}})")
cov_tilt_pu = var("cov_tilt_pU", REAL, r"\operatorname{Cov}(e^{r/\beta}, p_{\mathcal{U}})")
cov_alpha_pa = var("cov_alphaA_pA", REAL, r"\operatorname{Cov}(\alpha_{\mathcal{A}}, p_{\mathcal{A}})")
tpm_a = var("tpm_a", UNIT, r"\operatorname{TPM}(\mathcal{A})")
tpm_u = var("tpm_u", UNIT, r"\operatorname{TPM}(\mathcal{U})")
e_alpha_pa = var("E_alphaA_pA", POSITIVE, r"E[\alpha_{\mathcal{A}} p_{\mathcal{A}}]")
e_alpha_e_pa = var("E_alphaA_E_pA", POSITIVE, r"E[\alpha_{\mathcal{A}}] E[p_{\mathcal{A}}]")
e_alphau_pu = var("E_alphaU_pU", POSITIVE, r"E[\alpha_{\mathcal{U}} p_{\mathcal{U}}]")
e_alphau_e_pu = var("E_alphaU_E_pU", POSITIVE, r"E[\alpha_{\mathcal{U}}] E[p_{\mathcal{U}}]")
supp_theta = var("supp_theta", REAL, r"\operatorname{supp} p_\theta")
supp_ref = var("supp_ref", REAL, r"\operatorname{supp} p_{ref}")
comonotone_r_pa = var("comonotone_r_pA", REAL, r"(r_i - r_j)(p_{\mathcal{A},i} - p_{\mathcal{A},j})")
comonotone_r_pu = var("comonotone_r_pU", REAL, r"(r_i - r_j)(p_{\mathcal{U},i} - p_{\mathcal{U},j})")
COMONOTONE_DISPLAY = sp.And(sp.Ge(comonotone_r_pa, 0), sp.Le(comonotone_r_pu, 0))
SAME_SUPPORT_DISPLAY = sp.Eq(supp_theta, supp_ref, evaluate=False)
AS_WRITTEN_DISPLAY = sp.And(sp.Gt(cov_r_pa, 0), sp.Lt(cov_r_pu, 0))
CORRECTED_DISPLAY = sp.And(sp.Gt(cov_tilt_pa, 0), sp.Lt(cov_tilt_pu, 0))
# Corrected forms stated over the display symbols are displays (sympy's logical Implies), not claims: the
# symbols stand for quantities the display does not define, so nothing could check them as written (a
# report marks them "not checked"). The corrected theorem is checked on the vectors themselves by the
# steps at "Theorem 2 (correction)" below.
#: the mixture weight's range, which the document never states: α(x) in [0, 1] would allow α = 1 (p_ref = p_A,
#: TPM(A) = 1 and TPM(U) = 0), where Theorem 2's strict bounds '1 > TPM(A)' and '0 < TPM(U)' fail
ALPHA_OPEN = "0 < α(x) < 1 (the document does not state α's range; at α = 1, TPM(A) = 1 and TPM(U) = 0)"
CORRECTED_THEOREM = sp.Implies(CORRECTED_DISPLAY, sp.Gt(tpm_a, alpha_display))

derivation = Derivation(
    id="audit_dpo_mixture",
    title="Audit: DPO mixture analysis (003)",
    source=Source(DOC, "Lemma 1, Theorem 2, Proofs"),
    kind="audit",
    summary=(
        "Lemma 1 holds; Theorem 2 is false as stated (r correlated with p_A does not move mass to A): "
        "its proof's lemma that a monotone transform preserves correlation is refuted. Corrected: the "
        "hypotheses must be on e^{r/β}."
    ),
    steps=[
        Step(
            "objective_as_beta_times_log_tilt",
            _sizes(
                lambda n: Equal(
                    mixture(n).objective(_free(n)),
                    beta
                    * sp.Add(
                        *[
                            p * (sp.log(sp.exp(ri / beta)) - sp.log(p / q))
                            for p, ri, q in zip(_free(n), mixture(n).r, mixture(n).ref, strict=True)
                        ]
                    ),
                ),
                ALGEBRA_SIZES,
            ),
            "factor β out; r/β = log e^{r/β}",
            "Proofs, objective, line 2",
            anchor=r"&= \beta \sum_y p_\theta(y|x) \Big[ \log e^{r(y;x)/\beta} -",
        ),
        Step(
            "objective_as_negative_kl_to_tilted_reference_plus_log_partition",
            _sizes(
                lambda n: Equal(
                    mixture(n).objective(_free(n)),
                    -beta
                    * sp.Add(
                        *[
                            p * sp.log(p / (q * sp.exp(ri / beta) / Zx))
                            for p, ri, q in zip(_free(n), mixture(n).r, mixture(n).ref, strict=True)
                        ]
                    )
                    + beta * sp.log(Zx),
                ),
                ALGEBRA_SIZES,
            ),
            "log Z enters with weight Σ_y p_θ(y) = 1 (for any Z > 0, in particular the partition function)",
            "Proofs, objective, line 3",
            uses=["objective_as_beta_times_log_tilt"],
            anchor=r"&= \beta \sum_y p_\theta(y|x) \Big[ \log e^{r(y;x)/\beta} -",
        ),
        Step(
            "tilted_reference_is_a_distribution",
            _sizes(lambda n: Equal(sp.Add(*mixture(n).theta), 1), ALGEBRA_SIZES),
            "Z is the sum of the tilted weights",
            "Proofs, 'a valid probability distribution'",
            anchor="is a valid probability distribution",
        ),
        Step(
            "tilted_reference_maximizes_objective",
            _sizes(
                lambda n: Inequality(mixture(n).objective(_free(n)), "<=", mixture(n).objective(mixture(n).theta)),
                {"symbolic": (), "numeric": (2, 3, 5)},  # SymPy cannot sign a KL divergence
            ),
            "Gibbs' inequality: the objective is β log Z − β KL(p‖p_θ)",
            "Proofs, 'maximized when'",
            uses=[
                "objective_as_negative_kl_to_tilted_reference_plus_log_partition",
                "tilted_reference_is_a_distribution",
            ],
            anchor=r"p_\theta(y|x) = \frac{1}{Z(x)}p_{ref}(y|x)e^{r(y;x)/\beta}.",
        ),
        Step(
            "tuned_policy_is_mixture_with_tilted_weights",
            _sizes(
                lambda n: Equal(
                    mixture(n).theta[0],
                    mixture(n).alpha_A[0] * mixture(n).pA[0] + mixture(n).alpha_U[0] * mixture(n).pU[0],
                ),
                ALGEBRA_SIZES,
            ),
            "substitute p_ref = α p_A + (1 − α) p_U into p_ref e^{r/β} / Z; assumed, not stated by the document "
            "(Lemma 1 says 'with no additional assumptions' and never relates p_ref to p_A, p_U, α): the "
            "reading under which its weights α e^{r/β}/Z, (1 − α) e^{r/β}/Z make the display hold, α ∈ (0, 1)",
            "Lemma 1",
            assumes="p_ref = α p_A + (1 − α) p_U with α ∈ (0, 1): Lemma 1 states 'no additional assumptions' and "
            "never relates p_ref to p_A, p_U and α; Theorem 2's α is read as this weight too",
            anchor=("display 4", "display 5", "display 9", "display 10"),
        ),
        Step(
            "support_of_tuned_policy_eq_support_of_reference",
            _sizes(_same_support, {"symbolic": (), "numeric": (2, 4)}, SAME_SUPPORT_DISPLAY),
            "a finite reward gives e^{r/β} > 0, so p_θ(y) = p_ref(y) e^{r/β}/Z is positive exactly where p_ref(y) "
            "is; checked on reference distributions with zero entries (each w_i, i ≥ 2, is exactly 0 about half the "
            "time), so both inclusions are tested",
            "Proofs, 'finiteness of r', supp p_θ = supp p_ref",
            uses=["tilted_reference_maximizes_objective"],
            anchor=r"\supp p_\theta(\cdot | x) = \supp p_{ref}(\cdot | x)",
        ),
        Step(
            "total_masses_sum_to_one",
            _sizes(lambda n: Equal(mixture(n).tpm_a + mixture(n).tpm_u, 1), ALGEBRA_SIZES),
            "TPM(A) + TPM(U) = Σ_y p_θ(y)",
            "Theorem 2, definition of TPM",
            uses=["tuned_policy_is_mixture_with_tilted_weights"],
        ),
        Step(
            "tpm_aligned_below_one",
            _sizes(lambda n: Inequality(mixture(n).tpm_a, "<", 1), {"symbolic": (2, 3), "numeric": (5,)}),
            "TPM(U) > 0 because 1 − α > 0 and e^{r/β} > 0",
            "Theorem 2, '1 > TPM(A)'",
            uses=["total_masses_sum_to_one"],
            assumes=ALPHA_OPEN,
            anchor=r"1 > \TPM(\mathcal{A};x) \geq \alpha(x), \;\; 0 < \TPM(\mathcal{U};x) \leq (1-\alpha(x)).",
        ),
        Step(
            "tpm_unaligned_positive",
            _sizes(lambda n: Inequality(mixture(n).tpm_u, ">", 0), {"symbolic": (2, 3), "numeric": (5,)}),
            "every term of TPM(U) is positive",
            "Theorem 2, '0 < TPM(U)'",
            assumes=ALPHA_OPEN,
            anchor=r"1 > \TPM(\mathcal{A};x) \geq \alpha(x), \;\; 0 < \TPM(\mathcal{U};x) \leq (1-\alpha(x)).",
        ),
        Step(
            "tpm_aligned_at_least_alpha_under_reward_correlation",
            _theorem_sizes(">=", "A"),
            "Theorem 2 as stated",
            "Theorem 2, 'TPM(A) ≥ α'",
            expected="refuted",
            correction=CORRECTED_THEOREM,
            diagnosis=(
                "correlation of r with p_A does not control Σ p_A e^{r/β}: the mass shift follows the "
                "correlation of e^{r/β} (a convex transform of r) with p_A − p_U, which can have the other sign; "
                "the corrected theorem is checked on the vectors by tpm_aligned_exceeds_alpha_under_tilt_correlation"
            ),
            anchor=r"1 > \TPM(\mathcal{A};x) \geq \alpha(x), \;\; 0 < \TPM(\mathcal{U};x) \leq (1-\alpha(x)).",
        ),
        Step(
            "tpm_unaligned_at_most_one_minus_alpha_under_reward_correlation",
            _theorem_sizes("<=", "U"),
            "Theorem 2 as stated",
            "Theorem 2, 'TPM(U) ≤ 1 − α'",
            expected="refuted",
            correction=CORRECTED_THEOREM,
            diagnosis="the same instances: TPM(U) = 1 − TPM(A) > 1 − α when TPM(A) < α",
            anchor=r"1 > \TPM(\mathcal{A};x) \geq \alpha(x), \;\; 0 < \TPM(\mathcal{U};x) \leq (1-\alpha(x)).",
        ),
        Step(
            "monotone_transform_preserves_correlation",
            _sizes(
                _monotone_preserves_correlation,
                THEOREM_SIZES,
                sp.Implies(sp.Gt(cov_r_pa, 0), sp.Gt(cov_alpha_pa, 0), evaluate=False),
            ),
            "the proof's lemma: α_A is a monotone function of r",
            "Proofs, 'the correlation properties are preserved'",
            expected="refuted",
            correction=sp.Implies(sp.Gt(cov_tilt_pa, 0), sp.Gt(cov_alpha_pa, 0)),
            diagnosis=(
                "a monotone transform preserves rank order, not the sign of a covariance: Cov(r, p_A) > 0 "
                "while Cov(e^{r/β}, p_A) < 0 when a large p_A sits on moderate rewards and the largest reward "
                "on a small p_A"
            ),
        ),
        Step(
            "expected_product_exceeds_product_of_expectations_aligned",
            _sizes(
                _product_inequality("A"),
                THEOREM_SIZES,
                sp.Implies(sp.Gt(cov_r_pa, 0), sp.Gt(e_alpha_pa, e_alpha_e_pa), evaluate=False),
            ),
            "the correlation properties",
            "Proofs, first display, line 1",
            uses=["monotone_transform_preserves_correlation"],
            expected="refuted",
            correction=sp.Implies(sp.Gt(cov_tilt_pa, 0), sp.Gt(e_alpha_pa, e_alpha_e_pa)),
            diagnosis="E[α_A p_A] − E[α_A]E[p_A] = Cov(α_A, p_A), whose sign is not that of Cov(r, p_A)",
            anchor=r"&= \frac{1}{Z(x)}\alpha(x)E_y[e^{r(y;x)/\beta}]E_y[p_\mathcal{A}(y|x)].",
        ),
        Step(
            "expected_alpha_a_factorizes",
            _sizes(
                lambda n: Equal(
                    _mean(mixture(n).alpha_A) * _mean(mixture(n).pA),
                    alpha / mixture(n).Z * _mean(mixture(n).tilt) * _mean(mixture(n).pA),
                ),
                ALGEBRA_SIZES,
            ),
            "Z and α do not depend on y",
            "Proofs, first display, line 2",
            anchor=r"&= \frac{1}{Z(x)}\alpha(x)E_y[e^{r(y;x)/\beta}]E_y[p_\mathcal{A}(y|x)].",
        ),
        Step(
            "expected_product_below_product_of_expectations_unaligned",
            _sizes(
                _product_inequality("U"),
                THEOREM_SIZES,
                sp.Implies(sp.Lt(cov_r_pu, 0), sp.Lt(e_alphau_pu, e_alphau_e_pu), evaluate=False),
            ),
            "the correlation properties",
            "Proofs, second display, line 1",
            uses=["monotone_transform_preserves_correlation"],
            expected="refuted",
            correction=sp.Implies(sp.Lt(cov_tilt_pu, 0), sp.Lt(e_alphau_pu, e_alphau_e_pu)),
            diagnosis="E[α_U p_U] − E[α_U]E[p_U] = Cov(α_U, p_U), whose sign is not that of Cov(r, p_U)",
            anchor=r"&= \frac{1}{Z(x)}(1-\alpha(x))E_y[e^{r(y;x)/\beta}]E_y[p_\mathcal{U}(y|x)].",
        ),
        Step(
            "expected_alpha_u_factorizes",
            _sizes(
                lambda n: Equal(
                    _mean(mixture(n).alpha_U) * _mean(mixture(n).pU),
                    not_alpha / mixture(n).Z * _mean(mixture(n).tilt) * _mean(mixture(n).pU),
                ),
                ALGEBRA_SIZES,
            ),
            "Z and α do not depend on y",
            "Proofs, second display, line 2",
            anchor=r"&= \frac{1}{Z(x)}(1-\alpha(x))E_y[e^{r(y;x)/\beta}]E_y[p_\mathcal{U}(y|x)].",
        ),
        Step(
            "dividing_opposite_inequalities_of_positives",
            Implies([sp.Gt(qa, qb), sp.Lt(qc, qd)], Inequality(qa / qc, ">", qb / qd)),
            "a > b > 0 and 0 < c < d give a/c > b/d",
            "Proofs, 'dividing the inequalities'",
        ),
        Step(
            "partition_and_mean_tilt_cancel_in_the_ratio",
            _sizes(
                lambda n: Equal(
                    (alpha / mixture(n).Z * _mean(mixture(n).tilt) * _mean(mixture(n).pA))
                    / (not_alpha / mixture(n).Z * _mean(mixture(n).tilt) * _mean(mixture(n).pU)),
                    _mean([alpha * p for p in mixture(n).pA]) / _mean([not_alpha * p for p in mixture(n).pU]),
                ),
                ALGEBRA_SIZES,
            ),
            "E[e^{r/β}] and Z cancel",
            "Proofs, ratio display",
            uses=["expected_alpha_a_factorizes", "expected_alpha_u_factorizes"],
            anchor="display 13",
        ),
        Step(
            "ratio_of_aligned_to_unaligned_mass_exceeds_prior_ratio",
            _sizes(_ratio_as_divided, THEOREM_SIZES),
            "divide the two displayed inequalities",
            "Proofs, ratio display",
            uses=[
                "expected_product_exceeds_product_of_expectations_aligned",
                "expected_product_below_product_of_expectations_unaligned",
                "dividing_opposite_inequalities_of_positives",
                "partition_and_mean_tilt_cancel_in_the_ratio",
            ],
            expected="refuted",
            correction=CORRECTED_THEOREM,
            diagnosis="follows validly from the two refuted inequalities and fails on the same instances",
            anchor="display 13",
        ),
        Step(
            "reciprocate_add_one_reciprocate",
            Implies([sp.Gt(qa / qb, qc / qd)], Inequality(qa / (qa + qb), ">", qc / (qc + qd))),
            "t ↦ t/(1 + t) is increasing on t > 0",
            "Proofs, 'Reciprocating the inequality, adding 1 to both sides, and reciprocating again'",
        ),
        Step(
            "mean_tuned_policy_is_sum_of_mixture_terms",
            _sizes(
                lambda n: Equal(
                    _mean(mixture(n).theta),
                    _mean_product(mixture(n).alpha_A, mixture(n).pA) + _mean_product(mixture(n).alpha_U, mixture(n).pU),
                ),
                ALGEBRA_SIZES,
            ),
            "Lemma 1, averaged over the support",
            "Proofs, reciprocated display",
            uses=["tuned_policy_is_mixture_with_tilted_weights"],
        ),
        Step(
            "mass_share_of_aligned_part_exceeds_prior_share",
            _sizes(_after_reciprocating, THEOREM_SIZES),
            "reciprocate, add 1, reciprocate",
            "Proofs, reciprocated display",
            uses=[
                "ratio_of_aligned_to_unaligned_mass_exceeds_prior_ratio",
                "reciprocate_add_one_reciprocate",
                "mean_tuned_policy_is_sum_of_mixture_terms",
            ],
            expected="refuted",
            correction=CORRECTED_THEOREM,
            diagnosis="a valid step applied to the refuted ratio inequality; fails on the same instances",
            anchor="display 14",
        ),
        Step(
            "support_size_times_uniform_mean_is_one",
            _sizes(lambda n: Equal(n * _mean(distribution("pA", n, "p_{\\mathcal{A}}")), 1), ALGEBRA_SIZES),
            "Σ_y p(y) = 1",
            "Proofs, 'card(supp p) · E[p] = 1'",
            anchor=r"\card(\supp p) \cdot E_{y \in \unif(\supp p)}[p(x)] = 1",
        ),
        Step(
            "tpm_aligned_exceeds_alpha_strict",
            _theorem_sizes(">", "A"),
            "multiply by the support size",
            "Proofs, final display 'TPM(A) > α'",
            uses=["mass_share_of_aligned_part_exceeds_prior_share", "support_size_times_uniform_mean_is_one"],
            expected="refuted",
            correction=CORRECTED_THEOREM,
            diagnosis="the proof's conclusion, refuted on the same instances as Theorem 2 (which states ≥)",
            anchor=r"\TPM(\mathcal{A};x) > \alpha(x) \;\;\;\;\;\;\;\; \text{and likewise, }",
        ),
        Step(
            "tpm_unaligned_below_one_minus_alpha_strict",
            _theorem_sizes("<", "U"),
            "likewise",
            "Proofs, final display 'TPM(U) < 1 − α'",
            uses=["mass_share_of_aligned_part_exceeds_prior_share", "support_size_times_uniform_mean_is_one"],
            expected="refuted",
            correction=CORRECTED_THEOREM,
            diagnosis="TPM(U) = 1 − TPM(A): refuted with the aligned half",
            anchor=r"\TPM(\mathcal{A};x) > \alpha(x) \;\;\;\;\;\;\;\; \text{and likewise, }",
        ),
        Step(
            "tpm_aligned_minus_alpha_is_weighted_tilt_gap",
            _sizes(
                lambda n: Equal(
                    mixture(n).tpm_a - alpha,
                    alpha
                    * not_alpha
                    * sp.Add(
                        *[(a - u) * e for a, u, e in zip(mixture(n).pA, mixture(n).pU, mixture(n).tilt, strict=True)]
                    )
                    / mixture(n).Z,
                ),
                ALGEBRA_SIZES,
            ),
            "TPM(A) = α E_{p_A}[e^{r/β}] / Z with Z = α E_{p_A}[e^{r/β}] + (1 − α) E_{p_U}[e^{r/β}]",
            "Theorem 2 (correction)",
            uses=["total_masses_sum_to_one"],
        ),
        Step(
            "tpm_aligned_exceeds_alpha_under_tilt_correlation",
            _theorem_sizes(">", "A", "corrected"),
            "Σ (p_A − p_U) e^{r/β} = n (Cov(e^{r/β}, p_A) − Cov(e^{r/β}, p_U)) > 0",
            "Theorem 2 (correction)",
            uses=["tpm_aligned_minus_alpha_is_weighted_tilt_gap"],
        ),
        Step(
            "tpm_unaligned_below_one_minus_alpha_under_tilt_correlation",
            _theorem_sizes("<", "U", "corrected"),
            "TPM(U) = 1 − TPM(A)",
            "Theorem 2 (correction)",
            uses=["tpm_aligned_minus_alpha_is_weighted_tilt_gap", "total_masses_sum_to_one"],
        ),
        Step(
            "tpm_aligned_at_least_alpha_under_comonotone_reading",
            _sizes(
                _comonotone_theorem,
                {"symbolic": (), "numeric": (2, 3)},
                sp.Implies(COMONOTONE_DISPLAY, sp.Ge(tpm_a, alpha_display), evaluate=False),
            ),
            "the other reading of 'positively correlated' (and the one under which the proof's 'monotone functions "
            "preserve the correlation' is true): r and p_A comonotone, r and p_U anti-monotone; then e^{r/β} is "
            "comonotone with p_A − p_U and Chebyshev's sum inequality gives Σ (p_A − p_U) e^{r/β} ≥ 0",
            "Theorem 2 (reading)",
            uses=["tpm_aligned_minus_alpha_is_weighted_tilt_gap"],
        ),
    ],
    records=[
        Record("display 1", "notation", "the aligned distribution A, inline in Lemma 1's sentence"),
        Record("display 2", "notation", "the unaligned distribution U, inline"),
        Record("display 3", "notation", "the tuned model θ, inline"),
    ],
)
