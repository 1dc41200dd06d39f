"""Derivations nobody here wrote (``tests/unseen/``), with planted errors, checked step by step.

Every step of every derivation of ``tests/unseen/*.py`` is one test:

- a true step (``expected="holds"``) must come out ``proved`` or ``confirmed``, never ``refuted``;
  :data:`EXPECT` records which of the two is expected (``Holds("proved")`` where SymPy should
  manage), asserted exactly only where marked ``exact=True``;
- a planted error (``expected="refuted"``) must come out ``refuted`` with a counterexample, which
  is re-evaluated here with mpmath at 50 digits by small reference functions written for this file
  (never through the engine) to show that it really violates the claim. For a limit, the function
  is evaluated close to the limit point on the failing side and shown to stay far from the claimed
  value; for an invariance claim, the counterexample's primed names (``Z′``) are the second point.

Malformed claims of the new API (an extremum hint or a one-sided limit outside the domain, matrices
of different shapes, an undefined function, a sum with a symbolic bound) must raise ClaimError.
"""

from __future__ import annotations

import importlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass

import mpmath
import pytest
import sympy as sp

from tests.verdicts import VERDICTS
from verify import Equal, Inequality, Limit, Stationary, var
from verify.domains import LOG_PROB, POSITIVE, POSITIVE_INTEGER, PROBABILITY, REAL, UNIT
from verify.errors import ClaimError
from verify.run.check import check_step

MODULES = (
    "kl_optimum",
    "dpo_gradient",
    "plackett_luce",
    "ipo",
    "simpo",
    "kto",
    "reference_points",
    "inequalities",
    "softplus_sigmoid",
    "limits",
    "stationary",
)

DPS = 50
PRIME = "′"
mpf = mpmath.mpf


def _load():
    found, errors = [], {}
    for name in MODULES:
        try:
            module = importlib.import_module(f"tests.unseen.{name}")
        except Exception as exc:  # reported by test_module_loads, the other modules still run
            errors[name] = f"{type(exc).__name__}: {exc}"
            continue
        found.extend((d, s) for d in module.DERIVATIONS for s in d.steps)
    return found, errors


STEPS, LOAD_ERRORS = _load()


# --- mpmath reference functions (independent of the engine) -------------------------------------


def sig(x):
    return 1 / (1 + mpmath.exp(-x))


def softplus(x):
    """log(1 + e^x), without overflow for large x."""
    return x + mpmath.log1p(mpmath.exp(-x)) if x > 0 else mpmath.log1p(mpmath.exp(x))


def neg_logsig(x):
    """−log σ(x) = softplus(−x)."""
    return softplus(-x)


def dsig(x):
    """σ'(x) = σ(x)σ(−x) (by hand)."""
    return sig(x) * sig(-x)


def d2sig(x):
    """σ''(x) = σ(x)σ(−x)(σ(−x) − σ(x)) (by hand)."""
    return sig(x) * sig(-x) * (sig(-x) - sig(x))


def differ(u, v, rel="1e-25") -> bool:
    """``u ≠ v`` beyond rounding at 50 digits (relative to the larger of the two)."""
    if u == v:
        return False
    return abs(u - v) > mpf(rel) * max(abs(u), abs(v))


def indexed(p: dict, prefix: str) -> list:
    """``prefix_1, prefix_2, …`` of a counterexample, in index order."""
    keys = [k for k in p if k.startswith(prefix + "_") and k[len(prefix) + 1 :].isdigit()]
    return [p[k] for k in sorted(keys, key=lambda k: int(k[len(prefix) + 1 :]))]


def second(p: dict) -> dict:
    """The second point of an invariance counterexample: primed values replace the unprimed ones."""
    out = {k: v for k, v in p.items() if not k.endswith(PRIME)}
    out.update({k[: -len(PRIME)]: v for k, v in p.items() if k.endswith(PRIME)})
    return out


def changes(f: Callable[[dict], object]) -> Callable[[dict], bool]:
    """Violated invariance: ``f`` differs at the counterexample's two points."""
    return lambda p: any(k.endswith(PRIME) for k in p) and differ(f(p), f(second(p)))


def near(to, side: int, ks=range(6, 40, 3)) -> list:
    """Points approaching ``to`` (a number, or ±inf) from the side ``side`` (+1 above, −1 below)."""
    if to in (mpmath.inf, -mpmath.inf):
        return [side * mpf(10) ** k for k in ks]
    return [to + side * mpf(10) ** (-k) for k in ks]


