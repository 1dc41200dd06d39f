"""The pytest plugin: one item per step, failures with status and counterexample, -k, -n 2."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]

TINY = """
import time
import sympy as sp
from verify import Derivation, Equal, Reported, Source, Step, var
from verify.domains import POSITIVE

p = var("p", POSITIVE)
q = var("q", POSITIVE)

def forever():
    time.sleep(1000)
    return 1.0

derivation = Derivation(
    id="tiny",
    title="logs",
    source=Source("notes.md", "(1)"),
    steps=[
        Step("log_mul", Equal(sp.log(p * q), sp.log(p) + sp.log(q)), "log of a product"),
        Step("log_div", Equal(sp.log(p / q), sp.log(p) - sp.log(q)), "log of a quotient"),
        Step("planted_error_caught", Equal(sp.log(p + q), sp.log(p) + sp.log(q)), "", expected="refuted"),
        Step("log_sum_wrong", Equal(sp.log(p + q), sp.log(p) + sp.log(q)), "wrong on purpose"),
    ],
)

HANGS = [
    Derivation(
        id="tiny_hangs",
        title="hangs",
        source=Source("notes.md", "(2)"),
        steps=[Step("never_returns", Reported("a number", "1.0", forever), "hangs on purpose")],
    )
]
"""


@pytest.fixture
def tiny(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    pkg = pytester.path / "tinypkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "logs.py").write_text(textwrap.dedent(TINY))
    (pkg / "hangs.py").write_text("from tinypkg.logs import HANGS as DERIVATIONS\n")
    (pytester.path / "test_ordinary.py").write_text("def test_ordinary():\n    pass\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), str(pytester.path)]))
    return pytester


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:benchmark", *args, timeout=300)


def test_without_verify_no_step_is_collected(tiny):
    result = run(tiny, "--verify-package", "tinypkg", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*tiny::*")


def test_one_item_per_step_and_a_failing_step_shows_status_reason_and_counterexample(tiny):
    result = run(tiny, "--verify", "--verify-only", "--verify-package", "tinypkg", "-v", "-k", "not hangs")
    result.assert_outcomes(passed=3, failed=1, deselected=1)
    result.stdout.fnmatch_lines(
        [
            "tiny::log_mul PASSED*",
            "tiny::log_div PASSED*",
            "tiny::planted_error_caught PASSED*",
            "tiny::log_sum_wrong FAILED*",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*_ tiny::log_sum_wrong _*",
            "refuted (expected holds)",
            "reason: counterexample found",
            "counterexample: p=*, q=*",
            "values: lhs = *, rhs = *",
        ]
    )
    result.stdout.no_fnmatch_line("*Traceback*")


def test_selection_with_k_and_the_ordinary_tests_alongside(tiny):
    result = run(tiny, "--verify", "--verify-package", "tinypkg", "-k", "log_mul or ordinary", "-v")
    result.assert_outcomes(passed=2, deselected=4)
    result.stdout.fnmatch_lines(["*test_ordinary.py::test_ordinary PASSED*", "tiny::log_mul PASSED*"])


def test_xdist_runs_the_steps_in_two_workers(tiny):
    result = run(
        tiny, "--verify", "--verify-only", "--verify-package", "tinypkg", "-n", "2", "-k", "log_mul or log_div"
    )
    result.assert_outcomes(passed=2)  # the workers deselect; the controller reports what ran
    result.stdout.fnmatch_lines(["2 workers [[]2 items[]]"])


def test_a_hanging_step_fails_as_timeout(tiny):
    result = run(
        tiny, "--verify", "--verify-only", "--verify-package", "tinypkg", "-k", "hangs", "--verify-step-timeout", "1"
    )
    result.assert_outcomes(failed=1, deselected=4)
    result.stdout.fnmatch_lines(["timeout (expected holds)", "reason: exceeded the hard limit of 1 s per step*"])


def test_unknown_package_is_a_usage_error(tiny):
    result = run(tiny, "--verify", "--verify-package", "no_such_pkg")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*derivation package 'no_such_pkg' cannot be imported*"])


def test_real_derivations_selected_with_k(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    selection = ["--verify-package", "derivations", "-k", "reward_inversion"]  # asked for by name
    result = run(pytester, "--verify", "--verify-only", *selection, "-n", "2", "-v")
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(["*PASSED reward_inversion::*"])


HINTED = """
import sympy as sp
from verify import Derivation, Equal, Source, Step
from verify.domains import POSITIVE, var

p = var("p", POSITIVE)
q = var("q", POSITIVE)

derivation = Derivation(
    id="hinted",
    title="a sign error",
    source=Source("notes.md", "(3)"),
    steps=[Step("log_quotient_sign", Equal(sp.log(p / q), sp.log(p) + sp.log(q)), "a planted sign error")],
)
"""


def test_a_failing_step_shows_its_repair_hint_unless_the_diagnosis_is_off(pytester, monkeypatch):
    pkg = pytester.path / "hintpkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "hinted.py").write_text(textwrap.dedent(HINTED))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), str(pytester.path)]))
    result = run(pytester, "--verify", "--verify-only", "--verify-package", "hintpkg")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["hint: negated term log(q) in the rhs → proved"])
    off = run(pytester, "--verify", "--verify-only", "--verify-package", "hintpkg", "--verify-no-diagnosis")
    off.assert_outcomes(failed=1)
    off.stdout.no_fnmatch_line("hint: *")
