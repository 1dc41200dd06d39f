"""Differential soundness on a bounded sample: mutants of built-in steps, prover alone vs fuzzer alone.

The full run is ``python benchmarks/differential.py``; here a fixed selection of core and audit
steps, a few mutants each. No mutant may be proved by the prover and refuted by the fuzzer (a
kernel bug); the harness must have teeth: most mutants are refuted, and planted prover bugs are
reported as disagreements. Unit tests of the mutation generator come first.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import sympy as sp

from verify.domains import POSITIVE, PROBABILITY, REAL, var
from verify.functions import sigmoid
from verify.kernel import prover
from verify.kernel.obligations import Conditional, Equation, Invariance, LimitOf, Recomputation, Sign
from verify.kernel.prover import SymbolicOutcome
from verify.search.mutants import KINDS, MAX_PER_OBLIGATION, edits, mutants, shown

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("differential", ROOT / "benchmarks" / "differential.py")
differential = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("differential", differential)  # dataclasses look their module up there
_spec.loader.exec_module(differential)

a, b, c = var("a", REAL), var("b", REAL), var("c", REAL)
beta = var("beta", POSITIVE)
p_w, p_l = var("p_w", PROBABILITY), var("p_l", PROBABILITY)


def by_kind(ob, kind):
    return mutants(ob, kinds=[kind])


# --- the mutation generator ----------------------------------------------------------------------


def test_negate_term_negates_exactly_one_term_on_one_side():
    ob = Equation(lhs=a + 2 * b, rhs=c)
    got = {m.obligation.lhs: m.description for m in by_kind(ob, "negate term") if m.obligation.rhs == c}
    assert got == {-a + 2 * b: "negated term a in lhs", a - 2 * b: "negated term 2·b in lhs"}
    assert all(m.obligation.lhs == ob.lhs for m in by_kind(ob, "negate term") if m.obligation.rhs != c)


def test_drop_term_and_nested_terms_are_described_with_their_context():
    ob = Equation(lhs=sp.log(1 + p_w), rhs=b)
    dropped = {m.obligation.lhs: m.description for m in by_kind(ob, "drop term")}
    assert dropped == {
        sp.log(p_w): "dropped term 1 in lhs (in p_w + 1)",
        sp.S.Zero: "dropped term p_w in lhs (in p_w + 1)",
    }


def test_swap_symbols_pairs_only_symbols_of_one_domain():
    ob = Sign(expr=sigmoid(beta * (sp.log(p_w) - sp.log(p_l))) - a, strict=True)
    swaps = by_kind(ob, "swap symbols")
    assert [m.description for m in swaps] == ["swapped p_l and p_w"]
    assert swaps[0].obligation.expr == ob.expr.xreplace({p_w: p_l, p_l: p_w})
    assert swaps[0].obligation.strict is True


def test_swap_on_one_side_of_an_equation_is_simultaneous():
    ob = Equation(lhs=a - b, rhs=-(b - a))
    lhs_swaps = [m for m in by_kind(ob, "swap symbols") if m.description.endswith("in lhs")]
    assert [m.obligation.lhs for m in lhs_swaps] == [b - a] and lhs_swaps[0].obligation.rhs == ob.rhs


def test_change_constant_tries_k_plus_one_minus_k_and_reciprocal():
    ob = Equation(lhs=a**2 / 2, rhs=c)
    new = {m.obligation.lhs for m in by_kind(ob, "change constant")}
    assert new == {3 * a**2 / 2, -(a**2) / 2, 2 * a**2, a**3 / 2, a ** (-2) / 2}
    texts = {m.description for m in by_kind(ob, "change constant")}
    assert "changed constant 1/2 to 2 in lhs (in a^2/2)" in texts


def test_the_sign_of_a_term_and_a_reciprocal_are_not_constants_to_change():
    ob = Equation(lhs=a - 1 / b, rhs=c)
    for m in by_kind(ob, "change constant"):
        assert "constant -1" not in m.description


def test_flip_inequality_states_the_negation_first():
    ob = Sign(expr=a**2, strict=False)
    flips = by_kind(ob, "flip inequality")
    assert [(m.obligation.expr, m.obligation.strict) for m in flips] == [(-(a**2), True), (-(a**2), False)]
    assert flips[0].description == "reversed a^2 ≥ 0 to a^2 < 0"
    strict = by_kind(replace(ob, strict=True), "flip inequality")
    assert strict[0].obligation.strict is False and strict[0].description == "reversed a^2 > 0 to a^2 ≤ 0"


def test_toggle_strictness():
    (m,) = by_kind(Sign(expr=a**2, strict=False), "toggle strictness")
    assert m.obligation == Sign(expr=a**2, strict=True) and m.description == "made a^2 ≥ 0 into a^2 > 0"


def test_factor_edits_inside_a_function_argument():
    ob = Sign(expr=sigmoid(-beta * a), strict=True)
    assert {m.obligation.expr for m in by_kind(ob, "negate factor")} == {sigmoid(beta * a)}
    assert sigmoid(-a) in {m.obligation.expr for m in by_kind(ob, "drop factor")}
    assert sigmoid(-a / beta) in {m.obligation.expr for m in by_kind(ob, "invert factor")}
    (d,) = [m for m in by_kind(ob, "drop factor") if m.obligation.expr == sigmoid(-a)]
    assert d.description == "dropped factor β (in -a·β)"


def test_replace_symbol_changes_one_occurrence():
    ob = Equation(lhs=sp.log(p_w) + p_w, rhs=p_l)
    got = {m.obligation.lhs: m.description for m in by_kind(ob, "replace symbol") if m.obligation.rhs == p_l}
    assert got == {
        sp.log(p_l) + p_w: "replaced one p_w by p_l in lhs (in log(p_w))",
        sp.log(p_w) + p_l: "replaced one p_w by p_l in lhs (in p_w + log(p_w))",
    }
    assert [m.obligation.rhs for m in by_kind(ob, "replace symbol") if m.obligation.lhs == ob.lhs] == [p_w]


def test_invariance_limit_and_conditional_mutants():
    inv = Invariance(expr=a * b + c, wrt=(c,))
    widened = by_kind(inv, "widen independence")
    assert [m.obligation.wrt for m in widened] == [(c, a), (c, b)]
    lim = LimitOf(expr=sigmoid(a), var=a, to=sp.oo, value=sp.S.One)
    values = [m.obligation.value for m in mutants(lim) if "limit value" in m.description]
    assert values == [2, -1]
    hyp = Sign(label="a positive", expr=a, strict=True)
    cond = Conditional(inner=Sign(expr=a * b**2), hypotheses=(hyp,))
    got = mutants(cond)
    assert any(m.kind == "drop hypothesis" and m.obligation.hypotheses == () for m in got)
    assert all(m.obligation.inner != cond.inner for m in got if m.kind != "drop hypothesis")
    assert mutants(Recomputation(quantity="x", published=1.0, compute=lambda: 1.0)) == []


def test_mutants_differ_from_the_original_and_from_each_other():
    ob = Equation(lhs=beta * sp.log(p_w / p_l) + sp.log(1 + sp.exp(-a)), rhs=sigmoid(a - b) / 2)
    got = mutants(ob)
    assert got and len(got) <= MAX_PER_OBLIGATION
    obligations = [m.obligation for m in got]
    assert ob not in obligations and len(set(obligations)) == len(obligations)
    assert {m.kind for m in got} <= set(KINDS)
    assert all(m.description for m in got)


def test_limit_bounds_and_round_robin_samples_every_kind():
    ob = Equation(lhs=beta * sp.log(p_w / p_l) + 2 * a, rhs=sigmoid(a - b))
    first = mutants(ob, limit=8)
    assert len(first) == 8 and first == mutants(ob)[:8]
    assert len({m.kind for m in first}) >= 4


def test_edits_of_a_bare_expression():
    got = list(edits(a + b, where="the margin"))
    assert got[0].description == "negated term a in the margin" and got[0].expr == b - a
    assert all(e.expr != a + b for e in got)


def test_shown_is_short_and_uses_greek_names():
    assert shown(beta * sp.log(p_w)) == "β·log(p_w)"
    assert len(shown(sp.Add(*[var(f"x_{i}", REAL) for i in range(40)]))) <= 48


_DETERMINISM = """
from derivations.gradient_weighting import derivation
from verify.search.mutants import mutants
for step in derivation.steps:
    for ob in step.claim.obligations():
        for m in mutants(ob, limit=8):
            print(step.id, m.kind, m.description, m.obligation)
