"""A corpus of published preference losses (and equivalent rewrites) and of planted mistakes.

Every published variant must pass without an ``error`` (no false alarm); every mutant must be
an ``error`` with the named property firing, and each counterexample is re-evaluated
independently (SymPy ``evalf``, no NumPy) to show the forbidden relation really holds.
"""

from __future__ import annotations

import pytest

from tests.losses_support import assert_counterexample_shows_violation
from verify.losses import check_loss
from verify.losses.parse import parse_loss, parse_value

M = "((logp_w - ref_logp_w) - (logp_l - ref_logp_l))"
RW, RL = "(logp_w - ref_logp_w)", "(logp_l - ref_logp_l)"
HN = "(logp_w/len_w - logp_l/len_l)"  # per-token (length-normalized) margin
ODDS = "((logp_w/len_w - log1mexp(logp_w/len_w)) - (logp_l/len_l - log1mexp(logp_l/len_l)))"

#: name → (expression, params); the comment above each entry names its source
PUBLISHED: dict[str, tuple[str, dict[str, str]]] = {
    # Rafailov et al. 2023, Direct Preference Optimization, eq. (7); TRL loss_type="sigmoid"
    "dpo": (f"-logsigmoid(beta*{M})", {}),
    # the same loss, rewritten: softplus, log σ, log(1 + e^−x), TRL's code, Greek and U+2212, a definition
    "dpo_softplus": (f"softplus(-beta*{M})", {}),
    "dpo_log_sigmoid": (f"-log(sigmoid(beta*{M}))", {}),
    "dpo_log1p_exp": (f"log(1 + exp(-beta*{M}))", {}),
    "dpo_trl_code": ("-F.logsigmoid(self.beta * (pi_logratios - ref_logratios)).mean()", {}),
    "dpo_greek": ("\u2212logsigmoid(β*((logp_w \u2212 ref_logp_w) \u2212 (logp_l \u2212 ref_logp_l)))", {}),
    "dpo_defined": ("m = chosen_logratios - rejected_logratios; loss = -torch.nn.functional.log_sigmoid(beta*m)", {}),
    "dpo_rewards": ("softplus(-(chosen_rewards - rejected_rewards))", {}),
    # Mitchell 2023, A note on DPO with noisy preferences (cDPO); TRL label_smoothing
    "cdpo": (f"-(1 - eps)*logsigmoid(beta*{M}) - eps*logsigmoid(-beta*{M})", {"eps": "0.1"}),
    # Chowdhury et al. 2024, Provably Robust DPO; TRL loss_type="robust"
    "robust_dpo": (f"((1 - eps)*(-logsigmoid(beta*{M})) - eps*(-logsigmoid(-beta*{M})))/(1 - 2*eps)", {"eps": "0.1"}),
    # Azar et al. 2023, A General Theoretical Paradigm (IPO), eq. (17); TRL loss_type="ipo"
    "ipo": (f"({M} - 1/(2*beta))**2", {}),
    "ipo_pow_logits": ("pow(logits - 1/(2*beta), 2)", {}),
    "ipo_tau": (f"({M} - 1/(2*tau))**2", {"tau": "0.1"}),
    # IPO without a reference model (the margin of log-probabilities, and per token)
    "ipo_reference_free": ("(logp_w - logp_l - 1/(2*beta))**2", {}),
    "ipo_reference_free_per_token": (f"({HN} - 1/(2*beta))**2", {}),
    # Zhao et al. 2023, SLiC-HF (hinge on the log-ratio margin); TRL loss_type="hinge"
    "hinge": (f"relu(1 - beta*{M})", {}),
    "hinge_clamp": ("torch.clamp(1 - beta*logits, min=0)", {}),
    # Zhao et al. 2023, SLiC-HF eq. (1): calibration hinge plus a regularising NLL term
    "slic_hf": ("max(0, delta - (logp_w - logp_l)) - lambda*logp_w", {"delta": "1", "lambda": "0.1"}),
    # Rafailov et al. 2023, DPO without a reference; TRL reference_free=True
    "dpo_reference_free": ("-logsigmoid(beta*(logp_w - logp_l))", {}),
    # Meng et al. 2024, SimPO, eq. (6); TRL CPOTrainer loss_type="simpo"
    "simpo": (f"-logsigmoid(beta*{HN} - gamma)", {"gamma": "0.5"}),
    # TRL CPOTrainer simpo with label_smoothing (logits = per-token margin − γ/β)
    "simpo_label_smoothing": (
        f"z = {HN} - gamma_beta_ratio; loss = -(1 - eps)*F.logsigmoid(beta*z) - eps*F.logsigmoid(-beta*z)",
        {"eps": "0.1", "gamma_beta_ratio": "0.5"},
    ),
    # Xu et al. 2024, Contrastive Preference Optimization, eq. (3): preference term plus NLL; TRL CPOTrainer
    "cpo": ("-logsigmoid(beta*(logp_w - logp_l)) - alpha*logp_w/len_w", {"alpha": "1"}),
    # TRL CPOTrainer loss_type="sigmoid" with label_smoothing and cpo_alpha
    "cpo_label_smoothing": (
        "-(1 - eps)*logsigmoid(beta*(logp_w - logp_l)) - eps*logsigmoid(-beta*(logp_w - logp_l)) - alpha*logp_w/len_w",
        {"eps": "0.1", "alpha": "1"},
    ),
    # TRL CPOTrainer loss_type="ipo" (average log-probabilities) with cpo_alpha
    "cpo_ipo": (f"({HN} - 1/(2*beta))**2 - alpha*logp_w/len_w", {"alpha": "1"}),
    # Hong et al. 2024, ORPO, eqs. (6)-(7)
    "orpo": (f"-logp_w/len_w - lambda*logsigmoid({ODDS})", {"lambda": "0.1"}),
    # Park et al. 2024, Disentangling Length from Quality in DPO (R-DPO)
    "r_dpo": (f"-logsigmoid(beta*{M} - (alpha*len_w - alpha*len_l))", {"alpha": "0.01"}),
    # Amini et al. 2024, Direct Preference Optimization with an Offset (ODPO)
    "odpo": (f"-logsigmoid(beta*{M} - delta)", {"delta": "1"}),
    # Wu et al. 2024, β-DPO: a batch-level β = β0·(1 + α(M_batch − M0)), a constant within the batch
    "beta_dpo": (f"-logsigmoid(beta*(1 + alpha*(m_batch - m0))*{M})", {"alpha": "0.6", "m_batch": "1", "m0": "0.5"}),
    # Pal et al. 2024, Smaug: DPO-Positive, eq. (3)
    "dpop": (f"-logsigmoid(beta*({M} - lambda*relu(ref_logp_w - logp_w)))", {"lambda": "50"}),
    # Huang et al. 2024, χ²-Preference Optimization (link φ(z) = e^z + z, without clipping)
    "chi_po": (f"-logsigmoid(beta*(exp({RW}) + {RW}) - beta*(exp({RL}) + {RL}))", {}),
    # Xiao et al. 2024, Cal-DPO: Calibrated Direct Preference Optimization
    "cal_dpo": (f"-logsigmoid({M}) + ({RW} - 1/(2*beta))**2 + ({RL} + 1/(2*beta))**2", {}),
    # Yang et al. 2025, DPO-Shift: the rejected log-ratio scaled by f(λ) < 1
    "dpo_shift": (f"-logsigmoid(beta*{RW} - lam*beta*{RL})", {"lam": "0.95"}),
    # Pang et al. 2024, Iterative Reasoning Preference Optimization (RPO: DPO + NLL); TRL rpo_alpha
    "rpo": (f"-logsigmoid(beta*{M}) - alpha*logp_w/len_w", {"alpha": "1"}),
    "rpo_small_alpha": (f"-logsigmoid(beta*{M}) - alpha*logp_w/len_w", {"alpha": "0.005"}),
    # Chen et al. 2024, Noise Contrastive Alignment (pairwise); TRL loss_type="nca_pair"
    "nca_pair": (f"-logsigmoid(beta*{RW}) - 0.5*logsigmoid(-beta*{RW}) - 0.5*logsigmoid(-beta*{RL})", {}),
    # D'Oosterlinck et al. 2024, Anchored Preference Optimization; TRL loss_type="apo_zero" / "apo_down"
    "apo_zero": (f"1 - sigmoid(beta*{RW}) + sigmoid(beta*{RL})", {}),
    "apo_down": (f"sigmoid(beta*{RW}) + 1 - sigmoid(beta*({RW} - {RL}))", {}),
    # Jung et al. 2024, Binary Classifier Optimization (pairwise); TRL loss_type="bco_pair"
    "bco_pair": (f"-logsigmoid(beta*{RW} - delta) - logsigmoid(-(beta*{RL} - delta))", {"delta": "0.5"}),
    # Ji et al. 2024, Efficient Exact Optimization (pairwise); TRL loss_type="exo_pair"
    "exo_pair": (
        f"sigmoid(beta*{M})*(logsigmoid(beta*{M}) - log(1 - eps)) "
        f"+ sigmoid(-beta*{M})*(logsigmoid(-beta*{M}) - log(eps))",
        {"eps": "0.001"},
    ),
    # Wu et al. 2024, Self-Play Preference Optimization (hard labels); TRL loss_type="sppo_hard"
    "sppo_hard": (f"({RW} - 1/(2*beta))**2 + ({RL} + 1/(2*beta))**2", {}),
    # Ethayarajh et al. 2024, KTO, eq. (8), paired form with the reference point z0 as a constant
    "kto_pair": (
        f"lambda_d*(1 - sigmoid(beta*({RW} - z0))) + lambda_u*(1 - sigmoid(beta*(z0 - {RL})))",
        {"lambda_d": "1", "lambda_u": "1", "z0": "0"},
    ),
    # Chris Lu et al. 2024, DiscoPOP; TRL loss_type="discopop"
    "discopop": (
        f"(1 - sigmoid(beta*{M}/tau))*(-logsigmoid(beta*{M})) + sigmoid(beta*{M}/tau)*exp(-beta*{M})",
        {"tau": "0.05"},
    ),
    # Wang et al. 2023, Beyond Reverse KL: Generalizing DPO with Diverse Divergence Constraints (f-DPO):
    # forward KL (f'(u) = −1/u), Jensen–Shannon, α-divergence (f'(u) = (1 − u^−α)/α)
    "f_dpo_forward_kl": (f"-logsigmoid(beta*(-exp(-{RW}) + exp(-{RL})))", {}),
    "f_dpo_js": (f"-logsigmoid(beta*({RW} - softplus({RW}) - {RL} + softplus({RL})))", {}),
    "f_dpo_alpha": (f"-logsigmoid(beta*(-exp(-alpha*{RW}) + exp(-alpha*{RL}))/alpha)", {"alpha": "0.5"}),
    # Gupta et al. 2025, AlphaPO: reward (1 − π^(−α/|y|))/α, reference-free, with a margin γ
    "alphapo": (
        "-logsigmoid(beta*((1 - exp(-alpha*logp_w/len_w))/alpha - (1 - exp(-alpha*logp_l/len_l))/alpha) - gamma)",
        {"alpha": "0.25", "gamma": "0.5"},
    ),
    # TRL DPOTrainer loss_type="ipo" (log-ratios averaged over tokens)
    "ipo_trl_average": (f"({RW}/len_w - {RL}/len_l - 1/(2*beta))**2", {}),
    # TRL DPOTrainer loss_type="sigmoid" with label_smoothing, as written in its code
    "cdpo_trl_code": (
        "-F.logsigmoid(beta*logits)*(1 - label_smoothing) - F.logsigmoid(-beta*logits)*label_smoothing",
        {"label_smoothing": "0.2"},
    ),
    # Xiao et al. 2025, SimPER: perplexity-based preference loss without hyperparameters
    "simper": ("-exp(logp_w/len_w) + exp(logp_l/len_l)", {}),
}