def stays_far(values, claimed, gap) -> bool:
    """Every value stays at least ``gap`` away from the finite ``claimed`` value."""
    return all(abs(v - claimed) > gap for v in values)


def not_stationary(f: Callable, at) -> bool:
    """The derivative of a smooth ``f`` is nonzero at ``at`` (so ``at`` is no optimiser)."""
    d = mpmath.diff(f, at)
    scale = max(abs(f(at)), abs(at), mpf(1))
    return abs(d) > mpf("1e-30") * scale


# --- expectations ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Holds:
    """A true step: ``status`` is what I expect; asserted exactly only when ``exact``."""

    status: str
    exact: bool = False


@dataclass(frozen=True)
class Refuted:
    """A planted error: ``violated(point)`` re-evaluates the claim at the counterexample."""

    violated: Callable[[dict], bool]
    primed: tuple[str, ...] = ()  # names the counterexample must give a second value (invariance)
    #: values to try for symbols a counterexample may leave out (those the failing obligation does
    #: not depend on once simplified): the violation must then hold for every one of them
    fill: tuple[tuple[str, tuple[str, ...]], ...] = ()


# kl_optimum --------------------------------------------------------------------------------------


def kl_objective_sign_flipped(p):
    lhs = mpmath.log(p["pi"] / p["ref"]) - p["r"] / p["beta"]
    optimum = p["ref"] * mpmath.exp(p["r"] / p["beta"]) / p["Z"]
    return differ(lhs, mpmath.log(p["pi"] / optimum) + mpmath.log(p["Z"]))


def kl_numerator_inverted(p):
    w, rs = indexed(p, "w_ref"), indexed(p, "r")
    assert len(w) == len(rs) >= 2, p
    q = [wi / sum(w) for wi in w]
    Z = sum(qi * mpmath.exp(ri / p["beta"]) for qi, ri in zip(q, rs, strict=True))
    total = sum(qi * mpmath.exp(p["beta"] * ri) / Z for qi, ri in zip(q, rs, strict=True))
    return differ(total, mpf(1))


# dpo_gradient ------------------------------------------------------------------------------------


def dpo_derivative(p):
    return mpmath.diff(lambda u: neg_logsig(p["beta"] * u), p["h"])


def dpo_loss(p):
    return lambda lw, ll: neg_logsig(p["beta"] * (lw - p["rw"]) - p["beta"] * (ll - p["rl"]))


def dpo_gradient_loser_sign(p):
    loss = dpo_loss(p)
    g_w = mpmath.diff(loss, (p["lw"], p["ll"]), (1, 0))
    g_l = mpmath.diff(loss, (p["lw"], p["ll"]), (0, 1))
    weight = sig(p["beta"] * (p["ll"] - p["rl"]) - p["beta"] * (p["lw"] - p["rw"]))
    claimed = -p["beta"] * weight
    return differ(g_w, claimed, "1e-20") or differ(g_l, claimed, "1e-20")


def dpo_hessian_off_diagonal(p):
    """The second partials of the loss by mpmath.diff, against β²σ(u)σ(−u)[[1, 1], [1, 1]]."""
    loss, at = dpo_loss(p), (p["lw"], p["ll"])
    u = p["beta"] * (p["lw"] - p["rw"]) - p["beta"] * (p["ll"] - p["rl"])
    c = p["beta"] ** 2 * sig(u) * sig(-u)
    return any(differ(mpmath.diff(loss, at, order), c, "1e-15") for order in ((2, 0), (1, 1), (0, 2)))


# plackett_luce -----------------------------------------------------------------------------------


def pl(scores, full=False):
    out = mpf(1)
    for k in range(len(scores)):
        out *= scores[k] / sum(scores if full else scores[k:])
    return out


def pl_full_denominator(p):
    s = indexed(p, "s")
    assert len(s) >= 2, p
    return differ(sum(pl([s[i] for i in o], full=True) for o in itertools.permutations(range(len(s)))), mpf(1))


def pl_leaky(p):
    b, Z = p["beta"], p["Z"]
    pi, ref = indexed(p, "pi"), indexed(p, "ref")
    r = [b * mpmath.log(pi[i] / ref[i]) + b * mpmath.log(Z) for i in range(2)]
    r.append(b * mpmath.log(pi[2] / ref[2]) + mpmath.log(Z))
    return pl([mpmath.exp(ri) for ri in r])


# ipo ---------------------------------------------------------------------------------------------


def dpo_population(p):
    return lambda h: -p["pr"] * -neg_logsig(p["beta"] * h) - (1 - p["pr"]) * -neg_logsig(-p["beta"] * h)


