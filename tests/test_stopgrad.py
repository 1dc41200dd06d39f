"""``stopgrad(EXPR)`` in the loss language: the value of EXPR, derivative 0. A weight the training gradient
must not flow through; ``verify code`` names an implementation whose gradient flows through it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.code_examples import numpy_losses as nl
from verify.code import check_implementation
from verify.losses import check_loss
from verify.losses.evaluate import CompiledLoss
from verify.losses.parse import LossSyntaxError, parse_expression, without_stopgrad

WEIGHTED = "-stopgrad(sigmoid(-beta*h)) * logsigmoid(beta*h)"


def _sig(x):
    return 1 / (1 + np.exp(-x))


@settings(max_examples=30, deadline=None)
@given(
    h=st.floats(-40, 40),
    ref=st.floats(-60, -1),
    beta=st.floats(0.05, 3.0),
)
def test_stopgrad_has_the_value_of_its_argument_and_derivative_zero(h, ref, beta):
    expr, _ = parse_expression(WEIGHTED)
    loss, plain = CompiledLoss(expr), CompiledLoss(without_stopgrad(expr))
    point = {"logp_w": ref + h, "logp_l": ref, "ref_logp_w": ref, "ref_logp_l": ref, "beta": beta}
    point.update(len_w=1.0, len_l=1.0)
    arrays = {k: np.array([v]) for k, v in point.items()}
    s = _sig(-beta * h)
    assert float(loss("L", arrays)[0]) == pytest.approx(s * np.logaddexp(0, -beta * h), rel=1e-9, abs=1e-300)
    # the weight is a constant: ∂L/∂logp_w = −w·β·σ(−βh); through it, the product rule adds a second term
    assert float(loss("dL/dlogp_w", arrays)[0]) == pytest.approx(-s * beta * s, rel=1e-9, abs=1e-300)
    through = -beta * s * s - beta * s * (1 - s) * np.logaddexp(0, -beta * h)
    assert float(plain("dL/dlogp_w", arrays)[0]) == pytest.approx(through, rel=1e-9, abs=1e-300)
    assert float(loss.exact("L", point)) == pytest.approx(float(loss("L", arrays)[0]), rel=1e-12, abs=1e-300)


def test_stopgrad_is_one_argument_and_prints_as_sg():
    with pytest.raises(LossSyntaxError, match=r"stopgrad\(\) takes 1 argument"):
        parse_expression("stopgrad(logp_w, logp_l)")
    report = check_loss(WEIGHTED)
    assert r"\operatorname{sg}\left(\sigma" in report.latex
    assert report.verdict == "ok"
    weight = report.property("gradient_weighting").summary
    assert weight.startswith("−∂L/∂h = β·(stopgrad(sigmoid(-beta*h))*sigmoid(-beta*h))"), weight


def test_numpy_implementation_is_compared_through_the_stopgrad():
    # finite differences cannot see a detach: they are compared with the gradient through stopgrad
    report = check_implementation(nl.weighted_dpo_loss, WEIGHTED, {"beta": 0.1})
    assert report.verdict == "ok"
    assert report.property("formula_gradient").status == "holds"


def test_torch_weight_that_should_be_detached():
    pytest.importorskip("torch")
    from tests.code_examples import trl_torch as tt

    good = check_implementation(tt.weighted_dpo_loss, tt.WEIGHTED_DPO, {"beta": 0.1})
    assert good.verdict == "ok" and good.property("gradient_flow").status == "n/a"
    bad = check_implementation(tt.mutant_weight_not_detached, tt.WEIGHTED_DPO, {"beta": 0.1})
    p = bad.property("formula_gradient")
    assert p.severity == "error" and bad.verdict == "error"
    assert set(p.details["wrong"]) == {"logp_w", "logp_l"}
    assert p.details["wrong"]["logp_w"].startswith("flows through stopgrad(sigmoid(")
    assert "a weight the formula treats as a constant (detach it" in p.summary
    assert bad.property("formula_values").status == "holds"  # the values are right; only the gradient is not
    # independently: autograd through the weight gives −βσ(−βh)² − βσ(−βh)(1 − σ(−βh))·softplus(−βh)
    ce = p.counterexample
    pt = ce.point
    h = (pt["logp_w"] - pt["ref_logp_w"]) - (pt["logp_l"] - pt["ref_logp_l"])
    s = _sig(-0.1 * h)
    want = -0.1 * s * s - 0.1 * s * (1 - s) * np.logaddexp(0, -0.1 * h)
    assert ce.value("dL/dlogp_w (code)") == pytest.approx(want, rel=1e-9)
    assert ce.value("dL/dlogp_w (formula)") == pytest.approx(-0.1 * s * s, rel=1e-9)
    # without the formula an intended detach differs from finite differences, with a hint to declare it
    free = check_implementation(tt.weighted_dpo_loss, params={"beta": 0.1})
    assert "declare it in --against with stopgrad(…)" in free.property("gradient_flow").summary


def test_jax_weight_that_should_be_stopped():
    pytest.importorskip("jax")
    from tests.code_examples import jax_losses as jl

    assert check_implementation(jl.weighted_dpo_loss, WEIGHTED, {"beta": 0.1}).verdict == "ok"
    bad = check_implementation(jl.mutant_weight_not_stopped, WEIGHTED, {"beta": 0.1})
    assert bad.property("formula_gradient").details["wrong"]["logp_l"].startswith("flows through stopgrad(")


@pytest.mark.parametrize(
    "weight",
    ["exp(logp_w/len_w + logp_l/len_l)", "exp(logp_w/len_w)", "sigmoid(-beta*h)"],
    ids=["wpo", "winner", "dpo"],
)
def test_a_detached_weight_is_held_at_the_start_of_a_move(weight):
    """WPO's weight falls as the winner's log-probability falls; the mirror tests compared values that moved with
    it and called WPO "pushing toward the loser" although every gradient step raises the winner."""
    r = check_loss(f"-stopgrad({weight})*logsigmoid(beta*h)")
    assert r.property("preference_direction").status == "holds", r.property("preference_direction").summary
    assert r.property("off_reference").severity != "error"
    flipped = check_loss(f"stopgrad({weight})*logsigmoid(beta*h)")  # the sign error is still caught
    assert flipped.property("preference_direction").severity == "error"


def test_a_held_value_is_the_loss_with_its_weight_frozen():
    loss = CompiledLoss(parse_expression("-stopgrad(exp(logp_w))*logsigmoid(beta*(logp_w - logp_l))")[0])
    start = {
        "logp_w": -1.0,
        "logp_l": -2.0,
        "ref_logp_w": -1.0,
        "ref_logp_l": -1.0,
        "beta": 1.0,
        "len_w": 1.0,
        "len_l": 1.0,
    }
    moved = {**start, "logp_w": -3.0}
    held = float(loss.exact("L", moved, at=start))
    assert held == pytest.approx(np.exp(-1.0) * np.log1p(np.exp(1.0)), rel=1e-12)  # e^{-1} · −log σ(−1)
    assert float(loss.exact("L", moved)) == pytest.approx(np.exp(-3.0) * np.log1p(np.exp(1.0)), rel=1e-12)
    point = {k: np.array([v]) for k, v in moved.items()}
    assert loss("L", point, at={k: np.array([v]) for k, v in start.items()})[0] == pytest.approx(held, rel=1e-12)
