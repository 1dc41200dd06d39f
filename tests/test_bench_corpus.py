"""The benchmark corpus ``benchmarks/user_package/bench_derivations`` loads as a user's package.

Only its shape is asserted here (it imports without errors, has enough steps, multi-size claims,
theorems with hypotheses and documented errors); whether every step comes out as expected is
what ``benchmarks/bench_user.py`` runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from verify import ForSizes, Implies
from verify.run.registry import load

CORPUS = Path(__file__).resolve().parents[1] / "benchmarks" / "user_package"


@pytest.fixture(scope="module")
def corpus_steps():
    sys.path.insert(0, str(CORPUS))
    try:
        registry = load(["bench_derivations"])
    finally:
        sys.path.remove(str(CORPUS))
    assert registry.errors == []
    return [step for derivation in registry.derivations.values() for step in derivation.steps]


def test_corpus_has_enough_steps(corpus_steps):
    assert len(corpus_steps) >= 45
    assert len({step.id for step in corpus_steps}) == len(corpus_steps)


def test_corpus_has_multi_size_claims_and_theorems(corpus_steps):
    assert sum(isinstance(step.claim, ForSizes) for step in corpus_steps) >= 10
    assert sum(isinstance(step.claim, Implies) for step in corpus_steps) >= 3


def test_corpus_keeps_documented_errors(corpus_steps):
    refuted = [step for step in corpus_steps if step.expected == "refuted"]
    assert 0.1 <= len(refuted) / len(corpus_steps) <= 0.25
    assert all(step.diagnosis for step in refuted)
