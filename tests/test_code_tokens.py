"""Token-level implementations: per-token log-probabilities (B, T) with masks. The checker's token batches
sum to the fuzzed sequence log-probabilities over the mask, padded positions hold garbage a correct loss
never reads, and a loss that forgets the mask or averages over padding is caught by ``padding``."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.code_examples import token_losses as tl
from verify.cli import main
from verify.code import check_implementation
from verify.code.tokens import Layout, sequence_gradient

TOKENS = "tests.code_examples.token_losses"


def _not_ok(report) -> dict[str, str]:
    return {p.id: p.summary for p in report.properties if p.severity in ("warning", "error")}


def _batch(draw_lengths: list[int], seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = len(draw_lengths)
    return {"logp_w": -rng.uniform(0.1, 300, n), "len_w": np.array(draw_lengths, dtype=float), "len_l": np.ones(n)}


@settings(max_examples=40, deadline=None)
@given(lengths=st.lists(st.integers(1, 260), min_size=1, max_size=9), seed=st.integers(0, 2**16))
def test_token_batches_sum_to_the_sequence_log_probabilities(lengths, seed):
    batch = _batch(lengths, seed)
    layout = Layout()
    tokens, w = layout.build("token_logp_w", batch)
    mask, none = layout.build("mask_w", batch)
    assert none is None and mask.dtype == bool
    assert tokens.shape == mask.shape == (len(lengths), max(max(lengths) + 5, 208))
    assert mask.sum(axis=1).tolist() == lengths  # the length is the number of unmasked tokens
    assert np.where(mask, tokens, 0.0).sum(axis=1) == pytest.approx(batch["logp_w"], rel=1e-12)
    assert np.all(tokens[mask] < 0) and np.all(tokens[~mask] <= -0.5)  # log-probabilities; garbage in padding
    assert np.all(w[~mask] == 0) and np.all(w[mask] > 0)
    # a row's tokens depend on its own values and length, not on its place in the batch or the width
    perm = np.random.default_rng(seed).permutation(len(lengths))
    moved, _ = layout.build("token_logp_w", {k: v[perm] for k, v in batch.items()})
    assert np.array_equal(moved, tokens[perm])
    wide, _ = Layout(pad=21, min_width=224).build("token_logp_w", batch)
    assert np.array_equal(wide[:, : tokens.shape[1]], tokens)
    # the chain rule through the layout: d(Σ_t token[i, t]·c[t] over the mask)/d logp[i] = Σ_t c[t]·w[i, t]
    c = np.random.default_rng(seed + 1).normal(size=tokens.shape)
    assert sequence_gradient(c * mask, w) == pytest.approx((c * w).sum(axis=1), rel=1e-12)


@pytest.mark.parametrize(
    ("fn", "against", "params"),
    [
        (tl.dpo_loss, "dpo", {"beta": 0.1}),
        (tl.dpo_loss, None, {"beta": 0.1}),
        (tl.dpo_loss_all_tokens, "dpo", {"beta": 0.1}),
        (tl.simpo_loss, "simpo", {"beta": 2.0, "gamma": 0.5}),
    ],
)
def test_correct_token_level_implementations_are_ok(fn, against, params):
    report = check_implementation(fn, against, params)
    assert report.verdict == "ok", _not_ok(report)
    assert report.property("padding").status == "holds"
    assert report.inputs["mask_w"] == "chosen_mask" and report.inputs["token_logp_w"] == "chosen_token_logps"


def test_sequence_level_functions_have_no_padding_row():
    from tests.code_examples import numpy_losses as nl

    report = check_implementation(nl.dpo_loss, "dpo", {"beta": 0.1})
    assert "padding" not in [p.id for p in report.properties]


def test_a_forgotten_mask_is_caught_and_named():
    report = check_implementation(tl.mutant_no_mask, params={"beta": 0.1})
    p = report.property("padding")
    assert p.severity == "error" and report.verdict == "error"
    assert "padded positions of 'rejected_token_logps' (where the mask is False) change example" in p.summary
    assert "the mask is not applied to it" in p.summary and "chosen_token_logps" not in p.summary
    assert set(_not_ok(report)) == {"padding"}
    before, after = p.counterexample.value("L"), p.counterexample.value("L (padding changed)")
    assert abs(before - after) > 1e-6 * abs(before)
    against = check_implementation(tl.mutant_no_mask, "dpo", {"beta": 0.1})
    assert against.property("formula_values").severity == "error"  # padding garbage summed as log-probabilities


def test_a_mean_over_padding_is_caught_and_named():
    report = check_implementation(tl.mutant_mean_over_padding, params={"beta": 2.0, "gamma": 0.5})
    p = report.property("padding")
    assert p.severity == "error" and set(_not_ok(report)) == {"padding"}
    assert "padding the batch from width 208 to 224 (masks and tokens unchanged) changes example" in p.summary
    assert "the loss depends on the padded width" in p.summary
    # independently: the loss divides the masked sum by the width, so 16 more columns scale the margin by 208/224
    ce = p.counterexample
    pt = ce.point
    h = lambda width: pt["logp_w"] / width - pt["logp_l"] / width  # noqa: E731
    assert ce.value("L") == pytest.approx(np.logaddexp(0, -(2.0 * h(208) - 0.5)), rel=1e-9)
    assert ce.value("L (padding changed)") == pytest.approx(np.logaddexp(0, -(2.0 * h(224) - 0.5)), rel=1e-9)
    bad = check_implementation(tl.mutant_mean_over_padding, "simpo", {"beta": 2.0, "gamma": 0.5})
    assert bad.property("formula_values").severity == "error"


def test_torch_token_level_gradients_by_autograd():
    pytest.importorskip("torch")
    from tests.code_examples import trl_torch as tt

    report = check_implementation(tt.dpo_loss_tokens, "dpo", {"beta": 0.1})
    assert report.framework == "torch" and report.verdict == "ok", _not_ok(report)
    assert "(autograd for the policy" in report.property("formula_gradient").summary
    assert report.inputs["mask_w"] == "chosen_loss_mask" and report.inputs["token_logp_w"] == "chosen_per_token_logps"
    bad = check_implementation(tt.mutant_tokens_no_mask, params={"beta": 0.1})
    assert "padded positions of 'chosen_per_token_logps'" in bad.property("padding").summary


def test_jax_token_level():
    pytest.importorskip("jax")
    from tests.code_examples import jax_losses as jl

    report = check_implementation(jl.simpo_loss_tokens, "simpo", {"beta": 2.0, "gamma": 0.5})
    assert report.framework == "jax" and report.verdict == "ok", _not_ok(report)
    bad = check_implementation(jl.mutant_tokens_mean_over_padding, params={"beta": 2.0, "gamma": 0.5})
    assert "the loss depends on the padded width" in bad.property("padding").summary


def test_cli_maps_token_inputs(capsys):
    argv = ["code", f"{TOKENS}:simpo_loss", "--against", "simpo", "--param", "beta=2", "--param", "gamma=0.5"]
    argv += ["--map", "chosen_mask=mask_w", "--quiet"]
    assert main(argv) == 0
    assert main(["code", f"{TOKENS}:dpo_loss", "--map", "chosen_mask=mask", "--param", "beta=0.1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'mask' is not one of" in err and "mask_w" in err
