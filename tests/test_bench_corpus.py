"""The benchmark corpus ``benchmarks/user_package/bench_derivations`` loads as a user's package.

Its shape (it imports without errors, has enough steps, multi-size claims, theorems with
hypotheses and documented errors) and a run of it as a user's package: every step as expected.
``benchmarks/bench_user.py`` times that run.
"""

from __future__ import annotations

import json
import os
import subprocess
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


def test_every_corpus_step_comes_out_as_expected(tmp_path):
    """The corpus is checked as a user would check it; a verdict that moves (a false claim no longer
    refuted, a true one no longer holding) fails here, not only in the benchmark's printout."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(CORPUS), str(CORPUS.parents[1])]))
    env.pop("VERIFY_CACHE_DIR", None)
    out = tmp_path / "run.json"
    cmd = [sys.executable, "-m", "verify", "all", "--package", "bench_derivations", "--no-diagnosis", "--quiet"]
    run = subprocess.run(
        [*cmd, "--cache-dir", str(tmp_path / "cache"), "--json", str(out)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    summary = json.loads(out.read_text(encoding="utf-8"))["summary"]
    assert summary["failed"] == 0 and summary["error"] == 0 and summary["timeout"] == 0
    assert summary["refuted"] >= 8 and summary["proved"] >= 30