#: name → (expression, params, the property that must fire)
MUTANTS: dict[str, tuple[str, dict[str, str], str]] = {
    # off-reference: small SFT terms with the wrong sign or on the rejected response
    "rpo_sft_sign_small": (f"-logsigmoid(beta*{M}) + eta*logp_w/len_w", {"eta": "0.005"}, "off_reference"),
    "rpo_sft_on_loser_small": (f"-logsigmoid(beta*{M}) - eta*logp_l/len_l", {"eta": "0.005"}, "off_reference"),
    "rpo_sft_on_loser_trl_names": (
        "-F.logsigmoid(beta*logits) - 0.005*rejected_logps/len_l",
        {},
        "off_reference",
    ),
    "cpo_sft_sign": ("-logsigmoid(beta*(logp_w - logp_l)) + alpha*logp_w/len_w", {"alpha": "0.01"}, "off_reference"),
    "cpo_sft_on_loser": (
        "-logsigmoid(beta*(logp_w - logp_l)) - alpha*logp_l/len_l",
        {"alpha": "0.01"},
        "off_reference",
    ),
    "cpo_ipo_sft_sign": (f"({HN} - 1/(2*beta))**2 + alpha*logp_w/len_w", {"alpha": "1"}, "off_reference"),
    "cpo_ipo_sft_on_loser": (f"({HN} - 1/(2*beta))**2 - alpha*logp_l/len_l", {"alpha": "1"}, "off_reference"),
    "simpo_sft_sign": (f"-logsigmoid(beta*{HN} - gamma) + 0.01*logp_w/len_w", {"gamma": "0.5"}, "off_reference"),
    "ipo_sft_sign": (f"({M} - 1/(2*beta))**2 + 0.01*logp_w/len_w", {}, "off_reference"),
    "slic_nll_sign": (
        "relu(delta - (logp_w - logp_l)) + lambda*logp_w",
        {"delta": "1", "lambda": "0.1"},
        "off_reference",
    ),
    "orpo_nll_on_loser": (f"-logp_l/len_l - lambda*logsigmoid({ODDS})", {"lambda": "0.1"}, "off_reference"),
    "rpo_sft_sign_unnormalised": (f"-logsigmoid(beta*{M}) + 0.001*logp_w", {}, "off_reference"),
    "ipo_sft_on_loser": (f"({M} - 1/(2*beta))**2 - 0.01*logp_l/len_l", {}, "off_reference"),
    # terms whose gradient vanishes at the reference, rewarding moves away from it with the wrong sign
    "dpo_loser_anchor_sign": (f"-logsigmoid(beta*{M}) - lam*{RL}**2", {"lam": "0.01"}, "off_reference"),
    "dpo_winner_anchor_sign": (f"-logsigmoid(beta*{M}) - lam*{RW}**2", {"lam": "0.01"}, "off_reference"),
    "loser_squared_in_margin": (f"-logsigmoid(beta*({RW} + {RL}**2))", {}, "off_reference"),
    # χPO with the link e^z − z (decreasing below the reference): every gradient is 0 at the reference
    "chi_po_wrong_link": (f"-logsigmoid(beta*(exp({RW}) - {RW}) - beta*(exp({RL}) - {RL}))", {}, "off_reference"),
    # sign flips and swaps
    "dpo_outer_sign": (f"logsigmoid(beta*{M})", {}, "preference_direction"),
    "dpo_swap_winner_loser": (f"-logsigmoid(beta*({RL} - {RW}))", {}, "preference_direction"),
    "dpo_swap_policy_reference": (
        "-logsigmoid(beta*((ref_logp_w - logp_w) - (ref_logp_l - logp_l)))",
        {},
        "preference_direction",
    ),
    "dpo_flip_ref_logp_w": (
        "-logsigmoid(beta*((logp_w + ref_logp_w) - (logp_l - ref_logp_l)))",
        {},
        "reference_orientation",
    ),
    "cdpo_smoothing_past_half": (
        f"-(1 - eps)*logsigmoid(beta*{M}) - eps*logsigmoid(-beta*{M})",
        {"eps": "0.9"},
        "preference_direction",
    ),
    "robust_dpo_swapped": (
        f"((1 - eps)*(-logsigmoid(-beta*{M})) - eps*(-logsigmoid(beta*{M})))/(1 - 2*eps)",
        {"eps": "0.1"},
        "preference_direction",
    ),
    "simpo_swap": (
        "-logsigmoid(beta*(logp_l/len_l - logp_w/len_w) - gamma)",
        {"gamma": "0.5"},
        "preference_direction",
    ),
    "simpo_label_smoothing_swapped": (
        f"z = {HN} - 0.5; loss = -(1 - eps)*logsigmoid(-beta*z) - eps*logsigmoid(beta*z)",
        {"eps": "0.1"},
        "preference_direction",
    ),
    "r_dpo_margin_sign": (
        f"-logsigmoid(-beta*{M} - (alpha*len_w - alpha*len_l))",
        {"alpha": "0.01"},
        "preference_direction",
    ),
    "odpo_swap": (f"-logsigmoid(beta*({RL} - {RW}) - delta)", {"delta": "1"}, "preference_direction"),
    "dpop_penalty_on_raised_winner": (
        f"-logsigmoid(beta*({M} - lambda*relu(logp_w - ref_logp_w)))",
        {"lambda": "50"},
        "preference_direction",
    ),
    "chi_po_swap": (f"-logsigmoid(beta*(exp({RL}) + {RL}) - beta*(exp({RW}) + {RW}))", {}, "preference_direction"),
    "cal_dpo_targets_swapped": (
        f"-logsigmoid({M}) + ({RW} + 1/(2*beta))**2 + ({RL} - 1/(2*beta))**2",
        {},
        "preference_direction",
    ),
    "nca_swap": (
        f"-logsigmoid(beta*{RL}) - 0.5*logsigmoid(-beta*{RL}) - 0.5*logsigmoid(-beta*{RW})",
        {},
        "preference_direction",
    ),
    "apo_zero_swap": (f"1 - sigmoid(beta*{RL}) + sigmoid(beta*{RW})", {}, "preference_direction"),
    "apo_down_swap": (f"sigmoid(beta*{RL}) + 1 - sigmoid(beta*({RL} - {RW}))", {}, "preference_direction"),
    "bco_swap": (
        f"-logsigmoid(-(beta*{RW} - delta)) - logsigmoid(beta*{RL} - delta)",
        {"delta": "0.5"},
        "preference_direction",
    ),
    "kto_loser_sign": (f"(1 - sigmoid(beta*{RW})) + (1 - sigmoid(beta*{RL}))", {}, "preference_direction"),
    "f_dpo_forward_kl_swap": (f"-logsigmoid(beta*(-exp(-{RL}) + exp(-{RW})))", {}, "preference_direction"),
    "alphapo_swap": (
        "-logsigmoid(beta*((1 - exp(-alpha*logp_l/len_l))/alpha - (1 - exp(-alpha*logp_w/len_w))/alpha) - gamma)",
        {"alpha": "0.25", "gamma": "0.5"},
        "preference_direction",
    ),
    "simper_swap": ("-exp(logp_l/len_l) + exp(logp_w/len_w)", {}, "preference_direction"),
    # wrong targets
    "ipo_target_sign": (f"({M} + 1/(2*beta))**2", {}, "preference_direction"),
    "ipo_reference_free_target_sign": ("(logp_w - logp_l + 1/(2*beta))**2", {}, "preference_direction"),
    "ipo_per_token_target_sign": (f"({HN} + 1/(2*beta))**2", {}, "preference_direction"),
    "sppo_target_signs": (f"({RW} + 1/(2*beta))**2 + ({RL} - 1/(2*beta))**2", {}, "preference_direction"),
    "hinge_margin_sign": (f"relu(1 + beta*{M})", {}, "preference_direction"),
    "exo_target_swapped": (
        f"sigmoid(beta*{M})*(logsigmoid(beta*{M}) - log(eps)) "
        f"+ sigmoid(-beta*{M})*(logsigmoid(-beta*{M}) - log(1 - eps))",
        {"eps": "0.001"},
        "preference_direction",
    ),
}