"""


def test_mutants_are_the_same_in_every_process():
    here = io.StringIO()
    with contextlib.redirect_stdout(here):
        exec(_DETERMINISM, {})
    env = {**os.environ, "PYTHONHASHSEED": "12345"}  # another hash seed than this process's
    run = subprocess.run([sys.executable, "-c", _DETERMINISM], capture_output=True, text=True, env=env, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert run.stdout == here.getvalue() and run.stdout.count("\n") > 50


# --- the harness on a fixed sample of built-in steps ---------------------------------------------

#: (derivation, step): core and audit steps of every obligation kind; a few mutants of each
SAMPLE = [
    ("z_cancellation", "bradley_terry_eq_sigmoid_of_log_ratio_margin"),
    ("z_cancellation", "reward_difference_independent_of_partition"),
    ("gradient_weighting", "grad_chosen_logp_eq_neg_beta_weight"),
    ("gradient_weighting", "weight_below_one"),
    ("gradient_weighting", "weight_vanishes_when_confidently_right"),
    ("ipo_lemma", "half_minimises_augmented_regression"),
    ("ipo_lemma", "symmetric_augmentation_regresses_onto_half"),
    ("optimal_policy", "log_le_sub_one"),
    ("plackett_luce", "plackett_luce_rankings_sum_to_one"),
    ("reward_inversion", "inverted_reward_recovers_reward"),
    ("gaussian_rederivation", "log_sum_eq_log1p_cross_ratio_add_const"),
    ("audit_honey_reward_model", "f_dloss_dz_eq_sigmoid_sub_one"),
    ("audit_dpo_vs_ipo", "star_minus_double_star_eq_margin_times_preference"),
    ("audit_dpo_vs_ipo", "symmetrised_two_minus_c_regression_targets_half"),
    ("audit_constraints_paper", "bt_preference_eq_normalised_exponentiated_rewards"),
    ("audit_constraints_paper", "log_gamma_add_u_concave_in_u"),
    ("audit_dpo_notes", "step2_alternative_reward_beta_log_p_add_lambda"),  # a refuted step
    ("audit_dpo_notes", "bce_eq_neg_log_sigmoid"),
    ("audit_dpo_mixture", "partition_and_mean_tilt_cancel_in_the_ratio"),
    ("plackett_luce", "plackett_luce_two_candidates_eq_bradley_terry"),
    ("optimal_policy", "gibbs_inequality"),
    ("audit_honey_reward_model", "b_fact_reward_minus_beta_log_ref"),  # a refuted step
]
PER_OBLIGATION = 5
#: the least fraction of mutants the fuzzer refutes (measured: 129 of 147, 0.88)
MIN_REFUTED = 0.75


@pytest.fixture(scope="module")
def sample_cases(registry):
    return differential.cases(registry, sorted({d for d, _ in SAMPLE}), limit=PER_OBLIGATION, steps=SAMPLE)


@pytest.fixture(scope="module")
def verdicts(sample_cases):
    return differential.check(sample_cases, budget=1.0, jobs=2, task_timeout=120)


def test_sample_covers_core_and_audit_steps_and_every_obligation_kind(sample_cases, registry):
    kinds = {registry.derivations[c.derivation].kind for c in sample_cases}
    assert kinds == {"core", "audit"}
    assert {(c.derivation, c.step) for c in sample_cases} == set(SAMPLE)
    assert {c.obligation.split()[0] for c in sample_cases} == {"Equation", "Sign", "Invariance", "LimitOf"}


def test_no_disagreement(verdicts):
    bad = differential.disagreements(verdicts)
    assert not bad, differential.report(bad)


def test_the_fuzzer_refutes_most_mutants(verdicts):
    counts = differential.summary(verdicts)
    assert counts["mutants"] >= 120
    assert counts["refuted"] >= MIN_REFUTED * counts["mutants"], differential.report(verdicts)
    assert counts["proved"] > 0 and counts["agreed-true"] == counts["proved"]  # true mutants exist too
    assert counts["fuzzer errors"] == 0


def _with_prover(sample_cases, verdicts, kinds=None):
    """The verdicts with the prover run again (as patched) on the obligations of ``kinds`` (all if None)
    and not at all on the others; the fuzzer's verdicts do not depend on the prover."""
    out = []
    for c, v in zip(sample_cases, verdicts, strict=True):
        if kinds is None or isinstance(c.mutant.obligation, kinds):
            got = differential.run_prover(c.mutant.obligation, 1.0)
            out.append(replace(v, prover=got["prover"], method=got["method"]))
        else:
            out.append(replace(v, prover="not run", method=None))
    return out


