"""Planted sign errors: every mutant of a published loss must be an ``error`` with a real counterexample."""

from __future__ import annotations

import math

import pytest

from tests.losses_support import assert_counterexample_shows_violation, symbolic_loss
from verify.losses import check_loss

M = "((logp_w - ref_logp_w) - (logp_l - ref_logp_l))"
RW, RL = "(logp_w - ref_logp_w)", "(logp_l - ref_logp_l)"

#: name → (expression, params); each is a published loss with one planted mistake
MUTANTS = {
    # sign flips at each position of DPO
    "dpo_outer_sign": (f"logsigmoid(beta*{M})", {}),
    "dpo_inner_sign": (f"-logsigmoid(-beta*{M})", {}),
    "dpo_flip_logp_w": ("-logsigmoid(beta*((-logp_w - ref_logp_w) - (logp_l - ref_logp_l)))", {}),
    "dpo_flip_ref_logp_w": ("-logsigmoid(beta*((logp_w + ref_logp_w) - (logp_l - ref_logp_l)))", {}),
    "dpo_flip_logp_l": ("-logsigmoid(beta*((logp_w - ref_logp_w) - (-logp_l - ref_logp_l)))", {}),
    "dpo_flip_ref_logp_l": ("-logsigmoid(beta*((logp_w - ref_logp_w) - (logp_l + ref_logp_l)))", {}),
    "dpo_flip_difference": ("-logsigmoid(beta*((logp_w - ref_logp_w) + (logp_l - ref_logp_l)))", {}),
    "dpo_softplus_sign": (f"softplus(beta*{M})", {}),
    # winner/loser swaps
    "dpo_swap_winner_loser": (f"-logsigmoid(beta*({RL} - {RW}))", {}),
    "reference_free_swap": ("-logsigmoid(beta*(logp_l - logp_w))", {}),
    "simpo_swap": ("-logsigmoid(beta*(logp_l/len_l - logp_w/len_w) - gamma)", {"gamma": "0.5"}),
    "apo_zero_swap": (f"1 - sigmoid(beta*{RL}) + sigmoid(beta*{RW})", {}),
    "kto_loser_sign": (f"(1 - sigmoid(beta*{RW})) + (1 - sigmoid(beta*{RL}))", {}),
    "nca_swap": (f"-logsigmoid(beta*{RL}) - 0.5*logsigmoid(-beta*{RL}) - 0.5*logsigmoid(-beta*{RW})", {}),
    # policy/reference swaps and crossed references
    "dpo_swap_policy_reference": ("-logsigmoid(beta*((ref_logp_w - logp_w) - (ref_logp_l - logp_l)))", {}),
    "dpo_crossed_references": ("-logsigmoid(beta*((logp_w - ref_logp_l) - (logp_l - ref_logp_w)))", {}),
    "ipo_swap_policy_reference": ("((ref_logp_w - logp_w) - (ref_logp_l - logp_l) - 1/(2*beta))**2", {}),
    "bco_crossed_references": (
        "-logsigmoid(beta*(logp_w - ref_logp_l)) - logsigmoid(-beta*(logp_l - ref_logp_w))",
        {},
    ),
    # wrong target signs
    "ipo_target_sign": (f"({M} + 1/(2*beta))**2", {}),
    "sppo_target_signs": (f"({RW} + 1/(2*beta))**2 + ({RL} - 1/(2*beta))**2", {}),
    "hinge_margin_sign": (f"relu(1 + beta*{M})", {}),
    "exo_target_swapped": (
        f"sigmoid(beta*{M})*(logsigmoid(beta*{M}) - log(eps)) "
        f"+ sigmoid(-beta*{M})*(logsigmoid(-beta*{M}) - log(1 - eps))",
        {"eps": "0.001"},
    ),
    "dpop_penalty_sign": (f"-logsigmoid(beta*({M} + lambda*relu(ref_logp_w - logp_w)))", {"lambda": "50"}),
    # NLL terms with the wrong sign
    "dpo_sft_nll_sign": (f"-logsigmoid(beta*{M}) + alpha*logp_w/len_w", {"alpha": "1"}),
    "dpo_sft_nll_on_loser": (f"-logsigmoid(beta*{M}) - alpha*logp_l/len_l", {"alpha": "1"}),
    "orpo_nll_sign": (
        "logp_w/len_w - lambda*logsigmoid((logp_w/len_w - log1mexp(logp_w/len_w)) "
        "- (logp_l/len_l - log1mexp(logp_l/len_l)))",
        {"lambda": "0.1"},
    ),
    # a bounded anchor on the rejected response with its sign flipped: rewards raising the loser above its
    # reference, which the margin term no longer outweighs at a wide margin
    "dpo_loser_anchor_sign": (f"-logsigmoid(beta*{M}) - lam*relu({RL})", {"lam": "0.01"}),
    "dpo_loser_anchor_sign_softplus": (f"-logsigmoid(beta*{M}) - lam*softplus({RL})", {"lam": "0.01"}),
    # TRL's sigmoid_norm (log-ratios per token) with an SFT term of the wrong sign
    "sigmoid_norm_sft_sign": (f"-logsigmoid(beta*({RW}/len_w - {RL}/len_l)) + alpha*logp_w/len_w", {"alpha": "1"}),
    # a loss blind to the preference
    "dpo_symmetrised": (f"-logsigmoid(beta*{M}) - logsigmoid(-beta*{M})", {}),
}


