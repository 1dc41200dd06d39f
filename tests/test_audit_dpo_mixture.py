"""Audit of document 003: exact statuses, and every refutation re-evaluated with plain mpmath."""

from __future__ import annotations

import mpmath
import pytest
from conftest import checked_steps

from tests.verdicts import VERDICTS

#: Theorem 2 and the proof steps resting on the false correlation lemma
THEOREM_REFUTED = {
    "tpm_aligned_at_least_alpha_under_reward_correlation",
    "tpm_unaligned_at_most_one_minus_alpha_under_reward_correlation",
    "ratio_of_aligned_to_unaligned_mass_exceeds_prior_ratio",
    "mass_share_of_aligned_part_exceeds_prior_share",
    "tpm_aligned_exceeds_alpha_strict",
    "tpm_unaligned_below_one_minus_alpha_strict",
}
LEMMA_REFUTED = {
    "monotone_transform_preserves_correlation",
    "expected_product_exceeds_product_of_expectations_aligned",
    "expected_product_below_product_of_expectations_unaligned",
}
#: true, checked numerically only (Gibbs' inequality; statements needing their hypotheses)
CONFIRMED = {
    "tilted_reference_maximizes_objective",
    "support_of_tuned_policy_eq_support_of_reference",
    "tpm_aligned_at_least_alpha_under_comonotone_reading",
    "dividing_opposite_inequalities_of_positives",
    "reciprocate_add_one_reciprocate",
    "tpm_aligned_exceeds_alpha_under_tilt_correlation",
    "tpm_unaligned_below_one_minus_alpha_under_tilt_correlation",
}


@pytest.fixture(scope="module")
def steps(all_run):
    return checked_steps(all_run, "audit_dpo_mixture")


def test_every_step_has_its_expected_status(steps) -> None:
    for sid, s in steps.items():
        if sid in THEOREM_REFUTED | LEMMA_REFUTED:
            assert s.status == "refuted", sid
            assert s.diagnosis and s.correction_latex, sid
        elif sid in CONFIRMED:
            assert s.status == "confirmed", sid
        else:
            assert s.status == "proved", (sid, s.status, s.reason)


class Instance:
    """A counterexample point, rebuilt independently of the checker."""

    def __init__(self, point: dict[str, str]) -> None:
        mpmath.mp.dps = 50
        v = {k: mpmath.mpf(x) for k, x in point.items()}
        n = max(int(k.rsplit("_", 1)[1]) for k in v if k.startswith("r_"))
        self.n = n
        self.beta = v["beta"]
        self.alpha = v["w_alpha_1"] / (v["w_alpha_1"] + v["w_alpha_2"])
        self.r = [v[f"r_{i}"] for i in range(1, n + 1)]
        wa = [v[f"w_pA_{i}"] for i in range(1, n + 1)]
        wu = [v[f"w_pU_{i}"] for i in range(1, n + 1)]
        self.pA = [w / sum(wa) for w in wa]
        self.pU = [w / sum(wu) for w in wu]
        self.e = [mpmath.exp(x / self.beta) for x in self.r]
        self.ref = [self.alpha * a + (1 - self.alpha) * u for a, u in zip(self.pA, self.pU, strict=True)]
        self.Z = sum(q * e for q, e in zip(self.ref, self.e, strict=True))
        self.tpm_a = sum(self.alpha * e / self.Z * a for e, a in zip(self.e, self.pA, strict=True))
        self.tpm_u = sum((1 - self.alpha) * e / self.Z * u for e, u in zip(self.e, self.pU, strict=True))

    def cov(self, u, w):
        n = self.n
        return sum(a * b for a, b in zip(u, w, strict=True)) / n - (sum(u) / n) * (sum(w) / n)