@pytest.fixture(scope="module")
def published():
    return {name: check_loss(e, p, name=name) for name, (e, p) in PUBLISHED.items()}


@pytest.fixture(scope="module")
def mutants():
    return {name: check_loss(e, p, name=name) for name, (e, p, _) in MUTANTS.items()}


def test_corpus_sizes():
    assert len(PUBLISHED) >= 30 and len(MUTANTS) >= 30


@pytest.mark.parametrize("name", list(PUBLISHED))
def test_published_variant_is_not_an_error(published, name):
    r = published[name]
    assert r.verdict != "error", [(p.id, p.severity, p.summary) for p in r.properties if p.severity == "error"]


@pytest.mark.parametrize("name", list(PUBLISHED))
def test_direction_never_contradicts_the_population_optimum(published, name):
    r = published[name]
    if r.property("population_optimum").details.get("prefers the preferred response"):
        assert r.property("preference_direction").severity != "error"


@pytest.mark.parametrize("name", list(MUTANTS))
def test_mutant_is_an_error_with_its_property(mutants, name):
    r = mutants[name]
    fired = {p.id for p in r.properties if p.severity == "error"}
    assert r.verdict == "error" and MUTANTS[name][2] in fired, [(p.id, p.severity, p.summary) for p in r.properties]


