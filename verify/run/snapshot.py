"""Run snapshot: the results of the last run, reused whole while nothing they depend on changed.

The verdict cache (:mod:`verify.run.cache`) keys each claim by its SymPy tree, so using it means
importing SymPy and every derivation module. A warm run of an unchanged repository does not
need that: the snapshot is keyed by a fingerprint computed from files alone —

- the source of every module of the ``verify`` package and of every derivation package
  (all ``.py`` files, private ones included), and transitively of every project module they
  import from elsewhere (anything neither in the standard library nor installed under
  ``site-packages``);
- the fuzzing profile (every field), the versions of Python, SymPy, Hypothesis, mpmath and
  NumPy, and the snapshot format.

It is stored in ``<cache dir>/snapshot.json`` after a run that loaded every module without
error and whose every verdict is cacheable (``proved``, ``confirmed``, ``refuted``), merged
with the derivations of an earlier run under the same fingerprint. On a hit no derivation
module is imported and no claim is rebuilt; on any change the run falls back to the verdict
cache, which rechecks only the claims that changed.

The snapshot also keeps the key of the engine and settings alone (:func:`engine_fingerprint`)
and a digest per derivation module (:func:`module_digests`: its file, the modules and project
files it imports, and every file of the packages that is not a derivation module of its own).
When only some modules' digests changed, a run imports just those; the other modules'
derivations are taken from the snapshot (cli ``Reused``). The data files read while the
modules were imported, and each step's own (:mod:`verify.run.reads`), are stored with it: a
changed step file makes its module count as changed, a changed import-time file every module.
As for the verdict cache, data read without opening a file (environment variables) is not seen:
after changing such data, run with ``--no-cache``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from verify import __version__
from verify.profiles import Profile
from verify.results import DerivationResult, field_value
from verify.run import seal
from verify.run.cache import DYNAMIC, imported_names, installed, reusable, tree_files
from verify.run.reads import changed

FORMAT = 2
FILE = "snapshot.json"
#: distributions whose versions can change a verdict
DISTRIBUTIONS = ("sympy", "hypothesis", "mpmath", "numpy")


def _package_dir(name: str) -> Path | None:
    """The directory of a project package, found without importing anything below its top level."""
    top, *rest = name.split(".")
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        path = Path(location, *rest)
        if (path / "__init__.py").is_file():
            return path
    return None


class SourceFiles:
    """The project's source files as they are on disk now, each read and parsed once: the digests
    of every closure asked of one instance come from one reading of each file."""

    def __init__(self) -> None:
        #: module name → its project file (None: not a project module), and top-level name → where it lives
        self._resolved: dict[str, Path | None] = {}
        self._tops: dict[str, tuple[list[str], str | None]] = {}
        self._digests: dict[Path, str | None] = {}
        self._edges: dict[Path, frozenset[str]] = {}
        self._code: dict[Path, bytes] = {}
        self._dynamic: dict[Path, bool] = {}
        self._trees: dict[Path, list[Path]] = {}
        self._packages: dict[Path, str] = {}

    def again(self) -> SourceFiles:
        """The files read afresh (to see whether one changed since), module names resolved as before."""
        fresh = SourceFiles()
        fresh._resolved, fresh._tops = self._resolved, self._tops
        return fresh

    def _top_level(self, top: str) -> tuple[list[str], str | None]:
        """Where the top-level module ``top`` lives: its package directories that are not installed,
        and its file when it is a single project module (nothing installed or built in: the tool
        versions in the key stand for those). ``find_spec`` of a top-level name imports nothing."""
        if top not in self._tops:
            self._tops[top] = [], None
            if top not in sys.builtin_module_names:
                try:
                    spec = importlib.util.find_spec(top)
                except (ImportError, ValueError):
                    spec = None
                if spec is not None and spec.submodule_search_locations:
                    locations = [str(loc) for loc in spec.submodule_search_locations]
                    self._tops[top] = [loc for loc in locations if not installed(loc)], None
                elif spec is not None and spec.origin and spec.origin.endswith(".py") and not installed(spec.origin):
                    self._tops[top] = [], spec.origin
        return self._tops[top]

    def project_file(self, name: str) -> Path | None:
        """The source file of module ``name`` if it is a project module, else None (the rest of a
        dotted name is followed on disk from its top-level package)."""
        if name not in self._resolved:
            top, *rest = name.split(".")
            locations, single = self._top_level(top)
            candidates = [single] if single is not None and not rest else []
            for location in locations:
                base = os.path.join(location, *rest)
                candidates += (
                    [os.path.join(base, "__init__.py"), base + ".py"] if rest else [os.path.join(base, "__init__.py")]
                )
            found = next((c for c in candidates if os.path.isfile(c)), None)
            self._resolved[name] = Path(os.path.realpath(found)) if found is not None else None
        return self._resolved[name]

    def tree(self, root: Path) -> list[Path]:
        if root not in self._trees:
            self._trees[root] = [p.resolve() for p in tree_files(root)]
        return self._trees[root]

    def _read(self, path: Path) -> str | None:
        if path not in self._digests:
            try:
                data = path.read_bytes()
            except OSError:
                self._digests[path] = None
                return None
            self._digests[path] = hashlib.blake2b(data, digest_size=16).hexdigest()
            # a source document is hashed and imports nothing
            self._edges[path] = _imports(data, self._package(path.parent)) if path.suffix == ".py" else frozenset()
            if path.suffix == ".py":
                self._code[path] = data
        return self._digests[path]

    def _package(self, directory: Path) -> str:
        """The dotted package of the files in ``directory`` (for relative imports), from the ``__init__.py`` chain."""
        if directory not in self._packages:
            parts: list[str] = []
            here = directory
            while (here / "__init__.py").is_file():
                parts.append(here.name)
                here = here.parent
            self._packages[directory] = ".".join(reversed(parts))
        return self._packages[directory]

    def closure(
        self, start: list[Path], skip: tuple[Path, ...], inside: Callable[[str], Path | None] | None = None
    ) -> dict[Path, str] | None:
        """The digest of every file in ``start`` and of every project file they import, transitively
        (not following imports into ``skip``, whose files the caller covers otherwise; ``inside``
        resolves a module name to a file of a tree that ``skip`` holds, to follow it there).
        None when a file cannot be read."""
        files: dict[Path, str] = {}
        todo = list(start)
        while todo:
            path = todo.pop()
            if path in files:
                continue
            digest = self._read(path)
            if digest is None:
                return None
            files[path] = digest
            for name in self._edges[path]:
                found = inside(name) if inside else None
                if found is None:
                    found = self.project_file(name)
                    if found is not None and _within(found, skip):
                        continue
                if found is not None and found not in files:
                    todo.append(found)
        return files

    def dynamic(self, files: dict[Path, str]) -> bool:
        """Whether a module among ``files`` may import or read files without an import line naming them."""
        for path in files:
            if path not in self._dynamic:
                self._dynamic[path] = path in self._code and DYNAMIC.search(self._code[path]) is not None
            if self._dynamic[path]:
                return True
        return False


@functools.lru_cache(maxsize=4096)
def _within(path: Path, dirs: tuple[Path, ...]) -> bool:
    return any(path.is_relative_to(d) for d in dirs)


def source_fingerprint(packages: list[str] | tuple[str, ...], sources: SourceFiles | None = None) -> str | None:
    """Hash of every source file a run of ``packages`` can depend on; None if a package is not found.

    A module imported as ``from pkg import name`` where ``name`` is a submodule is covered
    because every file of a derivation package is hashed, and imports are followed from each
    hashed file into any other project package by its parent names.
    """
    import verify

    sources = sources or SourceFiles()
    roots = [Path(verify.__file__).resolve().parent]
    for name in packages:
        directory = _package_dir(name)
        if directory is None:
            return None
        roots.append(directory.resolve())
    files = sources.closure([p for root in roots for p in sources.tree(root)], tuple(roots))
    return None if files is None else _combined(files)


@functools.lru_cache(maxsize=4096)
def _imports(data: bytes, package: str) -> frozenset[str]:
    return frozenset(imported_names(data.decode("utf-8", "replace"), package))


def _combined(files: dict[Path, str]) -> str:
    h = hashlib.blake2b(digest_size=20)
    for path, digest in sorted(files.items()):
        h.update(f"{path}:{digest}\n".encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def _versions() -> list[str]:
    out = [f"python={sys.implementation.name}-{'.'.join(map(str, sys.version_info[:3]))}"]
    for dist in DISTRIBUTIONS:
        try:
            out.append(f"{dist}={importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            out.append(f"{dist}=?")
    return out


def fingerprint(
    packages: list[str] | tuple[str, ...], profile: Profile, sources: SourceFiles | None = None
) -> str | None:
    """The snapshot key of a run of ``packages`` under ``profile`` (None: no snapshot possible).
    ``sources``: the files as read for another key of the same run (by default read now)."""
    digest = source_fingerprint(packages, sources)
    return None if digest is None else _key(packages, profile, digest)


def engine_fingerprint(
    packages: list[str] | tuple[str, ...], profile: Profile, sources: SourceFiles | None = None
) -> str | None:
    """The key of what every verdict depends on beside the derivation packages' own files: the
    engine's sources (and the project files they import), the profile, the tool versions."""
    import verify

    sources = sources or SourceFiles()
    root = Path(verify.__file__).resolve().parent
    files = sources.closure(sources.tree(root), (root,))
    return None if files is None else _key(packages, profile, "engine " + _combined(files))


