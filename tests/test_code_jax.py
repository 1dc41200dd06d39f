"""``verify code`` on JAX implementations written as researchers write them: correct ones ``ok``, planted
bugs caught by the property that names them, gradients by ``jax.grad`` in float64 without changing the
user's own JAX settings."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest

jax = pytest.importorskip("jax")

import jax.numpy as jnp  # noqa: E402

from tests.code_examples import jax_losses as jl  # noqa: E402
from verify.cli import main  # noqa: E402
from verify.code import check_implementation  # noqa: E402

EXAMPLES = str(Path(__file__).parent / "code_examples" / "jax_losses.py")


@functools.cache
def _cached(name: str, against: str | None, params: tuple) -> object:
    return check_implementation(getattr(jl, name), against, dict(params))


def _check(fn, against=None, params=None):
    """One check per (function, formula, parameters) for the whole module: JAX compiles per shape."""
    return _cached(fn.__name__, against, tuple(sorted((params or {}).items())))


def _not_ok(report) -> dict[str, str]:
    return {p.id: p.summary for p in report.properties if p.severity in ("warning", "error")}


@pytest.mark.parametrize(
    ("fn", "against", "params"),
    [
        (jl.dpo_loss, "dpo", {"beta": 0.1}),
        (jl.dpo_loss, "ipo", {"beta": 0.1, "loss_type": "ipo"}),
        (jl.ipo_loss, "ipo", {"beta": 0.5}),
        (jl.simpo_loss, "simpo", {"beta": 2.0, "gamma": 0.5}),
        (jl.dpo_loss, None, {"beta": 0.1}),
    ],
)
def test_correct_jax_implementations_are_ok(fn, against, params):
    report = _check(fn, against, params)
    assert report.framework == "jax"
    assert report.verdict == "ok", _not_ok(report)
    assert report.property("gradient_flow").status == "holds"
    if against:
        assert "(autograd for the policy" in report.property("formula_gradient").summary
        assert "(float64 results, relative tolerance 1e-06)" in report.property("formula_values").summary


def test_float64_only_inside_the_check():
    before = jax.config.jax_enable_x64
    check_implementation(jl.simpo_loss, params={"beta": 2.0, "gamma": 0.5})
    assert jax.config.jax_enable_x64 == before
    assert jnp.asarray([1.0]).dtype == (jnp.float64 if before else jnp.float32)  # the user's default is kept


def test_rewards_with_stop_gradient_are_checked():
    report = _check(jl.dpo_loss, "dpo", {"beta": 0.1})
    assert report.property("rewards").summary == "chosen and rejected rewards equal β·(policy − reference)"


@pytest.mark.parametrize(
    ("fn", "prop", "severity", "text"),
    [
        (jl.mutant_sign_flip, "preference_direction", "error", "training pushes the wrong way"),
        (jl.mutant_swapped_winner, "reference_orientation", "error", "wrong orientation"),
        (jl.mutant_reference_added, "reference_orientation", "error", "wrong orientation"),
        (jl.mutant_mean, "batch_semantics", "error", "returns a scalar (the mean of the per-example losses)"),
        (jl.mutant_unstable, "float32_stability", "warning", "in float32 the loss is inf"),
        (jl.mutant_stop_gradient, "gradient_flow", "error", "no gradient flows to logp_w"),
    ],
)
def test_jax_mutants_caught_without_a_formula(fn, prop, severity, text):
    report = _check(fn, params={"beta": 0.1})
    p = report.property(prop)
    assert p.severity == severity and text in p.summary, p.summary
    assert report.verdict == severity
    others = {k for k in _not_ok(report) if k != prop}
    flipped = {"reference_orientation", "off_reference", "bounded_below"}  # as in test_code_torch
    assert others == (flipped if fn is jl.mutant_sign_flip else set()), others


@pytest.mark.parametrize(
    ("fn", "against", "params", "prop", "wrong", "diagnosis"),
    [
        (jl.mutant_sign_flip, "dpo", {"beta": 0.1}, "formula_gradient", "logp_l", "sign flipped"),
        (
            jl.mutant_swapped_winner,
            "dpo",
            {"beta": 0.1},
            "formula_gradient",
            "ref_logp_w",
            "sign flipped relative to ∂L/∂logp_w (equivalently winner and loser swapped)",
        ),
        (jl.mutant_reference_added, "dpo", {"beta": 0.1}, "formula_gradient", "ref_logp_l", "sign flipped relative"),
        (jl.mutant_stop_gradient, "dpo", {"beta": 0.1}, "formula_gradient", "logp_w", "no gradient flows"),
        (jl.mutant_beta_placement, "dpo", {"beta": 0.1}, "formula_gradient", "ref_logp_w", "a factor 1/β relative"),
        (jl.mutant_simpo_length, "simpo", {"beta": 2.0, "gamma": 0.5}, "formula_gradient", "logp_l", "a factor len"),
    ],
)
def test_jax_mutants_against_the_formula(fn, against, params, prop, wrong, diagnosis):
    report = _check(fn, against, params)
    grads = report.property(prop)
    assert grads.severity == "error" and grads.details["wrong"][wrong].startswith(diagnosis), grads.details
    ce = grads.counterexample
    x = ce.relation[0].removeprefix("dL/d").removesuffix(" (code)")
    if x not in ("logp_w", "logp_l"):
        return  # the reference's derivatives are finite differences of the values
    # recompute the code's gradient at the counterexample with jax.grad, independently of the checker
    names = report.inputs
    canon = {v: k for k, v in names.items()}
    fixed = {k: v for k, v in params.items() if k not in canon}
    point = {k: v for k, v in ce.point.items() if k != "beta"}

    def total(v):
        args = {names[k]: jnp.asarray([point[k] if k != x else v], dtype=jnp.float64) for k in names}
        out = fn(**args, **fixed)
        return (out[0] if isinstance(out, tuple) else out).sum()

    with jax.enable_x64(True):
        want = float(jax.grad(total)(jnp.float64(point[x])))
    assert ce.value(ce.relation[0]) == pytest.approx(want, rel=1e-12, abs=1e-15)


def test_beta_placement_needs_the_formula():
    assert _check(jl.mutant_beta_placement, params={"beta": 0.1}).verdict == "ok"
    report = _check(jl.mutant_beta_placement, "dpo", {"beta": 0.1})
    assert report.property("formula_values").severity == "error"


def test_unstable_float32_margin_is_where_exp_overflows():
    p = _check(jl.mutant_unstable, params={"beta": 0.1}).property("float32_stability")
    limit = float(np.log(np.finfo(np.float32).max))
    assert -1.05 * limit < float(p.details["breaks at"]) < -limit


def test_a_function_jax_cannot_trace_is_checked_as_numpy():
    report = check_implementation(jl.numpy_inside, "dpo", {"beta": 0.1})
    assert report.framework == "numpy" and report.verdict == "ok", _not_ok(report)


def test_cli_on_a_jax_file(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    argv = ["code", f"{EXAMPLES}:dpo_loss", "--against", "dpo", "--param", "beta=0.1"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "dpo_loss (jax; chosen_logps→logp_w" in out and "verdict: ok" in out
    assert main(["code", f"{EXAMPLES}:mutant_sign_flip", "--param", "beta=0.1", "--quiet"]) == 1


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("raises", "raised RuntimeError: XLA out of memory on a batch of 4"),
        ("returns_nan", "returned nan at logp_w="),
        ("wrong_shape", "returned losses of shape (4, 1) for a batch of 4"),
    ],
)
def test_bad_jax_functions_are_one_line_exit_2(capsys, name, message):
    assert main(["code", f"{EXAMPLES}:{name}", "--param", "beta=0.1"]) == 2
    out = capsys.readouterr()
    assert out.out == "" and out.err.count("\n") == 1 and message in out.err, out.err


def test_the_framework_is_read_through_the_jit_wrapper():
    from verify.code.frameworks import available, referenced

    assert referenced(jl.dpo_loss) == {"jax"}  # jax.jit(dpo_loss): the user's module, not jax's wrapper
    assert available(jl.dpo_loss)[0].name == "jax"
