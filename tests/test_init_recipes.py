"""``python -m verify init`` in a throwaway user repository: the scaffold, the CI workflow's commands
and the pre-commit hook's entry run green, then red on a planted error; nothing is overwritten."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.test_cache import ROOT

yaml = pytest.importorskip("yaml")


def sh(repo: Path, command: list[str]) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)  # this tool as installed; the user's package is found from pyproject.toml
    env.pop("VERIFY_CACHE_DIR", None)
    env.pop("GITHUB_ACTIONS", None)
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=repo, timeout=300)


def recipe_commands(repo: Path) -> list[list[str]]:
    """The workflow's ``run:`` commands that check (installing is the CI machine's business), and
    the pre-commit hook's entry."""
    jobs = yaml.safe_load((repo / ".github" / "workflows" / "verify.yml").read_text())["jobs"]
    runs = [s["run"] for job in jobs.values() for s in job["steps"] if "run" in s and "pip install" not in s["run"]]
    hooks = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"]
    entries = [h["entry"] for h in hooks]
    return [shlex.split(c.replace("python ", f"{sys.executable} ", 1)) for c in runs + entries]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "my-research"\nversion = "0.1"\n')
    out = sh(tmp_path, [sys.executable, "-m", "verify", "init", "--package", "my_derivations"])
    assert out.returncode == 0, out.stderr
    return tmp_path


def test_init_writes_the_scaffold_and_keeps_the_users_pyproject(repo):
    data = tomllib.loads((repo / "pyproject.toml").read_text())
    assert data["project"]["name"] == "my-research"
    assert data["tool"]["verify"] == {"packages": ["my_derivations"], "profile": "ci"}
    for path in (
        "my_derivations/__init__.py",
        "my_derivations/example.py",
        "tests/test_derivations.py",
        ".github/workflows/verify.yml",
        ".pre-commit-config.yaml",
    ):
        assert (repo / path).is_file(), path
    hook = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"][0]
    assert hook["files"] == r"^(my_derivations/|pyproject\.toml$)" and hook["pass_filenames"] is False


def test_the_recipes_run_green_then_red_on_a_planted_error(repo):
    commands = recipe_commands(repo)
    assert [c[1:4] for c in commands] == [["-m", "verify", "all"], ["-m", "verify", "all"]]
    for command in commands:
        out = sh(repo, command)
        assert out.returncode == 0, (command, out.stdout, out.stderr)
    assert ET.parse(repo / "verify-junit.xml").getroot().get("failures") == "0"
    tests = sh(repo, [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"])
    assert tests.returncode == 0, tests.stdout

    example = repo / "my_derivations" / "example.py"
    example.write_text(example.read_text().replace("- beta * sp.log(q)", "+ beta * sp.log(q)"))  # a sign error
    for command in commands:
        out = sh(repo, command)
        assert out.returncode == 1, (command, out.stdout, out.stderr)
        assert "FAILED example::log_ratio (my_derivations/example.py:" in out.stdout
    assert ET.parse(repo / "verify-junit.xml").getroot().get("failures") == "1"
    tests = sh(repo, [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"])
    assert tests.returncode == 1


def test_init_never_overwrites(repo):
    example = repo / "my_derivations" / "example.py"
    example.write_text("# mine\n")
    before = {p: p.read_text() for p in repo.rglob("*") if p.is_file()}
    out = sh(repo, [sys.executable, "-m", "verify", "init", "--package", "my_derivations"])
    assert out.returncode == 0
    assert {p: p.read_text() for p in repo.rglob("*") if p.is_file()} == before
    assert "kept" in out.stderr and "example.py (exists)" in out.stderr


@pytest.mark.parametrize("name", ["my-derivations", "class", "../x"])
def test_init_refuses_a_package_that_is_not_a_python_name(tmp_path, name):
    out = sh(tmp_path, [sys.executable, "-m", "verify", "init", "--package", name])
    assert out.returncode == 2
    assert out.stderr == f"verify: --package {name!r} is not a Python package name, e.g. my_derivations\n"
    assert list(tmp_path.iterdir()) == []
