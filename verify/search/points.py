"""Fixed points of the symbols' domains: simple values first, then seeded pseudo-random ones.

For the diagnosis's cheap searches (:mod:`verify.diagnose`): the same domains give the same
points on every machine, and the first points are the values a shrunk counterexample tends to
have (1, 1/2, −1, …), so a violation found there reads like one Hypothesis would report.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping

import sympy as sp

from verify.domains import Domain, exp10

#: candidate simple values, tried in this order; each domain takes those inside its sampled range
SIMPLE = (1.0, 0.5, -1.0, 2.0, -0.5, 0.25, -2.0, 0.75, 3.0, -3.0, 0.0)


def _simple(domain: Domain) -> list[float]:
    inside = [v for v in SIMPLE if domain.lo <= v <= domain.hi and (domain.scale != "integer" or v == int(v))]
    return inside or [domain.lo if domain.lo == domain.hi else (domain.lo + domain.hi) / 2]


def _random(domain: Domain, rng: random.Random) -> float:
    if domain.scale == "log":
        return exp10(rng.uniform(math.log10(domain.lo), math.log10(domain.hi)))
    if domain.scale == "integer":
        return float(rng.randint(math.ceil(domain.lo), math.floor(domain.hi)))
    return rng.uniform(domain.lo, domain.hi)


def fixed_points(domains: Mapping[sp.Symbol, Domain], count: int, seed: int = 0, simple: int = 3) -> list[dict]:
    """``count`` points ``{symbol name: value}``: the first ``simple`` take the k-th simple value of
    each domain (symbols offset so that they differ), the rest are pseudo-random from ``seed``."""
    names = sorted(domains, key=lambda s: s.name)
    rng = random.Random(seed)
    out = []
    for k in range(count):
        if k < simple:
            out.append({s.name: _simple(domains[s])[(k + i) % len(_simple(domains[s]))] for i, s in enumerate(names)})
        else:
            out.append({s.name: _random(domains[s], rng) for s in names})
    return out