def _modules_on_disk(package: str) -> dict[str, Path] | None:
    """Every importable module of ``package``, found on disk: dotted name → file (``__init__.py``
    for a package); a directory without ``__init__.py`` holds none."""
    directory = _package_dir(package)
    if directory is None:
        return None
    out: dict[str, Path] = {}
    for path in sorted(directory.rglob("*.py")):
        parts = list(path.relative_to(directory).with_suffix("").parts)
        if "__pycache__" in parts or not all(
            (directory.joinpath(*parts[:i]) / "__init__.py").is_file() for i in range(len(parts))
        ):
            continue
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join([package, *parts])] = path.resolve()
    return out


def module_digests(packages: list[str] | tuple[str, ...], sources: SourceFiles | None = None) -> dict[str, str] | None:
    """A digest per module the registry imports (the package itself, and every module whose own name
    is not private), of what its derivations can depend on beside the engine: its file, every
    other file of the derivation packages that is not such a module (private helpers,
    ``__init__.py`` files, source documents: a change there changes every digest), and the
    modules and project files it imports, transitively. A module whose closure may import or
    read files without an import line naming them (``importlib``, ``exec``, ``open(…)``, …)
    depends on every file of the packages. None when a package is not found."""
    import verify

    sources = sources or SourceFiles()
    everything: dict[str, Path] = {}
    roots = [Path(verify.__file__).resolve().parent]
    for package in packages:
        found = _modules_on_disk(package)
        directory = _package_dir(package)
        if found is None or directory is None:
            return None
        everything.update(found)
        roots.append(directory.resolve())
    own = {
        name: path
        for name, path in everything.items()
        if name in packages or not name.rsplit(".", 1)[-1].startswith("_")
    }
    separate = {path for name, path in own.items() if path.name != "__init__.py"}
    tree = [p for root in roots[1:] for p in sources.tree(root)]
    shared = [p for p in tree if p not in separate]
    out = {}
    for name, path in own.items():
        files = sources.closure([path, *shared], tuple(roots), everything.get)
        if files is None:
            return None
        if sources.dynamic(files):
            # it may import or read any file in a way the import lines do not show: all of them count
            files = sources.closure([*files, *tree], tuple(roots), everything.get)
            if files is None:
                return None
        out[name] = _combined(files)
    return out