def ipo_population(p):
    c = 1 / (2 * p["tau"])
    return lambda h: p["pr"] * (h - c) ** 2 + (1 - p["pr"]) * (h + c) ** 2


def ipo_linear_doubled(p):
    def diff(q):
        h, tau = q["h"], q["tau"]
        return (h - 1 / (2 * tau)) ** 2 - (h**2 - 2 * h / tau)

    return changes(diff)(p)


# simpo -------------------------------------------------------------------------------------------


def simpo_limit_unnormalised(p):
    claimed = p["beta"] * p["lp"]
    vals = [p["beta"] * p["lp"] / n for n in near(mpmath.inf, +1)]
    return claimed != 0 and stays_far(vals, claimed, abs(claimed) / 2)


# reference_points ----------------------------------------------------------------------------------


def defined(p: dict, name: str, value):
    """The value an equality hypothesis gives ``name``; a value the counterexample shows must agree."""
    if name in p:
        assert not differ(p[name], value, "1e-12"), (name, p[name], value)
    return value


def simpo_beta_dropped(p):
    m = defined(p, "m", p["beta"] * p["u"] - p["beta"] * p["v"])
    return p["u"] - p["v"] > p["gamma"] and not neg_logsig(m - p["gamma"]) < mpmath.log(2)


def ratio_below_one(p):
    policy = defined(p, "policy", p["rho"] * p["ref"])
    return 0 < policy < 1 and not p["rho"] < 1


def average_log_prob(p):
    s = defined(p, "s", p["a"] + p["b"])
    return p["b"] < 0 and s <= 0 and not s / 2 < p["a"]


# inequalities --------------------------------------------------------------------------------------


def binary_kl(p, q):
    return p * mpmath.log(p / q) + (1 - p) * mpmath.log((1 - p) / (1 - q))


def cauchy_schwarz_mean(p):
    a, b = indexed(p, "a"), indexed(p, "b")
    n = len(a)
    assert n == len(b) >= 2, p
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot**2 > sum(x**2 for x in a) * sum(y**2 for y in b) / n


def bernoulli_without_hypothesis(p):
    n = int(p["n"])
    assert n == p["n"] and n >= 1, p
    return (1 + p["u"]) ** n < 1 + n * p["u"]


# limits --------------------------------------------------------------------------------------------


def barrier_sign(p):
    """τ log(π/c) near π = 0⁺: negative and decreasing, nowhere near +∞."""
    vals = [p["tau"] * mpmath.log(x / p["c"]) for x in near(mpf(0), +1)]
    return all(v < 0 for v in vals) and all(b < a for a, b in itertools.pairwise(vals))


def lq_bounded(p):
    """λ q s^{q−1} stays below λ q (bounded) as s → 0⁺, down to s = 10^(−10^8): it does not tend to ∞."""
    lam, q = p["lam"], p["alpha"]
    points = [*near(mpf(0), +1), *(mpf(10) ** -(10**k) for k in range(2, 9))]
    return all(lam * q * s ** (q - 1) <= lam * q for s in points)


def small_beta_slope_sign(p):
    h = p["h"]
    vals = [(neg_logsig(b * h) - mpmath.log(2)) / b for b in near(mpf(0), +1, range(12, 40, 3))]
    return h != 0 and stays_far(vals, h / 2, abs(h) / 2)


def swapped_weight(p):
    """σ(r̂_w − β log(π_l/π_ref,l)) near π_l = 0⁺, down to 10^(−10^8): above 1/2, far from the claimed 0."""
    points = [*near(mpf(0), +1), *(mpf(10) ** -(10**k) for k in range(2, 9))]
    vals = [sig(p["winner_reward"] - p["beta"] * mpmath.log(x / p["loser_ref"])) for x in points[-3:]]
    return stays_far(vals, mpf(0), mpf(1) / 2)


def oscillation(p):
    """c sin(π/t) = c at t = 1/(2·10^k + 1/2), arbitrarily close to 0⁺: far from the claimed 0."""
    c = p["amplitude"]
    vals = [c * mpmath.sin(mpmath.pi / (1 / (2 * mpf(10) ** k + mpf(1) / 2))) for k in range(3, 20)]
    return stays_far(vals, mpf(0), c / 2)


# stationary ----------------------------------------------------------------------------------------


