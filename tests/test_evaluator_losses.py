"""The evaluator's losses and analytic gradients against SymPy, finite differences and Hypothesis."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest
from evaluator_reference import EXPRESSIONS, PARAM_VALUES, reference
from hypothesis import given, settings
from hypothesis import strategies as st

from verify.evaluator.losses import LOSSES, LossDomainError, Pairs, evaluate, get_loss, log1mexp, reward_metrics

RTOL = 1e-9  # agreement with the 50-digit reference on well-conditioned random inputs
ALL = sorted(LOSSES)


def _params(name: str) -> dict[str, float]:
    return {k: PARAM_VALUES[k] for k in get_loss(name).defaults}


def _random_pairs(rng: np.random.Generator, n: int = 16) -> Pairs:
    lp = lambda: -rng.uniform(0.5, 60.0, n)  # noqa: E731
    return Pairs(lp(), lp(), lp(), lp(), rng.integers(1, 40, n).astype(float), rng.integers(1, 40, n).astype(float))


def _as_dict(p: Pairs) -> dict[str, np.ndarray]:
    return {
        "pw": p.policy_chosen,
        "pl": p.policy_rejected,
        "rw": p.reference_chosen,
        "rl": p.reference_rejected,
        "nw": p.chosen_lengths,
        "nl": p.rejected_lengths,
    }


def test_every_loss_has_an_independent_reference() -> None:
    assert set(EXPRESSIONS) == set(LOSSES)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("beta", [0.05, 0.5, 3.0])
def test_values_and_gradients_match_the_sympy_derivative(name: str, beta: float) -> None:
    p = _random_pairs(np.random.default_rng(hash((name, beta)) % 2**32))
    q = _params(name)
    got = evaluate(name, p, beta, q)
    want = reference(name, _as_dict(p), beta, q)
    np.testing.assert_allclose(got.losses, want[0], rtol=RTOL, atol=0)
    np.testing.assert_allclose(got.grad_chosen, want[1], rtol=RTOL, atol=1e-300)
    np.testing.assert_allclose(got.grad_rejected, want[2], rtol=RTOL, atol=1e-300)


@pytest.mark.parametrize("name", ALL)
def test_gradients_match_central_differences(name: str) -> None:
    p = _random_pairs(np.random.default_rng(7), n=32)
    beta, q, h = 0.3, _params(name), 1e-5
    got = evaluate(name, p, beta, q)
    for field, grad in (("policy_chosen", got.grad_chosen), ("policy_rejected", got.grad_rejected)):
        x = getattr(p, field)
        up = evaluate(name, dataclasses.replace(p, **{field: x + h}), beta, q).losses
        down = evaluate(name, dataclasses.replace(p, **{field: x - h}), beta, q).losses
        fd = (up - down) / (2 * h)
        np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-8 * (1 + float(np.max(np.abs(got.losses)))))


def test_a_planted_gradient_bug_is_caught() -> None:
    """A gradient off by a factor (missing β) must fail the comparison used above."""
    p = _random_pairs(np.random.default_rng(3))
    good = evaluate("dpo", p, 0.3)
    want = reference("dpo", _as_dict(p), 0.3, {})
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(good.grad_chosen / 0.3, want[1], rtol=RTOL)
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(good.grad_chosen * (1 + 1e-7), want[1], rtol=RTOL)


logp = st.floats(-1e4, 0.0, allow_nan=False)
length = st.integers(1, 4096).map(float)


@pytest.mark.parametrize("name", ALL)
@settings(max_examples=60, deadline=None)
@given(
    x=st.tuples(logp, logp, logp, logp, length, length),
    beta=st.floats(1e-3, 1e3),
)
def test_finite_and_accurate_over_wide_inputs(name: str, x: tuple, beta: float) -> None:
    pw_, pl_, rw_, rl_, nw_, nl_ = x
    if name == "orpo":  # its odds are infinite at log-prob 0
        pw_, pl_ = min(pw_, -1e-3), min(pl_, -1e-3)
    p = Pairs(*(np.array([v]) for v in (pw_, pl_, rw_, rl_, nw_, nl_)))
    q = _params(name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow, no invalid operation
        got = evaluate(name, p, beta, q)
    values = np.array([got.losses[0], got.grad_chosen[0], got.grad_rejected[0]])
    assert np.all(np.isfinite(values))
    want = reference(name, _as_dict(p), beta, q)[:, 0]
    # inputs are rounded to float64 before the loss sees them (Δ = ρ_w − ρ_l loses ~1e-16·|inputs|)
    scale = 1e-12 * (1 + max(abs(v) for v in x[:4])) * beta * (1 + np.abs(want))
    if name == "hinge" and abs(1 - beta * ((pw_ - rw_) - (pl_ - rl_))) < 1e-6:
        return  # at the kink the subgradient is a choice
    np.testing.assert_allclose(values, want, rtol=1e-8, atol=float(np.max(scale)) + 1e-300)


@pytest.mark.parametrize("name", ALL)
def test_extreme_margins_and_log_probs(name: str) -> None:
    big = 1e4
    pw_ = np.array([-big, -1e-3, -big, -1e-3])
    pl_ = np.array([-1e-3, -big, -big, -1e-3])
    rw_ = np.array([-1e-3, -big, -1e-3, -big])
    rl_ = np.array([-big, -1e-3, -1e-3, -big])
    p = Pairs(pw_, pl_, rw_, rl_, np.ones(4), np.ones(4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = evaluate(name, p, 1.0, _params(name))
    assert np.all(np.isfinite(got.losses)) and np.all(np.isfinite(got.grad_chosen))
    assert np.all(np.isfinite(got.grad_rejected))


def test_dpo_limits_at_extreme_margins() -> None:
    p = Pairs(np.array([0.0, -1e4]), np.array([-1e4, 0.0]), np.zeros(2), np.zeros(2))
    got = evaluate("dpo", p, 1.0)
    assert got.losses[0] == 0.0 and got.losses[1] == pytest.approx(1e4, rel=1e-15)
    assert got.grad_chosen.tolist() == [-0.0, -1.0] and got.grad_rejected.tolist() == [0.0, 1.0]


def test_reward_metrics() -> None:
    p = Pairs(np.array([-1.0, -5.0]), np.array([-3.0, -2.0]), np.array([-2.0, -4.0]), np.array([-2.0, -2.0]))
    m = reward_metrics(p, 0.5)
    assert m.chosen_rewards.tolist() == [0.5, -0.5] and m.rejected_rewards.tolist() == [-0.5, 0.0]
    assert m.reward_accuracy == 0.5 and m.reward_margin == pytest.approx(0.25)


def test_log1mexp_both_branches() -> None:
    x = np.array([-1e-20, -0.1, -0.7, -5.0, -800.0])
    want = np.array([np.log(1e-20), np.log(-np.expm1(-0.1)), np.log1p(-np.exp(-0.7)), np.log1p(-np.exp(-5.0)), 0.0])
    np.testing.assert_allclose(log1mexp(x), want, rtol=1e-14)


def test_domain_errors_name_the_problem() -> None:
    p = Pairs(np.array([-1.0]), np.array([-2.0]), np.array([-1.0]), np.array([-1.0]))
    with pytest.raises(LossDomainError, match="chosen_lengths"):
        evaluate("simpo", p, 1.0)
    with pytest.raises(LossDomainError, match="unknown loss 'dpoo'"):
        evaluate("dpoo", p, 1.0)
    with pytest.raises(LossDomainError, match="no parameter"):
        evaluate("dpo", p, 1.0, {"eps": 0.1})
    with pytest.raises(LossDomainError, match=r"eps < 0\.5"):
        evaluate("robust", p, 1.0, {"eps": 0.5})
    with pytest.raises(LossDomainError, match="beta"):
        evaluate("dpo", p, 0.0)
    zero = Pairs(np.array([0.0]), np.array([-2.0]), np.array([-1.0]), np.array([-1.0]), np.ones(1), np.ones(1))
    with pytest.raises(LossDomainError, match="orpo needs"):
        evaluate("orpo", zero, 1.0)
