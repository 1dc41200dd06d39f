"""The bulk sampler (verify/search/bulk.py) and the searches that use it (fuzz._sampled).

- Bulk points lie in their domains' sampled ranges, drawn as the domains' strategies spread them,
  with their simple values and ends mixed in; the same seed draws the same points.
- A search of more than ``BULK_ABOVE`` samples lets Hypothesis draw its share and the bulk
  sampler the rest; a violation only the bulk sample reaches is still refuted, at a point that
  violates the claim, simplified toward simple values, and the reason says where it was found.
- A domain with its own strategy is never drawn in bulk.
"""

from __future__ import annotations

import math
from dataclasses import replace

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st
from test_numeric import FixedPoints

import verify.search.fuzz as numeric
from tests.verdicts import VERDICTS
from verify.domains import LOG_PROB, NONNEGATIVE_WEIGHT, POSITIVE, POSITIVE_INTEGER, PROBABILITY, REAL, Domain, var
from verify.kernel.obligations import Equation, Sign
from verify.search import bulk

CI = VERDICTS
BUILT_IN = [REAL, POSITIVE, PROBABILITY, LOG_PROB, NONNEGATIVE_WEIGHT, POSITIVE_INTEGER]


@pytest.mark.parametrize("domain", BUILT_IN, ids=lambda d: d.name)
def test_bulk_values_lie_in_the_sampled_range_and_spread_like_the_strategy(domain):
    values = bulk.column(domain)(np.random.default_rng(1), 4000)
    assert np.all((values >= domain.lo) & (values <= domain.hi)) or domain.scale == "log_or_zero"
    if domain.scale == "integer":
        assert np.all(values == np.round(values))
        assert len(set(values.tolist())) > 30  # integers across 1 … 64, not only the simple ones
    elif domain.scale == "log_or_zero":
        zeros = np.mean(values == 0)
        assert 0.4 < zeros < 0.7, zeros  # exactly 0 about half the time (and as a simple value)
        assert np.all((values == 0) | ((values >= domain.lo) & (values <= domain.hi)))
    elif domain.scale == "log":
        decades = np.floor(np.log10(values))
        assert set(decades.tolist()) >= {-3.0, -2.0, -1.0, 0.0, 1.0, 2.0}  # log-uniform: every decade
    else:  # uniform, the simple values and ends apart
        plain = values[~np.isin(values, bulk.specials(domain))]
        assert np.mean(plain < (domain.lo + domain.hi) / 2) == pytest.approx(0.5, abs=0.05)
    specials = set(bulk.specials(domain))
    share = np.mean([v in specials for v in values.tolist()])
    assert share == pytest.approx(bulk.SPECIAL, abs=0.05) or domain.scale in ("integer", "log_or_zero")


