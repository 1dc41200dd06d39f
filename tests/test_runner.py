"""The order of the two checkers inside a step: fuzz first, prove what was not refuted."""

from __future__ import annotations

import gc
from dataclasses import replace

import sympy as sp

import verify.run.attempt as attempt
import verify.run.check as runner
from verify.domains import POSITIVE, REAL, var
from verify.functions import sigmoid
from verify.kernel.prover import SymbolicOutcome
from verify.model import Derivation, Equal, ForSizes, Implies, Inequality, Reported, Source, Step
from verify.profiles import PROFILES
from verify.run import runner as run_module
from verify.run.registry import Registry

CI = replace(PROFILES["ci"], diagnose=False)  # the step's own check, without the diagnosis's searches
x = var("tr_x", REAL)
w = [var(f"tr_w_{i}", POSITIVE) for i in range(1, 6)]


def check(claim):
    step = Step(id="under_test", claim=claim)
    derivation = Derivation(id="t", title="t", source=Source("doc.txt", "x"), steps=[step])
    return runner.check_step(derivation, step, CI)


def spy(monkeypatch) -> list:
    """Record the obligations handed to the symbolic prover (which still runs)."""
    calls: list = []
    real = attempt.prove

    def recording(ob, budget):
        calls.append(ob)
        return real(ob, budget)

    monkeypatch.setattr(attempt, "prove", recording)
    return calls


def test_a_claim_the_fuzzer_refutes_is_not_attempted_symbolically(monkeypatch):
    calls = spy(monkeypatch)
    res = check(Equal(sigmoid(x) + sigmoid(-x), 2))
    assert res.status == "refuted" and res.method == "numeric"
    assert calls == []
    assert 0 < res.samples <= CI.crosscheck_samples


def test_a_family_false_at_one_size_is_refuted_before_any_proof_attempt(monkeypatch):
    # Σ_{i≤n} w_i / Σ w = 1 for every n, but the family below drops a term from n = 4 on
    def build(n: int):
        total = sp.Add(*w[:n])
        kept = w[:n] if n < 4 else w[: n - 1]
        return Equal(sp.Add(*[wi / total for wi in kept]), 1)

    calls = spy(monkeypatch)
    res = check(ForSizes(build, symbolic=(2, 3, 4), numeric=(5,)))
    assert res.status == "refuted" and res.reason == "n=4: counterexample found"
    assert calls == []


def test_a_proved_claim_is_cross_checked_with_the_cross_check_sample_count(monkeypatch):
    calls = spy(monkeypatch)
    res = check(Equal(sigmoid(x) + sigmoid(-x), 1))
    assert res.status == "proved" and len(calls) == 1
    assert res.samples == CI.crosscheck_samples


def test_an_unproved_claim_gets_the_full_search_after_the_first(monkeypatch):
    monkeypatch.setattr(attempt, "prove", lambda ob, budget: SymbolicOutcome("unproved", reason="stubbed"))
    res = check(Inequality(sp.exp(x), ">=", 1 + x))
    assert res.status == "confirmed"
    assert res.samples == CI.samples  # the full search extends the first one: its points counted once
    assert res.reason == "not proved symbolically: stubbed"


def test_a_run_without_measured_times_starts_the_heaviest_steps_first(monkeypatch):
    # no cache, so no times: families at large sizes first, then theorems with hypotheses and
    # limits, then the rest in their order (a long step started last would leave a core idle)
    u = var("rn_u", REAL)
    small = ForSizes(lambda n: Equal(n * u, n * u), symbolic=(2,), numeric=(5,))
    large = ForSizes(lambda n: Equal(n * u, n * u), symbolic=(2, 3), numeric=(5, 20))
    steps = [
        Step("plain", Equal(u + u, 2 * u), "", ""),
        Step("small_family", small, "", ""),
        Step("theorem", Implies([sp.Gt(u, 0)], Inequality(u, ">", 0)), "", ""),
        Step("large_family", large, "", ""),
        Step("another_plain", Equal(u * u, u**2), "", ""),
    ]
    d = Derivation(id="order", title="", source=Source("doc"), summary="", steps=steps)
    started: list[str] = []
    monkeypatch.setattr(
        run_module, "check_steps", lambda work, *a, **k: started.extend(s.id for _, s in work) or iter(())
    )
    run_module.run(Registry({"order": d}), [d], PROFILES["ci"], jobs=1)
    assert started == ["large_family", "small_family", "theorem", "plain", "another_plain"]
    assert [run_module.expected_weight(s) for s in steps] == [1.0, 29.0, 10.0, 438.0, 1.0]


def _threshold_steps() -> Derivation:
    """Steps whose recomputed number is the collector's first threshold where they are checked."""
    first = str(run_module.COLLECTOR_THRESHOLDS[0])
    steps = [Step(f"gen0_{i}", Reported("gen0", first, lambda: float(gc.get_threshold()[0]))) for i in range(2)]
    return Derivation(id="gc", title="", source=Source("doc"), steps=steps, kind="experiment")


def test_steps_are_checked_with_fewer_collections_in_this_process_and_in_workers():
    before = gc.get_threshold()
    assert before != run_module.COLLECTOR_THRESHOLDS
    d = _threshold_steps()
    for jobs, limit in ((1, None), (2, 60.0)):  # checked here, then in forked worker processes
        result = run_module.run(Registry({"gc": d}), [d], CI, jobs=jobs, step_timeout=limit)
        assert [s.status for s in result.derivations[0].steps] == ["confirmed", "confirmed"], (jobs, limit)
        assert gc.get_threshold() == before  # the process's own thresholds, restored


def test_a_step_is_checked_at_the_engines_precision_whatever_the_process_or_an_earlier_step_set():
    import mpmath

    # a derivation's own code may set mpmath's global precision (at import, or in a recomputation
    # run as an earlier step): the next step's result must not move with it
    p_ = var("rp_p", POSITIVE)
    lowered = []

    def recompute() -> float:
        mpmath.mp.dps = 5  # the user's code, changing the global precision for itself
        lowered.append(mpmath.mp.dps)
        return 0.5

    d = Derivation(
        id="precision",
        title="t",
        source=Source("notes.md"),
        steps=[
            Step("reported", Reported("a number", "0.5", recompute), "recomputed"),
            Step("false", Inequality(p_ * sp.exp(-p_) + sp.cos(p_) / 10, ">=", sp.Rational(1, 5)), "false"),
            # true, and tight where p is small: exp(p) − 1 − p ≈ p²/2, far below 5 digits of p's size
            Step("true", Inequality(sp.exp(p_) - 1 - p_, ">=", p_**3 * sp.exp(-p_) / 7), "true"),
        ],
    )
    profile = replace(PROFILES["ci"], diagnose=False)
    alone = runner.check_step(d, d.steps[1], profile)
    assert alone.status == "refuted" and alone.max_rel_error > 0
    before = mpmath.mp.prec
    try:
        assert runner.check_step(d, d.steps[0], profile).status == "confirmed" and lowered == [5]
        assert mpmath.mp.prec == before  # the step's change ended with the step
        mpmath.mp.dps = 5  # and a module that set it globally
        after = runner.check_step(d, d.steps[1], profile)
        true = runner.check_step(d, d.steps[2], profile)
        assert mpmath.mp.dps == 5
    finally:
        mpmath.mp.prec = before
    assert true.status in ("proved", "confirmed"), true  # a true claim is not refuted at low global precision
    assert (after.status, after.samples, after.max_rel_error, after.counterexample, after.values) == (
        alone.status,
        alone.samples,
        alone.max_rel_error,
        alone.counterexample,
        alone.values,
    )