def lagrangian_swapped(p):
    b, lam = p["beta"], p["lam"]

    def f(x1, x2):
        kl = x1 * mpmath.log(x1 / p["q1"]) + x2 * mpmath.log(x2 / p["q2"])
        return p["r1"] * x1 + p["r2"] * x2 - b * kl - lam * (x1 + x2 - 1)

    x1 = p["q1"] * mpmath.exp((p["r2"] - lam) / b - 1)
    x2 = p["q2"] * mpmath.exp((p["r1"] - lam) / b - 1)
    g1 = mpmath.diff(f, (x1, x2), (1, 0))
    g2 = mpmath.diff(f, (x1, x2), (0, 1))
    scale = max(abs(p["r1"]), abs(p["r2"]), abs(lam), b, mpf(1))
    return abs(g1) > mpf("1e-30") * scale or abs(g2) > mpf("1e-30") * scale


def multiplier_without_shift(p):
    b = p["beta"]
    Z = p["q1"] * mpmath.exp(p["r1"] / b) + p["q2"] * mpmath.exp(p["r2"] / b)
    lam = b * mpmath.log(Z)
    total = sum(p[q] * mpmath.exp((p[r] - lam) / b - 1) for q, r in (("q1", "r1"), ("q2", "r2")))
    return differ(total, mpf(1))


def double_well_beaten(p):
    return "y" in p and (p["y"] ** 2 - 1) ** 2 > 1


def saddle_not_minimiser(p):
    """f(0, ε) = −a ε² < 0 = f(0, 0) for every small ε: 0 is no local minimiser."""
    return p["a"] > 0 and all(-p["a"] * (mpf(10) ** -k) ** 2 < 0 for k in range(5, 30, 5))


