"""Fixed points of the symbols' domains: simple values first, then seeded pseudo-random ones; and
the far values of a domain, which its sampled range leaves out.

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
#: how far beyond its sampled range a domain's far values lie: ``±10^8``, ``±10^40`` toward an
#: infinite end; toward a finite end ``a`` that the range stops short of, ``a ± 10^-k·|a - end of range|``
FAR_SIZES = (1e8, 1e40)
FAR_FRACTIONS = (1e-5, 1e-37)
#: an integer domain's round values between its sampled range and ``10^8`` (it samples 1…64, say), tried
#: first: a claim about integers fails as often at a round number as beyond all of them
#: (``cos(πn/100) > −1`` at n = 100)
FAR_INTEGERS = (1e2, 1e3, 1e4, 1e6)


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


def far_values(domain: Domain) -> list[float]:
    """Values of ``domain``'s support outside its sampled range, the nearer first: a claim holds on
    the whole support (a positive ``x`` with ``log x < 30`` fails only beyond ``e^30``, ``log x > -10``
    only below ``e^-10``), and the range is only where the search spends most of its points."""
    lower, upper, _, _ = domain.support
    out = []
    if domain.scale == "integer":
        out += [v for size in FAR_INTEGERS for v in (size, -size)]
        out += [v for v in (lower, upper) if math.isfinite(v)]  # the support's own ends
    for size, fraction in zip(FAR_SIZES, FAR_FRACTIONS, strict=True):
        if domain.scale != "integer" and math.isfinite(lower) and domain.lo > lower:
            out.append(lower + fraction * (domain.lo - lower))
        if domain.scale != "integer" and math.isfinite(upper) and domain.hi < upper:
            out.append(upper - fraction * (upper - domain.hi))
        if upper == math.inf:
            out.append(size)
        if lower == -math.inf:
            out.append(-size)
    return [v for v in dict.fromkeys(out) if domain.contains(v) and not domain.lo <= v <= domain.hi]
