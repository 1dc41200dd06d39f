"""Discovery: import every module of the derivation packages and collect their derivations.

A module contributes ``derivation`` (one :class:`~verify.model.Derivation`) or
``DERIVATIONS`` (a list). A module that fails to import, or defines a malformed derivation,
becomes a :class:`LoadError` with a one-line reason; it never stops the others from loading.
"""

from __future__ import annotations

import importlib
import importlib.util
import keyword
import os
import pkgutil
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from verify.errors import UsageError
from verify.run.interrupts import USER_EXITS, from_user

if TYPE_CHECKING:
    from verify.model import Derivation

DEFAULT_PACKAGES = ("derivations",)
#: the import name of the repository's ``derivations/`` folder once installed (``pip install``)
BUILTIN_PACKAGE = "verify_derivations"


@dataclass(frozen=True)
class LoadError:
    module: str
    reason: str
    where: tuple[str, int] | None = None  # the user's file and line that raised, where known


@dataclass
class Registry:
    derivations: dict[str, Derivation] = field(default_factory=dict)
    errors: list[LoadError] = field(default_factory=list)
    #: every module imported (in order) → the ids of the derivations it registered
    modules: dict[str, list[str]] = field(default_factory=dict)
    #: the data files read while the modules were imported, path → sha256 (verify/run/reads.py):
    #: any of their claims may be built from any of them (a helper module is imported once)
    reads: dict[str, str] = field(default_factory=dict)

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


def _user_frame(exc: BaseException) -> tuple[str, int] | None:
    """The innermost frame of the traceback in the user's code (not this package, not importlib)."""
    frames = traceback.extract_tb(exc.__traceback__)
    own = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
    for frame in reversed(frames):
        if not frame.filename.startswith(own) and not frame.filename.startswith("<"):
            return frame.filename, frame.lineno or 0
    return (frames[-1].filename, frames[-1].lineno or 0) if frames else None


def _one_line(exc: BaseException) -> str:
    """``Type: first line of the message (file:line)``, the line being the user's, where there is one."""
    at = _user_frame(exc)
    where = f" ({at[0]}:{at[1]})" if at else ""
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


def is_package_name(name: str) -> bool:
    """Whether ``name`` is a dotted Python import name (``my_derivations.losses``)."""
    return all(part.isidentifier() and not keyword.iskeyword(part) for part in name.split("."))


def _check_package_name(package: str) -> None:
    """A package is named as Python imports it (``my_derivations.losses``), never by a path."""
    if not package.strip():
        raise UsageError("--package '' is empty; give the import name of a derivation package, e.g. my_derivations")
    if "/" in package or "\\" in package or package.endswith(".py") or package.startswith("."):
        raise UsageError(
            f"--package {package!r} is a path, not an import name: give the package's name "
            "(e.g. my_derivations) and run from the directory that holds it"
        )
    if not is_package_name(package):
        raise UsageError(f"--package {package!r} is not a Python package name, e.g. my_derivations")


def _unregistered(module: ModuleType, found: list) -> list[tuple[str, object]]:
    """Derivations written in ``module`` (not imported into it) under a name the registry does not
    read, e.g. a misspelt ``derivaton = Derivation(...)``."""
    from verify.model import Derivation

    path = os.path.abspath(getattr(module, "__file__", "") or "")
    return [
        (var, d)
        for var, d in vars(module).items()
        if isinstance(d, Derivation)
        and not any(d is f for f in found)
        and d.defined_at is not None
        and os.path.abspath(d.defined_at[0]) == path
    ]


