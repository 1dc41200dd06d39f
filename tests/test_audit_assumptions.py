"""Every audit counterexample is an instance of the document's own setup.

A refuted audit step is evidence against its document only if its counterexample satisfies what
the document assumes: distributions normalised, probabilities of one policy summing to at most 1,
the document's parameter ranges, and the hypotheses of the claim. Each refuted step's point is
re-evaluated here with plain mpmath, from the document's setup as stated (not from the step's SymPy
expressions), and every such assumption must hold at it.
"""

from __future__ import annotations

from collections.abc import Callable

import mpmath
import pytest
import sympy as sp
from conftest import derivations_of

mpmath.mp.dps = 40
Point = dict[str, mpmath.mpf]
Check = Callable[[Point], dict[str, bool]]


@pytest.fixture(scope="module")
def audit_run(registry, all_run):
    audits = registry.select(None, ["audit"])
    return audits, derivations_of(all_run, [d.id for d in audits])


def _values(point: dict[str, str]) -> Point:
    return {k: mpmath.mpf(v) for k, v in point.items()}


def _dist(p: Point, prefix: str, prime: str = "") -> list[mpmath.mpf]:
    """The distribution ``w / Σ w`` of the weights ``prefix_1 … prefix_n`` (their primed copies with ``prime``)."""
    keys = [
        k for k in p if k.startswith(prefix + "_") and k.endswith(prime) and k[len(prefix) + 1 :].rstrip("′").isdigit()
    ]
    if not prime:
        keys = [k for k in keys if not k.endswith("′")]
    w = [p[k] for k in sorted(keys, key=lambda k: int(k[len(prefix) + 1 :].rstrip("′")))]
    assert w and all(x > 0 for x in w), (prefix, w)
    return [x / mpmath.fsum(w) for x in w]


def _open_unit(*xs: mpmath.mpf) -> bool:
    return all(0 < x < 1 for x in xs)


def _weights_positive(p: Point, *prefixes: str) -> dict[str, bool]:
    """Distributions drawn as weights: every weight positive, and the normalised masses sum to 1."""
    out = {}
    for prefix in prefixes:
        for prime in ("", "′"):
            if any(k.startswith(prefix + "_") and k.endswith("′") == bool(prime) for k in p):
                d = _dist(p, prefix, prime)
                out[f"{prefix}{prime} a distribution"] = abs(mpmath.fsum(d) - 1) < mpmath.mpf(10) ** -30
    return out


def _cov(u: list, v: list) -> mpmath.mpf:
    n = len(u)
    return mpmath.fsum(a * b for a, b in zip(u, v, strict=True)) / n - mpmath.fsum(u) * mpmath.fsum(v) / n**2


def _mixture(hypotheses: tuple[str, ...]) -> Check:
    """003: p_A, p_U distributions, α ∈ (0, 1), β > 0, r finite, and Theorem 2's correlation hypotheses
    (over the uniform distribution on the support) that the step states."""

    def check(p: Point) -> dict[str, bool]:
        pa, pu, (alpha, _) = _dist(p, "w_pA"), _dist(p, "w_pU"), _dist(p, "w_alpha")
        r = [p[f"r_{i}"] for i in range(1, len(pa) + 1)]
        out = {
            **_weights_positive(p, "w_pA", "w_pU", "w_alpha"),
            "α ∈ (0, 1)": _open_unit(alpha),
            "β > 0": p["beta"] > 0,
        }
        if "A" in hypotheses:
            out["Cov(r, p_A) > 0"] = _cov(r, pa) > 0
        if "U" in hypotheses:
            out["Cov(r, p_U) < 0"] = _cov(r, pu) < 0
        return out

    return check


def _two_probabilities(a: str, b: str, what: str) -> Check:
    """Two probabilities of one distribution on at least two responses: each in (0, 1), their sum ≤ 1."""

    def check(p: Point) -> dict[str, bool]:
        out = {}
        for prime in ("", "′"):
            if a + prime in p:
                x, y = p[a + prime], p[b + prime]
                out[f"{what}{prime}: probabilities in (0, 1)"] = _open_unit(x, y)
                out[f"{what}{prime}: {a} + {b} ≤ 1"] = x + y <= 1
        return out

    return check


def _all(*checks: Check) -> Check:
    def check(p: Point) -> dict[str, bool]:
        out: dict[str, bool] = {}
        for c in checks:
            out.update(c(p))
        return out

    return check


def _positive(*names: str) -> Check:
    return lambda p: {f"{n} > 0": all(v > 0 for k, v in p.items() if k.rstrip("′") == n) for n in names}


def _in_unit(*names: str) -> Check:
    return lambda p: {f"{n} ∈ (0, 1)": all(_open_unit(v) for k, v in p.items() if k.rstrip("′") == n) for n in names}


