"""Verdict cache: a checked step is not checked again until something it depends on changes.

Two levels, both stored as small sealed JSON files under the cache directory (default
``.verify_cache/``); a file is trusted only when this machine's key sealed it
(:mod:`verify.run.seal`), so a cache directory others can write cannot plant a verdict:

- **claims** — one file per *claim key*: a hash of the claim's canonical form (a Merkle hash of
  every proof obligation's SymPy tree, symbol names and assumptions included), the declared
  domains of its symbols, the checker settings (every field of the profile), the engine's own
  source and the SymPy/Hypothesis/mpmath/NumPy/Python/tool versions. A ``Reported`` claim's
  recomputation is keyed by the source of its module and of every project module that module
  imports (transitively) plus its closure values. It holds the verdict only (status, method,
  samples, counterexample, …); the step's text comes from the current claim.
- **modules** — one file per derivation, keyed by the source of the module that defines it (and
  of the project modules it imports; of every file of its package when one of them may import
  or read files without an import line naming them) and the same settings: the complete step
  results. When the module is unchanged, nothing is rebuilt; when it changed, every step's claim
  key is computed and only claims that actually changed are checked again.

Only final ``proved``, ``confirmed`` and ``refuted`` verdicts decided by the current kernel are
stored and replayed (:func:`reusable`); ``error``, ``timeout`` and a verdict a symbolic budget
cut short are always checked again. A file that cannot be read, is not sealed by this machine's
key, does not parse, or does not match its key is ignored with one warning line (see
:attr:`VerdictCache.warnings`) and overwritten by the recheck.

Data files are not source: a claim file keeps the data files its claim was built or its number
recomputed from, and a module file those the modules' import read, each with a digest
(:mod:`verify.run.reads`); a stored result is replayed only while they are unchanged. What no
key sees is data read without opening a file (environment variables, the network) or a
directory's listing: after changing such data, run with ``--no-cache``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import importlib.util
import json
import math
import os
import platform
import re
import sys
import sysconfig
import tempfile
import types
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from verify import __version__
from verify.profiles import Profile
from verify.results import StepResult, field_value
from verify.run import seal
from verify.run.reads import changed

if TYPE_CHECKING:
    from verify.model import Derivation, Step

FORMAT = 2
DEFAULT_DIR = ".verify_cache"
CACHEABLE = ("proved", "confirmed", "refuted")


def reusable(s: StepResult) -> bool:
    """Whether a verdict may be replayed: a decided status (its corrected form's too) that no budget cut short."""
    return s.status in CACHEABLE and s.final and s.correction_status in (*CACHEABLE, None)


#: the fields of a :class:`StepResult` that a check produces (the rest comes from the claim's text)
VERDICT_FIELDS = (
    "status",
    "method",
    "samples",
    "max_rel_error",
    "counterexample",
    "counterexample_latex",
    "reason",
    "seconds",
    "values",
    "symbolic_method",
    "reproduction",
    "crosschecked",
    "hints",
    "ledger",
    "diagnosis_note",
    "correction_status",
    "correction_reason",
)


def _blake(*parts: str | bytes) -> str:
    h = hashlib.blake2b(digest_size=20)
    for p in parts:
        h.update(p if isinstance(p, bytes) else p.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------
# canonical forms


class _Unkeyable(Exception):
    """The claim holds something without a stable canonical form: it is never cached."""


def _sympy_digest(e: Any, memo: dict[int, tuple[Any, bytes]]) -> bytes:
    """Merkle hash of a SymPy tree: class, then the digests of the arguments (or the atom's data)."""
    import sympy as sp

    got = memo.get(id(e))
    if got is not None:
        return got[1]
    t = type(e)
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{t.__module__}.{t.__qualname__}(".encode())
    if e.args:
        for a in e.args:
            h.update(_sympy_digest(a, memo) if isinstance(a, sp.Basic) else _value(a, memo).encode())
    elif isinstance(e, sp.Symbol):  # name, assumptions, domain and notation (a Dummy: its per-process index)
        h.update(repr(e._hashable_content()).encode())
    elif isinstance(e, sp.Float):
        h.update(repr((e._mpf_, e._prec)).encode())
    elif isinstance(e, sp.Rational):
        h.update(f"{e.p}/{e.q}".encode())
    else:
        h.update(sp.srepr(e).encode())
    if isinstance(t, sp.FunctionClass):  # an undefined function may carry assumptions
        h.update(repr(sorted(getattr(t, "_kwargs", {}).items())).encode())
        h.update(_function_class_digest(t).encode())
    digest = h.digest()
    memo[id(e)] = (e, digest)
    return digest


def _function_class_digest(t: type) -> str:
    """A SymPy function class by its definition: a class defined outside SymPy is keyed by the
    source closure of its module (its name alone would keep a verdict after its body changed)."""
    module = getattr(t, "__module__", None)
    if module is None or module == "sympy" or module.startswith("sympy."):
        return ""  # an undefined function (name and assumptions only) or SymPy's own: the version keys it
    if module not in sys.modules or module == "__main__":
        raise _Unkeyable(f"function class {t.__qualname__} has no importable module")
    return _blake(module, t.__qualname__, module_fingerprint(module))


def _value(v: Any, memo: dict[int, tuple[Any, bytes]]) -> str:
    """A canonical string for one field of an obligation."""
    import sympy as sp

    if v is None or isinstance(v, bool | int | str):
        return repr(v)
    if isinstance(v, float):
        return v.hex()
    if isinstance(v, sp.Basic):
        return "S:" + _sympy_digest(v, memo).hex()
    if isinstance(v, tuple | list):
        return "(" + ",".join(_value(x, memo) for x in v) + ")"
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        fields = ",".join(f"{f.name}={_value(getattr(v, f.name), memo)}" for f in dataclasses.fields(v))
        return f"{type(v).__qualname__}({fields})"
    if isinstance(v, types.FunctionType | types.MethodType | types.BuiltinFunctionType):
        return "F:" + function_fingerprint(v)
    raise _Unkeyable(f"no canonical form for {type(v).__name__}")


@functools.cache
def _stdlib_dirs() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    return tuple(sorted({os.path.realpath(paths[k]) for k in ("stdlib", "platstdlib") if k in paths}))


def installed(path: str) -> bool:
    """Whether the file or directory ``path`` belongs to the standard library or to an installed
    distribution (under ``site-packages`` or ``dist-packages``): not a project's source, which
    keys hash; the tool versions in a key stand for these. A project under the interpreter's
    prefix (``/usr/src/app`` with ``/usr/bin/python3``) is still a project."""
    parts = Path(path).parts
    if "site-packages" in parts or "dist-packages" in parts:
        return True
    real = os.path.realpath(path)
    return any(real == d or real.startswith(d + os.sep) for d in _stdlib_dirs())


@functools.cache
def project_directory(directory: str) -> bool:
    """Whether the files of ``directory`` are a project's, not :func:`installed` (one answer per
    directory, for the checks made at every import and every file opened)."""
    return not installed(directory)


_FROM = re.compile(r"^[ \t]*from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#;]+)", re.M)
_IMPORT = re.compile(r"^[ \t]*import[ \t]+([^\n#;]+)", re.M)


def imported_names(source: str, package: str, submodule: Callable[[str, str], bool] | None = None) -> set[str]:
    """The modules a source imports (at any indentation; a regular expression, not a parse).

    ``from a import b`` yields ``a`` and the candidate ``a.b``, kept when ``submodule(a, b)``
    says it may be a module (by default always: a name that is no module file resolves to
    nothing). Every parent package of a name is included, as importing runs its ``__init__.py``.
    """
    out: set[str] = set()
    for line in _IMPORT.findall(source):
        out.update(part.split()[0] for part in line.split(",") if part.strip())
    for base, names in _FROM.findall(source):
        level = len(base) - len(base.lstrip("."))
        base = base[level:]
        if level:
            parent = package.split(".")
            parent = parent[: len(parent) - level + 1]
            base = ".".join([*parent, base] if base else parent)
        out.add(base)
        for part in names.strip("()").split(","):
            name = part.split()[0] if part.split() else ""
            if name.isidentifier() and (submodule is None or submodule(base, name)):
                out.add(f"{base}.{name}")
    for m in list(out):  # importing a.b.c runs a/__init__.py and a/b/__init__.py too
        parts = m.split(".")
        out.update(".".join(parts[:i]) for i in range(1, len(parts)))
    return {m for m in out if m and all(p.isidentifier() for p in m.split("."))}


def _maybe_submodule(base: str, name: str) -> bool:
    """``from base import name`` may import a module: ``name`` is one, or ``base`` is not imported yet."""
    attr = getattr(sys.modules.get(base), name, None)
    return attr is None or isinstance(attr, types.ModuleType)


def _spec(name: str) -> importlib.machinery.ModuleSpec | None:
    """The spec of module ``name``, found by the import system's finders without importing it or
    its parent packages (``importlib.util.find_spec`` runs a parent's ``__init__.py``)."""
    parent = name.rpartition(".")[0]
    if not parent:
        return importlib.util.find_spec(name)  # a top-level name: nothing is imported
    module = sys.modules.get(parent)
    if module is not None:
        locations = getattr(module, "__path__", None)
    else:
        spec = _spec(parent)
        locations = spec.submodule_search_locations if spec is not None else None
    return first_spec(sys.meta_path, name, list(locations)) if locations else None


def first_spec(finders: list, name: str, path: list[str] | None, target=None) -> importlib.machinery.ModuleSpec | None:
    """The spec of module ``name`` from the first of the meta path ``finders`` that finds one."""
    for finder in finders:
        find = getattr(finder, "find_spec", None)
        found = find(name, path, target) if find is not None else None
        if found is not None:
            return found
    return None


def _module_file(name: str) -> str | None:
    module = sys.modules.get(name)
    path = getattr(module, "__file__", None)
    if path is None:
        try:
            spec = _spec(name)
        except (ImportError, ValueError, AttributeError):
            return None
        path = spec.origin if spec is not None else None
    return path if path and path.endswith(".py") else None


#: code that can import or read other files of its package without an import line naming them
DYNAMIC = re.compile(
    rb"\b(?:importlib|__import__|import_module|runpy)\b|\b(?:exec|eval|open|read_text|read_bytes|loadtxt|load)\s*\("
)

#: module name → (digest of its source, the modules it imports, whether it matches :data:`DYNAMIC`;
#: not searched, False, for ``verify``'s own modules, which never widen a key)
_SOURCES: dict[str, tuple[bytes, set[str], bool]] = {}


def _read_module(mod: str, path: str) -> tuple[bytes, set[str], bool]:
    if mod not in _SOURCES:
        source = Path(path).read_bytes()
        package = mod if Path(path).name == "__init__.py" else mod.rpartition(".")[0]
        imported = imported_names(source.decode("utf-8", "replace"), package, _maybe_submodule)
        dynamic = mod.split(".")[0] != "verify" and DYNAMIC.search(source) is not None
        _SOURCES[mod] = (hashlib.blake2b(source, digest_size=16).digest(), imported, dynamic)
    return _SOURCES[mod]


def tree_files(directory: Path) -> list[Path]:
    """A package's modules and the source documents its audits read (files under a ``sources`` directory)."""
    return sorted(
        p
        for p in directory.rglob("*")
        if "__pycache__" not in p.parts
        and p.is_file()
        and (p.suffix == ".py" or "sources" in p.relative_to(directory).parts[:-1])
    )


def _closure(
    roots: list[str], named: Callable[[str], bool], include: Callable[[str, str], bool] = lambda mod, path: True
) -> dict[str, bytes]:
    """Source digests of ``roots`` and, transitively, of the imported modules that ``named(name)``
    and then ``include(name, file)`` accept. ``named`` decides before the file is looked up (the
    modules of a third-party package such as jax are left out without being searched for)."""
    seen: dict[str, bytes] = {}
    todo = list(roots)
    while todo:
        mod = todo.pop()
        if mod in seen:
            continue
        if mod not in roots and not named(mod):
            continue
        path = _module_file(mod)
        if path is None:
            if mod in roots:
                seen[mod] = b""
            continue
        if mod not in roots and not include(mod, path):
            continue
        digest, imported, _ = _read_module(mod, path)
        seen[mod] = digest
        todo.extend(imported)
    return seen


def _digest(files: dict[str, bytes]) -> str:
    return _blake(*(f"{k}:{v.hex()}" for k, v in sorted(files.items())))


#: the checking engine: what :mod:`verify.run.runner` and this module import from ``verify``
ENGINE_ROOTS = ["verify.run.runner", "verify.run.cache"]
_ENGINE: dict[str, bytes] = {}
_CLOSURES: dict[str, str] = {}


def _engine_files() -> dict[str, bytes]:
    if not _ENGINE:
        _ENGINE.update(_closure(ENGINE_ROOTS, lambda mod: mod.split(".")[0] == "verify"))
    return _ENGINE


def kernel_fingerprint() -> str:
    """Hash of the source of the kernel (:mod:`verify.kernel`), the only code that decides a status."""
    return _digest({m: src for m, src in _engine_files().items() if m.startswith("verify.kernel")})


def engine_fingerprint() -> str:
    """Hash of the source of every engine module: a change to a checker invalidates every verdict."""
    return _digest(_engine_files())


def module_fingerprint(name: str) -> str:
    """Hash of a module's source and, transitively, of every project module it imports.

    Project modules are those of its own top-level package, of ``verify`` outside the engine
    (which :func:`engine_fingerprint` keys), and any other module not installed (neither in
    the standard library nor under ``site-packages``). When one of them outside ``verify`` may
    import or read files without an import line naming them (:data:`DYNAMIC`: ``importlib``,
    ``exec``, ``open(…)``, …), every file of the module's top-level package counts too
    (:func:`tree_files`), as in the run snapshot's module digests.
    """
    if name not in _CLOSURES:
        top, engine = name.split(".")[0], _engine_files()

        def include(mod: str, path: str) -> bool:
            first = mod.split(".")[0]
            if mod in engine:
                return False
            return first in (top, "verify") or not installed(path)

        def named(mod: str) -> bool:  # a submodule of an installed package is installed too
            first = mod.split(".")[0]
            if first in (top, "verify") or first == mod:
                return True
            path = _module_file(first)
            return path is None or not installed(path)

        files = _closure([name], named, include)
        if any(_SOURCES[mod][2] for mod in files if mod in _SOURCES):
            files.update(_package_tree(top))
        _CLOSURES[name] = _digest(files)
    return _CLOSURES[name]


def _package_tree(top: str) -> dict[str, bytes]:
    """Digests of every file of the package ``top`` (none when it is a single module or installed)."""
    path = _module_file(top)
    if path is None or Path(path).name != "__init__.py" or installed(path):
        return {}
    directory = Path(path).parent
    return {
        f"file:{p.relative_to(directory).as_posix()}": hashlib.blake2b(p.read_bytes(), digest_size=16).digest()
        for p in tree_files(directory)
    }


def function_fingerprint(fn: Callable[..., Any]) -> str:
    """A function by its module's source closure, qualified name, defaults and closure values."""
    fn = getattr(fn, "__func__", fn)
    module = getattr(fn, "__module__", None)
    if not module or module not in sys.modules:
        raise _Unkeyable(f"function {fn!r} has no importable module")
    memo: dict[int, tuple[Any, bytes]] = {}
    closure = getattr(fn, "__closure__", None) or ()
    defaults = getattr(fn, "__defaults__", None) or ()
    extra = [_value(c.cell_contents, memo) for c in closure] + [_value(d, memo) for d in defaults]
    return _blake(module, getattr(fn, "__qualname__", ""), module_fingerprint(module), *extra)


def settings_fingerprint(profile: Profile) -> str:
    """Checker settings and tool versions: every part of a verdict's key that is not the claim."""
    import hypothesis
    import mpmath
    import numpy
    import sympy

    return _blake(
        f"format={FORMAT}",
        repr(sorted(dataclasses.asdict(profile).items())),
        f"python={platform.python_implementation()}-{platform.python_version()}",
        f"sympy={sympy.__version__}",
        f"hypothesis={hypothesis.__version__}",
        f"mpmath={mpmath.__version__}",
        f"numpy={numpy.__version__}",
        f"verify={__version__}",
        f"engine={engine_fingerprint()}",
    )


def claim_key(step: Step, settings: str, obligations: list | None = None) -> str | None:
    """The key of a step's verdict, or None when the claim has no stable canonical form.
    ``obligations``: the claim's, when the caller built them already."""
    from verify.domains import domain_of
    from verify.model import Claim

    try:
        if obligations is None:
            obligations = step.claim.obligations()
        corrected = step.correction.obligations() if isinstance(step.correction, Claim) else []
        memo: dict[int, tuple[Any, bytes]] = {}
        parts = []
        for group in (obligations, corrected):  # the corrected form is checked with the claim
            parts += [_value(ob, memo) for ob in group]
            symbols = sorted({s for ob in group for s in ob.free_symbols()}, key=lambda s: s.name)
            parts += [f"{_value(s, memo)}:{domain_of(s)!r}" for s in symbols]
            parts.append("|")
    except Exception:  # malformed, unhashable or too deep: checked every time
        return None
    return _blake(settings, type(step.claim).__qualname__, *parts)


def defining_module(d: Derivation) -> str | None:
    """The name of the imported module that defines ``d`` (None if none does)."""
    for name, module in list(sys.modules.items()):
        names = getattr(module, "__dict__", {})
        many = names.get("DERIVATIONS", ())
        if names.get("derivation") is d or (isinstance(many, list | tuple) and any(x is d for x in many)):
            return name
    return None


# ---------------------------------------------------------------------------------------------
# the store


class VerdictCache:
    """Step verdicts on disk under ``directory`` for the checker settings of ``profile``."""

    def __init__(self, directory: str | os.PathLike[str], profile: Profile):
        self.directory = Path(directory)
        self.settings = settings_fingerprint(profile)
        self.warnings: list[str] = []
        self._timings: dict[str, float] | None = None

    # -- files

    def _path(self, kind: str, key: str) -> Path:
        return self.directory / kind / key[:2] / f"{key}.json"

    def _read(self, kind: str, key: str) -> dict[str, Any] | None:
        path = self._path(kind, key)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            self.warnings.append(f"cache file {path} cannot be read ({exc.strerror}); ignored, checking again")
            return None
        try:
            data = json.loads(seal.unseal(kind, key, raw).decode("utf-8"))
            if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("key") != key:
                raise ValueError("it does not belong to this key or cache format")
        except seal.SealError as exc:
            self.warnings.append(
                seal.FOREIGN if exc.foreign else f"cache file {path} is not trusted ({exc}); ignored, checking again"
            )
            return None
        except (ValueError, RecursionError) as exc:
            self.warnings.append(f"cache file {path} is corrupt or stale ({exc}); ignored, checking again")
            return None
        return data

    def _write(self, kind: str, key: str, payload: dict[str, Any]) -> None:
        path = self._path(kind, key)
        body = json.dumps({"format": FORMAT, "key": key, **payload}, ensure_ascii=False).encode("utf-8")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(seal.seal(kind, key, body))
                os.replace(tmp, path)  # atomic: a reader never sees half a file
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            self.warnings.append(f"cannot write the cache under {self.directory} ({exc.strerror}); results not cached")

    # -- whole derivations (module unchanged)

    def derivation_key(self, d: Derivation) -> str | None:
        module = defining_module(d)
        if module is None:
            return None
        try:
            source = module_fingerprint(module)
        except OSError:
            return None
        return _blake(self.settings, module, source, d.id)

    def load_derivation(self, key: str, d: Derivation, imported: dict[str, str]) -> list[StepResult] | None:
        """The stored results of ``d``'s steps, if its module's import read the data files
        ``imported`` (path → digest, as they are now) and the steps' own data files are unchanged."""
        data = self._read("modules", key)
        if data is None:
            return None
        try:
            steps = [StepResult.from_json(s) for s in data["steps"]]
            if [s.id for s in steps] != [s.id for s in d.steps] or any(not reusable(s) for s in steps):
                raise ValueError("its steps do not match the derivation")
            read = field_value(data["imported"], ("table",), "its data files")
        except (KeyError, TypeError, ValueError) as exc:
            self.warnings.append(
                f"cache file {self._path('modules', key)} is corrupt or stale ({exc}); ignored, checking again"
            )
            return None
        if read != imported or any(changed(s.reads) for s in steps):
            return None  # its claims were built, or its numbers recomputed, from other data
        for s in steps:
            s.cached = True
        return steps

    def store_derivation(self, key: str, steps: list[StepResult], imported: dict[str, str]) -> None:
        """Store the results of a derivation's steps, checked after its module's import read ``imported``."""
        if all(reusable(s) for s in steps):
            self._write("modules", key, {"steps": [_uncached_json(s) for s in steps], "imported": imported})

    # -- single claims

    def claim_key(self, step: Step, obligations: list | None = None) -> str | None:
        """The key of the step's verdict under these settings (None: never cached)."""
        return claim_key(step, self.settings, obligations)

    def load_step(self, key: str, base: Callable[[], dict[str, Any]]) -> StepResult | None:
        """The cached verdict of ``key`` with the step's text from ``base()`` (called only on a hit)."""
        data = self._read("claims", key)
        if data is None:
            return None
        try:
            verdict = data["verdict"]
            if not isinstance(verdict, dict) or set(verdict) != set(VERDICT_FIELDS):
                raise ValueError("unexpected verdict fields")
            _check_verdict(verdict)
            if data.get("kernel") != kernel_fingerprint():
                raise ValueError("it was decided by another kernel")
            read = field_value(data["reads"], ("table",), "its data files")
            result = StepResult(**base(), **verdict, reads=read or None)
        except (KeyError, TypeError, ValueError) as exc:
            self.warnings.append(
                f"cache file {self._path('claims', key)} is corrupt or stale ({exc}); ignored, checking again"
            )
            return None
        if changed(read):  # a data file the claim was built or recomputed from is not what it was
            return None
        result.cached = True
        return result

    def store_step(self, key: str, result: StepResult) -> None:
        if reusable(result):
            verdict = {f: getattr(result, f) for f in VERDICT_FIELDS}
            reads = result.reads or {}
            self._write("claims", key, {"kernel": kernel_fingerprint(), "verdict": verdict, "reads": reads})

    # -- timings (for scheduling the slowest steps first)

    def timings(self) -> dict[str, float]:
        if self._timings is None:
            self._timings = {}
            path = self.directory / "timings.json"
            try:  # only the order of checking depends on it: an unreadable file is replaced silently
                data = json.loads(path.read_bytes().decode("utf-8"))
                if isinstance(data, dict):
                    self._timings = {
                        str(k): float(v)
                        for k, v in data.items()
                        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                    }
            except (OSError, ValueError, RecursionError):
                pass
        return self._timings

    def record_timings(self, seconds: dict[str, float]) -> None:
        if not seconds:
            return
        merged = {**self.timings(), **seconds}
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    json.dump(merged, f, sort_keys=True)
                os.replace(tmp, self.directory / "timings.json")
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError:
            pass


_VERDICT_TYPES: dict[str, tuple[type, ...]] = {
    "method": (str, type(None)),
    "samples": (int,),
    "max_rel_error": (int, float),
    "counterexample": (dict, type(None)),
    "counterexample_latex": (dict, type(None)),
    "reason": (str, type(None)),
    "seconds": (int, float),
    "values": (dict, type(None)),
    "symbolic_method": (str, type(None)),
    "reproduction": (dict, type(None)),
    "crosschecked": (bool,),
    "diagnosis_note": (str, type(None)),
    "correction_status": (str, type(None)),
    "correction_reason": (str, type(None)),
}


def _check_verdict(verdict: dict[str, Any]) -> None:
    """ValueError unless ``verdict`` has the shape :meth:`VerdictCache.store_step` writes."""
    if verdict["status"] not in CACHEABLE:
        raise ValueError(f"status {verdict['status']!r} is never cached")
    if verdict["correction_status"] not in (*CACHEABLE, None):
        raise ValueError(f"correction status {verdict['correction_status']!r} is never cached")
    for name, types_ in _VERDICT_TYPES.items():
        if not isinstance(verdict[name], types_) or (isinstance(verdict[name], bool) and bool not in types_):
            raise ValueError(f"verdict field {name!r} has type {type(verdict[name]).__name__}")
    for name in ("counterexample", "counterexample_latex", "values"):
        table = verdict[name] or {}
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in table.items()):
            raise ValueError(f"verdict field {name!r} is not a table of strings")
    for name in ("hints", "ledger"):  # the diagnosis, cached with the verdict it never changes
        verdict[name] = field_value(verdict[name], ("records", type(None)), f"verdict field {name!r}")


def _uncached_json(s: StepResult) -> dict[str, Any]:
    d = s.to_json()
    d.pop("cached", None)
    return d