EXPECT: dict[str, Holds | Refuted] = {
    # kl_optimum
    "unseen_kl_optimum::objective_as_kl_to_optimum": Holds("proved", exact=True),
    "unseen_kl_optimum::objective_partition_sign_flipped": Refuted(kl_objective_sign_flipped),
    "unseen_kl_optimum::optimum_is_normalised": Holds("proved", exact=True),
    "unseen_kl_optimum::optimum_numerator_beta_inverted": Refuted(kl_numerator_inverted),
    # dpo_gradient
    "unseen_dpo_gradient::loss_derivative_in_margin": Holds("proved", exact=True),
    "unseen_dpo_gradient::loss_derivative_winner_loser_swapped": Refuted(
        lambda p: differ(dpo_derivative(p), -p["beta"] * sig(p["beta"] * p["h"]), "1e-20")
    ),
    "unseen_dpo_gradient::gradient_vanishes_for_large_margins": Holds("proved"),
    "unseen_dpo_gradient::gradient_saturates_for_large_margins": Refuted(
        # the derivative near u = +∞ (by mpmath.diff) is ≈ 0, far from the claimed −β
        lambda p: stays_far(
            [mpmath.diff(lambda u: neg_logsig(p["beta"] * u), h) for h in near(mpmath.inf, +1, range(6, 30, 6))],
            -p["beta"],
            p["beta"] / 2,
        )
    ),
    "unseen_dpo_gradient::gradient_in_log_probs": Holds("proved", exact=True),
    "unseen_dpo_gradient::gradient_loser_sign_flipped": Refuted(dpo_gradient_loser_sign),
    "unseen_dpo_gradient::hessian_in_log_probs": Holds("proved", exact=True),
    "unseen_dpo_gradient::hessian_off_diagonal_sign_flipped": Refuted(dpo_hessian_off_diagonal),
    # plackett_luce
    "unseen_plackett_luce::rankings_sum_to_one": Holds("proved", exact=True),
    "unseen_plackett_luce::rankings_full_denominator": Refuted(pl_full_denominator),
    "unseen_plackett_luce::partition_cancels_in_every_stage": Holds("proved"),
    "unseen_plackett_luce::partition_without_beta_does_not_cancel": Refuted(changes(pl_leaky), primed=("Z′",)),
    # ipo
    "unseen_psi_po::dpo_population_minimiser": Holds("confirmed"),
    "unseen_psi_po::dpo_population_minimiser_beta_dropped": Refuted(
        lambda p: not_stationary(dpo_population(p), mpmath.log(p["pr"] / (1 - p["pr"])))
    ),
    "unseen_psi_po::dpo_optimum_diverges_for_deterministic_preferences": Holds("proved"),
    "unseen_ipo::ipo_objective_up_to_constant": Holds("proved", exact=True),
    "unseen_ipo::ipo_objective_linear_term_doubled": Refuted(ipo_linear_doubled, primed=("h′",)),
    "unseen_ipo::ipo_population_minimiser": Holds("proved"),
    "unseen_ipo::ipo_population_minimiser_winner_loser_swapped": Refuted(
        lambda p: not_stationary(ipo_population(p), (1 - 2 * p["pr"]) / (2 * p["tau"]))
    ),
    # simpo
    "unseen_simpo::normalised_reward_is_log_geometric_mean": Holds("proved", exact=True),
    "unseen_simpo::normalisation_dropped": Refuted(
        lambda p: differ(p["beta"] * mpmath.log(p["seq"]), p["beta"] * mpmath.log(p["seq"] ** (1 / p["n"])))
    ),
    "unseen_simpo::normalised_reward_vanishes_for_long_responses": Holds("proved", exact=True),
    "unseen_simpo::normalised_reward_limit_is_unnormalised": Refuted(simpo_limit_unnormalised),
    # kto
    "unseen_kto::desirable_loss_below_weight": Holds("proved"),
    "unseen_kto::desirable_loss_decreasing_in_reward": Holds("proved"),
    "unseen_kto::undesirable_loss_decreasing_in_reward": Refuted(
        # d/dr λ_U(1 − σ(β(z0 − r))) = λ_U β σ'(β(z0 − r)), by hand and by mpmath.diff
        lambda p: (
            p["lam_u"] * p["beta"] * dsig(p["beta"] * (p["z0"] - p["r"])) >= 0
            and mpmath.diff(lambda r: p["lam_u"] * sig(p["beta"] * (r - p["z0"])), p["r"]) >= 0
        )
    ),
    "unseen_kto::value_concave_in_gains": Holds("confirmed"),
    "unseen_kto::value_concave_in_losses_too": Refuted(lambda p: p["beta"] ** 2 * d2sig(p["beta"] * p["x"]) > 0),
    # reference_points
    "unseen_equality_hypotheses::simpo_loss_below_log2_given_margin": Holds("confirmed"),
    "unseen_equality_hypotheses::simpo_margin_condition_beta_dropped": Refuted(simpo_beta_dropped),
    "unseen_equality_hypotheses::appending_a_token_lowers_the_log_probability": Holds("confirmed"),
    "unseen_equality_hypotheses::appending_a_token_lowers_the_average_log_probability": Refuted(average_log_prob),
    "unseen_equality_hypotheses::ratio_below_inverse_reference": Holds("confirmed"),
    "unseen_equality_hypotheses::ratio_below_one": Refuted(ratio_below_one),
    # inequalities
    "unseen_classic_inequalities::am_gm_two": Holds("confirmed"),
    "unseen_classic_inequalities::am_gm_two_factor_quarter": Refuted(
        lambda p: (p["a"] + p["b"]) / 4 < mpmath.sqrt(p["a"] * p["b"])
    ),
    "unseen_classic_inequalities::log_below_tangent": Holds("proved", exact=True),
    "unseen_classic_inequalities::cauchy_schwarz": Holds("confirmed"),
    "unseen_classic_inequalities::cauchy_schwarz_extra_mean": Refuted(cauchy_schwarz_mean),
    "unseen_classic_inequalities::bernoulli": Holds("confirmed"),
    "unseen_classic_inequalities::bernoulli_without_hypothesis": Refuted(bernoulli_without_hypothesis),
    "unseen_pinsker_and_hints::jensen_for_log": Holds("confirmed"),
    "unseen_pinsker_and_hints::jensen_for_log_weights_swapped": Refuted(
        lambda p: (
            mpmath.log(p["w"] * p["a"] + (1 - p["w"]) * p["b"])
            < (1 - p["w"]) * mpmath.log(p["a"]) + p["w"] * mpmath.log(p["b"])
        )
    ),
    "unseen_pinsker_and_hints::pinsker_binary": Holds("confirmed"),
    "unseen_pinsker_and_hints::pinsker_constant_doubled": Refuted(
        lambda p: binary_kl(p["p"], p["q"]) < 4 * (p["p"] - p["q"]) ** 2
    ),
    "unseen_pinsker_and_hints::true_bound_with_insufficient_hint": Holds("confirmed"),
    "unseen_pinsker_and_hints::odds_bound_false_below_one_half": Refuted(lambda p: p["o"] / (1 + p["o"]) < mpf(1) / 3),
    # softplus_sigmoid
    "unseen_softplus_sigmoid::sigmoid_derivative": Holds("proved"),
    "unseen_softplus_sigmoid::sigmoid_derivative_sign_flipped": Refuted(
        lambda p: differ(mpmath.diff(sig, p["x"]), sig(p["x"]) * (1 + sig(p["x"])), "1e-20")
    ),
    "unseen_softplus_sigmoid::zero_temperature_from_above": Holds("proved"),
    "unseen_softplus_sigmoid::zero_temperature_from_below": Holds("proved"),
    # from below (t → 0⁻) σ(d/t) → 0: far from the claimed 1
    "unseen_softplus_sigmoid::zero_temperature_two_sided": Refuted(
        lambda p: stays_far([sig(p["d"] / t) for t in near(mpf(0), -1)], mpf(1), mpf(1) / 2)
    ),
    "unseen_softplus_sigmoid::zero_temperature_wrong_side": Refuted(
        lambda p: stays_far([sig(p["d"] / t) for t in near(mpf(0), -1)], mpf(1), mpf(1) / 2)
    ),
    # limits
    "unseen_limits::implicit_reward_barrier": Holds("proved"),
    "unseen_limits::implicit_reward_barrier_sign_flipped": Refuted(barrier_sign),
    "unseen_limits::tempered_entropy_term_vanishes": Holds("proved"),
    "unseen_limits::lq_penalty_slope_infinite_at_zero": Holds("confirmed"),
    "unseen_limits::lq_penalty_slope_any_exponent": Refuted(lq_bounded),
    "unseen_limits::dpo_loss_small_beta_slope": Holds("proved"),
    "unseen_limits::dpo_loss_small_beta_slope_sign_flipped": Refuted(small_beta_slope_sign),
    "unseen_limits::gradient_weight_vanishes_with_the_loser": Holds("proved"),
    "unseen_limits::gradient_weight_swapped_vanishes_with_the_loser": Refuted(swapped_weight),
    "unseen_limits::oscillation_claimed_to_vanish": Refuted(oscillation),
    # stationary
    "unseen_kl_lagrangian::lagrangian_global_maximiser": Holds("proved"),
    "unseen_kl_lagrangian::lagrangian_maximiser_rewards_swapped": Refuted(
        lagrangian_swapped, fill=(("beta", ("0.5", "3")), ("lam", ("-1", "2")), ("q1", ("0.25",)), ("q2", ("0.6",)))
    ),
    "unseen_kl_lagrangian::multiplier_is_log_partition_minus_beta": Holds("proved"),
    "unseen_kl_lagrangian::multiplier_without_shift": Refuted(multiplier_without_shift),
    "unseen_second_order_conditions::quartic_global_minimiser": Holds("confirmed"),
    "unseen_second_order_conditions::double_well_global_minimiser": Holds("confirmed"),
    "unseen_second_order_conditions::double_well_local_maximiser_declared_global": Refuted(double_well_beaten),
    "unseen_second_order_conditions::degenerate_minimiser_of_two_variables": Holds("confirmed"),
    "unseen_second_order_conditions::saddle_is_stationary": Holds("proved", exact=True),
    "unseen_second_order_conditions::saddle_declared_minimiser": Refuted(saddle_not_minimiser),
    "unseen_second_order_conditions::least_squares_minimiser_feasible": Holds("proved"),
    # the claimed minimiser ρ = c is not a point of the domain ρ > 0
    "unseen_second_order_conditions::least_squares_minimiser_infeasible_target": Refuted(lambda p: p["target"] <= 0),
}


