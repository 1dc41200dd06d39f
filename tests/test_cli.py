"""Command line: exit codes, one-line errors, the JSON contract, broken user input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import CORE_IDS
from verify.cli import main

ROOT = Path(__file__).resolve().parents[1]


def cli(*args: str, cwd: Path | None = None, pythonpath: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    paths = [str(ROOT)] + ([str(pythonpath)] if pythonpath else [])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return subprocess.run(
        [sys.executable, "-m", "verify", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd or ROOT,
        timeout=600,
    )


def test_list_shows_the_seven_core_derivations():
    out = cli("list")
    assert out.returncode == 0, out.stderr
    for ident in CORE_IDS:
        assert ident in out.stdout


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["check", "no_such_derivation"], "unknown derivation id(s): no_such_derivation"),
        (["all", "--profile", "nightly"], "invalid choice: 'nightly'"),
        (["all", "--jobs", "0"], "--jobs=0 must be at least 1"),
        ([], "a command is required"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args, fragment):
    out = cli(*args)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], out.stderr
    assert "Traceback" not in out.stderr


def test_json_follows_the_documented_schema(tmp_path):
    path = tmp_path / "r.json"
    out = cli("check", "reward_inversion", "--json", str(path), "--quiet")
    assert out.returncode == 0, out.stderr
    data = json.loads(path.read_text())
    assert data["schema"] == 1 and data["tool_version"] == "0.1.0"
    assert set(data["summary"]) >= {
        "derivations",
        "steps",
        "proved",
        "confirmed",
        "refuted",
        "error",
        "timeout",
        "failed",
        "seconds",
    }
    d = data["derivations"][0]
    assert d["id"] == "reward_inversion" and d["kind"] == "core"
    assert d["source"] == {"document": "002_f78c1e248fe2f82e.txt", "location": "(d)"}
    step = d["steps"][0]
    assert set(step) >= {
        "id",
        "source",
        "uses",
        "claim_latex",
        "justification",
        "expected",
        "status",
        "failed",
        "method",
        "samples",
        "max_rel_error",
        "counterexample",
        "correction_latex",
        "reason",
        "seconds",
    }
    assert data["summary"]["steps"] == len(d["steps"]) == data["summary"]["proved"]


def test_json_to_stdout_is_pure_json():
    out = cli("check", "reward_inversion", "--json", "-")
    assert out.returncode == 0
    assert json.loads(out.stdout)["summary"]["derivations"] == 1


def test_unwritable_json_path_is_a_usage_error(tmp_path):
    out = cli("check", "reward_inversion", "--json", str(tmp_path / "missing" / "r.json"), "--quiet")
    assert out.returncode == 2 and "cannot write --json" in out.stderr


def _package(tmp_path: Path, name: str, modules: dict[str, str]) -> Path:
    pkg = tmp_path / name
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for mod, src in modules.items():
        (pkg / f"{mod}.py").write_text(textwrap.dedent(src))
    return tmp_path


GOOD = """
    import sympy as sp
    from verify import Derivation, Equal, Source, Step, var
    from verify.domains import POSITIVE, REAL
    x = var("cli_x", REAL, "x")
    p = var("cli_p", POSITIVE, "p")
    derivation = Derivation(
        id="{ident}", title="t", source=Source("doc.txt", "(1)"),
        steps=[Step("claim", Equal({lhs}, {rhs}), "j", expected="{expected}")],
    )
