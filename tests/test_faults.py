"""Faults neither hang, orphan nor lose data: killed parents and workers, derivations that exit or
hang outside the claim, a cache that cannot be written, and output paths checked before any work."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_cache import BETA, FALSE_LOG, ROOT, cli, make_package, statuses
from verify.cli import main
from verify.run.cache import VerdictCache
from verify.search.fuzz import PROFILES

TWO_HANGING = """
import time
from verify import Derivation, Reported, Source, Step

def forever():
    time.sleep(1000)
    return 1.0

derivation = Derivation(
    id="sleepers",
    title="two recomputations that never return",
    source=Source("notes.md", "(4)"),
    steps=[
        Step("first", Reported("a number", "1.0", forever), "hangs on purpose"),
        Step("second", Reported("a number", "1.0", forever), "hangs on purpose"),
    ],
)
"""

KILLS_ITS_WORKER = """
import os
import signal
from verify import Derivation, Reported, Source, Step

def die():
    os.kill(os.getpid(), signal.SIGKILL)
    return 1.0

derivation = Derivation(
    id="killer",
    title="a recomputation whose process is killed",
    source=Source("notes.md", "(5)"),
    steps=[Step("killed", Reported("a number", "1.0", die), "the out-of-memory killer, say")],
)
"""

EXITS_IN_RECOMPUTE = """
import sys
from verify import Derivation, Reported, Source, Step

def leave():
    sys.exit(0)

derivation = Derivation(
    id="leaver",
    title="a recomputation that calls sys.exit",
    source=Source("notes.md", "(6)"),
    steps=[Step("exits", Reported("a number", "1.0", leave), "exits with status 0 on purpose")],
)
"""

INTERRUPTS_ITSELF = EXITS_IN_RECOMPUTE.replace("sys.exit(0)", "raise KeyboardInterrupt")

EXITS_AT_IMPORT = """
import sys
sys.exit(0)
"""

SLOW_TO_PRINT = """
import time
import sympy as sp
from verify import Derivation, Equal, Source, Step, var
from verify.domains import POSITIVE

class Slow(sp.Function):
    '''The identity, whose LaTeX takes forever to print.'''

    @classmethod
    def eval(cls, x):
        return None

    def _latex(self, printer):
        time.sleep(1000)
        return "slow"

    def _eval_evalf(self, prec):
        return self.args[0]._eval_evalf(prec)

p = var("p", POSITIVE)

