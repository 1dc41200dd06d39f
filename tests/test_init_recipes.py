"""``python -m verify init`` in a throwaway user repository, with this tool installed from the checkout by
pip into a throwaway virtual environment: the scaffold, the CI workflow's commands and the pre-commit
hook's entry run green, then red on a planted error; a user's own package named ``derivations`` is
the one checked (the built-in derivations install as ``verify_derivations``); nothing is overwritten."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import site
import subprocess
import sys
import time
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.test_cache import ROOT
from verify.run.registry import BUILTIN_PACKAGE

yaml = pytest.importorskip("yaml")

#: what ``pip install`` builds this tool from (tests/test_packaging.py checks pyproject.toml lists them all)
SOURCES = ("pyproject.toml", "README.md", "verify", "derivations")
SITE_DIRS = ("site-packages", "dist-packages")  # where the test interpreter's dependencies are installed


def clean_env() -> dict[str, str]:
    """The environment of a user's shell: nothing of this checkout on ``PYTHONPATH``."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VERIFY_CACHE_DIR", "GITHUB_ACTIONS")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


@pytest.fixture(scope="module")
def python(tmp_path_factory) -> Path:
    """The interpreter of a fresh virtual environment in which ``pip install <checkout>`` installed this tool.

    The dependencies (SymPy, NumPy, …, and pip) are the test interpreter's, made visible by a ``.pth``
    line (``--system-site-packages`` would only show the base interpreter's, not this one's), so the
    install needs ``--no-deps`` and no network beyond the configured index for the build backend. The
    checkout is copied first so that the build leaves nothing in it.
    """
    base = tmp_path_factory.mktemp("install")
    checkout = base / "checkout"
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, checkout / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            checkout.mkdir(exist_ok=True)
            shutil.copy2(source, checkout / name)
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    installed = [p for p in dict.fromkeys([*site.getsitepackages(), *sys.path]) if Path(p).name in SITE_DIRS]
    Path(purelib, "test-interpreter.pth").write_text("\n".join(installed) + "\n")
    start = time.perf_counter()
    out = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", str(checkout)],
        capture_output=True,
        text=True,
        env=clean_env(),
        cwd=base,
        timeout=600,
    )
    print(f"pip install of the checkout: {time.perf_counter() - start:.1f} s")
    assert out.returncode == 0, out.stderr
    return python


def sh(repo: Path, command: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, env=clean_env(), cwd=repo, timeout=300)


def published_hooks() -> list[dict]:
    """The hooks this repository offers other repositories (``.pre-commit-hooks.yaml``)."""
    return yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())


def recipe_commands(repo: Path, python: Path) -> list[list[str]]:
    """The workflow's ``run:`` commands that check (installing is the CI machine's business), the
    local pre-commit hook's entry and the published hook's, run by ``python`` (pre-commit runs a
    ``language: python`` hook with its environment's ``python`` first on ``PATH``)."""
    jobs = yaml.safe_load((repo / ".github" / "workflows" / "verify.yml").read_text())["jobs"]
    runs = [s["run"] for job in jobs.values() for s in job["steps"] if "run" in s and "pip install" not in s["run"]]
    hooks = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"]
    entries = [h["entry"] for h in hooks] + [h["entry"] for h in published_hooks()]
    return [shlex.split(c.replace("python ", f"{python} ", 1)) for c in runs + entries]