def _in_half_open_unit(*names: str) -> Check:
    return lambda p: {f"{n} ∈ (0, 1]": all(0 < v <= 1 for k, v in p.items() if k.rstrip("′") == n) for n in names}


def _log_pi_w_falls(p: Point) -> dict[str, bool]:
    """002 (f): a descent step −∇ℓ = β σ(r̂_l − r̂_w)(∇log π_w − ∇log π_l) lowers log π_w to first order."""
    weight = p["beta"] / (1 + mpmath.exp(p["reward_margin"]))
    change = weight * mpmath.fsum(p[f"g_w{k}"] * (p[f"g_w{k}"] - p[f"g_l{k}"]) for k in (1, 2))
    return {"log π_w falls along −∇ℓ": change < 0}


def _eq49(p: Point) -> dict[str, bool]:
    """App. D: three responses, μ = π_ref uniform, λ = 1, p*(y_i ≻ y_j) ∈ (0, 1), π* = π** ∝ exp(p*(y ≻ μ)), ε > 0;
    so π* is a distribution with |log π*_i/π*_j| ≤ 2/3."""
    half = mpmath.mpf(1) / 2
    prefs = [p["pref_12"], p["pref_13"], p["pref_23"]]
    p12, p13, p23 = prefs
    means = [(half + p12 + p13) / 3, (half + 1 - p12 + p23) / 3, (half + 2 - p13 - p23) / 3]
    pstar = [mpmath.exp(m) / mpmath.fsum(mpmath.exp(x) for x in means) for m in means]
    spread = max(abs(mpmath.log(a / b)) for a in pstar for b in pstar)
    return {
        "p*(y_i ≻ y_j) ∈ (0, 1)": _open_unit(*prefs),
        "π* a distribution": all(x > 0 for x in pstar) and abs(mpmath.fsum(pstar) - 1) < mpmath.mpf(10) ** -30,
        "|log π*_i/π*_j| ≤ 2/3": spread <= mpmath.mpf(2) / 3,
        "ε > 0": p["eps"] > 0,
    }


def _bandit_eq20(p: Point) -> dict[str, bool]:
    """§3's bandit: Y = {y_a, y_b}, π_θ = (θ, 1 − θ), θ ∈ (0, 1), π_ref a distribution on Y."""
    return {
        "θ ∈ (0, 1)": _open_unit(p["theta"]),
        "π_ref(y_a) ∈ (0, 1), π_ref(y_b) = 1 − π_ref(y_a)": _open_unit(p["ref_a"]) and "ref_b" not in p,
    }


