"""Searches of one obligation that build on each other (verify/search/fuzz.py ``SearchMemory``).

A claim is first searched with the cross-check sample, then (when not proved) with the full one.
The full search extends the first: a point met again takes its remembered verdict instead of
being evaluated, every point is counted once, and no verdict changes.
"""

from __future__ import annotations

import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import verify.search.fuzz as numeric
from tests.verdicts import VERDICTS
from verify.domains import POSITIVE, REAL, var
from verify.kernel.obligations import Sign
from verify.run.attempt import attempt, claim_domains

CI = VERDICTS
x, y = var("sm_x", REAL), var("sm_y", POSITIVE)


def _counting(monkeypatch) -> list[dict]:
    """Every point the probes of obligations prepared from now on evaluate."""
    evaluated: list[dict] = []
    prepared = numeric._prepared

    def spying(ob, free, domains, profile):
        got = prepared(ob, free, domains, profile)
        if isinstance(got, numeric.NumericOutcome):
            return got
        probe, sampler, hypotheses = got

        def counted(point):
            evaluated.append(point)
            return probe(point)

        return counted, sampler, hypotheses

    monkeypatch.setattr(numeric, "_prepared", spying)
    return evaluated


def test_the_full_search_extends_the_cross_check_and_counts_each_point_once(monkeypatch):
    evaluated = _counting(monkeypatch)
    ob = Sign(expr=sp.exp(x) - 1 - x, strict=False)  # true; SymPy cannot sign it
    memory = numeric.SearchMemory()
    first = numeric.fuzz(ob, {x: REAL}, CI, samples=CI.crosscheck_samples, memory=memory)
    full = numeric.fuzz(ob, {x: REAL}, CI, memory=memory)
    assert first.status == full.status == "confirmed"
    assert first.samples == CI.crosscheck_samples and full.samples == CI.samples
    keys = [numeric._point_key(p) for p in evaluated]
    assert len(keys) == len(set(keys))  # no point evaluated twice, across both searches
    assert len(keys) <= CI.samples + 1  # at most one undecided point beside the decided ones


def test_without_memory_the_second_search_evaluates_the_first_ones_points_again(monkeypatch):
    # the saving is real: the same seeded draws come first in both searches
    evaluated = _counting(monkeypatch)
    ob = Sign(expr=sp.exp(x) - 1 - x, strict=False)
    numeric.fuzz(ob, {x: REAL}, CI, samples=CI.crosscheck_samples)
    numeric.fuzz(ob, {x: REAL}, CI)
    keys = [numeric._point_key(p) for p in evaluated]
    assert len(keys) - len(set(keys)) >= CI.crosscheck_samples // 2


def test_a_step_searched_twice_reports_the_distinct_points_of_its_obligation():
    obligations = [Sign(expr=sp.exp(x) - 1 - x, strict=False)]
    done = attempt(obligations, claim_domains(obligations), CI)
    assert done.verdict.status == "confirmed"
    assert done.samples == CI.samples  # not the cross-check's 25 plus the full search's 200


def test_a_violation_is_still_found_after_a_cross_check_that_missed_it():
    # false only for x > 25 (a sliver the small search is unlikely to reach): the full search finds
    # it with the cross-check's points remembered, at a point that really violates the claim
    ob = Sign(expr=25 - x, strict=False)
    memory = numeric.SearchMemory()
    numeric.fuzz(ob, {x: REAL}, CI, samples=CI.crosscheck_samples, memory=memory)
    full = numeric.fuzz(ob, {x: REAL}, CI, memory=memory)
    assert full.status == "refuted" and float(full.counterexample["sm_x"]) > 25


@settings(max_examples=20, deadline=None)
@given(
    a=st.integers(-3, 3),
    b=st.integers(-3, 3),
    c=st.integers(-3, 3),
)
def test_remembering_never_changes_a_verdict(a, b, c):
    # a·y + b·x² + c ≥ 0 on y > 0: true for some coefficients, false for others
    ob = Sign(expr=a * y + b * x**2 + c, strict=False)
    domains = {x: REAL, y: POSITIVE}
    alone = numeric.fuzz(ob, domains, CI)
    memory = numeric.SearchMemory()
    numeric.fuzz(ob, domains, CI, samples=CI.crosscheck_samples, memory=memory)
    extended = numeric.fuzz(ob, domains, CI, memory=memory)
    assert alone.status == extended.status
    if extended.status == "refuted":
        point = {s: float(extended.counterexample[s.name]) for s in (x, y)}
        assert float((a * y + b * x**2 + c).subs(point)) < 0
