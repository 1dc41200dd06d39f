"""The seven core derivations: all proved (Gibbs' inequality confirmed, with its reason)."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

from tests.conftest import CORE_IDS

# Steps SymPy genuinely cannot prove, with the reason the result must record.
CONFIRMED_ONLY = {("optimal_policy", "gibbs_inequality"): "could not decide the sign"}


def test_the_seven_core_derivations_are_registered(registry):
    core = [d.id for d in registry.derivations.values() if d.kind == "core"]
    assert sorted(core) == sorted(CORE_IDS)
    assert registry.errors == []


def test_every_core_step_is_proved_or_confirmed_with_reason(core_run):
    assert [d.id for d in core_run.derivations] == CORE_IDS
    for d in core_run.derivations:
        for s in d.steps:
            key = (d.id, s.id)
            if key in CONFIRMED_ONLY:
                assert s.status == "confirmed", key
                assert CONFIRMED_ONLY[key] in s.reason
                assert s.samples > 0
            else:
                assert s.status == "proved", (key, s.reason)
                assert s.method == "symbolic"
                assert s.symbolic_method
            assert not s.failed
            assert s.max_rel_error < 1e-15
    assert not core_run.failed


def test_every_step_cites_its_source_document_and_location(registry):
    for ident in CORE_IDS:
        d = registry.derivations[ident]
        for s in d.steps:
            src = d.step_source(s)
            assert src.document.endswith(".txt") and src.location, (ident, s.id)


def test_uses_graph_marks_every_core_step_verified(core_run):
    for d in core_run.derivations:
        assert all(d.verified().values()), d.id


# Independent numeric spot checks of what the core derivations state (plain NumPy / mpmath).


def _boltzmann(ref, r, beta):
    w = ref * np.exp(r / beta)
    return w / w.sum(), w.sum()


@pytest.mark.parametrize("n", [2, 7, 20])
def test_objective_decomposition_independently(n):
    rng = np.random.default_rng(n)
    pi, ref = rng.dirichlet(np.ones(n)), rng.dirichlet(np.ones(n))
    r, beta = rng.normal(size=n), 0.7
    star, Z = _boltzmann(ref, r, beta)
    J = pi @ r - beta * np.sum(pi * np.log(pi / ref))
    assert math.isclose(J, -beta * np.sum(pi * np.log(pi / star)) + beta * np.log(Z), rel_tol=1e-12)
    assert math.isclose(star.sum(), 1.0, rel_tol=1e-12)


def test_gaussian_minimiser_independently():
    v = np.array([0.3, 1.7])

    def f(g):
        return v @ v / (2 * g) + math.log(g)

    grid = np.linspace(0.01, 5, 20001)
    best = grid[np.argmin([f(g) for g in grid])]
    assert abs(best - v @ v / 2) < 1e-3


def test_dpo_equals_log_gamma_plus_u_minus_log_gamma_independently():
    mpmath.mp.dps = 40
    lam, pw, pl, rw, rl = map(mpmath.mpf, ["0.5", "0.2", "0.05", "0.1", "0.3"])
    dpo = -mpmath.log(1 / (1 + mpmath.exp(-(lam * mpmath.log(pw / rw) - lam * mpmath.log(pl / rl)))))
    g, u = (rl / rw) ** lam, (pl / pw) ** lam
    assert mpmath.almosteq(dpo, mpmath.log(g + u) - mpmath.log(g), rel_eps=mpmath.mpf(10) ** -35)
