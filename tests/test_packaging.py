"""How this tool installs: the repository's ``derivations/`` folder becomes ``verify_derivations``, never a
top-level ``derivations`` that would collide with a user's package of that name."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.test_cache import ROOT
from verify.run.registry import BUILTIN_PACKAGE, builtin_package


def _setuptools() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def _packages_under(folder: Path, name: str) -> set[str]:
    return {
        ".".join([name, *init.parent.relative_to(folder).parts])
        for init in folder.rglob("__init__.py")
        if "__pycache__" not in init.parts
    }


def test_every_package_folder_is_installed_and_the_derivations_under_this_projects_name():
    config = _setuptools()
    assert config["package-dir"] == {BUILTIN_PACKAGE: "derivations"}
    expected = _packages_under(ROOT / "verify", "verify") | _packages_under(ROOT / "derivations", BUILTIN_PACKAGE)
    assert sorted(config["packages"]) == sorted(expected)
    assert not any(p == "derivations" or p.startswith("derivations.") for p in config["packages"])
    assert config["package-data"][BUILTIN_PACKAGE] == ["audits/sources/*.txt"]  # the audited documents


def test_the_built_in_modules_import_each_other_relatively():
    """An absolute ``derivations`` import would, once installed, import a user's package of that name."""
    offending = []
    for path in (ROOT / "derivations").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and node.level == 0
                else []
            )
            offending += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] == "derivations"]
    assert offending == []


def test_the_built_ins_are_the_checkouts_folder_here_and_the_installed_package_elsewhere(tmp_path):
    assert builtin_package() == "derivations"  # the suite runs from the checkout's root
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    code = "from verify.run.registry import builtin_package; print(builtin_package())"
    (tmp_path / "derivations").mkdir()  # a user's own package of the same name
    (tmp_path / "derivations" / "__init__.py").write_text("")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == BUILTIN_PACKAGE