@pytest.fixture
def repo(tmp_path: Path, python: Path) -> Path:
    """A user's repository whose own derivation package is called ``derivations`` (``init``'s default)."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "my-research"\nversion = "0.1"\n')
    out = sh(tmp_path, [python, "-m", "verify", "init"])
    assert out.returncode == 0, out.stderr
    return tmp_path


def test_the_tool_is_installed_in_the_throwaway_environment_without_a_top_level_derivations(python):
    code = (
        "import importlib.util, verify, verify_derivations; "
        "print(verify.__file__); print(verify_derivations.__file__); print(importlib.util.find_spec('derivations'))"
    )
    out = sh(python.parents[2], [python, "-c", code])
    assert out.returncode == 0, out.stderr
    tool, builtins, derivations = out.stdout.splitlines()
    venv = str(python.parents[1])
    assert tool.startswith(venv) and "site-packages" in tool
    assert builtins.startswith(venv) and builtins.endswith(f"{BUILTIN_PACKAGE}/__init__.py")
    assert derivations == "None"  # nothing installed under the generic name


def test_init_writes_the_scaffold_and_keeps_the_users_pyproject(repo):
    data = tomllib.loads((repo / "pyproject.toml").read_text())
    assert data["project"]["name"] == "my-research"
    assert data["tool"]["verify"] == {"packages": ["derivations"], "profile": "ci"}
    for path in (
        "derivations/__init__.py",
        "derivations/example.py",
        "tests/test_derivations.py",
        ".github/workflows/verify.yml",
        ".pre-commit-config.yaml",
    ):
        assert (repo / path).is_file(), path
    hook = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"][0]
    assert hook["files"] == r"^(derivations/|pyproject\.toml$)" and hook["pass_filenames"] is False


def test_the_recipes_run_green_then_red_on_a_planted_error(repo, python):
    commands = recipe_commands(repo, python)
    assert [c[1:4] for c in commands] == [["-m", "verify", "all"]] * 3
    for command in commands:
        out = sh(repo, command)
        assert out.returncode == 0, (command, out.stdout, out.stderr)
    junit = ET.parse(repo / "verify-junit.xml").getroot()
    assert junit.get("failures") == "0"
    assert [(c.get("classname"), c.get("name")) for c in junit.iter("testcase")] == [
        ("verify.core.example", "log_ratio")
    ]
    tests = sh(repo, [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"])
    assert tests.returncode == 0, tests.stdout

    example = repo / "derivations" / "example.py"
    example.write_text(example.read_text().replace("- beta * sp.log(q)", "+ beta * sp.log(q)"))  # a sign error
    for command in commands:
        out = sh(repo, command)
        assert out.returncode == 1, (command, out.stdout, out.stderr)
        assert "FAILED example::log_ratio (derivations/example.py:" in out.stdout
    assert ET.parse(repo / "verify-junit.xml").getroot().get("failures") == "1"
    tests = sh(repo, [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"])
    assert tests.returncode == 1


def test_a_users_derivations_package_is_checked_and_the_built_ins_never_imported(repo, python):
    """Without ``[tool.verify]`` too: ``verify all``, ``list`` and ``pytest --verify`` check the user's
    ``derivations``; the built-ins stay reachable as ``--package verify_derivations``."""
    (repo / "pyproject.toml").write_text('[project]\nname = "my-research"\nversion = "0.1"\n')
    verify = str(python.parent / "verify")  # the console script, which does not put the directory on sys.path
    probe = (
        "import sys; from verify.cli import main; code = main(['all', '--quiet', '--no-cache']); "
        f"print('built-ins imported:', any(m.split('.')[0] == {BUILTIN_PACKAGE!r} for m in sys.modules)); "
        "sys.exit(code)"
    )
    out = sh(repo, [python, "-c", probe])
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == "built-ins imported: False"
    out = sh(repo, [verify, "all", "--no-cache", "--format", "plain", "--json", "r.json"])
    assert out.returncode == 0, out.stderr
    assert [d["id"] for d in yaml.safe_load((repo / "r.json").read_text())["derivations"]] == ["example"]
    listing = sh(repo, [verify, "list"])
    assert listing.returncode == 0 and "example" in listing.stdout and "z_cancellation" not in listing.stdout
    items = sh(repo, [python, "-m", "pytest", "--verify", "--verify-only", "-p", "no:cacheprovider", "--co", "-q"])
    assert items.returncode == 0, items.stdout
    assert [line for line in items.stdout.splitlines() if "::" in line] == ["example::log_ratio"]
    builtins = sh(repo, [verify, "list", "--package", BUILTIN_PACKAGE])
    assert builtins.returncode == 0 and "z_cancellation" in builtins.stdout


def test_the_published_hook_is_the_init_recipes_hook_for_any_repository(repo):
    """``.pre-commit-hooks.yaml``: the local hook's command in an environment pre-commit installs
    this tool into, run on changes to any Python file or ``pyproject.toml`` (the package name of a
    repository that uses it is not known here)."""
    (published,) = published_hooks()
    (local,) = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"]
    assert published["id"] == local["id"] == "verify"
    assert published["entry"] == local["entry"] == "python -m verify all --quiet"
    assert published["language"] == "python" and local["language"] == "system"
    assert published["pass_filenames"] is local["pass_filenames"] is False
    changed = ["derivations/example.py", "pyproject.toml", "src/mine/losses.py", "README.md", "docs/pyproject.toml"]
    assert [bool(re.search(published["files"], f)) for f in changed] == [True, True, True, False, False]
    assert [bool(re.search(local["files"], f)) for f in changed] == [True, True, False, False, False]


def test_init_never_overwrites(repo, python):
    example = repo / "derivations" / "example.py"
    example.write_text("# mine\n")
    before = {p: p.read_text() for p in repo.rglob("*") if p.is_file()}
    out = sh(repo, [python, "-m", "verify", "init", "--package", "derivations"])
    assert out.returncode == 0
    assert {p: p.read_text() for p in repo.rglob("*") if p.is_file()} == before
    assert "kept" in out.stderr and "example.py (exists)" in out.stderr


@pytest.mark.parametrize("name", ["my-derivations", "class", "../x"])
def test_init_refuses_a_package_that_is_not_a_python_name(tmp_path, name):
    out = sh(tmp_path, [sys.executable, "-m", "verify", "init", "--package", name])
    assert out.returncode == 2
    assert out.stderr == f"verify: --package {name!r} is not a Python package name, e.g. my_derivations\n"
    assert list(tmp_path.iterdir()) == []
