"""How the numeric checker samples and screens points.

- Points are drawn as tuples; a log-scale domain is drawn as its exponent and raised when the
  point is built (the values ``Domain.strategy`` gives, without a ``.map`` per symbol).
- Hypotheses are screened in float64 with error bounds before any high-precision work; the
  screen only ever skips points that certainly violate a hypothesis, so it never changes which
  points are tested.
- The scale of a relative error is the largest finite magnitude, as before.
"""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
from pathlib import Path

import mpmath
import pytest
import sympy as sp
from hypothesis import strategies as st
from test_numeric import FixedPoints

import verify.search.fuzz as numeric
from tests.verdicts import VERDICTS
from verify.domains import POSITIVE, REAL, UNIT, WEIGHT, exp10, var
from verify.kernel.obligations import Conditional, Sign
from verify.profiles import PROFILES
from verify.search.fuzz import _certainly_violated, _draw_of, _points, _scale, fuzz
from verify.search.tape import Tape

CI = VERDICTS
ROOT = Path(__file__).resolve().parents[1]
mpf = mpmath.mpf


def pinned(name: str, *points: float) -> tuple[sp.Symbol, FixedPoints]:
    dom = FixedPoints(f"ns_{name}_pts", min(points), max(points), (("real", True),), points=points)
    return var(f"ns_{name}", dom), dom


# --- drawing points --------------------------------------------------------------------------------------


@pytest.mark.parametrize("domain", [POSITIVE, WEIGHT], ids=lambda d: d.name)
def test_log_scale_domain_is_drawn_as_its_exponent(domain):
    strategy, transform = _draw_of(domain)
    assert transform is exp10
    # the domain's own strategy is exactly this exponent strategy mapped by the same function
    assert repr(domain.strategy()) == repr(strategy.map(exp10))
    assert repr(strategy) == repr(st.floats(math.log10(domain.lo), math.log10(domain.hi), allow_nan=False))
    for e in (-3.0, -0.5, 0.0, 1.25, 3.0):
        assert exp10(e) == float(10.0**e)


@pytest.mark.parametrize("domain", [REAL, UNIT], ids=lambda d: d.name)
def test_linear_domain_is_drawn_by_its_strategy(domain):
    strategy, transform = _draw_of(domain)
    assert transform is None
    assert repr(strategy) == repr(domain.strategy())
    assert _draw_of(domain)[0] is strategy  # built once


def test_domain_with_its_own_strategy_is_drawn_by_it():
    _, dom = pinned("own", 0.5, 2.0)
    log_dom = FixedPoints("ns_log_pts", 1.0, 10.0, (("positive", True),), scale="log", points=(1.0, 10.0))
    assert _draw_of(dom)[1] is None
    assert _draw_of(log_dom)[1] is None  # overrides strategy(): not redrawn as an exponent
    assert repr(_draw_of(log_dom)[0]) == repr(st.sampled_from((1.0, 10.0)))


def test_points_are_built_in_order_with_transforms_applied():
    sampler = _points({"b": (st.just(2.0), None), "a": (st.just(1.0), exp10), "c": (st.just(-3.0), None)})
    point = sampler.point((2.0, 1.0, -3.0))
    assert point == {"b": 2.0, "a": 10.0, "c": -3.0}
    assert list(point) == ["b", "a", "c"]


def test_log_scale_values_stay_inside_the_domain():
    seen = []

    def spy(p):
        seen.append(p["ns_beta"])
        return numeric._Probe(True, 0.0, {})

    state = numeric._search(_points({"ns_beta": _draw_of(POSITIVE)}), spy, CI)
    assert state.failure is None
    # Hypothesis draws some values more than once (powers of ten, the ends): each distinct point is
    # probed once and counted once
    assert state.n == len(seen) == len(set(seen)) > CI.samples // 2
    assert all(POSITIVE.lo <= v <= POSITIVE.hi for v in seen)
    assert any(v < 1 for v in seen) and any(v > 1 for v in seen)


# --- screening hypotheses -----------------------------------------------------------------------------------

x, y, z, u = (var(f"ns_{n}", REAL) for n in "xyzu")
q = var("ns_q", POSITIVE)