def _key(packages: list[str] | tuple[str, ...], profile: Profile, sources: str) -> str:
    h = hashlib.blake2b(digest_size=20)
    for part in (
        f"format={FORMAT}",
        f"verify={__version__}",
        repr(sorted(dataclasses.asdict(profile).items())),
        repr(list(packages)),
        *_versions(),
        sources,
    ):
        h.update(part.encode() + b"\x00")
    return h.hexdigest()


@dataclasses.dataclass
class Snapshot:
    """Stored results: ``listing`` is every registered derivation (id → kind) in registry order."""

    key: str
    listing: dict[str, str]
    results: dict[str, DerivationResult]
    environment: dict[str, str]
    #: the key of the engine and settings alone (:func:`engine_fingerprint`; "" when not stored)
    engine: str = ""
    #: every module the run imported, in order → (its :func:`module_digests` digest, its derivations' ids)
    modules: dict[str, tuple[str, list[str]]] = dataclasses.field(default_factory=dict)
    #: the data files read while the modules were imported, path → sha256 (:mod:`verify.run.reads`)
    reads: dict[str, str] = dataclasses.field(default_factory=dict)
    #: ``results`` as read from the file (checked by :func:`read`): what a later store keeps of them
    raw: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False)

    def covers(self, ids: list[str]) -> bool:
        return all(i in self.results for i in ids)

    def current(self) -> bool:
        """Whether every data file its results depend on is as it was (:mod:`verify.run.reads`):
        those read at import time, and each step's own."""
        return not self.imports_changed and not self.stale_ids

    @functools.cached_property
    def imports_changed(self) -> bool:
        """Whether a data file read while the modules were imported changed since (hashed once)."""
        return bool(changed(self.reads))

    @functools.cached_property
    def stale_ids(self) -> set[str]:
        """The derivations one of whose steps read a data file that changed since."""
        return {i for i, r in self.results.items() if any(changed(s.reads) for s in r.steps)}

    def changed_modules(self, engine: str | None, digests: dict[str, str] | None) -> list[str] | None:
        """The modules to import again when only they changed: those whose digest differs or one of
        whose steps read a data file that changed since, in order; None when that does not hold (the
        engine, the settings, the set of modules or a data file read at import time changed, a
        derivation of an unchanged module has no stored result, or nothing changed)."""
        if not engine or engine != self.engine or digests is None or list(digests) != list(self.modules):
            return None
        if self.imports_changed:  # any claim may have been built from it: every module is imported
            return None
        stale = self.stale_ids
        changed_ = [
            m for m, (digest, ids) in self.modules.items() if digests[m] != digest or any(i in stale for i in ids)
        ]
        return changed_ if changed_ and self.covers(self.kept(changed_)) else None

    def kept(self, changed: list[str]) -> list[str]:
        """The ids of the derivations of the modules not in ``changed``, in order."""
        return [i for m, (_, ids) in self.modules.items() if m not in changed for i in ids]