@given(
    lo=st.floats(-1e6, 1e6, allow_nan=False),
    width=st.floats(0, 1e6, allow_nan=False),
    scale=st.sampled_from(["linear", "log", "integer", "log_or_zero"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_every_bulk_value_lies_in_its_domain(lo, width, scale, seed):
    if scale in ("log", "log_or_zero"):
        lo = abs(lo) + 1e-3
    hi = lo + width
    if scale == "integer" and math.floor(hi) < math.ceil(lo):
        return
    support = (0.0, hi, True, True) if scale == "log_or_zero" else None  # its 0 is a value of the support
    domain = Domain("d", lo, hi, (("real", True),), scale=scale, support=support)
    values = bulk.column(domain)(np.random.default_rng(seed), 50)
    inside = (values >= lo) & (values <= hi)
    if scale == "log_or_zero":
        inside |= values == 0
    if scale == "integer":
        inside &= values == np.round(values)
    assert np.all(inside), values[~inside]


def test_a_domain_with_its_own_strategy_is_never_drawn_in_bulk():
    own = FixedPoints("pinned", 0.0, 1.0, (("real", True),), points=(0.0, 1.0))
    assert bulk.column(own) is None
    assert bulk.of({"a": REAL, "b": own}) is None
    assert bulk.of({"a": REAL}) is not None


def test_the_same_seed_draws_the_same_points_and_names_change_them():
    b = bulk.of({"x": REAL, "y": POSITIVE})
    first = b.draw(bulk.generator(0, ("x", "y"), True), 20)
    assert first == b.draw(bulk.generator(0, ("x", "y"), True), 20)
    assert first != b.draw(bulk.generator(0, ("x", "z"), True), 20)


def test_simplified_keeps_the_violation_and_prefers_simple_values():
    b = bulk.of({"x": REAL, "y": POSITIVE})

    def fails(p: dict) -> bool:
        return p["x"] > 2.5 and p["y"] < 1.0  # violated where x > 2.5 and y < 1

    start = {"x": 17.3829, "y": 0.03717}
    simple = b.simplified(start, fails, budget=500)
    assert fails(simple)
    assert simple == {"x": 3.0, "y": 0.5}  # the first simple values of the domains that still fail


def test_simplified_spends_at_most_its_budget():
    b = bulk.of({"x": REAL})
    calls = []

    def fails(p: dict) -> bool:
        calls.append(p)
        return p["x"] > 29.0

    simple = b.simplified({"x": 29.5}, fails, budget=3)
    assert len(calls) == 3 and fails(simple)


x = var("bulk_x", REAL)


def test_a_large_search_lets_hypothesis_draw_a_share_and_the_bulk_sampler_the_rest(monkeypatch):
    seen = {"hypothesis": 0, "bulk": 0}
    search, draw = numeric._search, bulk.Bulk.draw

    def counted_search(sampler, probe, profile, decided=None):
        state = search(sampler, probe, profile, decided)
        seen["hypothesis"] += state.n
        return state

    def counted_draw(self, rng, count):
        points = draw(self, rng, count)
        seen["bulk"] += len(points)
        return points

    monkeypatch.setattr(numeric, "_search", counted_search)
    monkeypatch.setattr(bulk.Bulk, "draw", counted_draw)
    monkeypatch.setattr(numeric, "far_points", lambda *a: ())  # decided before Hypothesis's share, counted in it
    out = numeric.fuzz(Equation(lhs=sp.exp(2 * x), rhs=sp.exp(x) ** 2), {x: REAL}, CI)
    assert out.status == "confirmed" and out.samples == CI.samples
    share = max(1, math.ceil(CI.samples * numeric.HYPOTHESIS_SHARE))
    assert seen["hypothesis"] == share and seen["bulk"] >= CI.samples - share


def test_a_small_search_is_hypothesis_alone(monkeypatch):
    monkeypatch.setattr(bulk.Bulk, "draw", lambda *a: pytest.fail("a small search drew in bulk"))
    small = numeric.BULK_ABOVE
    out = numeric.fuzz(Equation(lhs=sp.exp(2 * x), rhs=sp.exp(x) ** 2), {x: REAL}, CI, samples=small)
    assert out.status == "confirmed" and out.samples == small


def test_when_no_point_of_hypothesis_share_is_decided_hypothesis_searches_on(monkeypatch):
    # hypotheses that hold on a sliver of the domain: Hypothesis's share decides no point, and the
    # search goes on as Hypothesis's (not the bulk sampler's, which would not find the sliver either)
    monkeypatch.setattr(bulk.Bulk, "draw", lambda *a: pytest.fail("drew in bulk without a decided point"))
    calls = []
    search = numeric._search

    def counted(sampler, probe, profile, decided=None):
        calls.append(profile.samples)
        state = search(sampler, probe, profile, decided)
        state.n = 0 if len(calls) == 1 else state.n  # as if the share had decided nothing
        return state

    monkeypatch.setattr(numeric, "_search", counted)
    monkeypatch.setattr(numeric, "far_points", lambda *a: ())  # points the share would not have counted
    out = numeric.fuzz(Equation(lhs=sp.exp(2 * x), rhs=sp.exp(x) ** 2), {x: REAL}, CI)
    assert calls == [max(1, math.ceil(CI.samples * numeric.HYPOTHESIS_SHARE)), CI.samples]
    assert out.status == "confirmed" and out.samples == CI.samples


def test_a_violation_only_the_bulk_sample_reaches_is_refuted_at_a_real_counterexample(monkeypatch):
    # Hypothesis is made to draw x = 0 only; the claim fails for x > 20 alone
    only_zero = numeric._Sampler(st.tuples(st.just(0.0)), lambda v: {"bulk_x": v[0]}, bulk.of({"bulk_x": REAL}))
    monkeypatch.setattr(numeric, "_points", lambda draws, b=None: only_zero)
    monkeypatch.setattr(numeric, "edge_points", lambda *a: ())  # x = 20, the claim's constant, would find it first
    monkeypatch.setattr(numeric, "far_points", lambda *a: ())  # and so would x = 10⁸
    claim = Sign(expr=20 - sp.Max(x, 20) + sp.Min(x, 20) - x + 1, strict=True)  # 1 > 0 iff x ≤ 20
    out = numeric.fuzz(claim, {x: REAL}, CI)
    assert out.status == "refuted"
    assert out.counterexample == {"bulk_x": "30.0"}  # the domain's end: its simplest failing value
    assert "bulk" in out.reason
    value = float((20 - sp.Max(x, 20) + sp.Min(x, 20) - x + 1).subs(x, 30.0))
    assert value <= 0  # the reported point really violates the claim


def test_a_bulk_violation_hypothesis_can_also_reach_is_reported_as_hypothesis_shrinks_it(monkeypatch):
    # Hypothesis's share is made too small to reach x > 20; its full search then finds and shrinks one
    monkeypatch.setattr(numeric, "HYPOTHESIS_SHARE", 0.0)
    monkeypatch.setattr(numeric, "BULK_ABOVE", 1)
    claim = Sign(expr=20 - x, strict=False)
    profile = replace(CI, samples=400)
    out = numeric.fuzz(claim, {x: REAL}, profile)
    assert out.status == "refuted" and float(out.counterexample["bulk_x"]) > 20
    assert out.reason is None or "bulk" not in out.reason
    assert mpmath.mpf(out.counterexample["bulk_x"]) > 20


def test_simplified_passes_again_when_one_value_frees_another():
    b = bulk.of({"x": REAL, "y": REAL})
    simple = b.simplified({"x": 25.1, "y": 17.3}, lambda p: p["x"] > p["y"], budget=500)
    # first pass: x only fails as the domain's end 30, then y becomes 1; second pass: x becomes 2
    assert simple == {"x": 2.0, "y": 1.0}


def test_simplified_values_stay_drawable_and_zero_is_simplest_for_a_distributions_zero_entries():
    b = bulk.of({"w": NONNEGATIVE_WEIGHT, "k": POSITIVE_INTEGER, "p": PROBABILITY})
    simple = b.simplified({"w": 3.7, "k": 17.0, "p": 0.37}, lambda q: q["p"] < 0.6, budget=500)
    assert simple == {"w": 0.0, "k": 1.0, "p": 0.5}  # every value its domain's simplest one that still fails
    edge = b.simplified({"w": 3.7, "k": 17.0, "p": 0.37}, lambda q: q["p"] < 1e-3, budget=500)
    assert edge["p"] == PROBABILITY.lo and PROBABILITY.lo <= edge["p"] <= PROBABILITY.hi


def test_the_claims_own_constants_are_tried_first(monkeypatch):
    # the same claim with Hypothesis and the bulk sampler both held at x = 0: the edge point x = 20
    # beside the claim's constant finds the violation, which really is one
    only_zero = numeric._Sampler(st.tuples(st.just(0.0)), lambda v: {"bulk_x": v[0]}, None)
    monkeypatch.setattr(numeric, "_points", lambda draws, b=None: only_zero)
    claim = Sign(expr=20 - sp.Max(x, 20) + sp.Min(x, 20) - x + 1, strict=True)
    out = numeric.fuzz(claim, {x: REAL}, CI)
    assert out.status == "refuted" and "the claim's own constants" in out.reason
    value = (20 - sp.Max(x, 20) + sp.Min(x, 20) - x + 1).subs(x, sp.Rational(out.counterexample["bulk_x"]))
    assert value <= 0
