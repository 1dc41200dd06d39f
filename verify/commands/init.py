"""``python -m verify init``: scaffold derivation checking into a user's repository.

Writes, in the working directory (the repository's root), only files that do not exist yet:

- ``PACKAGE/__init__.py`` and ``PACKAGE/example.py``: a derivation package with one checked step;
- ``tests/test_derivations.py``: a test that fails when a step does not hold as expected;
- ``[tool.verify]`` in ``pyproject.toml`` (the file is created, or the table appended);
- ``.github/workflows/verify.yml``: a GitHub Actions job that installs this tool and checks;
- ``.pre-commit-config.yaml``: a local hook that checks when the package or the config changes.

An existing file is never overwritten: it is listed as kept, with what it would have held
printed for the user to merge. Exit 0, or 2 for a package name that is not a Python name.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

from verify.errors import UsageError
from verify.run.registry import is_package_name

HELP = "scaffold a derivation package, a test, [tool.verify], a GitHub workflow and a pre-commit hook"

EXAMPLE = '''"""An example derivation: each step is a claim checked symbolically and numerically."""

import sympy as sp

from verify import Derivation, Equal, Source, Step, var
from verify.domains import POSITIVE

beta = var("beta", POSITIVE, latex=r"\\beta")
p = var("p", POSITIVE)
q = var("q", POSITIVE)

derivation = Derivation(
    id="example",
    title="the log-ratio of two policies",
    source=Source("notes.md", "eq. (1)"),
    steps=[
        Step(
            "log_ratio",
            Equal(beta * sp.log(p / q), beta * sp.log(p) - beta * sp.log(q)),
            "the log of a quotient",
        ),
    ],
)
'''

TEST = '''"""Every derivation step holds as expected (``python -m verify all`` in the test suite)."""

from verify.cli import main


def test_every_derivation_step_holds_as_expected():
    assert main(["all", "--quiet", "--no-cache", "--format", "plain"]) == 0
'''


def workflow(install: str, python: str) -> str:
    """A GitHub Actions job that installs this tool (``install``) and checks the configured packages."""
    return f"""name: verify
on: [push, pull_request]
jobs:
  derivations:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "{python}"
      - run: python -m pip install "{install}"
      - run: python -m verify all --junit verify-junit.xml
      - if: always()
        uses: actions/upload-artifact@v4
        with:
          name: verify-junit
          path: verify-junit.xml
"""


def pre_commit(package: str) -> str:
    """A local pre-commit hook (this tool must be installed in the environment that runs it)."""
    return f"""repos:
  - repo: local
    hooks:
      - id: verify
        name: verify derivations
        entry: python -m verify all --quiet
        language: system
        pass_filenames: false
        files: ^({package.replace(".", "/")}/|pyproject\\.toml$)
"""


def tool_table(package: str) -> str:
    return f'[tool.verify]\npackages = ["{package}"]\nprofile = "ci"\n'


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--package",
        default="derivations",
        metavar="NAME",
        help="the derivation package to create (default: derivations; this tool's own install as verify_derivations)",
    )
    parser.add_argument(
        "--install",
        default="verify-po",
        metavar="SPEC",
        help="what the CI workflow installs this tool from (a requirement, a URL such as git+https://…)",
    )
    parser.add_argument("--python", default="3.11", metavar="X.Y", help="the CI workflow's Python version")


def _write(path: Path, text: str, written: list[str], kept: list[tuple[str, str]]) -> None:
    if path.exists():
        kept.append((str(path), text))
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    written.append(str(path))


def _pyproject(root: Path, package: str, written: list[str], kept: list[tuple[str, str]]) -> None:
    path = root / "pyproject.toml"
    table = tool_table(package)
    if not path.exists():
        _write(path, table, written, kept)
        return
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not valid TOML ({exc}); fix it before adding [tool.verify]") from None
    if "verify" in data.get("tool", {}):
        kept.append((f"{path} [tool.verify]", table))
        return
    with path.open("a", encoding="utf-8") as fh:
        fh.write("\n" + table)
    written.append(f"{path} [tool.verify]")


def run(args: argparse.Namespace) -> int:
    package = args.package
    if not is_package_name(package):
        raise UsageError(f"--package {package!r} is not a Python package name, e.g. my_derivations")
    root = Path.cwd()
    written: list[str] = []
    kept: list[tuple[str, str]] = []
    directory = root.joinpath(*package.split("."))
    _write(directory / "__init__.py", "", written, kept)
    _write(directory / "example.py", EXAMPLE, written, kept)
    _write(root / "tests" / "test_derivations.py", TEST, written, kept)
    _pyproject(root, package, written, kept)
    _write(root / ".github" / "workflows" / "verify.yml", workflow(args.install, args.python), written, kept)
    _write(root / ".pre-commit-config.yaml", pre_commit(package), written, kept)
    for path in written:
        print(f"wrote {path}")
    for path, text in kept:
        print(f"kept {path} (exists); merge this into it:", file=sys.stderr)
        print("    " + text.rstrip("\n").replace("\n", "\n    "), file=sys.stderr)
    print("next: python -m verify all   (and: pytest, pre-commit install)")
    return 0