def default_packages(root: Path | None = None) -> list[str]:
    """The packages checked when neither ``--package`` nor ``[tool.verify] packages`` names one: the
    ``derivations`` package of the project in ``root`` (default: the working directory), made
    importable from there (or its ``src/``) as ``python -m`` would.

    A ``derivations`` importable from elsewhere is never checked unasked: in a user's project that
    would check someone else's steps. This tool's own derivations install as
    :data:`BUILTIN_PACKAGE`, so they never take the place of a user's ``derivations``.
    """
    here = (root or Path.cwd()).resolve()
    name = DEFAULT_PACKAGES[0]
    for base in (here, here / "src"):
        if (base / name / "__init__.py").is_file() and name not in sys.modules:
            if str(base) not in sys.path:
                sys.path.insert(0, str(base))
            break
    hint = 'add `[tool.verify] packages = ["my_derivations"]` to pyproject.toml or pass --package NAME'
    builtins = f"this tool's own derivations: --package {BUILTIN_PACKAGE}"
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        raise UsageError(f"no derivation package to check: {hint} ({builtins})")
    places = list(spec.submodule_search_locations or []) or [spec.origin or ""]
    if not any(Path(p).resolve().is_relative_to(here) for p in places if p):
        raise UsageError(
            f"no derivation package to check: {hint} (the package {name!r} importable here is "
            f"not this project's but {places[0]}; to check it anyway: --package {name}; {builtins})"
        )
    return list(DEFAULT_PACKAGES)


def builtin_package() -> str:
    """The import name of this tool's own derivations (the repository's ``derivations/`` folder):
    ``derivations`` where that folder beside the imported ``verify`` is what ``derivations``
    imports (a checkout of this repository, run from its root), else the installed
    :data:`BUILTIN_PACKAGE` (never a user's ``derivations``)."""
    import verify

    beside = Path(verify.__file__).resolve().parent.parent / DEFAULT_PACKAGES[0]
    try:
        spec = importlib.util.find_spec(DEFAULT_PACKAGES[0])
    except (ImportError, ValueError):
        spec = None
    places = [Path(p).resolve() for p in (spec.submodule_search_locations or [])] if spec else []
    return DEFAULT_PACKAGES[0] if beside in places else BUILTIN_PACKAGE


def load(packages: tuple[str, ...] | list[str] = DEFAULT_PACKAGES, only: list[str] | None = None) -> Registry:
    """Import every module under ``packages`` and register the derivations they define
    (``only``: import just these modules of theirs, in this order)."""
    from verify.run.bytecode import install
    from verify.run.reads import recording

    install()  # a module edited since its bytecode was compiled runs as edited
    reg = Registry()
    with recording() as read:  # a claim may be built from a data file read at import time
        _import_all(reg, packages, only)
    reg.reads = read
    return reg


def _import_all(reg: Registry, packages: tuple[str, ...] | list[str], only: list[str] | None) -> None:
    from verify.model import Derivation

    for package in packages:
        _check_package_name(package)
        try:
            names = _module_names(package) if only is None else [m for m in only if _within(m, package)]
        except ModuleNotFoundError:
            raise UsageError(
                f"derivation package {package!r} cannot be imported; is it installed or on PYTHONPATH?"
            ) from None
        except USER_EXITS as exc:
            if not from_user(exc):
                raise
            reg.errors.append(LoadError(package, _one_line(exc), _user_frame(exc)))
            continue
        for name in names:
            try:
                module = importlib.import_module(name)
            except USER_EXITS as exc:  # a module's own sys.exit() is its load error, not the run's end
                if not from_user(exc):
                    raise
                reg.errors.append(LoadError(name, _one_line(exc), _user_frame(exc)))
                continue
            found = []
            if isinstance(getattr(module, "derivation", None), Derivation):
                found.append(module.derivation)
            found.extend(d for d in getattr(module, "DERIVATIONS", []) if isinstance(d, Derivation))
            for var, d in _unregistered(module, found):
                reg.errors.append(
                    LoadError(
                        name,
                        f"defines derivation {d.id!r} as {var!r}, which is never checked: "
                        "name it `derivation` or list it in `DERIVATIONS`",
                        d.defined_at,
                    )
                )
            reg.modules[name] = []
            for d in found:
                if d.id in reg.derivations:
                    reg.errors.append(LoadError(name, f"derivation id {d.id!r} is defined twice"))
                    continue
                reg.derivations[d.id] = d
                reg.modules[name].append(d.id)


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")
