"""``[tool.verify]`` in a project's ``pyproject.toml``: the defaults of the command line and of
``pytest --verify``, so a repository says once which packages hold its derivations.

```toml
[tool.verify]
packages = ["my_derivations"]   # --package (repeatable)
profile = "ci"                  # --profile
jobs = 2                        # --jobs
cache-dir = ".verify_cache"     # --cache-dir (relative to the pyproject.toml)
step-timeout = 300              # --step-timeout (seconds; 0 for none)
format = "plain"                # --format (auto, table, plain)
```

The file is the nearest ``pyproject.toml`` in the working directory or above it (the project's
root); an option given on the command line wins over the file. The configured packages are
imported from the project's root (or its ``src/``) wherever in the project the command runs. The file is read with
:mod:`tomllib` and every key is checked for its type: a mistake is one line naming the file and
the key (exit 2), and an unknown key is refused, so a misspelt key is never silently ignored.
"""

from __future__ import annotations

import math
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from verify.errors import UsageError

FILENAME = "pyproject.toml"
FORMATS = ("auto", "table", "plain")


@dataclass(frozen=True)
class Config:
    """The ``[tool.verify]`` settings of one ``pyproject.toml`` (empty when there is none)."""

    path: Path | None = None
    packages: tuple[str, ...] = ()
    profile: str | None = None
    jobs: int | None = None
    cache_dir: Path | None = None
    step_timeout: float | None = None
    format: str | None = None
    diagnosis: bool | None = None


def find_pyproject(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` in ``start`` or a directory above it."""
    for directory in (start, *start.parents):
        candidate = directory / FILENAME
        if candidate.is_file():
            return candidate
    return None


def _fail(path: Path, key: str, problem: str) -> UsageError:
    return UsageError(f"{path}: [tool.verify] {key} {problem}")


def parse(path: Path, table: Any) -> Config:
    """The settings in ``table`` (the ``[tool.verify]`` table of ``path``), each checked for its type."""
    from verify.profiles import PROFILES

    if not isinstance(table, dict):
        raise UsageError(f"{path}: [tool.verify] must be a table")
    known = {"packages", "profile", "jobs", "cache-dir", "step-timeout", "format", "diagnosis"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise _fail(path, unknown[0], f"is not a setting (known: {', '.join(sorted(known))})")
    packages = table.get("packages", [])
    if isinstance(packages, str):
        packages = [packages]
    if not isinstance(packages, list) or not all(isinstance(p, str) and p.strip() for p in packages):
        raise _fail(path, "packages", 'must be a list of package names, e.g. ["my_derivations"]')
    profile = table.get("profile")
    if profile is not None and profile not in PROFILES:
        raise _fail(path, "profile", f"= {profile!r} is not one of {', '.join(sorted(PROFILES))}")
    jobs = table.get("jobs")
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise _fail(path, "jobs", f"= {jobs!r} must be a whole number ≥ 1")
    cache_dir = table.get("cache-dir")
    if cache_dir is not None and (not isinstance(cache_dir, str) or not cache_dir.strip()):
        raise _fail(path, "cache-dir", "must be a directory path")
    timeout = table.get("step-timeout")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, int | float) or not math.isfinite(timeout) or timeout < 0
    ):
        raise _fail(path, "step-timeout", f"= {timeout!r} must be a number of seconds ≥ 0")
    fmt = table.get("format")
    if fmt is not None and fmt not in FORMATS:
        raise _fail(path, "format", f"= {fmt!r} is not one of {', '.join(FORMATS)}")
    diagnosis = table.get("diagnosis")
    if diagnosis is not None and not isinstance(diagnosis, bool):
        raise _fail(path, "diagnosis", f"= {diagnosis!r} must be true or false")
    return Config(
        path=path,
        packages=tuple(packages),
        profile=profile,
        jobs=jobs,
        cache_dir=(path.parent / cache_dir) if cache_dir else None,
        step_timeout=float(timeout) if timeout is not None else None,
        format=fmt,
        diagnosis=diagnosis,
    )


def load_config(start: Path | None = None) -> Config:
    """The ``[tool.verify]`` settings of the project around ``start`` (default: the working directory)."""
    path = find_pyproject(Path.cwd() if start is None else start)
    if path is None:
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot be read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML ({exc})") from None
    tool = data.get("tool", {})
    if not isinstance(tool, dict) or "verify" not in tool:
        return Config(path=path)
    return parse(path, tool["verify"])


def _given(argv: list[str], option: str) -> bool:
    return any(a == option or a.startswith(option + "=") for a in argv)


def importable(config: Config) -> None:
    """Make the configured packages importable from anywhere in the project: the directory of the
    ``pyproject.toml`` (and its ``src/``, the other common layout) go on ``sys.path``."""
    if config.path is None:
        return
    for directory in (config.path.parent / "src", config.path.parent):
        if directory.is_dir() and str(directory) not in sys.path:
            sys.path.insert(0, str(directory))


def apply_config(args: Any, argv: list[str], config: Config) -> None:
    """Fill the options of ``args`` that ``argv`` does not give from ``config`` (the command line wins)."""
    if config.packages and hasattr(args, "package") and not args.package:
        args.package = list(config.packages)
        importable(config)
    if config.profile and hasattr(args, "profile") and not _given(argv, "--profile"):
        args.profile = config.profile
    if config.jobs and hasattr(args, "jobs") and not _given(argv, "--jobs"):
        args.jobs = config.jobs
    if config.cache_dir and hasattr(args, "cache_dir") and not _given(argv, "--cache-dir"):
        args.cache_dir = str(config.cache_dir)
    if config.step_timeout is not None and hasattr(args, "step_timeout") and not _given(argv, "--step-timeout"):
        args.step_timeout = config.step_timeout
    if config.diagnosis is False and hasattr(args, "no_diagnosis") and not _given(argv, "--no-diagnosis"):
        args.no_diagnosis = True
    if config.format and hasattr(args, "format") and not _given(argv, "--format") and args.format in FORMATS:
        args.format = config.format
