"""The reproduction of Kong et al. (004): setup functions, diagnoses' numbers, ``verify reproduce``."""

from __future__ import annotations

import json
import math
import sys

import mpmath as mp
import numpy as np
import pytest

from derivations.experiments import _constraints_setup as setup
from derivations.experiments import constraints_paper
from tests.verdicts import VERDICTS
from verify.cli import main
from verify.run.check import check_step


@pytest.mark.parametrize("ratio", [0.1, 0.5, 2.0, 10.0])
@pytest.mark.parametrize("theta", [0.2, 0.5, 0.9])
def test_two_point_dpo_is_eq_20(ratio: float, theta: float) -> None:
    value, grad = setup.two_point_dpo(theta, ratio)
    eq20 = lambda t: math.log(math.sqrt(ratio) + math.sqrt((1 - t) / t))  # noqa: E731
    assert value + 0.5 * math.log(ratio) == pytest.approx(eq20(theta), rel=1e-13, abs=1e-14)
    h = 1e-6
    assert grad == pytest.approx((eq20(theta + h) - eq20(theta - h)) / (2 * h), rel=1e-6)


def test_table1_under_the_stated_setup() -> None:
    got = {r: round(setup.table1_theta(r), 2) for r in setup.TABLE1}
    assert got == {0.01: 1.0, 0.05: 1.0, 0.1: 1.0, 0.5: 0.56, 1.0: 0.5, 5.0: 0.38, 10.0: 0.34}
    # insensitive to the unstated step size, as the setting says
    for step in (0.004, 0.03, 0.29):
        assert {r: round(setup.table1_theta(r, step=step), 2) for r in setup.TABLE1} == got


def test_numbers_quoted_in_the_table1_diagnoses() -> None:
    alt = lambda r, step: setup.table1_theta(r, step=step, theta0=r / (1 + r))  # noqa: E731
    assert round(alt(0.1, 2.6e-3), 2) == 0.76 and round(alt(0.1, 2.7e-3), 2) == 0.78
    assert all(round(alt(5.0, s), 2) == 0.39 for s in np.arange(2.3e-3, 3.11e-3, 1e-4))
    printed = {r: float(v) for r, v in setup.TABLE1.items()}
    for step in np.arange(1e-3, 5e-3, 5e-5):  # no single step size gives all seven entries
        assert {r: round(alt(r, step), 2) for r in printed} != printed
    assert setup.table1_global_minimiser(0.1) == 1.0 and setup.table1_global_minimiser(0.5) == 1.0


def test_mode_covering_root_and_lambda() -> None:
    assert setup.mode_theta("dpo") == pytest.approx(0.4, abs=1e-9)
    f = lambda t: -3 / (1 + 2 * t) + 2 / (2 + t) + 1 / (2 * (1 - t))  # noqa: E731
    assert f(0.4) == pytest.approx(0.0, abs=1e-15)
    assert 0.85 < setup.lambda_for_theta_dpo(0.44) < 0.95
    assert round(setup.mode_theta("rlhf"), 2) == 1.0


def test_mann_whitney_against_mpmath() -> None:
    mw = setup.mann_whitney()
    assert (mw["U1"], mw["U2"], mw["U"]) == (414063, 225937, 225937)
    assert mw["U1"] + mw["U2"] == 800 * 800 and setup.R1 + setup.R2 == 1600 * 1601 // 2
    with mp.workdps(40):
        z = (mp.mpf(225937) - 320000) / mp.sqrt(mp.mpf(800 * 800 * 1601) / 12)
        assert mw["z"] == pytest.approx(float(z), rel=1e-14)
        assert mw["p"] == pytest.approx(float(mp.ncdf(z)), rel=1e-12)


def test_alpha_zero_distances_and_the_ipo_pair_weighting() -> None:
    assert setup.weight_decay_distance("dpo", 0.0) < 1e-10
    assert setup.weight_decay_distance("fdpo", 0.0) < 1e-10
    # uniform pairs are not Azar's π_ref × π_ref sampling: IPO misses r_IPO's optimum, and not for want of epochs
    assert 1e-3 < setup.weight_decay_distance("ipo", 0.0) < 1e-2


def test_table1_threshold_is_where_the_run_stops_reaching_one() -> None:
    """§5.2's threshold 0.05 against the stated setup: the run from θ₀ = 1/(1+ratio) ends at θ = 1 on both sides
    of 0.05 and up to the bisected threshold, and below 1 just above it."""
    t = setup.table1_threshold()
    assert 0.2 < t < 0.25
    assert setup.table1_theta(0.05) == 1.0 and setup.table1_theta(0.1) == 1.0 and setup.table1_theta(t) == 1.0
    assert setup.table1_theta(t + 1e-3) < 1.0
    # the global minimiser of (20) + θ² (independently, on its own grid) is still 1 at ratio 0.5
    theta = [i / 10_000 for i in range(1, 10_001)]
    objective = [math.log(math.sqrt(0.5) + math.sqrt((1 - x) / x)) + x * x for x in theta]
    assert theta[objective.index(min(objective))] == 1.0


