"""Discovery: import every module of the derivation packages and collect their derivations.

A module contributes ``derivation`` (one :class:`~verify.model.Derivation`) or
``DERIVATIONS`` (a list). A module that fails to import, or defines a malformed derivation,
becomes a :class:`LoadError` with a one-line reason; it never stops the others from loading.
"""

from __future__ import annotations

import importlib
import keyword
import pkgutil
import traceback
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from verify.errors import UsageError
from verify.run.interrupts import USER_EXITS, from_user

if TYPE_CHECKING:
    from verify.model import Derivation

DEFAULT_PACKAGES = ("derivations",)


@dataclass(frozen=True)
class LoadError:
    module: str
    reason: str


@dataclass
class Registry:
    derivations: dict[str, Derivation] = field(default_factory=dict)
    errors: list[LoadError] = field(default_factory=list)

    def select(self, ids: list[str] | None = None, kinds: list[str] | None = None) -> list[Derivation]:
        """The derivations with these ids (in the given order) or kinds; unknown ids → UsageError."""
        listing = {i: d.kind for i, d in self.derivations.items()}
        return [self.derivations[i] for i in select_ids(listing, ids, kinds)]


def select_ids(listing: dict[str, str], ids: list[str] | None, kinds: list[str] | None) -> list[str]:
    """The ids of ``listing`` (id → kind, registry order) chosen by ``ids`` (in that order) and ``kinds``."""
    if ids:
        unknown = [i for i in ids if i not in listing]
        if unknown:
            known = ", ".join(sorted(listing)) or "none"
            raise UsageError(f"unknown derivation id(s): {', '.join(unknown)} (known: {known})")
        chosen = list(ids)
    else:
        chosen = list(listing)
    return [i for i in chosen if not kinds or listing[i] in kinds]


def _one_line(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" ({frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}{where}" if text else f"{type(exc).__name__}{where}"


def _module_names(package: str) -> list[str]:
    pkg = importlib.import_module(package)
    names = [package]
    if hasattr(pkg, "__path__"):
        for info in pkgutil.walk_packages(pkg.__path__, prefix=package + "."):
            if not info.name.rsplit(".", 1)[-1].startswith("_"):
                names.append(info.name)
    return names


def _check_package_name(package: str) -> None:
    """A package is named as Python imports it (``my_derivations.losses``), never by a path."""
    if not package.strip():
        raise UsageError("--package '' is empty; give the import name of a derivation package, e.g. my_derivations")
    if "/" in package or "\\" in package or package.endswith(".py") or package.startswith("."):
        raise UsageError(
            f"--package {package!r} is a path, not an import name: give the package's name "
            "(e.g. my_derivations) and run from the directory that holds it"
        )
    if not all(p.isidentifier() and not keyword.iskeyword(p) for p in package.split(".")):
        raise UsageError(f"--package {package!r} is not a Python package name, e.g. my_derivations")


def load(packages: tuple[str, ...] | list[str] = DEFAULT_PACKAGES) -> Registry:
    """Import every module under ``packages`` and register the derivations they define."""
    from verify.model import Derivation

    reg = Registry()
    for package in packages:
        _check_package_name(package)
        try:
            names = _module_names(package)
        except ModuleNotFoundError:
            raise UsageError(
                f"derivation package {package!r} cannot be imported; is it installed or on PYTHONPATH?"
            ) from None
        except USER_EXITS as exc:
            if not from_user(exc):
                raise
            reg.errors.append(LoadError(package, _one_line(exc)))
            continue
        for name in names:
            try:
                module = importlib.import_module(name)
            except USER_EXITS as exc:  # a module's own sys.exit() is its load error, not the run's end
                if not from_user(exc):
                    raise
                reg.errors.append(LoadError(name, _one_line(exc)))
                continue
            found = []
            if isinstance(getattr(module, "derivation", None), Derivation):
                found.append(module.derivation)
            found.extend(d for d in getattr(module, "DERIVATIONS", []) if isinstance(d, Derivation))
            for d in found:
                if d.id in reg.derivations:
                    reg.errors.append(LoadError(name, f"derivation id {d.id!r} is defined twice"))
                    continue
                reg.derivations[d.id] = d
    return reg
