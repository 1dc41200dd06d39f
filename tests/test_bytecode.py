"""Project modules run from their source as it is now, not from bytecode of an older version.

Python reuses a ``.pyc`` while the source's mtime (whole seconds) and size match what it
recorded; an edit of the same length in the same second ran the old code. Each test sets the
edited file's mtime back to the original's, so that the stale condition is certain, not timing.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import py_compile
import shutil
import subprocess
import sys
import types
from importlib.machinery import SourceFileLoader
from pathlib import Path

import pytest
from test_cache import BETA, cli, make_package, statuses

from verify.run import bytecode


def _rewrite_same_size(path: Path, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` (same length) in ``path`` and keep its modification time."""
    assert len(old) == len(new)
    stat = path.stat()
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size


@pytest.fixture
def fresh_import(tmp_path, monkeypatch):
    """Import a module of ``tmp_path`` by name, forgetting it afterwards."""
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    names = []

    def load(name: str) -> types.ModuleType:
        sys.modules.pop(name, None)
        importlib.invalidate_caches()
        names.append(name)
        return importlib.import_module(name)

    yield load
    for name in names:
        sys.modules.pop(name, None)


def _stale_module(tmp_path: Path, name: str) -> Path:
    """A module whose timestamp ``.pyc`` says ``VALUE = 'old'`` while its source says ``'new'``."""
    source = tmp_path / f"{name}.py"
    source.write_text("VALUE = 'old'\n\ndef where():\n    return 1\n")
    py_compile.compile(str(source), invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)
    _rewrite_same_size(source, "'old'", "'new'")
    return source


def test_the_stale_condition_is_real_for_the_interpreters_own_loader(tmp_path):
    source = _stale_module(tmp_path, "plainmod")
    module = types.ModuleType("plainmod")
    SourceFileLoader("plainmod", str(source)).exec_module(module)
    assert module.VALUE == "old"  # what a plain import runs: the bytecode of the old source


def test_a_project_module_runs_as_edited_and_keeps_a_checked_pyc(tmp_path, fresh_import, monkeypatch):
    source = _stale_module(tmp_path, "editedmod")
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    bytecode.install()
    bytecode.install()  # idempotent
    assert sys.meta_path.count(bytecode.SourceHashFinder) == 1
    module = fresh_import("editedmod")
    assert module.VALUE == "new"
    assert type(module.__spec__.loader) is bytecode.SourceHashLoader
    pyc = Path(importlib.util.cache_from_source(str(source))).read_bytes()
    assert pyc[:4] == importlib.util.MAGIC_NUMBER
    assert int.from_bytes(pyc[4:8], "little") == 0b11  # hash-based, checked against the source
    assert pyc[8:16] == importlib.util.source_hash(source.read_bytes())
    # the interpreter's own import, without verify, checks that hash too
    _rewrite_same_size(source, "'new'", "'neu'")
    plain = subprocess.run(
        [sys.executable, "-c", "import editedmod; print(editedmod.VALUE)"],
        cwd=tmp_path, capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )  # fmt: skip
    assert plain.stdout.strip() == "neu"


def test_matching_bytecode_is_reused_and_a_moved_file_is_recompiled(tmp_path, fresh_import, monkeypatch):
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    bytecode.install()
    first, moved = tmp_path / "one", tmp_path / "two"
    first.mkdir()
    (first / "reusedmod.py").write_text("def where():\n    return 1\n")
    with monkeypatch.context() as m:
        m.syspath_prepend(str(first))
        assert fresh_import("reusedmod").where() == 1  # compiled, and a checked .pyc written

        def no_compiling(*args, **kwargs):
            raise AssertionError("compiled although the bytecode matches the source")

        m.setattr(bytecode.SourceHashLoader, "source_to_code", no_compiling)
        assert fresh_import("reusedmod").where.__code__.co_filename == str(first / "reusedmod.py")
    shutil.copytree(first, moved)  # the same source and .pyc, in another directory
    monkeypatch.syspath_prepend(str(moved))
    # recompiled, so that tracebacks and reported lines name the file where it is now
    assert fresh_import("reusedmod").where.__code__.co_filename == str(moved / "reusedmod.py")


def test_installed_and_standard_modules_keep_their_loaders():
    for name in ("json.decoder", "sympy.core.add"):
        parent = importlib.import_module(name.rpartition(".")[0])
        spec = bytecode.SourceHashFinder.find_spec(name, parent.__path__)
        assert spec is not None and type(spec.loader) is SourceFileLoader, name
    assert bytecode.SourceHashFinder.find_spec("no_such_module_anywhere_42", None) is None


def test_a_same_second_edit_to_a_claim_is_checked_not_answered_from_stored_results(tmp_path, monkeypatch):
    """A run of a true claim, an edit that makes it false (same size, same mtime), another run:
    the second run must refute the edited claim, and so must every later run."""
    make_package(tmp_path, beta=BETA)
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)  # the runs write and reuse bytecode

    def run() -> dict[str, str]:
        out, data = cli(tmp_path)
        assert out.returncode in (0, 1), out.stderr
        return {step: status for step, (status, _) in statuses(data).items()}

    # bytecode of the true claim, as a plain import or an earlier version of the tool leaves it
    py_compile.compile(
        str(tmp_path / "tinypkg" / "beta.py"), invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP
    )
    assert run() == {"beta::square": "proved"}
    _rewrite_same_size(tmp_path / "tinypkg" / "beta.py", "x**2 + 2 * x", "x**2 - 2 * x")
    assert run() == {"beta::square": "refuted"}
    assert run() == {"beta::square": "refuted"}


def test_a_users_implementation_file_is_loaded_as_edited(tmp_path, monkeypatch):
    from verify.code.load import load_function

    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    impl = tmp_path / "myloss.py"
    impl.write_text("def loss(margin):\n    return -margin\n")
    py_compile.compile(str(impl), invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)
    assert load_function(f"{impl}:loss")(2.0) == -2.0
    _rewrite_same_size(impl, "-margin", "+margin")  # the sign fixed, within the same second
    assert load_function(f"{impl}:loss")(2.0) == 2.0


def test_the_command_loads_what_it_imports_later_from_source(tmp_path, monkeypatch):
    """``verify`` installs the finder before anything else: the engine's own checking modules
    (in a checkout) and the derivations imported afterwards run as they are on disk."""
    from verify import cli

    monkeypatch.setattr(sys, "meta_path", [f for f in sys.meta_path if f is not bytecode.SourceHashFinder])
    monkeypatch.setattr(sys, "argv", ["verify", "list", "--package", "no_such_package_42"])
    monkeypatch.setattr(cli.gc, "freeze", lambda: None)  # the test process's heap stays collectable
    assert cli.command() == 2  # a usage error, after the finder was installed
    assert sys.meta_path[0] is bytecode.SourceHashFinder