def test_the_ipo_distance_converges_but_not_to_zero() -> None:
    """Figure 3's "all curves converge to zero" fails for IPO: its limit is 0.0023590, reached by 1000 epochs
    and unchanged after 5000, while DPO and f-DPO end within 10⁻¹⁰ of their RLHF counterparts."""
    import numpy as np

    from verify.evaluator.bandits import softmax
    from verify.evaluator.optimizers import Adam, minimize

    far, _ = minimize(setup.preference_grad("ipo"), np.log(setup.PI_REF), Adam(setup.BANDIT_LR), 5000, record=False)
    rlhf, _ = minimize(setup.rlhf_grad("ipo"), np.log(setup.PI_REF), Adam(setup.BANDIT_LR), 5000, record=False)
    limit = float(np.linalg.norm(softmax(far) - softmax(rlhf)))
    assert limit == pytest.approx(setup.early_stopping_distance("ipo", setup.BANDIT_EPOCHS), rel=1e-3)
    assert limit > 2e-3
    assert max(setup.early_stopping_distance(m, setup.BANDIT_EPOCHS) for m in ("dpo", "fdpo")) < 1e-10


def test_derivation_checks_as_expected_within_budget() -> None:
    d = constraints_paper.derivation
    results = [check_step(d, s, VERDICTS) for s in d.steps]
    assert not [r.step_id for r in results if r.failed]
    assert sum(r.seconds for r in results) < 10
    refuted = {s.id for s in d.steps if s.expected == "refuted"}
    assert refuted == {
        "table1_theta_at_ratio_0_1",
        "table1_theta_at_ratio_5",
        "theta_dpo_mode_covering",
        "mann_whitney_u1",
        "mann_whitney_u2",
        "text_theta_one_exactly_up_to_ratio_0_05",
        "text_table1_theta_at_ratio_0_5_is_the_optimum",
        "text_figure2_distances_grow_with_alpha",
        "ipo_distance_at_zero_weight_decay",
        "ipo_distance_after_training",
        "text_figure3_distances_fall_to_zero",
        "text_figure5_decrease_falls_steadily",
        "text_relative_decrease_well_defined",
    }
    assert all(s.diagnosis for s in d.steps if s.expected == "refuted")
    assert len([s for s in d.steps if s.source == "Table 1" and s.id.startswith("table1_")]) == 7


def test_reproduce_json_lists_every_printed_number(capsys) -> None:
    assert main(["reproduce", "constraints_paper_experiments", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    (e,) = out["experiments"]
    assert [n["id"] for n in e["numbers"]] == [s.id for s in constraints_paper.derivation.steps]
    for n in e["numbers"]:
        assert isinstance(n["reproduced"], bool) and n["as_expected"] is True and n["setting"]
        assert math.isfinite(n["recomputed"])
    # 20 printed numbers and 8 statements in words (each counted as its number of exceptions, printed as 0)
    assert out["summary"]["numbers"] == 28 and out["summary"]["reproduced"] == 15
    assert out["summary"]["seconds"] < 60
    assert {c["source"] for c in e["checks"]} >= {"Figure 2", "Figure 3", "Figure 5"}


def test_reproduce_without_matplotlib_still_prints_numbers(capsys, monkeypatch, tmp_path) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import fails
    assert main(["reproduce", "--plots", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert "28 printed numbers: 15 reproduced, 13 not reproduced, 0 unexpected" in out
    assert "pip install 'verify-po[plots]'" in err and not list(tmp_path.iterdir())


def test_reproduce_reports_a_number_that_stops_matching(capsys, monkeypatch) -> None:
    monkeypatch.setattr(setup, "R2", 734_464)  # a planted change of the input: U = U₂ moves by one
    assert main(["reproduce", "constraints_paper_experiments", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    bad = [n["id"] for n in out["experiments"][0]["numbers"] if not n["as_expected"]]
    assert bad == ["mann_whitney_u_statistic"]  # p moves to 1.2236e-24, still printed as 1.22e-24


def test_unknown_experiment(capsys) -> None:
    assert main(["reproduce", "nope"]) == 2
    assert "unknown experiment 'nope' (known: constraints_paper_experiments)" in capsys.readouterr().err


def test_theta_dpo_is_not_reproduced_under_the_assumed_lambda_and_is_at_the_stated_other_lambda() -> None:
    d = constraints_paper.derivation
    at_one, at_fit = d.step("theta_dpo_mode_covering"), d.step("theta_dpo_mode_covering_at_reproducing_lambda")
    assert at_one.assumes and "λ = 1" in at_one.assumes and at_one.expected == "refuted"
    assert abs(setup.lambda_for_theta_dpo(0.44) - constraints_paper.LAMBDA_THETA_DPO) < 1e-3
    assert abs(setup.theta_dpo_for_lambda(constraints_paper.LAMBDA_THETA_DPO) - 0.44) < 5e-3
    assert abs(setup.theta_dpo_for_lambda(1.0) - 0.40) < 1e-3
    results = {s.id: check_step(d, s, VERDICTS) for s in (at_one, at_fit)}
    assert results[at_one.id].status == "refuted" and results[at_one.id].assumes == at_one.assumes
    assert results[at_fit.id].status == "confirmed"


def test_every_text_check_is_a_step_whose_count_matches_the_reproduce_check() -> None:
    d = constraints_paper.derivation
    checks = {c["claim"]: c for c in constraints_paper.extras()["checks"]}
    for c in constraints_paper.TEXT_CHECKS:
        step = d.step(c.id)
        assert checks[c.claim]["holds"] == (c.exceptions() == 0)
        assert (step.expected == "holds") == checks[c.claim]["holds"], c.id
        result = check_step(d, step, VERDICTS)
        assert not result.failed and result.reproduction["recomputed"] == c.exceptions()