def key(derivation, step) -> str:
    return f"{derivation.id}::{step.id}"


@pytest.mark.parametrize("module", MODULES)
def test_module_loads(module):
    assert module not in LOAD_ERRORS, LOAD_ERRORS.get(module)


def test_every_step_has_an_expectation_and_the_mix_is_as_planned():
    keys = [key(d, s) for d, s in STEPS]
    assert len(keys) == len(set(keys))
    if not LOAD_ERRORS:
        assert set(keys) == set(EXPECT)
    for d, s in STEPS:
        expect = EXPECT[key(d, s)]
        assert isinstance(expect, Holds if s.expected == "holds" else Refuted), key(d, s)
        if isinstance(expect, Holds):
            assert expect.status in ("proved", "confirmed")


@pytest.mark.parametrize(("derivation", "step"), STEPS, ids=[key(d, s) for d, s in STEPS])
def test_step(derivation, step):
    expect = EXPECT[key(derivation, step)]
    res = check_step(derivation, step, VERDICTS)
    shown = {"status": res.status, "reason": res.reason, "counterexample": res.counterexample, "values": res.values}
    if isinstance(expect, Holds):
        assert res.status != "refuted", ("a true step was refuted", shown)
        if expect.exact:
            assert res.status == expect.status, (f"expected {expect.status}", shown)
        else:
            assert res.status in ("proved", "confirmed"), (f"expected {expect.status} or the other", shown)
        assert res.counterexample is None, shown
        return
    assert res.status == "refuted", ("a planted error was not refuted", shown)
    assert res.counterexample is not None, shown
    point = {k: mpf(v) for k, v in res.counterexample.items()}
    for name in expect.primed:
        assert name in point, ("the invariance counterexample has no second point", shown)
    missing = [(name, values) for name, values in expect.fill if name not in point]
    for choice in itertools.product(*(values for _, values in missing)):
        full = {**point, **{name: mpf(v) for (name, _), v in zip(missing, choice, strict=True)}}
        with mpmath.workdps(DPS):
            assert expect.violated(full), ("the counterexample does not violate the claim", full, shown)


