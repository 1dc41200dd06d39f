"""Import the function a user names: ``FILE.py:FUNCTION`` or ``package.module:FUNCTION``.

The file is the user's own code and is imported (executed) as such; every failure is one line
(:class:`CodeInputError`, exit code 2).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path

from verify.errors import UsageError
from verify.run.bytecode import install, source_loader
from verify.run.interrupts import USER_EXITS, from_user


class CodeInputError(UsageError):
    """A function that cannot be loaded, bound or called as a loss (exit code 2)."""


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def load_function(spec: str) -> Callable:
    """The callable named by ``spec`` (``path/to/file.py:NAME`` or ``pkg.mod:NAME``; ``NAME`` may be dotted)."""
    target, sep, name = spec.rpartition(":")
    if not sep or not target or not name:
        raise CodeInputError(f"{spec!r} is not FILE.py:FUNCTION or package.module:FUNCTION")
    install()  # the user's modules run as they are now, whatever bytecode an older version left
    if target.endswith(".py") or "/" in target or "\\" in target:
        path = Path(target)
        if not path.is_file():
            raise CodeInputError(f"file {target!r} does not exist (give FILE.py:FUNCTION)")
        module_name = f"verify_user_code_{abs(hash(str(path.resolve())))}"
        spec_ = importlib.util.spec_from_file_location(module_name, path)
        if spec_ is None or spec_.loader is None:
            raise CodeInputError(f"cannot import {target!r} as a Python module")
        spec_ = source_loader(spec_)  # the file as it is now, whatever bytecode an older one left
        module = importlib.util.module_from_spec(spec_)
        sys.modules[module_name] = module
        sys.path.insert(0, str(path.resolve().parent))  # the file's own sibling imports
        try:
            spec_.loader.exec_module(module)
        except USER_EXITS as exc:  # its own sys.exit() too: a load error, not the end of the check
            if not from_user(exc):
                raise
            sys.modules.pop(module_name, None)
            raise CodeInputError(f"importing {target!r} failed: {_one_line(exc)}") from None
        finally:
            sys.path.remove(str(path.resolve().parent))
    else:
        try:
            module = importlib.import_module(target)
        except ModuleNotFoundError as exc:
            if exc.name and target.startswith(exc.name):
                raise CodeInputError(
                    f"module {target!r} not found; give FILE.py:FUNCTION or put its package on PYTHONPATH"
                ) from None
            raise CodeInputError(f"importing {target!r} failed: {_one_line(exc)}") from None
        except USER_EXITS as exc:
            if not from_user(exc):
                raise
            raise CodeInputError(f"importing {target!r} failed: {_one_line(exc)}") from None
    obj: object = module
    for part in name.split("."):
        if not hasattr(obj, part):
            raise CodeInputError(f"{target!r} has no function {name!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise CodeInputError(f"{target}:{name} is not callable")
    return obj