@pytest.mark.parametrize("name", list(MUTANTS))
def test_mutant_counterexamples_really_violate(mutants, name):
    expression, params, _ = MUTANTS[name]
    parsed = parse_loss(expression)
    expr = parsed.expr.subs({parsed.hyperparameters[k]: parse_value(k, v) for k, v in params.items()})
    for p in mutants[name].properties:
        if p.severity == "error" and p.counterexample is not None:
            assert_counterexample_shows_violation(expr, p.counterexample)


def test_off_reference_cases_pass_every_check_at_the_reference(mutants):
    # the blind spot: at the reference the main term dominates a small wrong SFT term
    for name in ("rpo_sft_sign_small", "rpo_sft_on_loser_small"):
        r = mutants[name]
        assert r.property("preference_direction").severity == "ok"
        assert r.property("off_reference").severity == "error"
    lowered = mutants["rpo_sft_sign_small"].property("off_reference")
    assert lowered.summary.startswith("lowering the winner lowers the loss")
    raised = mutants["rpo_sft_on_loser_small"].property("off_reference")
    assert raised.summary.startswith("raising the loser lowers the loss")


def test_gradient_vanishing_at_the_reference_is_retested_away_from_it(mutants):
    r = mutants["chi_po_wrong_link"]
    assert r.property("preference_direction").details["dL/dlogp_w at reference"] == "[0, 0]"
    assert r.property("preference_direction").severity != "error"
    assert r.property("off_reference").summary.startswith("lowering the winner lowers the loss: where the policy")