#: points where a planted claim happens to hold (or its hypotheses fail): its reference function must
#: say "not violated" there, so that it is not vacuously true (planted errors false everywhere are left out)
NOT_VIOLATED_AT = {
    "unseen_kl_optimum::objective_partition_sign_flipped": {
        "Z": "1",
        "beta": "2",
        "pi": "0.3",
        "r": "1.5",
        "ref": "0.6",
    },
    "unseen_kl_optimum::optimum_numerator_beta_inverted": {
        "beta": "1",
        "r_1": "0.5",
        "r_2": "-2",
        "w_ref_1": "1",
        "w_ref_2": "3",
    },
    "unseen_dpo_gradient::loss_derivative_winner_loser_swapped": {"beta": "2", "h": "0"},
    "unseen_plackett_luce::partition_without_beta_does_not_cancel": {
        **{f"{n}_{i}": v for n, v in (("pi", "0.4"), ("ref", "0.7")) for i in (1, 2, 3)},
        "beta": "1",
        "Z": "2",
        "Z′": "5",
    },
    "unseen_psi_po::dpo_population_minimiser_beta_dropped": {"beta": "1", "pr": "0.3"},
    "unseen_ipo::ipo_objective_linear_term_doubled": {"h": "0.5", "tau": "2", "h′": "0.5"},
    "unseen_ipo::ipo_population_minimiser_winner_loser_swapped": {"pr": "0.5", "tau": "3"},
    "unseen_simpo::normalisation_dropped": {"beta": "2", "n": "1", "seq": "0.3"},
    "unseen_simpo::normalised_reward_limit_is_unnormalised": {"beta": "2", "lp": "0"},
    "unseen_kto::value_concave_in_losses_too": {"beta": "2", "x": "0.5"},
    "unseen_equality_hypotheses::simpo_margin_condition_beta_dropped": {
        "beta": "2",
        "gamma": "1",
        "u": "-1",
        "v": "-3",
    },
    "unseen_equality_hypotheses::appending_a_token_lowers_the_average_log_probability": {"a": "-1", "b": "-3"},
    "unseen_equality_hypotheses::ratio_below_one": {"rho": "0.5", "ref": "0.5"},
    "unseen_classic_inequalities::am_gm_two_factor_quarter": {"a": "1", "b": "100"},
    "unseen_classic_inequalities::cauchy_schwarz_extra_mean": {"a_1": "1", "a_2": "0", "b_1": "0", "b_2": "1"},
    "unseen_classic_inequalities::bernoulli_without_hypothesis": {"n": "3", "u": "1"},
    "unseen_pinsker_and_hints::jensen_for_log_weights_swapped": {"a": "2", "b": "2", "w": "0.3"},
    "unseen_pinsker_and_hints::pinsker_constant_doubled": {"p": "0.01", "q": "0.99"},
    "unseen_pinsker_and_hints::odds_bound_false_below_one_half": {"o": "1"},
    "unseen_limits::lq_penalty_slope_any_exponent": {"alpha": "0.999", "lam": "2"},
    "unseen_limits::dpo_loss_small_beta_slope_sign_flipped": {"h": "0"},
    "unseen_kl_lagrangian::lagrangian_maximiser_rewards_swapped": {
        "beta": "2",
        "lam": "1",
        "q1": "0.3",
        "q2": "0.6",
        "r1": "1.5",
        "r2": "1.5",
    },
    "unseen_second_order_conditions::double_well_local_maximiser_declared_global": {"y": "0.5"},
    "unseen_second_order_conditions::least_squares_minimiser_infeasible_target": {"target": "1"},
}


@pytest.mark.parametrize("name", sorted(NOT_VIOLATED_AT))
def test_reference_function_is_not_vacuous(name):
    expect = EXPECT[name]
    assert isinstance(expect, Refuted)
    with mpmath.workdps(DPS):
        assert not expect.violated({k: mpf(v) for k, v in NOT_VIOLATED_AT[name].items()})