def test_theorem_counterexamples_satisfy_the_hypotheses_and_violate_the_conclusion(steps) -> None:
    for sid in sorted(THEOREM_REFUTED):
        x = Instance(steps[sid].counterexample)
        assert x.cov(x.r, x.pA) > 0, sid  # r positively correlated with p_A
        assert x.cov(x.r, x.pU) < 0, sid  # r negatively correlated with p_U
        assert x.tpm_a < x.alpha, sid  # yet the aligned mass falls below α ...
        assert x.tpm_u > 1 - x.alpha, sid  # ... and the unaligned mass rises above 1 − α
        assert abs(x.tpm_a + x.tpm_u - 1) < mpmath.mpf("1e-40")


def test_correlation_lemma_counterexamples(steps) -> None:
    x = Instance(steps["monotone_transform_preserves_correlation"].counterexample)
    alpha_a = [x.alpha * e / x.Z for e in x.e]
    assert x.cov(x.r, x.pA) > 0 and x.cov(alpha_a, x.pA) < 0

    x = Instance(steps["expected_product_exceeds_product_of_expectations_aligned"].counterexample)
    alpha_a = [x.alpha * e / x.Z for e in x.e]
    mean = lambda u: sum(u) / x.n  # noqa: E731
    assert x.cov(x.r, x.pA) > 0
    assert not mean([a * p for a, p in zip(alpha_a, x.pA, strict=True)]) > mean(alpha_a) * mean(x.pA)

    x = Instance(steps["expected_product_below_product_of_expectations_unaligned"].counterexample)
    alpha_u = [(1 - x.alpha) * e / x.Z for e in x.e]
    assert x.cov(x.r, x.pU) < 0
    assert not mean([a * p for a, p in zip(alpha_u, x.pU, strict=True)]) < mean(alpha_u) * mean(x.pU)


def test_the_corrected_identity_explains_the_counterexample(steps) -> None:
    """TPM(A) − α = α(1 − α) Σ (p_A − p_U) e^{r/β} / Z: negative exactly when e^{r/β} favours p_U."""
    x = Instance(steps["tpm_aligned_at_least_alpha_under_reward_correlation"].counterexample)
    gap = x.alpha * (1 - x.alpha) * sum((a - u) * e for a, u, e in zip(x.pA, x.pU, x.e, strict=True)) / x.Z
    assert abs((x.tpm_a - x.alpha) - gap) < mpmath.mpf("1e-40")
    assert x.cov(x.e, x.pA) - x.cov(x.e, x.pU) < 0  # the corrected hypotheses fail here, as they must


def test_support_claim_is_searched_on_references_with_zero_entries(steps) -> None:
    """supp p_θ = supp p_ref holds (confirmed) with the ⊆ direction searched where p_ref(y) = 0; a policy that
    puts mass outside supp p_ref (p_θ ∝ (p_ref + 1/n) e^{r/β}) is refuted at a reference with a zero entry."""
    import sympy as sp

    from derivations._notation import beta, boltzmann, rewards
    from verify import Derivation, ForSizes, Implies, Inequality, Source, Step
    from verify.domains import simplex_with_zeros
    from verify.run.check import check_step

    s = steps["support_of_tuned_policy_eq_support_of_reference"]
    assert s.status == "confirmed" and "∉ supp p_ref" in s.reason

    def leaky(n: int) -> Implies:
        ref, _ = simplex_with_zeros("ref0", n)
        theta, _ = boltzmann([q + sp.Rational(1, n) for q in ref], rewards(n), beta)
        return Implies([sp.Le(ref[1], 0)], Inequality(theta[1], "<=", 0))

    step = Step("leaky_support", ForSizes(leaky, symbolic=(), numeric=(2, 3)))
    d = Derivation("leaky", "leaky support", Source("x.txt"), [step])
    result = check_step(d, step, VERDICTS)
    assert result.status == "refuted"
    assert mpmath.mpf(result.counterexample["w_ref0_2"]) == 0 and mpmath.mpf(result.counterexample["w_ref0_1"]) > 0
