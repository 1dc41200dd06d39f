"""Points drawn in bulk with NumPy: the part of a search that Hypothesis does not draw.

Hypothesis is best at edge cases and at shrinking a failure, and costs about a millisecond per
example even when the probe returns at once; drawing a point here costs microseconds. A search
(:func:`verify.search.fuzz._sampled`) lets Hypothesis draw its first share of the samples and
takes the rest from here, every point decided by the same probe as Hypothesis's.

Each domain is drawn as its Hypothesis strategy would spread it: uniformly on ``(lo, hi)`` for a
linear scale, log-uniformly for a log scale, integers for an integer one, exactly 0 half the time
for ``log_or_zero``; and, with probability :data:`SPECIAL`, one of the domain's simple values or
ends instead (0, ±1, ½, ``lo``, ``hi``: where boundary mistakes show). A domain with its own
strategy (a user's subclass overriding :meth:`Domain.strategy`) cannot be mirrored: searches over
it stay Hypothesis's alone. The generator is seeded, so a derandomized profile draws the same
points on every run.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from verify.domains import Domain
from verify.search.points import SIMPLE

#: the probability that a coordinate takes one of its domain's simple values or ends
SPECIAL = 0.2

#: draws ``count`` values of one domain
Column = Callable[[np.random.Generator, int], np.ndarray]


def specials(domain: Domain) -> list[float]:
    """The domain's simple values inside its sampled range, simplest first, then its ends."""
    if domain.scale == "integer":
        inside = [v for v in SIMPLE if domain.lo <= v <= domain.hi and v == int(v)]
        ends = [float(math.ceil(domain.lo)), float(math.floor(domain.hi))]
    else:
        inside = [v for v in SIMPLE if domain.lo <= v <= domain.hi]
        ends = [domain.lo, domain.hi]
    if domain.scale == "log_or_zero":
        inside = [0.0, *inside]
    return list(dict.fromkeys([*inside, *ends]))


def column(domain: Domain) -> Column | None:
    """How to draw ``domain``'s values in bulk, or None when its strategy is its own."""
    if type(domain).strategy is not Domain.strategy or type(domain).exponent_strategy is not Domain.exponent_strategy:
        return None
    lo, hi = domain.lo, domain.hi
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi or (domain.scale.startswith("log") and lo <= 0):
        return None
    ends = np.array(specials(domain), dtype=float)

    def plain(rng: np.random.Generator, count: int) -> np.ndarray:
        if domain.scale == "integer":
            return rng.integers(math.ceil(lo), math.floor(hi), endpoint=True, size=count).astype(float)
        if domain.scale in ("log", "log_or_zero"):
            values = np.clip(10.0 ** rng.uniform(math.log10(lo), math.log10(hi), size=count), lo, hi)
            if domain.scale == "log_or_zero":
                values[rng.random(count) < 0.5] = 0.0
            return values
        return rng.uniform(lo, hi, size=count)

    def draw(rng: np.random.Generator, count: int) -> np.ndarray:
        values = plain(rng, count)
        special = rng.random(count) < SPECIAL
        values[special] = rng.choice(ends, size=int(special.sum()))
        return values

    return draw


def _points(cols: Mapping[str, Column], rng: np.random.Generator, count: int) -> list[dict[str, float]]:
    drawn = {name: col(rng, count).tolist() for name, col in cols.items()}
    return [{name: drawn[name][i] for name in cols} for i in range(count)]


def _rounded(value: float) -> list[float]:
    """``value`` to fewer digits: the nearest integer, one decimal, three significant digits."""
    if not math.isfinite(value) or value == 0:
        return []
    return [float(round(value)), round(value, 1), float(f"{value:.3g}")]


def _drawable(domain: Domain, value: float) -> bool:
    """Whether ``domain``'s strategy can draw ``value`` (so a simplified point stays one it could)."""
    if domain.scale == "integer" and value != int(value):
        return False
    return domain.lo <= value <= domain.hi or (domain.scale == "log_or_zero" and value == 0)


@dataclass(frozen=True)
class Bulk:
    """Points of one search drawn in bulk: ``{name: value}``, or for an invariance the pair
    ``{"base": point, "alt": the values of the names in alt}``."""

    domains: Mapping[str, Domain]
    cols: Mapping[str, Column]
    alt: tuple[str, ...] | None = None

    def draw(self, rng: np.random.Generator, count: int) -> list[dict]:
        """``count`` points."""
        base = _points(self.cols, rng, count)
        if self.alt is None:
            return base
        alt = _points({n: self.cols[n] for n in self.alt}, rng, count)
        return [{"base": b, "alt": a} for b, a in zip(base, alt, strict=True)]

    def simplified(self, point: dict, fails: Callable[[dict], bool], budget: int) -> dict:
        """``point``, at which ``fails`` holds, with each value in turn replaced by the first of its
        domain's simple values or a rounding of it at which ``fails`` still holds; ``budget``
        calls of ``fails`` at most. Every value stays one its domain's strategy can draw."""
        parts = ["base", "alt"] if self.alt is not None else [None]
        current = {k: dict(v) for k, v in point.items()} if self.alt is not None else dict(point)
        changed = True
        while changed:  # passes until none simplifies a value (one value's change can free another's)
            changed = False
            for part in parts:
                values = current[part] if part is not None else current
                for name in list(values):
                    domain = self.domains[name]
                    simple = specials(domain)
                    if values[name] in simple:  # already simple: only a simpler one of these replaces it
                        candidates = simple[: simple.index(values[name])]
                    else:
                        candidates = [*simple, *_rounded(values[name])]
                    for candidate in candidates:
                        if candidate == values[name] or not _drawable(domain, candidate):
                            continue
                        if budget <= 0:
                            return current
                        budget -= 1
                        trial = {**values, name: candidate}
                        if fails({**current, part: trial} if part is not None else trial):
                            values[name], changed = candidate, True
                            break
        return current


def of(domains: Mapping[str, Domain], alt: tuple[str, ...] | None = None) -> Bulk | None:
    """The bulk draw of the named domains (``alt``: the names drawn again for an invariance's
    second point), or None when some domain cannot be drawn in bulk."""
    cols = {}
    for name, domain in domains.items():
        col = column(domain)
        if col is None:
            return None
        cols[name] = col
    return Bulk(dict(domains), cols, alt)


def generator(seed: int, names: tuple[str, ...], derandomize: bool) -> np.random.Generator:
    """The generator of one search: fixed by the profile's seed and the symbols' names when the
    profile is derandomized, fresh entropy otherwise."""
    if not derandomize:
        return np.random.default_rng()
    return np.random.default_rng([seed, zlib.crc32("\0".join(names).encode())])