derivation = Derivation(
    id="slowprint",
    title="a claim whose printing never ends",
    source=Source("notes.md", "(7)"),
    steps=[Step("prints_forever", Equal(Slow(p), Slow(p)), "hangs in the printer")],
)
"""


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(tmp_path)])
    env.pop("VERIFY_CACHE_DIR", None)
    return env


def _children(pid: int) -> set[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return set()
    return {int(c) for c in text.split()}


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has finished; only its exit status is left


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs /proc to list a process's children")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_workers_die_with_their_parent(tmp_path, sig):
    make_package(tmp_path, sleepers=TWO_HANGING)
    command = ["-m", "verify", "all", "--package", "tinypkg", "--quiet", "--no-cache", "--jobs", "2"]
    parent = subprocess.Popen(
        [sys.executable, *command, "--step-timeout", "600"],
        env=_env(tmp_path),
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        workers: set[int] = set()
        while len(workers) < 2 and time.monotonic() < deadline:
            workers = _children(parent.pid)
            time.sleep(0.1)
        assert len(workers) == 2, "the run did not start two workers"
        time.sleep(0.5)  # both are now inside a step that sleeps for 1000 s
        parent.send_signal(sig)
        parent.wait(timeout=30)
        deadline = time.monotonic() + 15
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(w) for w in workers), "a worker outlived its parent"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs /proc to list a process's children")
def test_after_the_run_is_killed_the_next_run_is_correct(tmp_path):
    make_package(tmp_path, beta=BETA, false_log=FALSE_LOG, sleepers=TWO_HANGING)
    command = [sys.executable, "-m", "verify", "all", "--package", "tinypkg", "--quiet", "--jobs", "2"]
    parent = subprocess.Popen(command, env=_env(tmp_path), cwd=tmp_path, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while len(_children(parent.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(3)  # the quick steps are checked and cached, the sleepers run
    parent.kill()
    parent.wait(timeout=30)
    out, data = cli(tmp_path, "--step-timeout", "2")
    assert out.returncode == 1
    assert "corrupt" not in out.stderr and "not trusted" not in out.stderr, out.stderr
    found = statuses(data)
    assert found["beta::square"][0] == "proved" and found["falselog::log_of_sum"][0] == "refuted"
    assert {found["sleepers::first"][0], found["sleepers::second"][0]} == {"timeout"}


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_killed_worker_is_that_steps_error_and_the_others_are_checked(tmp_path, jobs):
    make_package(tmp_path, killer=KILLS_ITS_WORKER, beta=BETA)
    for _ in range(2):  # an error is never cached: the second run checks again and says the same
        out, data = cli(tmp_path, "--jobs", jobs, "--step-timeout", "60")
        assert out.returncode == 1, out.stderr
        step = data["derivations"][[d["id"] for d in data["derivations"]].index("killer")]["steps"][0]
        assert step["status"] == "error" and step["failed"] is True
        assert step["reason"] == "checking crashed: the worker process died (exit code -9)"
        assert statuses(data)["killer::killed"] == ("error", False)
        assert statuses(data)["beta::square"][0] == "proved"


@pytest.mark.parametrize("extra", [[], ["--jobs", "2"], ["--step-timeout", "60"]])
def test_sys_exit_in_a_recompute_is_that_steps_error(tmp_path, extra):
    make_package(tmp_path, leaver=EXITS_IN_RECOMPUTE, beta=BETA)
    out, data = cli(tmp_path, "--no-cache", *extra)
    assert out.returncode == 1, out.stderr
    assert statuses(data)["leaver::exits"] == ("error", False)
    step = data["derivations"][[d["id"] for d in data["derivations"]].index("leaver")]["steps"][0]
    assert step["reason"].startswith("checking crashed: SystemExit")
    assert statuses(data)["beta::square"][0] == "proved"


@pytest.mark.parametrize("extra", [[], ["--jobs", "2"]])
def test_a_keyboard_interrupt_raised_by_a_recompute_is_that_steps_error(tmp_path, extra):
    make_package(tmp_path, leaver=INTERRUPTS_ITSELF, beta=BETA)
    out, data = cli(tmp_path, "--no-cache", *extra)
    assert out.returncode == 1, out.stderr
    assert statuses(data)["leaver::exits"] == ("error", False)
    assert statuses(data)["beta::square"][0] == "proved"


def test_a_keyboard_interrupt_at_import_is_a_load_error(tmp_path):
    make_package(tmp_path, aaa_exits="raise KeyboardInterrupt\n", false_log=FALSE_LOG)
    out, data = cli(tmp_path, "--no-cache")
    assert out.returncode == 1, out.stderr
    assert "tinypkg.aaa_exits: KeyboardInterrupt" in out.stderr
    assert statuses(data)["falselog::log_of_sum"] == ("refuted", False)


def test_a_real_interrupt_still_stops_the_run(tmp_path):
    make_package(tmp_path, sleepers=TWO_HANGING)
    command = [sys.executable, "-m", "verify", "all", "--package", "tinypkg", "--no-cache", "--jobs", "1"]
    run = subprocess.Popen(command, env=_env(tmp_path), cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    time.sleep(8)  # imported and inside the first step, which sleeps for 1000 s
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 130, err
    assert "interrupted" in err


def test_sys_exit_at_import_is_a_load_error_and_the_other_modules_are_still_checked(tmp_path):
    make_package(tmp_path, aaa_exits=EXITS_AT_IMPORT, false_log=FALSE_LOG)
    out, data = cli(tmp_path, "--no-cache")
    assert out.returncode == 1, out.stderr  # exit status 0 of the module is not the run's
    assert "tinypkg.aaa_exits" in out.stderr and "SystemExit" in out.stderr
    found = statuses(data)
    assert found.pop("falselog::log_of_sum") == ("refuted", False)
    assert [status for status, _ in found.values()] == ["error"]  # the module that exited, as a load error


def test_a_claim_whose_printing_hangs_is_stopped_at_the_limit(tmp_path):
    make_package(tmp_path, slowprint=SLOW_TO_PRINT, beta=BETA)
    start = time.monotonic()
    out, data = cli(tmp_path, "--no-cache", "--jobs", "1", "--step-timeout", "2")
    assert time.monotonic() - start < 90
    assert out.returncode == 1, out.stderr
    step = data["derivations"][[d["id"] for d in data["derivations"]].index("slowprint")]["steps"][0]
    assert step["status"] == "timeout"
    assert "not printed" in step["claim_latex"]  # the parent never printed it after the kill
    assert statuses(data)["beta::square"][0] == "proved"


def test_an_unwritable_cache_directory_is_a_warning_not_a_failure(tmp_path):
    make_package(tmp_path, beta=BETA)
    out, data = cli(tmp_path, "--cache-dir", "/proc/verify-cache-cannot-be-here")
    assert out.returncode == 0, out.stderr
    assert statuses(data) == {"beta::square": ("proved", False)}
    assert "cannot write the cache" in out.stderr


def test_a_full_disk_keeps_the_previous_cache_file_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    cache = VerdictCache(tmp_path / "cache", PROFILES["ci"])
    cache._write("claims", "ab" * 32, {"verdict": "first"})
    path = cache._path("claims", "ab" * 32)
    before = path.read_bytes()

    def full(src, dst):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", full)
    cache._write("claims", "ab" * 32, {"verdict": "second"})
    assert path.read_bytes() == before
    assert cache._read("claims", "ab" * 32)["verdict"] == "first"
    assert list((tmp_path / "cache").rglob("*.tmp")) == []
    assert cache.warnings == [
        f"cannot write the cache under {tmp_path / 'cache'} (No space left on device); results not cached"
    ]


def test_more_jobs_than_cores_are_capped(monkeypatch):
    import verify.run.runner as runner

    seen = {}
    real = runner.run

    def spy(*args, **kwargs):
        seen["jobs"] = kwargs.get("jobs")
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, "run", spy)
    assert main(["check", "reward_inversion", "--jobs", "1000", "--quiet", "--no-cache"]) == 0
    assert seen["jobs"] == os.cpu_count()


def test_no_hypothesis_directory_is_left_in_the_working_directory(tmp_path):
    make_package(tmp_path, false_log=FALSE_LOG)
    for extra in (["--no-cache"], []):
        out, _ = cli(tmp_path, *extra)
        assert out.returncode == 1, out.stderr
        assert not (tmp_path / ".hypothesis").exists()


@pytest.mark.parametrize("option", ["--json", "--junit"])
def test_an_unwritable_output_path_is_refused_before_any_checking(tmp_path, option):
    make_package(tmp_path, sleepers=TWO_HANGING)  # would run for 1000 s if it were checked
    out = subprocess.run(
        [sys.executable, "-m", "verify", "all", "--package", "tinypkg", "--no-cache", option, "/nonexistent/dir/out"],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        cwd=tmp_path,
        timeout=60,
    )
    assert out.returncode == 2
    assert out.stderr == (
        f"verify: cannot write {option} '/nonexistent/dir/out': the directory '/nonexistent/dir' does not exist\n"
    )


def test_an_output_path_that_is_a_directory_is_refused(tmp_path, capsys):
    assert main(["check", "reward_inversion", "--json", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"verify: --json {str(tmp_path)!r} is a directory; give a file path\n"


def test_report_output_paths_are_checked_before_any_checking(tmp_path, capsys):
    bad = tmp_path / "no" / "report.tex"
    assert main(["report", "--output", str(bad)]) == 2
    assert "does not exist" in capsys.readouterr().err