HYPOTHESES = [
    pytest.param(x - y, id="difference"),
    pytest.param(x * y - z, id="product"),
    pytest.param((x + y + z) / 3 * (x * y) - x * y * z / q, id="mean_times_product"),
    pytest.param(
        sum(sp.exp(r / q) * p for r, p in [(x, 1), (y, 2), (z, 3)]) / 6
        - sum(sp.exp(r / q) for r in (x, y, z)) / 3 * sp.Rational(2, 1),
        id="tilted_covariance",
    ),
    pytest.param(sp.log(1 + x**2) - sp.log(1 + y**2) + u / 1000, id="logarithms"),
]


def _sample_points(n: int, seed: int) -> list[dict[str, float]]:
    rng = random.Random(seed)
    values = [0.0, 1.0, -1.0, 2.0, 0.5, 1e-8, -30.0, 30.0]
    points = []
    for _ in range(n):
        p = {s.name: rng.choice([rng.uniform(-30, 30), rng.choice(values)]) for s in (x, y, z, u)}
        p[q.name] = 10 ** rng.uniform(-3, 3)
        points.append(p)
    return points


@pytest.mark.parametrize("expr", HYPOTHESES)
@pytest.mark.parametrize("strict", [True, False], ids=["strict", "non_strict"])
def test_screen_skips_only_points_that_violate_the_hypothesis(expr, strict):
    tape = Tape([expr])
    skipped = 0
    for point in _sample_points(400, seed=11):
        if not _certainly_violated(tape, point, strict):
            continue
        skipped += 1
        with mpmath.workdps(200):
            value = mpmath.mpf(sp.N(expr.subs({s: sp.Float(point[s.name], 60) for s in expr.free_symbols}), 150))
        assert value < 0 or (strict and value == 0), (point, value)
    assert skipped >= 40  # the screen does decide


def test_screen_on_exact_values():
    tape = Tape([x - y])
    assert _certainly_violated(tape, {"ns_x": 1.0, "ns_y": 1.0}, strict=True)  # 0 > 0 fails, exactly
    assert not _certainly_violated(tape, {"ns_x": 1.0, "ns_y": 1.0}, strict=False)  # 0 ≥ 0 holds
    assert _certainly_violated(tape, {"ns_x": 1.0, "ns_y": 2.0}, strict=False)
    assert not _certainly_violated(tape, {"ns_x": 2.0, "ns_y": 1.0}, strict=True)
    # rounding may hide the sign: 1/3 − 1/3 is left to the high-precision check
    quotients = Tape([x / y - z / u])
    assert not _certainly_violated(quotients, {"ns_x": 1.0, "ns_y": 3.0, "ns_z": 1.0, "ns_u": 3.0}, strict=True)
    # no float64 version: decides nothing
    assert not _certainly_violated(Tape([sp.floor(x) - 5]), {"ns_x": 1.0}, strict=False)


def _conditional(strict: bool) -> tuple[Conditional, dict]:
    a, da = pinned("ca", 1.0, 2.0, 3.0)
    b, db = pinned("cb", 1.0, 2.0, 3.0)
    hypothesis = Sign(expr=a - b, strict=strict)
    return Conditional(inner=Sign(expr=a**2 - b**2, strict=strict), hypotheses=(hypothesis,)), {a: da, b: db}


def test_strict_hypothesis_at_equality_is_not_a_test_point():
    ob, domains = _conditional(strict=True)
    out = fuzz(ob, domains, CI)
    assert out.status == "confirmed", out
    assert out.samples == 3  # (2, 1), (3, 1), (3, 2)


def test_non_strict_hypothesis_at_equality_is_a_test_point():
    ob, domains = _conditional(strict=False)
    out = fuzz(ob, domains, CI)
    assert out.status == "confirmed", out
    assert out.samples == 6  # the three above and the three equal pairs