def test_a_prover_that_proves_everything_is_caught(sample_cases, verdicts, monkeypatch):
    monkeypatch.setattr(prover, "prove", lambda ob, budget=2.0: SymbolicOutcome("proved", "planted bug"))
    planted = _with_prover(sample_cases, verdicts)
    bad = differential.disagreements(planted)
    assert len(bad) == differential.summary(verdicts)["refuted"]
    assert "proved by planted bug" in differential.report(planted)


def test_the_benchmark_exits_1_on_a_disagreement(monkeypatch, capsys):
    """End to end: the forked workers inherit the planted bug; the report lists it; the exit code is 1."""
    monkeypatch.setattr(prover, "prove", lambda ob, budget=2.0: SymbolicOutcome("proved", "planted bug"))
    assert differential.main(["--only", "gradient_weighting", "--limit-per-obligation", "1", "--jobs", "2"]) == 1
    out = capsys.readouterr().out
    assert "DISAGREEMENTS (proved, yet refuted)" in out and "gradient_weighting.weight_below_one" in out


def test_a_proof_by_one_example_is_caught(sample_cases, verdicts, monkeypatch):
    """A planted unsound strategy: an equation "proved" because it holds with every symbol at 1.

    Beside it only the first sound strategy, to keep the test fast.
    """

    def at_one(e):
        return e.xreplace({s: sp.S.One for s in e.free_symbols})

    monkeypatch.setattr(prover, "EQUALITY_STRATEGIES", [("one example", None, at_one), prover.EQUALITY_STRATEGIES[0]])
    planted = _with_prover(sample_cases, verdicts, (Equation, Invariance))
    bad = differential.disagreements(planted)
    assert bad and all("one example" in v.method for v in bad)
    assert any(v.kind == "swap symbols" for v in bad)  # symmetric at equal values: the classic miss


def test_an_unsound_sign_transform_is_caught(sample_cases, verdicts, monkeypatch):
    """A planted unsound strategy: the sign of ``e²`` taken for the sign of ``e``."""
    monkeypatch.setattr(prover, "SIGN_STRATEGIES", [prover.SIGN_STRATEGIES[0], ("square", lambda e: e**2)])
    planted = _with_prover(sample_cases, verdicts, Sign)
    bad = differential.disagreements(planted)
    assert bad and all(v.method == "sign by assumptions (square)" for v in bad)
    assert any(v.kind == "flip inequality" for v in bad)
