"""Implementation pitfalls the code checker must name, and correct code it must not flag.

Each pitfall is a plausible trainer bug: writing into the caller's arrays, a batch mean where a
per-example value belongs (through the reference or the lengths), rewards without the reference,
and a correct function computed in float32 NumPy or written for integer attention masks.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from verify.code import check_implementation
from verify.code.load import load_function

F32 = np.float32


def _not_ok(report) -> dict[str, str]:
    return {p.id: p.summary for p in report.properties if p.severity in ("warning", "error")}


def _softplus(x):
    return np.logaddexp(0.0, x)


def dpo_writes_inputs(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    chosen_logps -= ref_chosen_logps
    rejected_logps -= ref_rejected_logps
    return _softplus(-beta * (chosen_logps - rejected_logps))


def dpo_batch_mean_reference(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    ref_logratios = (ref_chosen_logps - ref_rejected_logps).mean()
    return _softplus(-beta * ((chosen_logps - rejected_logps) - ref_logratios))


def simpo_batch_mean_length(chosen_logps, rejected_logps, chosen_lengths, rejected_lengths, beta=2.0, gamma=0.5):
    margin = chosen_logps / chosen_lengths.mean() - rejected_logps / rejected_lengths.mean()
    return _softplus(-(beta * margin - gamma))


def dpo_rewards_without_reference(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    h = (chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)
    return _softplus(-beta * h), beta * chosen_logps, beta * rejected_logps


def reference_free_rewards(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    """A reference-free loss that takes the reference (as TRL's dpo_loss does) and ignores it."""
    return _softplus(-beta * (chosen_logps - rejected_logps)), beta * chosen_logps, beta * rejected_logps


def dpo_float32(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    logits = ((chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)).astype(F32)
    return np.logaddexp(F32(0.0), F32(-beta) * logits)


def dpo_float32_beta_twice(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    logits = ((chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)).astype(F32)
    return np.logaddexp(F32(0.0), F32(-beta * beta) * logits)


def test_a_function_writing_into_its_inputs_is_named_and_judged_on_copies():
    report = check_implementation(dpo_writes_inputs, "dpo", {"beta": 0.1})
    written = report.property("inputs_unchanged")
    assert (written.status, written.severity) == ("violated", "warning")
    assert written.details["written"] == ["chosen_logps", "rejected_logps"]
    # every other result is that of the function on the intended inputs: it computes DPO
    assert report.property("formula_values").status == "holds", _not_ok(report)
    assert report.property("formula_gradient").status == "holds", _not_ok(report)
    assert report.property("batch_semantics").status == "holds"


def test_a_function_leaving_its_inputs_alone_holds():
    report = check_implementation(dpo_float32, "dpo", {"beta": 0.1})
    assert report.property("inputs_unchanged").status == "holds"


@pytest.mark.parametrize(
    ("fn", "params", "moved"),
    [
        (dpo_batch_mean_reference, {"beta": 0.1}, "ref_logp_w"),
        (simpo_batch_mean_length, {"beta": 2.0, "gamma": 0.5}, "len_w"),
    ],
)
def test_coupling_through_any_input_is_found_and_named(fn, params, moved):
    report = check_implementation(fn, None, params)
    coupled = report.property("batch_semantics")
    assert (coupled.status, coupled.severity) == ("violated", "warning")
    assert coupled.details["input"] == moved
    assert "coupled across the batch" in coupled.summary


def test_coupling_found_by_the_formula_is_shown_in_its_batch_not_alone():
    report = check_implementation(dpo_batch_mean_reference, "dpo", {"beta": 0.1})
    values = report.property("formula_values")
    assert values.status == "violated"
    assert "in a fuzzed batch of" in values.summary and "depends on the other examples" in values.summary
    code, formula = (e.value for e in values.counterexample.evaluations)
    assert abs(code - formula) > 1e-6 * max(abs(code), abs(formula))  # the values shown really differ


def test_rewards_without_the_reference_are_named_where_the_loss_uses_it():
    report = check_implementation(dpo_rewards_without_reference, "dpo", {"beta": 0.1})
    rewards = report.property("rewards")
    assert (rewards.status, rewards.severity) == ("violated", "warning")
    assert "leave out the reference" in rewards.summary


def test_reference_free_rewards_hold_for_a_loss_that_ignores_the_reference():
    report = check_implementation(reference_free_rewards, None, {"beta": 0.1})
    rewards = report.property("rewards")
    assert rewards.status == "holds" and "β·policy" in rewards.summary


def dpo_inputs_float32(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.01):
    """Every input cast to float32 first: a reference log-probability of −30 rounds at 2·10⁻⁶ there."""
    a, b, c, d = (x.astype(F32) for x in (chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps))
    return np.logaddexp(F32(0), -F32(beta) * ((a - c) - (b - d)))


def kto_pair_inputs_float32(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    a, b, c, d = (x.astype(F32) for x in (chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps))
    s = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    return (1 - s(F32(beta) * (a - c))) + (1 - s(-F32(beta) * (b - d)))


@pytest.mark.parametrize(
    ("fn", "against", "beta"), [(dpo_inputs_float32, "dpo", 0.01), (kto_pair_inputs_float32, "kto_pair", 0.1)]
)
def test_a_float32_loss_is_differenced_at_a_step_its_largest_input_resolves(fn, against, beta):
    # a step relative to a policy log-probability of −0.01 alone was lost beside the reference's rounding:
    # the finite differences were off by 1–4 % and the correct loss an error
    report = check_implementation(fn, against, {"beta": beta})
    assert report.verdict == "ok", _not_ok(report)
    assert report.property("formula_gradient").status == "holds"


def test_a_correct_float32_numpy_loss_is_ok_and_a_wrong_one_is_not():
    report = check_implementation(dpo_float32, "dpo", {"beta": 0.1})
    assert report.verdict == "ok", _not_ok(report)
    assert report.property("formula_gradient").status == "holds"
    wrong = check_implementation(dpo_float32_beta_twice, "dpo", {"beta": 0.1})
    assert wrong.verdict == "error"
    assert wrong.property("formula_values").status == "violated"


INT_MASKS = """
import torch.nn.functional as F


def dpo_int_masks(chosen_token_logps, rejected_token_logps, chosen_attention_mask, rejected_attention_mask,
                  ref_chosen_logps, ref_rejected_logps, beta=0.1):
    c = chosen_token_logps.masked_fill((1 - chosen_attention_mask).bool(), 0.0).sum(-1)
    r = rejected_token_logps.masked_fill((1 - rejected_attention_mask).bool(), 0.0).sum(-1)
    return -F.logsigmoid(beta * ((c - ref_chosen_logps) - (r - ref_rejected_logps)))


def dpo_bool_masks(chosen_token_logps, rejected_token_logps, chosen_mask, rejected_mask,
                   ref_chosen_logps, ref_rejected_logps, beta=0.1):
    c = chosen_token_logps.masked_fill(~chosen_mask, 0.0).sum(-1)
    r = rejected_token_logps.masked_fill(~rejected_mask, 0.0).sum(-1)
    return -F.logsigmoid(beta * ((c - ref_chosen_logps) - (r - ref_rejected_logps)))
"""


def test_masks_are_given_as_integers_to_code_written_for_attention_masks(tmp_path):
    pytest.importorskip("torch")
    path = tmp_path / "masks.py"
    path.write_text(INT_MASKS, encoding="utf-8")
    report = check_implementation(load_function(f"{path}:dpo_int_masks"), "dpo", {"beta": 0.1})
    assert report.verdict == "ok", _not_ok(report)
    assert "masks given as int64 0/1" in report.property("padding").summary
    report = check_implementation(load_function(f"{path}:dpo_bool_masks"), "dpo", {"beta": 0.1})
    assert report.verdict == "ok", _not_ok(report)
    assert "int64" not in report.property("padding").summary


BCE_ON_PROBABILITIES = """
import torch
import torch.nn.functional as F


def dpo_loss(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    logits = (chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)
    p = torch.sigmoid(beta * logits)
    return F.binary_cross_entropy(p, torch.ones_like(p), reduction="none")


def dpo_loss_with_logits(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    logits = (chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)
    return F.binary_cross_entropy_with_logits(beta * logits, torch.ones_like(logits), reduction="none")
"""


def test_a_loss_that_saturates_at_wide_margins_is_named_there(tmp_path):
    pytest.importorskip("torch")
    path = tmp_path / "bce.py"
    path.write_text(BCE_ON_PROBABILITIES, encoding="utf-8")
    report = check_implementation(load_function(f"{path}:dpo_loss"), "dpo", {"beta": 0.1})
    wide = report.property("wide_margins")
    assert (wide.status, wide.severity) == ("violated", "warning")
    assert report.property("formula_values").status == "holds"  # right where the batches are fuzzed
    margin = float(wide.details["margin"])
    assert wide.summary.startswith(f"at β·margin = {wide.details['margin']} the code gives ∂L/∂logp_")
    assert -60 < margin < -5  # torch's BCE gradient vanishes below sigmoid = 1e-12: beta*margin ~ -28
    code, formula = (e.value for e in wide.counterexample.evaluations)
    assert abs(code - formula) > 0.1 * abs(formula)
    report = check_implementation(load_function(f"{path}:dpo_loss_with_logits"), "dpo", {"beta": 0.1})
    assert report.verdict == "ok", _not_ok(report)


def _log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def dpo_tokens_by_position(
    chosen_token_logps, rejected_token_logps, chosen_mask, rejected_mask, ref_chosen_logps, ref_rejected_logps, beta=0.1
):
    """Sums the first len tokens of each row: right only when the response starts at column 0."""
    lw, ll = chosen_mask.sum(-1).astype(int), rejected_mask.sum(-1).astype(int)
    cw = np.cumsum(chosen_token_logps, -1)[np.arange(len(lw)), lw - 1]
    cl = np.cumsum(rejected_token_logps, -1)[np.arange(len(ll)), ll - 1]
    return -_log_sigmoid(beta * ((cw - ref_chosen_logps) - (cl - ref_rejected_logps)))


def dpo_tokens_by_mask(
    chosen_token_logps, rejected_token_logps, chosen_mask, rejected_mask, ref_chosen_logps, ref_rejected_logps, beta=0.1
):
    cw, cl = (chosen_token_logps * chosen_mask).sum(-1), (rejected_token_logps * rejected_mask).sum(-1)
    return -_log_sigmoid(beta * ((cw - ref_chosen_logps) - (cl - ref_rejected_logps)))


def test_tokens_read_by_position_rather_than_by_the_mask_are_an_error():
    report = check_implementation(dpo_tokens_by_position, "dpo", {"beta": 0.1})
    padding = report.property("padding")
    assert (padding.status, padding.severity) == ("violated", "error")
    assert "masked prompt positions" in padding.summary and "not by the mask" in padding.summary
    assert report.property("formula_values").status == "holds"  # right while the response starts at column 0
    assert check_implementation(dpo_tokens_by_mask, "dpo", {"beta": 0.1}).verdict == "ok"


# --- away from the reference, for code checked without a formula --------------------------------------


def _h(w, lo, rw, rl):
    return (w - rw) - (lo - rl)


def nll_with_the_wrong_sign(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, chosen_lengths,
                            rejected_lengths, beta=0.1, alpha=0.005):  # fmt: skip
    return _softplus(-beta * _h(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps)) + (
        alpha * chosen_logps / chosen_lengths
    )


def sft_on_the_loser(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, chosen_lengths,
                     rejected_lengths, beta=0.1, alpha=0.005):  # fmt: skip
    return _softplus(-beta * _h(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps)) - (
        alpha * rejected_logps / rejected_lengths
    )


def loser_anchor_flipped(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1, lam=0.01):
    h = _h(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps)
    return _softplus(-beta * h) - lam * np.maximum(rejected_logps - ref_rejected_logps, 0.0)


def loser_square(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1, lam=0.01):
    h = _h(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps)
    return _softplus(-beta * h) - lam * (rejected_logps - ref_rejected_logps) ** 2


def sppo_hard(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    a, b = chosen_logps - ref_chosen_logps, rejected_logps - ref_rejected_logps
    return (a - 1 / (2 * beta)) ** 2 + (b + 1 / (2 * beta)) ** 2  # a target for the loser: raising it pays below


def ipo(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    return (_h(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps) - 1 / (2 * beta)) ** 2


def nca_pair(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    rw, rl = beta * (chosen_logps - ref_chosen_logps), beta * (rejected_logps - ref_rejected_logps)
    return np.logaddexp(0, -rw) + 0.5 * np.logaddexp(0, rw) + 0.5 * np.logaddexp(0, rl)


def simpo(chosen_logps, rejected_logps, chosen_lengths, rejected_lengths, beta=2.0, gamma=0.5):
    return _softplus(-(beta * (chosen_logps / chosen_lengths - rejected_logps / rejected_lengths) - gamma))


def rpo(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, chosen_lengths, rejected_lengths,
        beta=0.1, alpha=0.005):  # fmt: skip
    return nll_with_the_wrong_sign(
        chosen_logps,
        rejected_logps,
        ref_chosen_logps,
        ref_rejected_logps,
        chosen_lengths,
        rejected_lengths,
        beta,
        -alpha,
    )


@pytest.mark.parametrize("fn", [nll_with_the_wrong_sign, sft_on_the_loser, loser_anchor_flipped, loser_square])
def test_code_rewarding_the_loser_away_from_the_reference_is_an_error_without_a_formula(fn):
    report = check_implementation(fn, None, {"beta": 0.1})
    found = report.property("off_reference")
    assert (found.status, found.severity) == ("violated", "error"), found.summary
    ce = found.counterexample  # the whole loss really is lower after the move it names
    after, start = (ce.value(label) for label in ce.relation[::2])
    assert after < start
    assert report.verdict == "error"


@pytest.mark.parametrize("fn", [sppo_hard, ipo, nca_pair, simpo, rpo, dpo_float32])
def test_correct_code_holds_away_from_the_reference(fn):
    params = {"beta": 2.0, "gamma": 0.5} if fn is simpo else {"beta": 0.1}
    found = check_implementation(fn, None, params).property("off_reference")
    assert found.status == "holds", found.summary


def dpo_with_a_flipped_tail(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    z = beta * _h(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps)
    return np.where(z < -15, z, _softplus(-z))  # meant −z ("softplus(−z) ≈ −z there"): the tail's sign flipped


def test_a_gradient_of_the_other_sign_beyond_the_fuzzed_margins_is_an_error_not_saturation():
    found = check_implementation(dpo_with_a_flipped_tail, "dpo", {"beta": 0.1}).property("wide_margins")
    assert (found.status, found.severity) == ("violated", "error"), found.summary
    ce = found.counterexample
    code, formula = (ce.value(label) for label in ce.relation[::2])
    assert code * formula < 0  # really the other sign: at β·margin −20 the code gives +0.1, DPO −0.1
    assert "other sign" in found.summary


def simpo_by_the_longest(chosen_logps, rejected_logps, chosen_lengths, rejected_lengths, beta=2.0, gamma=0.5):
    longest = np.max(chosen_lengths)  # one length for the batch: example i depends on the longest response
    return _softplus(-(beta * (chosen_logps - rejected_logps) / longest - gamma))


def dpo_hard_half(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    losses = _softplus(-beta * _h(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps))
    return np.where(losses >= np.median(losses), losses, 0.0)  # the batch's harder half only


@pytest.mark.parametrize(("fn", "params"), [(simpo_by_the_longest, {"beta": 2.0, "gamma": 0.5}), (dpo_hard_half, {})])
def test_coupling_through_a_batch_maximum_or_median_is_found(fn, params):
    found = check_implementation(fn, None, {"beta": 0.1, **params}).property("batch_semantics")
    assert (found.status, found.severity) == ("violated", "warning"), found.summary
    assert "coupled across the batch" in found.summary


def dpo_positional_only(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, /, beta=0.1):
    return _softplus(-beta * _h(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps))


def test_positional_only_inputs_are_passed_by_position():
    report = check_implementation(dpo_positional_only, "dpo", {"beta": 0.1})
    assert report.verdict == "ok", _not_ok(report)


def dpo_positive(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1, lam=50.0):
    penalty = lam * np.maximum(0.0, ref_chosen_logps - chosen_logps)  # its kink where the winner meets its reference
    h = _h(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps)
    return _softplus(-beta * (h - penalty))


def test_wide_margins_are_not_probed_at_a_penalty_kink():
    # at the kink the formula's derivative takes the mean of the two sides, and the code's one side is as right
    found = check_implementation(dpo_positive, "dpop", {"beta": 0.1, "lambda": 50}).property("wide_margins")
    assert found.status == "holds", found.summary


def ipo_trl(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, chosen_lengths, rejected_lengths,
            beta=0.1):  # fmt: skip
    """TRL's IPO: log-probabilities averaged over the tokens, for the loss and for the rewards."""
    w, l_ = (chosen_logps - ref_chosen_logps) / chosen_lengths, (rejected_logps - ref_rejected_logps) / rejected_lengths
    return (w - l_ - 1 / (2 * beta)) ** 2, beta * w, beta * l_


def ipo_trl_rewards_swapped(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, chosen_lengths,
                            rejected_lengths, beta=0.1):  # fmt: skip
    losses, chosen, rejected = ipo_trl(
        chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, chosen_lengths, rejected_lengths, beta
    )
    return losses, rejected, chosen


def test_per_token_rewards_of_a_loss_that_takes_the_lengths_hold_and_swapped_ones_do_not():
    assert check_implementation(ipo_trl, None, {"beta": 0.1}).property("rewards").status == "holds"
    found = check_implementation(ipo_trl_rewards_swapped, None, {"beta": 0.1}).property("rewards")
    assert (found.status, found.severity) == ("violated", "warning")
    assert "swapped" in found.summary


def cdpo_own_eps(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1, eps=0.2):
    z = beta * _h(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps)
    return (1 - eps) * _softplus(-z) + eps * _softplus(z)


def cdpo_own_eps_swapped(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1, eps=0.2):
    z = beta * _h(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps)
    return eps * _softplus(-z) + (1 - eps) * _softplus(z)


def test_a_hyperparameter_not_given_takes_the_functions_own_default_like_beta():
    report = check_implementation(cdpo_own_eps, "cdpo", {})
    assert report.verdict == "ok", _not_ok(report)
    assert float(Fraction(report.params["eps"])) == 0.2
    assert check_implementation(cdpo_own_eps_swapped, "cdpo", {}).verdict == "error"
    # a value given goes to the function and to the formula alike
    given = check_implementation(cdpo_own_eps, "cdpo", {"eps": 0.1})
    assert given.verdict == "ok" and float(Fraction(given.params["eps"])) == 0.1


def test_a_gradient_wrong_at_ordinary_margins_is_not_blamed_on_saturation():
    """A detach on the rejected side makes ∂L/∂logp_l 0 everywhere: formula_gradient says so, and wide_margins,
    which blamed it on "saturates or overflows beyond the fuzzed margins", compares the values only."""
    pytest.importorskip("torch")
    from tests.code_examples.trl_torch import mutant_detached

    report = check_implementation(mutant_detached, "dpo", {"beta": 0.1})
    assert report.property("formula_gradient").severity == "error"
    wide = report.property("wide_margins")
    assert (wide.status, wide.severity) == ("holds", "ok") and "gradients differ at ordinary margins" in wide.summary