"""


@pytest.mark.parametrize(
    "lhs, rhs, expected, code",
    [
        ("sp.log(p**2)", "2*sp.log(p)", "holds", 0),
        ("(x + 1)**2", "x**2 + 1", "holds", 1),  # a dropped cross term: refuted, a failure
        ("(x + 1)**2", "x**2 + 1", "refuted", 0),  # documented error, caught as expected
        ("(x + 1)**2", "x**2 + 2*x + 1", "refuted", 1),  # a documented error no longer caught
    ],
)
def test_exit_code_follows_expectations(tmp_path, lhs, rhs, expected, code):
    root = _package(tmp_path, "userpkg", {"mod": GOOD.format(ident="mine", lhs=lhs, rhs=rhs, expected=expected)})
    out = cli("all", "--package", "userpkg", "--json", "-", pythonpath=root)
    assert out.returncode == code, out.stderr
    step = json.loads(out.stdout)["derivations"][0]["steps"][0]
    assert step["failed"] is bool(code)


def test_broken_modules_are_reported_not_raised(tmp_path):
    root = _package(
        tmp_path,
        "brokenpkg",
        {
            "raises": "raise RuntimeError('boom at import')\n",
            "malformed": """
                from verify import Derivation, Equal, Source, Step
                derivation = Derivation(id="bad", title="t", source=Source("d", "l"),
                                        steps=[Step("Not Snake", Equal(1, 1))])
            """,
            "ok": GOOD.format(ident="fine", lhs="sp.log(p**2)", rhs="2*sp.log(p)", expected="holds"),
        },
    )
    out = cli("all", "--package", "brokenpkg", "--json", "-", pythonpath=root)
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert any("brokenpkg.raises" in ln and "RuntimeError: boom at import" in ln for ln in lines)
    assert any("brokenpkg.malformed" in ln and "'Not Snake'" in ln for ln in lines)
    data = json.loads(out.stdout)
    statuses = {d["id"]: d["steps"][0]["status"] for d in data["derivations"]}
    assert statuses == {"raises": "error", "malformed": "error", "fine": "proved"}


def test_missing_package_is_a_usage_error():
    out = cli("all", "--package", "no_such_pkg_xyz")
    assert out.returncode == 2 and "no_such_pkg_xyz" in out.stderr


@pytest.mark.parametrize(
    ("package", "message"),
    [
        ("../x", "is a path, not an import name"),
        (".", "is a path, not an import name"),
        ("derivations/core.py", "is a path, not an import name"),
        ("", "is empty; give the import name of a derivation package"),
        ("my-derivations", "is not a Python package name"),
        ("class", "is not a Python package name"),
    ],
)
@pytest.mark.parametrize("command", ["all", "list"])
def test_a_package_given_as_a_path_or_a_non_name_is_a_usage_error(capsys, package, message, command) -> None:
    assert main([command, "--package", package]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"verify: --package {package!r} {message}") and err.count("\n") == 1


EXIT_PROBE = """
import atexit, gc, runpy, sys
atexit.register(lambda: print("FROZEN AT EXIT", gc.get_freeze_count() > 0, file=sys.stderr))
sys.argv = ["verify", *sys.argv[1:]]
runpy.run_module("verify", run_name="__main__")
"""


@pytest.mark.parametrize("args, code", [(["list"], 0), (["check", "no_such_derivation"], 2)])
def test_the_command_ends_with_its_heap_frozen_and_its_exit_handlers_and_output_intact(args, code):
    # the interpreter's finalisation collects over the whole heap unless it is frozen; freezing it
    # must not cost the exit code, the output or the exit handlers
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run(
        [sys.executable, "-c", EXIT_PROBE, *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=600
    )
    assert out.returncode == code, out.stderr
    assert "FROZEN AT EXIT True" in out.stderr
    if code == 0:
        assert all(ident in out.stdout for ident in CORE_IDS)
    else:
        assert "no_such_derivation" in out.stderr


def test_the_installed_command_is_the_one_that_freezes_its_heap_at_exit(monkeypatch):
    import gc
    import tomllib

    from verify import cli as module

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["verify"] == "verify.cli:command"
    called = []
    monkeypatch.setattr(module, "main", lambda argv=None: called.append(argv) or 3)
    gc.unfreeze()  # nothing in this process keeps objects frozen between tests
    try:
        assert module.command() == 3 and called == [None]  # main's exit code, for the command's argv
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


ODD_LITERALS_FIRST = """
import runpy, sys
import odd_literals  # a user's helper module full of literals, loaded before the check
sys.argv = ["verify", *sys.argv[1:]]
runpy.run_module("verify", run_name="__main__")
"""


def test_a_derivation_checked_alone_gives_the_results_of_the_full_run(all_run, tmp_path):
    # the session's run checked every derivation in a process that had loaded the whole engine, the
    # tests and every derivation module; `check ID` here runs in a fresh process that has also loaded
    # a helper module full of literals. A step's search depends on its claim alone, so the numbers
    # agree, not only the statuses
    import random

    rng = random.Random(3)
    values = [round(rng.uniform(-4, 4), 6) for _ in range(500)] + [rng.randint(-900, 900) for _ in range(200)]
    (tmp_path / "odd_literals.py").write_text(f"VALUES = {values!r}\n")
    out_json = tmp_path / "one.json"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(tmp_path)]))
    args = ["check", "audit_dpo_mixture", "--no-diagnosis", "--no-cache", "--quiet", "--json", str(out_json)]
    out = subprocess.run(
        [sys.executable, "-c", ODD_LITERALS_FIRST, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    (alone,) = json.loads(out_json.read_text())["derivations"]
    (full,) = [d for d in all_run.derivations if d.id == "audit_dpo_mixture"]
    fields = ("status", "method", "samples", "max_rel_error", "counterexample", "values")
    got = {s["id"]: tuple(s[f] for f in fields) for s in alone["steps"]}
    want = {s.id: tuple(getattr(s, f) for f in fields) for s in full.steps}
    assert got == want
    assert any(v[0] == "refuted" and v[4] for v in want.values())  # counterexamples were compared