# --- malformed claims of the new API ------------------------------------------------------------------

_o = var("o", POSITIVE, "o")
_p = var("pp", PROBABILITY, "p")
_c = var("c", PROBABILITY, "c")
_u = var("pr", UNIT, "p")
_x = var("x", REAL, "x")
_y = var("y", REAL, "y")
_n = var("n", POSITIVE_INTEGER, "n")
_k = var("k", POSITIVE_INTEGER, "k")
_lp = var("lp", LOG_PROB, "l")
_beta = var("beta", POSITIVE, r"\beta")


def _builds_claim_error(build) -> ClaimError:
    """The ClaimError raised when the claim is built (or, at the latest, reduced to obligations)."""
    with pytest.raises(ClaimError) as info:
        build().obligations()
    return info.value


@pytest.mark.parametrize(
    ("build", "mentions"),
    [
        pytest.param(
            lambda: Inequality(_o / (1 + _o), ">=", sp.Rational(1, 3), extremum={_o: -2}),
            "-2",
            id="extremum_hint_outside_positive_domain",
        ),
        pytest.param(
            lambda: Inequality(_beta * _lp / _n, ">=", _beta * _lp, extremum={_n: sp.Rational(3, 2)}),
            "3/2",
            id="extremum_hint_not_an_integer",
        ),
        pytest.param(
            lambda: Limit(_beta * sp.log(_p / _c), _p, 0, -sp.oo, direction="-"),
            "'-'",
            id="limit_from_below_at_zero_for_a_probability",
        ),
        pytest.param(
            lambda: Limit(sp.log(_u / (1 - _u)), _u, 1, sp.oo, direction="+"),
            "'+'",
            id="limit_from_above_at_one_for_a_probability",
        ),
        pytest.param(
            lambda: Limit(_beta * sp.log(_o), _o, 0, -sp.oo, direction="+-"),
            "'+-'",
            id="two_sided_limit_at_zero_for_a_positive",
        ),
        pytest.param(
            lambda: Equal(sp.Matrix([_x, _y]), sp.Matrix([_x, _y, _x])),
            "shape",
            id="matrices_of_different_lengths",
        ),
        pytest.param(
            lambda: Equal(sp.Matrix([_x, _y]), sp.Matrix([[_x, _y]])),
            "shape",
            id="column_against_row",
        ),
        pytest.param(
            lambda: Equal(sp.Function("mystery_f")(_x), _x),
            "mystery_f",
            id="undefined_function_in_equal",
        ),
        pytest.param(
            lambda: Inequality(sp.Function("mystery_g")(_x), ">=", 0),
            "mystery_g",
            id="undefined_function_in_inequality",
        ),
        pytest.param(
            lambda: Limit(sp.Function("mystery_h")(_x), _x, sp.oo, 0),
            "mystery_h",
            id="undefined_function_in_limit",
        ),
        pytest.param(
            lambda: Equal(sp.Matrix([sp.Function("mystery_m")(_x), _y]), sp.Matrix([_x, _y])),
            "mystery_m",
            id="undefined_function_in_a_matrix_entry",
        ),
        pytest.param(
            lambda: Limit(_beta * _lp / _n, _n, 3, _beta * _lp / 3),
            "n",
            id="integer_variable_approaching_a_finite_point",
        ),
        pytest.param(
            lambda: Limit(sp.log(_p / _c), _p, sp.oo, 0),
            "pp",
            id="probability_tending_to_infinity",
        ),
        pytest.param(
            lambda: Equal(sp.Sum(_k, (_k, 1, _n)), _n * (_n + 1) / 2),
            "sum",
            id="sum_with_symbolic_upper_bound",
        ),
        pytest.param(
            lambda: Inequality(sp.Sum(1 / _k**2, (_k, 1, _n)), "<=", 2),
            "sum",
            id="sum_with_symbolic_upper_bound_in_inequality",
        ),
    ],
)
def test_malformed_claim_raises_claim_error(build, mentions):
    error = _builds_claim_error(build)
    assert mentions.lower() in str(error).lower(), str(error)


def test_stationary_point_outside_the_domain_is_a_claim_error():
    """x⁴ on the positives has no minimiser at −1: the point is not in the domain."""
    with pytest.raises(ClaimError):
        Stationary(_o**4, {_o: -1}, "min").obligations()


def test_hint_inside_the_domain_is_accepted():
    """The same bound with a hint inside the domain builds (and is refuted in the derivation)."""
    claim = Inequality(_o / (1 + _o), ">=", sp.Rational(1, 3), extremum={_o: 2})
    assert claim.obligations()
