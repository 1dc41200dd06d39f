"""Planted sign errors: every mutant of a published loss must be an ``error`` with a real counterexample."""

from __future__ import annotations

import math

import pytest

from tests.losses_support import assert_counterexample_shows_violation, symbolic_loss
from verify.errors import UsageError
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


@pytest.mark.parametrize(
    "expression",
    [
        "log(logp_w - logp_l - 1000)",  # log of a negative number at every sampled point
        "-logsigmoid(beta*(logp_w - logp_l)) + sqrt(logp_w)",  # shift invariance "held" beside it
        "-log1mexp(-logp_w) - logsigmoid(beta*(logp_w - logp_l))",  # ORPO's log(1 − p) in the other convention
        "-logsigmoid(beta*(logp_w - logp_l)) + log(-1)",  # iπ: its real part was kept
    ],
)
def test_a_loss_undefined_everywhere_is_refused_not_passed(expression):
    # nothing may be reported as holding of a loss that is not a real number anywhere (exit 2 on the command line)
    with pytest.raises(UsageError, match="not a finite real number at any sampled configuration"):
        check_loss(expression)


def test_a_loss_undefined_only_somewhere_is_still_checked():
    r = check_loss("-logsigmoid(beta*(logp_w - logp_l)) + sqrt(logp_w + 30)/10**6")  # undefined below −30 only
    assert r.property("preference_direction").status == "holds"


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


def _dpo_value(p: dict, reference: bool = True) -> float:
    h = p["logp_w"] - p["logp_l"] - ((p["ref_logp_w"] - p["ref_logp_l"]) if reference else 0.0)
    return math.log1p(math.exp(-p["beta"] * h))  # −log σ(βh)


def test_against_compares_where_the_references_and_lengths_differ():
    """A loss's own points are neutral for it: a reference-free DPO has ref_logp_w = ref_logp_l there, where it
    equals DPO, and SimPO with its lengths swapped has len_w = len_l. Both were reported "equal"."""
    r = check_loss("-logsigmoid(beta*(logp_w - logp_l))", against="dpo").property("against")
    assert r.status == "violated", r.summary
    p = r.counterexample.point
    assert abs(_dpo_value(p, reference=False) - _dpo_value(p)) > 1e-6  # they really differ there
    swapped = check_loss("-logsigmoid(beta*(logp_w/len_l - logp_l/len_w) - gamma)", {"gamma": "0.5"}, against="simpo")
    p = swapped.property("against").counterexample.point
    assert swapped.property("against").status == "violated" and p["len_w"] != p["len_l"]
    same = check_loss("-logsigmoid(beta*(logp_w - ref_logp_w - (logp_l - ref_logp_l)))", against="dpo")
    assert same.property("against").status == "holds" and "equal to dpo" in same.property("against").summary


@pytest.mark.parametrize(
    ("loss", "claim"),
    [
        ("-logsigmoid(beta*(logp_w - logp_l))", "-beta*sigmoid(-beta*(logp_w - ref_logp_w - logp_l + ref_logp_l))"),
        ("-logsigmoid(beta*(logp_w - logp_l)) - logp_w/len_w", "-beta*sigmoid(-beta*(logp_w - logp_l)) - 1/len_l"),
        ("-logsigmoid(beta*(logp_w - logp_l))", "sqrt(logp_w)"),  # undefined wherever the true one is a number
    ],
    ids=["dpo-gradient-for-reference-free", "cpo-nll-over-the-loser-length", "undefined-everywhere"],
)
def test_a_wrong_claimed_gradient_is_not_accepted_at_neutral_points(loss, claim):
    r = check_loss(loss, claimed_grad=claim).property("claimed_gradient")
    assert r.status == "violated", r.summary
    p = r.counterexample.point
    true = -p["beta"] / (1 + math.exp(p["beta"] * (p["logp_w"] - p["logp_l"])))  # −β σ(−βh), independently
    true -= 1 / p["len_w"] if "len_w" in loss else 0.0
    assert r.counterexample.value("true") == pytest.approx(true, rel=1e-9)


def test_a_claimed_gradient_reads_the_losses_definitions():
    loss = "h = logp_w - logp_l; loss = -logsigmoid(beta*h)/len_w"  # h is not the catalog's margin here
    r = check_loss(loss, claimed_grad="-beta/len_w*sigmoid(-beta*h)").property("claimed_gradient")
    assert r.status == "holds", r.summary
    r = check_loss(loss, claimed_grad="-beta*sigmoid(-beta*h)").property("claimed_gradient")
    assert r.status == "violated"
    m = check_loss("m = logp_w - logp_l; loss = -logsigmoid(beta*m)", claimed_grad="-beta*sigmoid(-beta*m)")
    assert m.property("claimed_gradient").status == "holds"  # m was "a hyperparameter without a value"


def test_a_complex_value_is_not_read_as_its_real_part():
    import numpy as np

    from verify.losses.evaluate import real_part

    assert np.isnan(real_part(np.array([1 + 2j, 3 + 0j]))[0]) and real_part(np.array([1 + 2j, 3 + 0j]))[1] == 3.0
    assert np.isnan(real_part(np.pi * 1j))  # a single complex number failed the cast (exit 3)
    assert real_part(np.array([0.5, -1.0])).tolist() == [0.5, -1.0]


@pytest.mark.parametrize("expression", ["exp(1000*beta*h)", "-log1mexp(-beta*h)"])
def test_numpy_warnings_about_overflow_do_not_leak(expression):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # a leaked NumPy warning fails the check
        check_loss(expression)