def load(directory: Path, key: str, warnings: list[str]) -> Snapshot | None:
    """The snapshot stored under ``directory`` for ``key``; None if absent, stale or unreadable."""
    return read(directory, warnings, key)


def _modules(raw: object, listing: dict[str, str]) -> dict[str, tuple[str, list[str]]]:
    """The stored module map, checked: every listed derivation in exactly one module."""
    if not isinstance(raw, dict):
        raise ValueError("its modules are not a mapping")
    out = {}
    for m, v in raw.items():
        if not (isinstance(v, list) and len(v) == 2 and isinstance(v[0], str) and isinstance(v[1], list)):
            raise ValueError(f"its module {m!r} is not [digest, ids]")
        out[str(m)] = (v[0], [str(i) for i in v[1]])
    ids = [i for _, got in out.values() for i in got]
    if out and sorted(ids) != sorted(listing):
        raise ValueError("its modules do not match its listing")
    return out


def read(directory: Path, warnings: list[str], key: str | None = None) -> Snapshot | None:
    """The snapshot stored under ``directory`` (under ``key`` only, when given: one stored under another
    key is not read further); None if absent or unreadable."""
    path = directory / FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        warnings.append(f"cache file {path} cannot be read ({exc.strerror}); ignored, checking again")
        return None
    try:
        data = json.loads(seal.unseal("snapshot", FILE, raw).decode("utf-8"))
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError("it is not a snapshot of this format")
        if key is not None and data.get("key") != key:
            return None
        key = str(data["key"])
        listing = {str(k): str(v) for k, v in data["listing"].items()}
        results = {k: DerivationResult.from_json(v) for k, v in data["results"].items()}
        if any(k not in listing or r.id != k for k, r in results.items()):
            raise ValueError("its results do not match its listing")
        if any(not reusable(s) for r in results.values() for s in r.steps):
            raise ValueError("it holds a verdict that is never cached")
        environment = {str(k): str(v) for k, v in data.get("environment", {}).items()}
        engine, modules = str(data.get("engine", "")), _modules(data.get("modules", {}), listing)
        reads = field_value(data.get("reads", {}), ("table",), "its data files")
    except seal.SealError as exc:
        warnings.append(
            seal.FOREIGN if exc.foreign else f"cache file {path} is not trusted ({exc}); ignored, checking again"
        )
        return None
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        warnings.append(f"cache file {path} is corrupt or stale ({exc}); ignored, checking again")
        return None
    for r in results.values():
        for s in r.steps:
            s.cached = True
    return Snapshot(key, listing, results, environment, engine, modules, reads, data["results"])