#: each refuted audit step → the document's assumptions at its counterexample
ASSUMPTIONS: dict[str, Check] = {
    # 004 (Kong et al.)
    "audit_constraints_paper::mode_example_dpo_loss_eq_forward_kl_up_to_constant": _in_unit("theta"),
    "audit_constraints_paper::likelihood_of_first_preferred_eq_neg_log_mu_of_second_over_first": _two_probabilities(
        "pi_1", "pi_2", "π_θ"
    ),
    "audit_constraints_paper::profiled_loss_with_eq14_orientation_eq_eq56": _positive("lam", "ratio_pol", "ratio_ref"),
    "audit_constraints_paper::profiled_loss_with_sqrt_mu_eq_dpo_up_to_constant": _positive(
        "lam", "ratio_pol", "ratio_ref"
    ),
    "audit_constraints_paper::gamma_log_gamma_add_u_tends_to_u": _positive("u"),
    "audit_constraints_paper::bandit_dpo_loss_eq_eq20": _bandit_eq20,
    "audit_constraints_paper::bt_loss_increasing_in_winner_probability": _two_probabilities("pi_1", "pi_2", "π_θ"),
    "audit_constraints_paper::winner_one_minimises_eq24_loss_with_stated_monotonicity": _in_unit("pi_1"),
    "audit_constraints_paper::rlhf_loss_eq_kl_to_bt_policy_as_printed": lambda p: _weights_positive(p, "w_pi"),
    "audit_constraints_paper::rlhf_ipo_loss_eq_kl_to_tilted_reference_as_printed": _all(
        lambda p: _weights_positive(p, "w_pi", "w_ref"), _positive("lam")
    ),
    "audit_constraints_paper::eq49_ratio_eq_kkt_ratio": _eq49,
    # 003 (DPO mixture analysis)
    "audit_dpo_mixture::tpm_aligned_at_least_alpha_under_reward_correlation": _mixture(("A", "U")),
    "audit_dpo_mixture::tpm_unaligned_at_most_one_minus_alpha_under_reward_correlation": _mixture(("A", "U")),
    "audit_dpo_mixture::monotone_transform_preserves_correlation": _mixture(("A",)),
    "audit_dpo_mixture::expected_product_exceeds_product_of_expectations_aligned": _mixture(("A",)),
    "audit_dpo_mixture::expected_product_below_product_of_expectations_unaligned": _mixture(("U",)),
    "audit_dpo_mixture::ratio_of_aligned_to_unaligned_mass_exceeds_prior_ratio": _mixture(("A", "U")),
    "audit_dpo_mixture::mass_share_of_aligned_part_exceeds_prior_share": _mixture(("A", "U")),
    "audit_dpo_mixture::tpm_aligned_exceeds_alpha_strict": _mixture(("A", "U")),
    "audit_dpo_mixture::tpm_unaligned_below_one_minus_alpha_strict": _mixture(("A", "U")),
    # 000 (DPO notes)
    "audit_dpo_notes::step1_policy_eq_kl_regularised_optimum": _all(_in_unit("ref"), _positive("beta")),
    "audit_dpo_notes::step2_alternative_reward_beta_log_p_add_lambda": _all(_in_unit("p", "ref"), _positive("beta")),
    "audit_dpo_notes::step3_reward_difference_from_step2_reward": _all(
        _two_probabilities("p_w", "p_l", "p"), _two_probabilities("ref_w", "ref_l", "π_ref"), _positive("beta")
    ),
    "audit_dpo_notes::sketch_objective_kl_divides_by_reward": _all(
        _in_half_open_unit("f", "n_ref"), _positive("beta", "r_pos")
    ),
    # 001 (DPO vs IPO)
    "audit_dpo_vs_ipo::kl_objective_eq_kl_to_optimal_policy_up_to_constant": _all(
        lambda p: _weights_positive(p, "w_pi", "w_ref"), _positive("beta")
    ),
    "audit_dpo_vs_ipo::label_target_c_minus_one_has_mean_v": _in_unit("v_pref"),
    "audit_dpo_vs_ipo::regression_onto_c_minus_one_eq_square_2_up_to_constant": _all(
        lambda p: _weights_positive(p, "w_mu"), _in_unit("v_1_2")
    ),
    "audit_dpo_vs_ipo::symmetrised_c_minus_one_regression_targets_half": lambda p: {"h finite": True},
    # 002 (reward model notes)
    "audit_honey_reward_model::b_objective_rearranged_as_printed": _all(
        lambda p: _weights_positive(p, "w_pi", "w_ref"), _positive("beta")
    ),
    "audit_honey_reward_model::b_fact_reward_minus_beta_log_ref": _all(
        lambda p: _weights_positive(p, "w_pi", "w_ref"), _positive("beta")
    ),
    "audit_honey_reward_model::f_descent_raises_log_pi_w": _all(_positive("beta"), _log_pi_w_falls),
}


def test_every_refuted_audit_step_has_its_documents_assumptions_and_they_hold_at_the_counterexample(audit_run):
    _, result = audit_run
    refuted = {f"{d.id}::{s.id}": s for d in result.derivations for s in d.steps if s.status == "refuted"}
    assert set(refuted) == set(ASSUMPTIONS), "a refuted audit step needs its document's assumptions here"
    violated = []
    for key, s in refuted.items():
        assert s.counterexample, key
        for name, holds in ASSUMPTIONS[key](_values(s.counterexample)).items():
            if not holds:
                violated.append(f"{key}: {name} fails at {s.counterexample}")
    assert not violated, "\n".join(violated)


def test_the_mixture_counterexample_really_violates_theorem_2(audit_run):
    """003's Theorem 2 at its counterexample, recomputed: both correlation hypotheses hold and TPM(A) < α."""
    _, result = audit_run
    (s,) = [
        s for d in result.derivations for s in d.steps if s.id == "tpm_aligned_at_least_alpha_under_reward_correlation"
    ]
    p = _values(s.counterexample)
    pa, pu, (alpha, not_alpha) = _dist(p, "w_pA"), _dist(p, "w_pU"), _dist(p, "w_alpha")
    r = [p[f"r_{i}"] for i in range(1, len(pa) + 1)]
    ref = [alpha * a + not_alpha * u for a, u in zip(pa, pu, strict=True)]
    tilt = [mpmath.exp(x / p["beta"]) for x in r]
    Z = mpmath.fsum(q * e for q, e in zip(ref, tilt, strict=True))
    tpm_a = mpmath.fsum(alpha * e / Z * a for e, a in zip(tilt, pa, strict=True))
    assert _cov(r, pa) > 0 and _cov(r, pu) < 0
    assert tpm_a < alpha - mpmath.mpf("1e-6")


