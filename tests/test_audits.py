"""Audits: documented errors are refuted with counterexamples that really violate the claim."""

from __future__ import annotations

import mpmath
from conftest import derivations_of


def _weights_to_dist(point: dict[str, str], prefix: str) -> list[mpmath.mpf]:
    keys = sorted((k for k in point if k.startswith(prefix)), key=lambda k: int(k.rsplit("_", 1)[1]))
    w = [mpmath.mpf(point[k]) for k in keys]
    return [x / sum(w) for x in w]


def test_honey_reward_model_fact_in_b_is_refuted_and_the_correction_holds(all_run):
    (result,) = derivations_of(all_run, ["audit_honey_reward_model"]).derivations
    steps = {s.id: s for s in result.steps}
    wrong = steps["b_fact_reward_minus_beta_log_ref"]
    assert wrong.status == "refuted" and wrong.expected == "refuted" and not wrong.failed
    assert wrong.correction_latex and wrong.diagnosis
    assert steps["b_fact_corrected_reward_plus_beta_log_ref"].status == "proved"
    assert not result.failed

    # independent re-evaluation of the counterexample (plain mpmath)
    mpmath.mp.dps = 40
    p = wrong.counterexample
    pi, ref = _weights_to_dist(p, "w_pi_"), _weights_to_dist(p, "w_ref_")
    r = [mpmath.mpf(p[f"r_{i + 1}"]) for i in range(len(pi))]
    beta = mpmath.mpf(p["beta"])
    lhs = sum(a * (ri - beta * mpmath.log(q)) for a, ri, q in zip(pi, r, ref, strict=True))
    rhs = beta * sum(a * mpmath.log(q * mpmath.exp(ri / beta)) for a, ri, q in zip(pi, r, ref, strict=True))
    assert abs(lhs - rhs) > mpmath.mpf("1e-3") * max(abs(lhs), abs(rhs))
    # (b)'s rearranged objective as printed (no 1/Z inside the log) is J + β log Z: off by β log Z ≠ 0
    printed = steps["b_objective_rearranged_as_printed"]
    assert printed.status == "refuted" and steps["b_objective_rearranged_with_tilted_reference"].status == "proved"
    p = printed.counterexample
    pi, ref = _weights_to_dist(p, "w_pi_"), _weights_to_dist(p, "w_ref_")
    r = [mpmath.mpf(p[f"r_{i + 1}"]) for i in range(len(pi))]
    beta = mpmath.mpf(p["beta"])
    Z = sum(q * mpmath.exp(ri / beta) for q, ri in zip(ref, r, strict=True))
    J = sum(a * ri - beta * a * mpmath.log(a / q) for a, ri, q in zip(pi, r, ref, strict=True))
    as_printed = -beta * sum(
        a * mpmath.log(a / (q * mpmath.exp(ri / beta))) for a, ri, q in zip(pi, r, ref, strict=True)
    ) + beta * mpmath.log(Z)
    assert abs(as_printed - J - beta * mpmath.log(Z)) < mpmath.mpf("1e-20") and abs(beta * mpmath.log(Z)) > 1e-6
    # (f): with parameters shared by the responses a descent step can lower log π_w (its margin over log π_l rises)
    shared = steps["f_descent_raises_log_pi_w"]
    assert shared.status == "refuted" and shared.correction_status == "proved" and not shared.failed
    assert steps["f_descent_raises_the_margin"].status == "proved"
    p = {k: mpmath.mpf(v) for k, v in shared.counterexample.items()}
    weight = p["beta"] / (1 + mpmath.exp(p["reward_margin"]))
    gw, gl = [p["g_w1"], p["g_w2"]], [p["g_l1"], p["g_l2"]]
    assert weight * sum(w * (w - v) for w, v in zip(gw, gl, strict=True)) < 0
    assert weight * sum((w - v) ** 2 for w, v in zip(gw, gl, strict=True)) >= 0
    # every other step of the document holds
    others = (wrong.id, printed.id, shared.id)
    assert all(s.status in ("proved", "confirmed") for k, s in steps.items() if k not in others)


def test_dpo_notes_step2_and_step3_are_refuted_with_real_counterexamples(all_run):
    (result,) = derivations_of(all_run, ["audit_dpo_notes"]).derivations
    steps = {s.id: s for s in result.steps}
    assert not result.failed
    refuted = {k for k, s in steps.items() if s.status == "refuted"}
    assert refuted == {
        "step1_policy_eq_kl_regularised_optimum",
        "step2_alternative_reward_beta_log_p_add_lambda",
        "step3_reward_difference_from_step2_reward",
        "sketch_objective_kl_divides_by_reward",
    }

    mpmath.mp.dps = 40
    # Step 2: r − β log p must not depend on the response; it does at the two points found.
    c = {k: mpmath.mpf(v) for k, v in steps["step2_alternative_reward_beta_log_p_add_lambda"].counterexample.items()}

    def gap(p, ref):
        return mpmath.log(p) + c["beta"] * mpmath.log(ref) - c["beta"] * mpmath.log(p)

    assert abs(gap(c["p"], c["ref"]) - gap(c["p′"], c["ref′"])) > mpmath.mpf("1e-6")
    # Step 3: (log p_w + β log ref_w) − (log p_l + β log ref_l) ≠ β log(p_w/ref_w) − β log(p_l/ref_l)
    c = {k: mpmath.mpf(v) for k, v in steps["step3_reward_difference_from_step2_reward"].counterexample.items()}
    lhs = (mpmath.log(c["p_w"]) + c["beta"] * mpmath.log(c["ref_w"])) - (
        mpmath.log(c["p_l"]) + c["beta"] * mpmath.log(c["ref_l"])
    )
    rhs = c["beta"] * mpmath.log(c["p_w"] / c["ref_w"]) - c["beta"] * mpmath.log(c["p_l"] / c["ref_l"])
    assert abs(lhs - rhs) > mpmath.mpf("1e-6")
    # Step 1: e^{r − β log π_ref} is not the normalised Gibbs policy on two responses (π_ref(y') = 1 − π_ref(y))
    c = {k: mpmath.mpf(v) for k, v in steps["step1_policy_eq_kl_regularised_optimum"].counterexample.items()}
    assert 0 < c["ref"] < 1
    w, w_other = c["ref"] * mpmath.exp(c["r"] / c["beta"]), (1 - c["ref"]) * mpmath.exp(c["r_other"] / c["beta"])
    assert abs(mpmath.exp(c["r"] - c["beta"] * mpmath.log(c["ref"])) - w / (w + w_other)) > mpmath.mpf("1e-6")
    # the Final Parameter Expression at the stationary point is a constant
    assert steps["final_parameter_at_stationary_point"].status == "proved"
