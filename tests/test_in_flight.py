"""One claim made by two steps of a run is checked once: the second step waits for the verdict.

The worker pool holds back a task that asks to wait (:class:`verify.run.pool.Later`) until a
task has finished since; the runner's workers ask that when another worker is checking the same
claim (:class:`verify.run.runner.ClaimsInFlight`).
"""

from __future__ import annotations

import gc
import tempfile
import time
from pathlib import Path

import sympy as sp

from verify.domains import POSITIVE, var
from verify.model import Derivation, Equal, Source, Step
from verify.profiles import PROFILES
from verify.run import pool
from verify.run import runner as run_module
from verify.run.cache import VerdictCache
from verify.run.registry import Registry

_MARK: Path | None = None


def _work(task: str) -> tuple[str, bool]:
    """``slow`` sleeps then leaves a mark; ``wait`` asks to wait for it once, ``orphan`` for
    nothing that comes; the result says whether the mark was there."""
    if task in ("slow", "quick"):
        time.sleep(0.5 if task == "slow" else 0.05)
        _MARK.write_text("done") if task == "slow" else None
    if task == "wait":
        raise pool.Later("again", after="slow")
    if task == "orphan":
        raise pool.Later("again", after="never")
    return task, _MARK.exists()


def _settles(result: tuple[str, bool]) -> str:
    return result[0]


def _fail(*_args):
    raise AssertionError("no task times out or crashes here")


def test_a_task_held_back_waits_for_the_result_it_names_and_yields_once_under_its_index(tmp_path):
    global _MARK
    _MARK = tmp_path / "mark"
    tasks = ["slow", "wait", "quick", "quick"]  # the quick ones finish first: they settle nothing it waits for
    got = list(pool.run_tasks(tasks, _work, 2, None, _fail, _fail, settles=_settles))
    assert sorted(i for i, _ in got) == [0, 1, 2, 3]
    assert dict(got)[1] == ("again", True)  # started only once the slow task's result was in
    assert [i for i, _ in got].index(1) > [i for i, _ in got].index(0)


def test_a_task_waiting_for_what_never_comes_starts_when_nothing_else_runs(tmp_path):
    global _MARK
    _MARK = tmp_path / "mark"
    got = list(pool.run_tasks(["orphan", "quick"], _work, 2, None, _fail, _fail, settles=_settles))
    assert sorted(got) == [(0, ("again", False)), (1, ("quick", False))]


def test_a_claim_is_taken_by_one_process_only_and_odd_keys_are_never_shared(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    claims = run_module.ClaimsInFlight()
    key = "0123456789abcdef" * 4
    assert claims.take(key) and not claims.take(key)
    assert claims.take("../outside") and claims.take("../outside")  # not a key: checked each time
    assert not (tmp_path / "outside").exists()
    claims.close()
    assert list(tmp_path.iterdir()) == []


def _slow_check(log: Path):
    original = run_module.check_step

    def check(derivation, step, profile, obligations=None):
        with log.open("a") as f:  # from the worker process
            f.write(f"{derivation.id}::{step.id}\n")
        time.sleep(0.5)  # long enough that the other worker reaches the same claim meanwhile
        return original(derivation, step, profile, obligations)

    return check


def test_two_steps_making_the_same_claim_in_one_run_are_checked_once(tmp_path, monkeypatch):
    log = tmp_path / "checked.log"
    monkeypatch.setattr(run_module, "check_step", _slow_check(log))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    t = var("tif_t", POSITIVE)
    same = Equal(sp.log(t**3), 3 * sp.log(t))
    other = Equal(sp.log(t**3), sp.log(t))  # false: a different claim, checked on its own
    derivations = [
        Derivation(id=f"tif{i}", title="t", source=Source("doc.txt", "x"), steps=[Step("s", claim)])
        for i, claim in ((1, same), (2, same), (3, other))
    ]
    registry = Registry({d.id: d for d in derivations})
    cache = VerdictCache(tmp_path / "cache", PROFILES["ci"])
    result = run_module.run(registry, derivations, PROFILES["ci"], jobs=2, cache=cache)
    steps = {d.id: d.steps[0] for d in result.derivations}
    assert steps["tif1"].status == steps["tif2"].status == "proved"
    assert steps["tif3"].status == "refuted"
    assert sorted((steps["tif1"].cached, steps["tif2"].cached)) == [False, True]
    checked = log.read_text().split()
    assert sorted(checked) == sorted(["tif3::s", "tif1::s" if not steps["tif1"].cached else "tif2::s"])
    assert list((tmp_path / "tmp").iterdir()) == []  # the markers are removed with the run


def test_without_a_cache_or_with_one_worker_nothing_waits(tmp_path, monkeypatch):
    log = tmp_path / "checked.log"
    monkeypatch.setattr(run_module, "check_step", _slow_check(log))
    t = var("tig_t", POSITIVE)
    same = Equal(sp.log(t**3), 3 * sp.log(t))
    derivations = [
        Derivation(id=f"tig{i}", title="t", source=Source("doc.txt", "x"), steps=[Step("s", same)]) for i in (1, 2)
    ]
    registry = Registry({d.id: d for d in derivations})
    result = run_module.run(registry, derivations, PROFILES["ci"], jobs=2, cache=None)
    assert [d.steps[0].status for d in result.derivations] == ["proved", "proved"]
    assert sorted(log.read_text().split()) == ["tig1::s", "tig2::s"]  # no cache: each checked
    cache = VerdictCache(tmp_path / "cache", PROFILES["ci"])
    log.unlink()
    result = run_module.run(registry, derivations, PROFILES["ci"], jobs=1, cache=cache)
    assert [d.steps[0].cached for d in result.derivations] == [False, True]  # in order: the second reuses
    assert log.read_text().split() == ["tig1::s"]


def _freeze_count(_task: str) -> int:
    return gc.get_freeze_count()


def test_workers_are_forked_from_a_frozen_heap_and_the_parent_is_thawed_after():
    assert gc.get_freeze_count() == 0
    got = list(pool.run_tasks(["a", "b"], _freeze_count, 2, None, _fail, _fail))
    assert len(got) == 2 and all(count > 1000 for _, count in got)  # the parent's objects, frozen
    assert gc.get_freeze_count() == 0


def test_two_steps_making_the_same_false_claim_are_both_refuted_with_the_same_counterexample(tmp_path, monkeypatch):
    log = tmp_path / "checked.log"
    monkeypatch.setattr(run_module, "check_step", _slow_check(log))
    t = var("tih_t", POSITIVE)
    wrong = Equal(sp.log(t**3), sp.log(t))  # false for every t ≠ 1
    derivations = [
        Derivation(id=f"tih{i}", title="t", source=Source("doc.txt", "x"), steps=[Step("s", wrong)]) for i in (1, 2)
    ]
    registry = Registry({d.id: d for d in derivations})
    cache = VerdictCache(tmp_path / "cache", PROFILES["ci"])
    result = run_module.run(registry, derivations, PROFILES["ci"], jobs=2, cache=cache)
    first, second = (d.steps[0] for d in result.derivations)
    assert first.status == second.status == "refuted"
    assert first.counterexample == second.counterexample and first.counterexample
    value = sp.Float(first.counterexample["tih_t"], 30)
    assert abs(sp.log(value**3) - sp.log(value)) > 1e-6  # the point really violates the claim
    assert len(log.read_text().split()) == 1  # checked once, the other answered from the cache