def test_the_assumption_checks_catch_points_outside_the_setup():
    """The checks can fail: a preference probability outside (0, 1), two probabilities of one policy summing past 1,
    a mixture point violating a correlation hypothesis."""
    outside = {"pref_12": mpmath.mpf("1.5"), "pref_13": mpmath.mpf("0.5"), "pref_23": mpmath.mpf("0.5")}
    assert not all(_eq49({**outside, "eps": mpmath.mpf(1)}).values())
    pair = _two_probabilities("pi_1", "pi_2", "π_θ")({"pi_1": mpmath.mpf("0.5"), "pi_2": mpmath.mpf("0.75")})
    assert not all(pair.values())
    point = {f"w_pA_{i}": mpmath.mpf(x) for i, x in enumerate((1, 1, 10), 1)}
    point |= {f"w_pU_{i}": mpmath.mpf(1) for i in (1, 2, 3)}
    point |= {"w_alpha_1": mpmath.mpf(1), "w_alpha_2": mpmath.mpf(1), "beta": mpmath.mpf(1)}
    point |= {f"r_{i}": mpmath.mpf(x) for i, x in enumerate((1, 0, -1), 1)}  # r falls where p_A rises
    assert _mixture(("A",))(point)["Cov(r, p_A) > 0"] is False


def test_every_audit_counterexample_lies_in_the_declared_domains_of_its_symbols(audit_run):
    """A counterexample is an instance of the document's setup: each value inside its symbol's domain."""
    from verify.domains import domain_of
    from verify.kernel.obligations import nodes

    audits, result = audit_run
    checked = 0
    for d, r in zip(audits, result.derivations, strict=True):
        for step, s in zip(d.steps, r.steps, strict=True):
            if s.status != "refuted" or not s.counterexample:
                continue
            symbols = {}
            for ob in step.claim.obligations():
                inner = getattr(ob, "inner", None) or ob
                for part in [getattr(inner, a, None) for a in ("lhs", "rhs", "expr")] + [
                    h.expr for h in getattr(ob, "hypotheses", ())
                ]:
                    if part is not None:
                        symbols.update({str(x): x for x in nodes(part, sp.Symbol)})
            for name, value in s.counterexample.items():
                x = symbols.get(name.rstrip("′"))
                if x is not None:
                    assert domain_of(x).contains(float(value)), (d.id, s.id, name, value)
                    checked += 1
    assert checked > 50


def test_the_proposition_witnesses_lie_inside_the_papers_setups():
    """004's witnesses, re-evaluated with plain mpmath. Prop. 3.1 (App. C): two responses, uniform π_ref, λ = 1,
    p* ∈ (0, 1), policies θ ∈ (0, 1), and RLHF and DPO rank the two policies oppositely. Prop. 3.2 (App. D):
    p*(y ≻ μ) realisable as the means over uniform μ of pairwise preferences in (0, 1), π* ∝ exp(p*(y ≻ μ)),
    |log π*_i/π*_j| ≤ 2/3, ε > 0."""
    from derivations.audits import constraints_paper as cp

    # Prop. 3.1
    p, (a, b) = mpmath.mpf(cp._P31), (mpmath.mpf(cp._A), mpmath.mpf(cp._B))
    assert _open_unit(p, a, b)
    star = [p, 1 - p]  # π* from (31) with two responses: p*(y₁ ≻ y₂) = π*(y₁)

    def rlhf(t):  # λ = 1, uniform π_ref, r* = log π*: E_π[−r*] + KL(π‖π_ref)
        pol = [t, 1 - t]
        return mpmath.fsum(
            q * (-mpmath.log(s) + mpmath.log(q / mpmath.mpf("0.5"))) for q, s in zip(pol, star, strict=True)
        )

    def dpo(t):  # (37): E over labelled pairs of log((π_w + π_l)/π_w) with π_w + π_l = 1
        return -p * mpmath.log(t) - (1 - p) * mpmath.log(1 - t)

    assert (rlhf(a) - rlhf(b)) * (dpo(b) - dpo(a)) > 0
    # Prop. 3.2
    half = mpmath.mpf(1) / 2
    P = [mpmath.mpf(x) for x in cp.PROP32_P]
    t = mpmath.mpf("0.75")  # p*(y₁ ≻ y₂); the other two pairwise preferences follow from the means
    p13, p23 = 3 * P[0] - half - t, 3 * P[1] - 3 * half + t
    assert _open_unit(t, p13, p23)
    means = [(half + t + p13) / 3, (half + 1 - t + p23) / 3, (half + 2 - p13 - p23) / 3]
    assert all(abs(m - x) < mpmath.mpf(10) ** -30 for m, x in zip(means, P, strict=True))
    pstar = [mpmath.exp(x) / mpmath.fsum(mpmath.exp(y) for y in P) for x in P]
    assert max(abs(mpmath.log(x / y)) for x in pstar for y in pstar) <= mpmath.mpf(2) / 3
    assert cp.PROP32_WITNESS[cp.eps] > 0
