"""What a CI log shows: one line per step when piped, a recap naming every failed step with its
file and line, GitHub annotations, exit codes 3 and 5, and misuse errors at the user's line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.test_cache import BETA, FALSE_LOG, ROOT, make_package
from verify.cli import main

MISSPELT = FALSE_LOG.replace("derivation = Derivation(", "derivaton = Derivation(").replace("falselog", "typo")

STRING_SOURCE = """
from verify import Derivation, Equal, Step, var
from verify.domains import REAL

x = var("x", REAL)

derivation = Derivation(
    id="stringy",
    title="a source given as text",
    source="notes.md",
    steps=[Step("same", Equal(x, x))],
)
"""


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environ = dict(os.environ, COLUMNS="80", **env)
    environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(tmp_path)])
    environ.pop("GITHUB_ACTIONS", None)
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-m", "verify", "all", "--package", "tinypkg", "--no-cache", *args],
        capture_output=True,
        text=True,
        env=environ,
        cwd=tmp_path,
        timeout=300,
    )


def line_of(tmp_path: Path, module: str, text: str) -> int:
    lines = (tmp_path / "tinypkg" / f"{module}.py").read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def test_piped_output_is_one_line_per_step_then_the_recap_and_a_summary_naming_the_failure(tmp_path):
    make_package(tmp_path, beta=BETA, false_log=FALSE_LOG)
    out = run(tmp_path)
    assert out.returncode == 1, out.stderr
    lines = out.stdout.splitlines()
    line = line_of(tmp_path, "false_log", 'Step("log_of_sum"')
    where = f"tinypkg/false_log.py:{line}"
    assert lines[0].startswith("PASS beta::square  proved  ")
    assert lines[1].startswith("FAIL falselog::log_of_sum  refuted  numeric  ") and lines[1].endswith(where)
    assert lines[2] == "1 failed step:"
    assert lines[3] == f"FAILED falselog::log_of_sum ({where}): refuted, expected it to hold (proved or confirmed)"
    assert lines[4] == "  reason: counterexample found"
    assert lines[5].startswith("  counterexample: a=") and ", b=" in lines[5]
    assert lines[-1].startswith("2 derivations, 2 steps: 1 proved, 0 confirmed, 1 refuted, 0 error, 0 timeout, ")
    assert "1 failed (falselog::log_of_sum)" in lines[-1]
    assert not any(line.startswith(("┏", "│", "└")) for line in lines)  # no tables in a log


def test_quiet_prints_the_failures_and_the_summary_only(tmp_path):
    make_package(tmp_path, beta=BETA, false_log=FALSE_LOG)
    out = run(tmp_path, "--quiet")
    assert out.returncode == 1
    lines = out.stdout.splitlines()
    assert lines[0] == "1 failed step:" and lines[1].startswith("FAILED falselog::log_of_sum (tinypkg/false_log.py:")
    assert not any(line.startswith("PASS") for line in lines)
    assert "1 failed (falselog::log_of_sum)" in lines[-1]
    make_package(tmp_path, false_log=FALSE_LOG.replace("sp.log(a + b)", "sp.log(a * b)"))
    out = run(tmp_path, "--quiet")
    lines = out.stdout.splitlines()
    assert out.returncode == 0 and len(lines) == 1 and ", all as expected (" in lines[0]


def test_format_plain_and_table_are_chosen_explicitly(tmp_path):
    make_package(tmp_path, beta=BETA)
    table = run(tmp_path, "--format", "table")
    assert table.returncode == 0 and "┏" in table.stdout
    plain = run(tmp_path, "--format", "plain")
    assert plain.stdout.splitlines()[0].startswith("PASS beta::square")


def test_github_actions_annotations_point_at_the_step(tmp_path):
    make_package(tmp_path, beta=BETA, false_log=FALSE_LOG)
    out = run(tmp_path, "--quiet", GITHUB_ACTIONS="true")
    line = line_of(tmp_path, "false_log", 'Step("log_of_sum"')
    annotations = [x for x in out.stdout.splitlines() if x.startswith("::")]
    assert len(annotations) == 1
    assert annotations[0].startswith(
        f"::error file=tinypkg/false_log.py,line={line},title=verify falselog%3A%3Alog_of_sum::refuted, expected"
    )
    assert "counterexample a=" in annotations[0]
    assert not [x for x in run(tmp_path, "--quiet").stdout.splitlines() if x.startswith("::")]  # only on Actions


def test_every_step_carries_its_file_and_line_in_json_and_junit(tmp_path):
    make_package(tmp_path, beta=BETA, false_log=FALSE_LOG)
    out = run(tmp_path, "--quiet", "--json", "r.json", "--junit", "r.xml")
    assert out.returncode == 1
    steps = {s["id"]: s for d in json.loads((tmp_path / "r.json").read_text())["derivations"] for s in d["steps"]}
    assert (steps["square"]["file"], steps["square"]["line"]) == (
        "tinypkg/beta.py",
        line_of(tmp_path, "beta", 'Step("square"'),
    )
    assert steps["log_of_sum"]["line"] == line_of(tmp_path, "false_log", 'Step("log_of_sum"')
    cases = {c.get("name"): c for c in ET.parse(tmp_path / "r.xml").getroot().iter("testcase")}
    assert cases["log_of_sum"].get("file") == "tinypkg/false_log.py"
    assert cases["log_of_sum"].get("line") == str(steps["log_of_sum"]["line"])


def test_an_empty_package_exits_5_with_the_reason(tmp_path):
    make_package(tmp_path)
    out = run(tmp_path)
    assert out.returncode == 5
    assert out.stderr == (
        "verify: nothing was checked: no derivation found in tinypkg (a module defines one as "
        "`derivation = Derivation(...)` or `DERIVATIONS = [...]`)\n"
    )


def test_a_misspelt_derivation_variable_is_an_error_at_its_line(tmp_path):
    make_package(tmp_path, typo=MISSPELT)
    out = run(tmp_path, "--quiet")
    assert out.returncode == 1
    line = line_of(tmp_path, "typo", "derivaton = Derivation(")
    assert f"FAILED typo::module_loads (tinypkg/typo.py:{line})" in out.stdout
    assert "defines derivation 'typo' as 'derivaton', which is never checked" in out.stdout


def test_a_misused_constructor_is_one_line_at_the_users_line(tmp_path):
    make_package(tmp_path, stringy=STRING_SOURCE, beta=BETA)
    out = run(tmp_path, "--quiet")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    line = line_of(tmp_path, "stringy", "derivation = Derivation(")
    assert out.stderr == (
        "verify: tinypkg.stringy: ClaimError: derivation 'stringy': source='notes.md' must be "
        f"Source(document, location), e.g. Source('notes.md') ({tmp_path}/tinypkg/stringy.py:{line})\n"
    )


def test_an_internal_error_exits_3_with_one_line(monkeypatch, capsys):
    import verify.cli as cli

    def broken(args):
        raise RuntimeError("something inside broke")

    monkeypatch.delenv("VERIFY_DEBUG", raising=False)
    monkeypatch.setattr(cli, "_check", broken)
    assert main(["check", "reward_inversion"]) == 3
    assert capsys.readouterr().err == (
        "verify: internal error: RuntimeError: something inside broke — please report it with the command "
        "that caused it (VERIFY_DEBUG=1 shows the traceback)\n"
    )
    monkeypatch.setenv("VERIFY_DEBUG", "1")
    with pytest.raises(RuntimeError):
        main(["check", "reward_inversion"])


@pytest.mark.parametrize(
    ("rel", "key", "sign"),
    [("<=", "rhs − lhs (must be ≥ 0)", -1), ("<", "rhs − lhs (must be > 0)", -1), (">=", "lhs − rhs (must be ≥ 0)", 1)],
)
def test_an_inequality_counterexample_names_the_gap_it_shows(rel, key, sign):
    import mpmath

    from verify import Derivation, Inequality, Source, Step, var
    from verify.domains import POSITIVE
    from verify.profiles import PROFILES
    from verify.run.check import check_step

    x = var("x", POSITIVE)
    d2 = x / (1 + x) ** 2  # positive: "d2 <= 0" is false, and so is "-d2 >= 0"
    lhs, rhs = (d2, 0) if sign < 0 else (-d2, 0)
    d = Derivation(id="gap", title="t", source=Source("n.md"), steps=[Step("s", Inequality(lhs, rel, rhs))])
    result = check_step(d, d.steps[0], PROFILES["ci"])
    assert result.status == "refuted" and list(result.values) == [key]
    at = mpmath.mpf(result.counterexample["x"])
    expected = -at / (1 + at) ** 2  # the gap that must be ≥ 0, at the counterexample: negative
    assert mpmath.almosteq(mpmath.mpf(result.values[key]), expected, rel_eps=1e-12)
