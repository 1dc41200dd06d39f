"""pytest plugin: every derivation step as a test item (``pytest --verify``).

Registered through the ``pytest11`` entry point, so installing ``verify-po`` is enough. Off by
default: without ``--verify`` nothing is collected and nothing heavy is imported. With it, each
step of every derivation in the configured packages becomes an item named
``derivation_id::step_id`` that passes when its status matches its expectation; selection
(``-k``), reporting, ``--junitxml`` and pytest-xdist (``-n auto``) work as for any test.

Options: ``--verify``, ``--verify-only`` (drop the ordinary test items), ``--verify-package NAME``
(repeatable; or the ini option ``verify_packages``; default ``derivations``), ``--verify-profile ci|thorough`` and
``--verify-step-timeout SECONDS`` (hard limit per step; each step is checked in a child process
that is stopped at the limit), ``--verify-no-diagnosis`` (no repair hints or assumption ledgers;
also ``[tool.verify] diagnosis = false``). Items always check for real: the verdict cache is not used.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

PROFILE_NAMES = ("ci", "thorough")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("verify", "derivation checking (verify)")
    group.addoption("--verify", action="store_true", help="collect every derivation step as a test item")
    group.addoption(
        "--verify-package",
        action="append",
        metavar="NAME",
        help="check the derivations of this package (repeatable; default: ini verify_packages, else derivations)",
    )
    group.addoption(
        "--verify-only", action="store_true", help="with --verify: run the derivation steps only, not the test files"
    )
    group.addoption("--verify-profile", choices=PROFILE_NAMES, default="ci", help="fuzzing profile (default: ci)")
    group.addoption(
        "--verify-step-timeout",
        type=float,
        metavar="SECONDS",
        help="hard wall-clock limit per step (default: as `python -m verify`; 0 for none)",
    )
    group.addoption(
        "--verify-no-diagnosis",
        action="store_true",
        help="no repair hints or assumption ledgers (also [tool.verify] diagnosis = false)",
    )
    parser.addini("verify_packages", type="args", help="packages whose derivations `pytest --verify` checks")


#: ``[tool.verify] diagnosis`` of the project, read at collection
DIAGNOSIS = pytest.StashKey[bool | None]()


class VerifyFailure(Exception):
    """A step whose status contradicts its expectation."""


class StepItem(pytest.Item):
    """One derivation step; passes when its checked status matches its expectation."""

    def __init__(self, *, derivation: Any, step: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.derivation = derivation
        self.step = step
        self.extra_keyword_matches.update({derivation.id, derivation.kind})

    def runtest(self) -> None:
        from verify.profiles import PROFILES, default_step_timeout
        from verify.run.runner import check_steps

        profile = PROFILES[self.config.getoption("verify_profile")]
        if self.config.getoption("verify_no_diagnosis") or self.config.stash.get(DIAGNOSIS, None) is False:
            profile = replace(profile, diagnose=False)
        limit = self.config.getoption("verify_step_timeout")
        if limit is None:
            limit = default_step_timeout(profile)
        ((_, (result, _, _)),) = list(check_steps([(self.derivation, self.step)], profile, 1, limit or None))
        self.user_properties.append(("status", result.status))
        if result.failed:
            raise VerifyFailure(_describe(result))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, VerifyFailure):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo, style))

    def reportinfo(self) -> tuple[Path | str, int | None, str]:
        """The step's ``Step(...)`` call: its file and (0-based, as pytest counts) line."""
        if self.step.defined_at is not None:
            path, line = self.step.defined_at
            return Path(path), line - 1, self.nodeid
        import sys

        from verify.run.cache import defining_module

        module = sys.modules.get(defining_module(self.derivation) or "")
        path = getattr(module, "__file__", None)
        return Path(path) if path else self.derivation.id, None, self.nodeid


class LoadErrorItem(pytest.Item):
    """A derivation module that could not be loaded: one failing item."""

    def __init__(self, *, reason: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.reason = reason

    def runtest(self) -> None:
        raise VerifyFailure(f"module does not load: {self.reason}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        return str(excinfo.value)

    def reportinfo(self) -> tuple[str, int | None, str]:
        return self.name, None, self.nodeid


def _describe(result: Any) -> str:
    lines = [f"{result.status} (expected {result.expected})"]
    if result.reason:
        lines.append(f"reason: {result.reason}")
    if result.counterexample:
        from verify.render._report import display_point

        lines.append(f"counterexample: {display_point(result, limit=len(result.counterexample))}")
    if result.values:
        lines.append("values: " + ", ".join(f"{k} = {v}" for k, v in result.values.items()))
    if result.diagnosis:
        lines.append(f"diagnosis: {result.diagnosis}")
    from verify.render._report import hint_lines

    lines.extend(f"hint: {h}" for h in hint_lines(result))
    return "\n".join(lines)


@pytest.hookimpl(tryfirst=True)  # before -k/-m deselection
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("verify"):
        return
    from verify.config import importable, load_config
    from verify.errors import UsageError
    from verify.run.registry import default_packages, load

    try:
        project = load_config(Path(str(config.rootpath)))
        config.stash[DIAGNOSIS] = project.diagnosis
        packages = config.getoption("verify_package") or config.getini("verify_packages")
        if not packages and project.packages:
            packages = list(project.packages)
            importable(project)
        packages = packages or default_packages(Path(str(config.rootpath)))
        registry = load(list(packages))
    except UsageError as exc:
        raise pytest.UsageError(str(exc)) from None
    if config.getoption("verify_only"):
        items.clear()
    for error in registry.errors:
        items.append(LoadErrorItem.from_parent(session, name=error.module, nodeid=error.module, reason=error.reason))
    for d in registry.derivations.values():
        for s in d.steps:
            items.append(StepItem.from_parent(session, name=s.id, nodeid=f"{d.id}::{s.id}", derivation=d, step=s))