def test_screen_changes_no_outcome(monkeypatch):
    """Screening only saves work: without it every verdict, count and counterexample is the same."""
    a = var("ns_sa", REAL)
    b = var("ns_sb", REAL)
    w = var("ns_sw", POSITIVE)
    claims = [
        Conditional(inner=Sign(expr=a**3 - b**3, strict=True), hypotheses=(Sign(expr=a - b, strict=True),)),
        Conditional(inner=Sign(expr=a * w - b, strict=False), hypotheses=(Sign(expr=a - b * w, strict=False),)),
        Conditional(
            inner=Sign(expr=a - b, strict=True),
            hypotheses=(Sign(expr=sp.exp(a / w) - sp.exp(b / w), strict=True), Sign(expr=w - 1, strict=False)),
        ),
    ]
    domains = {a: REAL, b: REAL, w: POSITIVE}
    screened = [fuzz(ob, domains, CI) for ob in claims]
    monkeypatch.setattr(numeric, "_certainly_violated", lambda tape, point, strict: False)
    plain = [fuzz(ob, domains, CI) for ob in claims]
    for s, p in zip(screened, plain, strict=True):
        assert (s.status, s.samples, s.counterexample, s.values) == (p.status, p.samples, p.counterexample, p.values)
    assert [s.status for s in screened] == ["confirmed", "refuted", "confirmed"]


# --- the scale of a relative error ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        pytest.param([mpf(1), mpf(-3), mpf("2.5")], id="plain"),
        pytest.param([mpf(0), mpf(0)], id="zeros"),
        pytest.param([mpf("1e-400"), mpf("-3e-400")], id="below_float_range"),
        pytest.param([mpf(1), mpf("-1e400"), mpf(2)], id="above_float_range"),
        pytest.param([mpf(1), mpf("inf"), mpf("nan"), mpf(-5)], id="non_finite_terms_ignored"),
        pytest.param([mpmath.mpc(3, 4), mpf(2)], id="complex"),
        pytest.param([mpf(1) / 3, mpf(-1) / 3], id="tie"),
    ],
)
def test_scale_is_the_largest_finite_magnitude(values):
    exact = max([abs(values[0])] + [abs(v) for v in values[1:] if mpmath.isfinite(v)])
    assert _scale(values) == exact


# --- a search depends on its claim, not on what else the process loaded ---------------------------------------

_DRAWS = """
import json, sys
for name in sys.argv[1:]:
    __import__(name)
from hypothesis import strategies as st
import verify.search.fuzz as numeric
from verify.domains import POSITIVE, REAL
from verify.profiles import PROFILES

probed = []

def probe(point):
    probed.append([point["a"], point["b"], point["c"]])
    return numeric._Probe(True, 0.0, {})

draws = {"a": numeric._draw_of(REAL), "b": numeric._draw_of(POSITIVE), "c": (st.floats(-5.0, 5.0), None)}
numeric._search(numeric._points(draws), probe, PROFILES["ci"])
print(json.dumps(probed))
"""


def _probed(tmp_path, *modules: str) -> list:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(tmp_path)]))
    out = subprocess.run(
        [sys.executable, "-c", _DRAWS, *modules], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_a_search_draws_the_same_points_whatever_else_the_process_loaded(tmp_path):
    # Hypothesis mixes literals read from the source of every module loaded from outside
    # site-packages into its draws; a module full of them (a user's helper, say) must not move
    # the engine's search
    rng = random.Random(7)
    values = [round(rng.uniform(-4, 4), 6) for _ in range(500)] + [rng.randint(-900, 900) for _ in range(200)]
    (tmp_path / "odd_literals.py").write_text(f"VALUES = {values!r}\n")
    plain = _probed(tmp_path)
    assert len(plain) > PROFILES["ci"].samples // 2
    assert _probed(tmp_path, "odd_literals") == plain
    # and a search in the same process as the user's own Hypothesis tests leaves theirs as it was
    from hypothesis.internal.conjecture import providers

    hook, cache = getattr(providers, "_get_local_constants", None), getattr(providers, "CONSTANTS_CACHE", None)
    numeric._search(numeric._points({"a": numeric._draw_of(REAL)}), lambda p: numeric._Probe(True), CI)
    assert (getattr(providers, "_get_local_constants", None), getattr(providers, "CONSTANTS_CACHE", None)) == (
        hook,
        cache,
    )
