"""Audit of document 001: the exact status of every step, and each refutation re-evaluated with plain mpmath."""

from __future__ import annotations

import mpmath
import pytest
from conftest import checked_steps

REFUTED = {
    "kl_objective_eq_kl_to_optimal_policy_up_to_constant",
    "label_target_c_minus_one_has_mean_v",
    "regression_onto_c_minus_one_eq_square_2_up_to_constant",
    "symmetrised_c_minus_one_regression_targets_half",
}
#: true, checked numerically only
#: Gibbs' inequality (a KL divergence, a Bernoulli one for the logistic loss): SymPy cannot sign them
CONFIRMED = {"optimal_policy_maximises_objective", "dpo_logistic_loss_minimised_at_the_score_gap"}
FAR = mpmath.mpf("1e-6")


@pytest.fixture(scope="module")
def steps(all_run):
    return checked_steps(all_run, "audit_dpo_vs_ipo")


def _point(step) -> dict[str, mpmath.mpf]:
    mpmath.mp.dps = 40
    return {k: mpmath.mpf(v) for k, v in step.counterexample.items()}


def _dist(c: dict[str, mpmath.mpf], prefix: str, n: int, prime: str = "") -> list[mpmath.mpf]:
    w = [c.get(f"{prefix}_{i + 1}{prime}", c[f"{prefix}_{i + 1}"]) for i in range(n)]
    return [x / sum(w) for x in w]


def test_every_step_has_its_expected_status(steps):
    for sid, s in steps.items():
        want = "refuted" if sid in REFUTED else "confirmed" if sid in CONFIRMED else "proved"
        assert s.status == want, (sid, s.status, s.reason)
        assert not s.failed
        assert (s.expected == "refuted") == (sid in REFUTED)
    for sid in REFUTED:
        assert steps[sid].diagnosis and steps[sid].correction_latex, sid
    assert len(steps) == 36


def test_kl_rewriting_as_printed_is_not_kl_plus_constant(steps):
    c = _point(steps["kl_objective_eq_kl_to_optimal_policy_up_to_constant"])
    n = sum(1 for k in c if k.startswith("r_"))
    beta, r = c["beta"], [c[f"r_{i + 1}"] for i in range(n)]
    ref = _dist(c, "w_ref", n)
    z = sum(q * mpmath.exp(ri / beta) for q, ri in zip(ref, r, strict=True))
    star = [q * mpmath.exp(ri / beta) / z for q, ri in zip(ref, r, strict=True)]

    def kl(p, q):
        return sum(a * mpmath.log(a / b) for a, b in zip(p, q, strict=True))

    def gap(pi):
        objective = sum(a * ri for a, ri in zip(pi, r, strict=True)) - beta * kl(pi, ref)
        return objective - kl(pi, star)

    def corrected_gap(pi):
        objective = sum(a * ri for a, ri in zip(pi, r, strict=True)) - beta * kl(pi, ref)
        return objective - (-beta * kl(pi, star) + beta * mpmath.log(z))

    first, second = _dist(c, "w_pi", n), _dist(c, "w_pi", n, "′")
    assert abs(gap(first) - gap(second)) > FAR
    assert abs(corrected_gap(first)) < mpmath.mpf("1e-30") and abs(corrected_gap(second)) < mpmath.mpf("1e-30")


def test_c_minus_one_is_not_an_unbiased_estimate_of_v(steps):
    v = _point(steps["label_target_c_minus_one_has_mean_v"])["v_pref"]
    mean_c_minus_one = v * (1 - 1) + (1 - v) * (2 - 1)  # c = 1 with probability v, else c = 2
    assert abs(mean_c_minus_one - v) > FAR
    assert abs(v * (2 - 1) + (1 - v) * (2 - 2) - v) < mpmath.mpf("1e-30")  # 2 − c is


def test_regression_onto_c_minus_one_differs_from_square_2_by_a_policy_dependent_amount(steps):
    c = _point(steps["regression_onto_c_minus_one_eq_square_2_up_to_constant"])
    n = sum(1 for k in c if k.startswith("w_mu_"))
    mu = _dist(c, "w_mu", n)

    def pref(i, j):
        if i == j:
            return mpmath.mpf(1) / 2
        return c[f"v_{i + 1}_{j + 1}"] if i < j else 1 - c[f"v_{j + 1}_{i + 1}"]

    def gap(q):
        total = mpmath.mpf(0)
        for i in range(n):
            for j in range(n):
                hij, vij = q[i] - q[j], pref(i, j)
                labelled = vij * (hij - 0) ** 2 + (1 - vij) * (hij - 1) ** 2  # target c − 1
                total += mu[i] * mu[j] * (labelled - (hij - vij) ** 2)
        return total

    q1 = [c[f"q_{i + 1}"] for i in range(n)]
    q2 = [c.get(f"q_{i + 1}′", c[f"q_{i + 1}"]) for i in range(n)]
    assert abs(gap(q1) - gap(q2)) > FAR


def test_symmetrised_c_minus_one_target_is_minus_half(steps):
    c = _point(steps["symmetrised_c_minus_one_regression_targets_half"])

    def gap(h):
        return (h - 0) ** 2 + (-h - 1) ** 2 - 2 * (h - mpmath.mpf(1) / 2) ** 2

    assert abs(gap(c["h_margin"]) - gap(c["h_margin′"])) > FAR
    # the printed objective is minimised at h = −1/2, not 1/2
    assert abs(mpmath.diff(lambda h: h**2 + (-h - 1) ** 2, mpmath.mpf(-1) / 2)) < mpmath.mpf("1e-20")