@pytest.fixture(scope="module")
def reports():
    return {name: check_loss(e, p, name=name) for name, (e, p) in MUTANTS.items()}


@pytest.mark.parametrize("name", list(MUTANTS))
def test_mutant_is_an_error(reports, name):
    r = reports[name]
    assert r.verdict == "error", [(p.id, p.severity, p.summary) for p in r.properties]
    errors = [p for p in r.properties if p.severity == "error"]
    assert {p.id for p in errors} <= {"preference_direction", "reference_orientation", "off_reference", "bounded_below"}


@pytest.mark.parametrize("name", list(MUTANTS))
def test_mutant_counterexamples_really_violate(reports, name):
    expression, params = MUTANTS[name]
    expr = symbolic_loss(expression, params)
    shown = 0
    for p in reports[name].properties:
        if p.severity == "error" and p.counterexample is None:
            # the errors without a point: no strict preference, and an expected loss over a population of pairs
            assert "does not distinguish" in p.summary or "expected loss" in p.summary
            continue
        if p.counterexample is not None and p.counterexample.evaluations[0].quantity != "claimed":
            assert_counterexample_shows_violation(expr, p.counterexample)
            assert set(p.counterexample.point) >= {"logp_w", "logp_l", "ref_logp_w", "ref_logp_l", "beta"}
            shown += 1
    assert shown or name == "dpo_symmetrised"


def test_specific_diagnoses(reports):
    # flipping only the reference of the winner leaves the policy direction right but the reference wrong
    r = reports["dpo_flip_ref_logp_w"]
    assert r.property("preference_direction").severity == "ok"
    assert r.property("reference_orientation").severity == "error"
    # a wrong-signed NLL term pushes the preferred response down where β is small
    ce = reports["dpo_sft_nll_sign"].property("preference_direction").counterexample
    assert ce is not None and ce.point["beta"] < 2 * 1 / ce.point["len_w"]
    assert reports["dpo_symmetrised"].property("preference_direction").summary.startswith("the loss never prefers")


def test_undefined_everywhere_is_undecided_not_passed():
    # log of a log-probability (≤ 0) is undefined at every sampled point: nothing may be reported as holding
    r = check_loss("log(logp_w - logp_l - 1000)")
    p = r.property("preference_direction")
    assert p.status == "undecided" and p.severity == "warning"


def test_constant_loss_is_an_error():
    assert check_loss("1 + 0*logp_w").property("preference_direction").severity == "error"


@pytest.mark.parametrize("anchor", ["lam*relu(logp_l - ref_logp_l)", "lam*softplus(logp_l - ref_logp_l)"])
def test_a_loser_anchor_with_the_right_sign_is_not_flagged(anchor):
    r = check_loss(f"-logsigmoid(beta*{M}) + {anchor}", {"lam": "0.01"})
    assert r.property("off_reference").status == "holds", r.property("off_reference").summary


def test_length_normalised_dpo_is_ok_with_its_own_margin():
    # TRL's sigmoid_norm: lowering both log-probabilities by the same amount changes its per-token margin,
    # so the fixed-margin probe must move them by len_w and len_l
    r = check_loss("-logsigmoid(beta*((logp_w - ref_logp_w)/len_w - (logp_l - ref_logp_l)/len_l))")
    assert r.verdict == "ok", [(p.id, p.summary) for p in r.properties if p.severity != "ok"]
    assert "per-token margin" in r.property("off_reference").summary


def test_robust_dpo_with_its_smoothing_weights_swapped_is_an_error_and_robust_dpo_is_not():
    """Swapped, ε·L(h) − (1 − ε)·L(−h) over (1 − 2ε): at p = 0.6 its expected loss is −3.75 at h = −10/β and
    falls without limit toward the loser; robust DPO itself is unbounded below only toward the winner."""
    h = "((logp_w - ref_logp_w) - (logp_l - ref_logp_l))"
    swapped = check_loss(f"(eps*softplus(-beta*{h}) - (1-eps)*softplus(beta*{h}))/(1-2*eps)", params={"eps": "0.1"})
    found = swapped.property("bounded_below")
    assert (found.status, found.severity) == ("violated", "error") and "toward the loser" in found.summary
    assert swapped.verdict == "error"

    # independently: at p = 0.6, β = 1, h = −10: 0.6·L(−10) + 0.4·L(10) with L as written
    def sp_(x):
        return math.log1p(math.exp(-abs(x))) + max(x, 0.0)

    def loss(x):
        return (0.1 * sp_(-x) - 0.9 * sp_(x)) / 0.8

    assert 0.6 * loss(-10.0) + 0.4 * loss(10.0) < -3.7
    robust = check_loss(f"((1-eps)*softplus(-beta*{h}) - eps*softplus(beta*{h}))/(1-2*eps)", params={"eps": "0.1"})
    assert robust.property("bounded_below").severity == "warning"  # toward the winner only
