"""``[tool.verify]`` in a user's ``pyproject.toml``: read by the command line and ``pytest --verify``;
the command line wins; every mistake is one line naming the file and the key."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_cache import BETA, FALSE_LOG, ROOT, make_package
from verify.config import Config, apply_config, load_config, parse
from verify.errors import UsageError


def project(tmp_path: Path, table: str) -> Path:
    make_package(tmp_path, beta=BETA, false_log=FALSE_LOG)
    (tmp_path / "pyproject.toml").write_text(f'[project]\nname = "mine"\n\n[tool.verify]\n{table}\n')
    return tmp_path


def run(cwd: Path, *args: str, command: tuple[str, ...] = ("-m", "verify")) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)  # the project's own package is found from its pyproject.toml
    env.pop("VERIFY_CACHE_DIR", None)
    return subprocess.run(
        [sys.executable, *command, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300
    )


def test_the_configured_packages_are_checked_without_package(tmp_path):
    root = project(tmp_path, 'packages = ["tinypkg"]\ncache-dir = "build/verdicts"')
    sub = root / "docs"
    sub.mkdir()
    out = run(sub, "all", "--quiet", "--json", "r.json")  # found from a subdirectory too
    assert out.returncode == 1, out.stderr
    data = json.loads((sub / "r.json").read_text())
    assert sorted(d["id"] for d in data["derivations"]) == ["beta", "falselog"]
    assert (root / "build" / "verdicts").is_dir()  # relative to the pyproject.toml


def test_the_command_line_wins_over_the_file(tmp_path):
    project(tmp_path, 'packages = ["no_such_package"]\nprofile = "thorough"')
    out = run(tmp_path, "check", "beta", "--package", "tinypkg", "--profile", "ci", "--quiet", "--json", "r.json")
    assert out.returncode == 0, out.stderr
    assert json.loads((tmp_path / "r.json").read_text())["profile"] == "ci"


def test_list_and_pytest_verify_read_the_file(tmp_path):
    project(tmp_path, 'packages = ["tinypkg"]')
    listing = run(tmp_path, "list")
    assert listing.returncode == 0 and "falselog" in listing.stdout and "beta" in listing.stdout
    out = run(tmp_path, "--verify", "-q", "-p", "no:cacheprovider", command=("-m", "pytest"))
    assert out.returncode == 1, out.stdout + out.stderr
    assert "1 failed, 1 passed" in out.stdout


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            'pakages = ["x"]',
            "[tool.verify] pakages is not a setting (known: cache-dir, diagnosis, format, jobs, packages",
        ),
        ("packages = 3", "[tool.verify] packages must be a list of package names"),
        ('profile = "fast"', "[tool.verify] profile = 'fast' is not one of ci, thorough"),
        ("jobs = 0", "[tool.verify] jobs = 0 must be a whole number ≥ 1"),
        ("jobs = true", "[tool.verify] jobs = True must be a whole number ≥ 1"),
        ("step-timeout = -1", "[tool.verify] step-timeout = -1 must be a number of seconds ≥ 0"),
        ('format = "html"', "[tool.verify] format = 'html' is not one of auto, table, plain"),
        ("packages = [", "not valid TOML"),
    ],
)
def test_a_mistake_in_the_file_is_one_line_naming_it(tmp_path, table, message):
    project(tmp_path, table)
    out = run(tmp_path, "all")
    assert out.returncode == 2
    assert out.stderr.startswith(f"verify: {tmp_path / 'pyproject.toml'}: ") and message in out.stderr
    assert out.stderr.count("\n") == 1


def test_no_pyproject_or_no_table_is_an_empty_config(tmp_path):
    assert load_config(tmp_path) in (Config(), Config(path=load_config(tmp_path).path))
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert load_config(tmp_path) == Config(path=tmp_path / "pyproject.toml")


def test_apply_config_fills_only_what_the_command_line_left_out(tmp_path):
    class Args:
        package = None
        profile = "ci"
        jobs = 2
        cache_dir = None
        step_timeout = None
        format = "auto"

    config = Config(path=tmp_path / "pyproject.toml", packages=("mine",), profile="thorough", jobs=1, format="plain")
    args = Args()
    apply_config(args, ["all", "--jobs", "2"], config)
    assert (args.package, args.profile, args.jobs, args.format) == (["mine"], "thorough", 2, "plain")


def test_without_a_package_the_built_in_examples_are_never_checked_in_a_users_project(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "mine"\n')
    out = run(tmp_path, "all")
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.startswith(
        'verify: no derivation package to check: add `[tool.verify] packages = ["my_derivations"]` to '
        "pyproject.toml or pass --package NAME (the package 'derivations' importable here is not this project's"
    )
    assert out.stderr.rstrip().endswith("this tool's own derivations: --package verify_derivations)")
    asked = run(tmp_path, "list", "--package", "derivations")  # asked for: allowed
    assert asked.returncode == 0 and "z_cancellation" in asked.stdout
    builtins = run(tmp_path, "list", "--package", "verify_derivations")  # the built-ins by their installed name
    assert builtins.returncode == 0 and "z_cancellation" in builtins.stdout


def test_a_users_own_derivations_package_is_the_default(tmp_path):
    own = tmp_path / "derivations"
    own.mkdir()
    (own / "__init__.py").write_text("")
    (own / "beta.py").write_text(BETA)
    out = run(tmp_path, "all", "--quiet", "--json", "r.json")
    assert out.returncode == 0, out.stderr
    assert [d["id"] for d in json.loads((tmp_path / "r.json").read_text())["derivations"]] == ["beta"]


def test_diagnosis_false_in_the_file_turns_the_diagnosis_off_unless_the_command_line_says(tmp_path):
    config = parse(tmp_path / "pyproject.toml", {"diagnosis": False})
    assert config.diagnosis is False

    class Args:
        no_diagnosis = False

    args = Args()
    apply_config(args, ["all"], config)
    assert args.no_diagnosis is True
    with pytest.raises(UsageError, match="diagnosis = 'yes' must be true or false"):
        parse(tmp_path / "pyproject.toml", {"diagnosis": "yes"})
