"""Shared fixtures: the core run is checked once per session."""

from __future__ import annotations

import os
import tempfile

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
def core_run(registry):
    return run(registry, registry.select(CORE_IDS), VERDICTS, jobs=2)


def checked_steps(registry, derivation_id: str) -> dict:
    """Check one derivation with the ci profile; no step may contradict its expectation. Steps by id."""
    from verify.run.runner import check_derivation

    result = check_derivation(registry.derivations[derivation_id], VERDICTS)
    assert not result.failed
    return {s.id: s for s in result.steps}
