"""Shared fixtures: the core run is checked once per session."""

from __future__ import annotations

import os
import tempfile
from dataclasses import replace

import pytest

from tests.verdicts import VERDICTS
from verify.run.registry import load
from verify.run.runner import run

# the command line caches verdicts; the suite starts from an empty cache so that it checks for real
os.environ["VERIFY_CACHE_DIR"] = tempfile.mkdtemp(prefix="verify-cache-")
# the cache key of the suite (and of the commands it runs) is its own, not the developer's
os.environ.setdefault("VERIFY_CACHE_KEY_FILE", os.path.join(tempfile.gettempdir(), "verify-test-suite-cache-key"))
os.environ.pop("VERIFY_CACHE_KEY", None)

CORE_IDS = [
    "optimal_policy",
    "reward_inversion",
    "z_cancellation",
    "plackett_luce",
    "ipo_lemma",
    "gaussian_rederivation",
    "gradient_weighting",
]


@pytest.fixture(scope="session")
def registry():
    return load()


@pytest.fixture(scope="session")
def all_run(registry):
    """Every registered derivation checked once per session (once per xdist worker that needs it),
    without the diagnosis: the core, audit and report tests read their derivations from it."""
    return run(registry, list(registry.derivations.values()), VERDICTS, jobs=2)


def derivations_of(result, ids):
    """``result`` with only the derivations ``ids``, in that order."""
    by_id = {d.id: d for d in result.derivations}
    return replace(result, derivations=[by_id[i] for i in ids])


@pytest.fixture(scope="session")
def core_run(all_run):
    return derivations_of(all_run, CORE_IDS)


def checked_steps(all_run, derivation_id: str) -> dict:
    """One derivation of the session's run; no step may contradict its expectation. Steps by id."""
    (result,) = derivations_of(all_run, [derivation_id]).derivations
    assert not result.failed
    return {s.id: s for s in result.steps}