def test_apo_down_is_not_an_off_reference_error(published):
    # APO-down lowers the winner by design, but only boundedly (σ(β r_w) ∈ (0, 1))
    assert published["apo_down"].property("off_reference").severity == "ok"
    assert published["nca_pair"].property("off_reference").severity == "ok"
    assert published["sppo_hard"].property("off_reference").severity == "ok"


def test_reference_free_finite_targets_start_neutral(published):
    # the false alarms: a finite target beyond margin 0 is not a sign error
    for name in ("simpo_label_smoothing", "cpo_ipo", "cpo_label_smoothing", "ipo_reference_free"):
        r = published[name]
        assert r.property("preference_direction").severity == "ok", r.property("preference_direction").summary


def test_a_bump_near_the_reference_is_not_a_sign_error_when_the_optimum_prefers_the_winner():
    # DPO plus a bump at βh = ½: from the reference the mirror tests fail, but the population
    # optimum is h* > 0 for every p > ½, so the report shows a non-monotone region, not an error
    r = check_loss(f"-logsigmoid(beta*{M}) + 3*exp(-(beta*{M} - 0.5)**2)")
    assert r.property("population_optimum").details["prefers the preferred response"] is True
    for pid in ("preference_direction", "reference_orientation"):
        p = r.property(pid)
        assert p.severity == "warning" and "non-monotone region, not a sign error" in p.summary
        assert p.counterexample is not None
    assert r.verdict == "warning"
    # the same bump on the wrong side of a swapped DPO stays an error: its optimum prefers the loser
    swapped = check_loss(f"-logsigmoid(-beta*{M}) + 3*exp(-(beta*{M} - 0.5)**2)")
    assert swapped.property("preference_direction").severity == "error"
