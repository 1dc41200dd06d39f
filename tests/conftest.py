"""Shared fixtures: the core run is checked once per session."""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

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
def all_run(registry, tmp_path_factory, request):
    """Every registered derivation checked once per session, without the diagnosis: the core,
    audit and report tests read their derivations from it. Under xdist, once for all workers: the
    first worker to need it checks and stores it, the others wait for it and read it."""

    def check_all():
        return run(registry, list(registry.derivations.values()), VERDICTS, jobs=2)

    if not hasattr(request.config, "workerinput"):  # not an xdist worker
        return check_all()
    return _once(tmp_path_factory.getbasetemp().parent / "all_run.pickle", check_all)


def _once(path: Path, compute: Callable[[], object]) -> object:
    """``compute()`` stored at ``path`` by the first process that asks (under a file lock) and read
    back by the others; computed in each process where file locks are not available."""
    try:
        import fcntl
    except ImportError:  # not POSIX
        return compute()
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            return pickle.loads(path.read_bytes())
        value = compute()
        path.write_bytes(pickle.dumps(value))
        return value


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