def store(
    directory: Path,
    key: str,
    listing: dict[str, str],
    results: list[DerivationResult],
    environment: dict[str, str],
    warnings: list[str],
    engine: str | None = None,
    modules: dict[str, tuple[str, list[str]]] | None = None,
    reads: dict[str, str] | None = None,
    kept: dict[str, Any] | None = None,
) -> None:
    """Store ``results`` under ``key``, keeping the derivations of a stored snapshot with the same key.
    ``engine`` and ``modules`` (see :class:`Snapshot`) let a later run import only the modules that
    changed; ``reads``: the data files read while the modules were imported (with those of the
    kept snapshot's imports); ``kept``: derivations of an earlier snapshot stored again as it
    read them (:attr:`Snapshot.raw`), not serialised anew.

    Nothing is stored when a verdict is not cacheable (``error``/``timeout`` are always checked again).
    """
    if any(not reusable(s) for r in results for s in r.steps):
        return
    merged: dict[str, Any] = {}
    read = dict(reads or {})
    old = load(directory, key, [])
    if old is not None and old.listing == listing:
        merged.update(old.raw)
        read = {**old.reads, **read}
    merged.update(kept or {})
    merged.update({r.id: _uncached(r) for r in results})
    payload = {
        "format": FORMAT,
        "key": key,
        "listing": listing,
        "environment": environment,
        "results": merged,
        "engine": engine or "",
        "modules": {m: [digest, ids] for m, (digest, ids) in (modules or {}).items()},
        "reads": read,
    }
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(seal.seal("snapshot", FILE, body))
            os.replace(tmp, directory / FILE)  # atomic: a reader never sees half a file
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        warnings.append(f"cannot write the cache under {directory} ({exc.strerror}); results not cached")


def _uncached(r: DerivationResult) -> dict[str, Any]:
    d = r.to_json()
    for s in d["steps"]:
        s.pop("cached", None)
        s.pop("verified", None)
    return d
