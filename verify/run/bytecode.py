"""Project modules run from the source on disk, never from bytecode compiled from an older one.

Python reuses a ``__pycache__/*.pyc`` while the source's modification time, in whole seconds,
and its size match what the ``.pyc`` recorded. An edit of the same length made within the
second of the last import (a flipped sign, ``+`` for ``-``) therefore runs the old code, and
the snapshot, which keys results by the source's content, would store the old code's verdicts
under the new source's key: a false claim reported ``proved`` from then on.

:func:`install` puts a finder at the front of ``sys.meta_path`` that gives every project
module (a ``.py`` file outside ``site-packages`` and the standard library, ``project_directory``)
a loader that validates bytecode by a hash of the source's bytes (PEP 552's checked hash-based
``.pyc``). Bytecode of a matching hash is reused, so a run imports no slower; anything else
is compiled from the source and written back as a checked hash-based ``.pyc``, which the
interpreter's own imports validate by hash as well.
"""

from __future__ import annotations

import importlib.util
import marshal
import os
import sys
import types
from importlib.machinery import ModuleSpec, SourceFileLoader

from verify.run.cache import first_spec, project_directory

#: PEP 552 flags of a hash-based ``.pyc`` whose hash the importer checks against the source
_CHECKED_HASH = (0b11).to_bytes(4, "little")


class SourceHashLoader(SourceFileLoader):
    """A source file's loader whose bytecode is reused only when it was compiled from these bytes."""

    def get_code(self, fullname: str) -> types.CodeType:
        path = self.get_filename(fullname)
        source = self.get_data(path)
        digest = importlib.util.source_hash(source)
        try:
            cached = importlib.util.cache_from_source(path)
        except NotImplementedError:  # the interpreter keeps no bytecode cache
            cached = None
        if cached is not None:
            code = _cached_code(self, cached, digest, path)
            if code is not None:
                return code
        code = self.source_to_code(source, path)
        if cached is not None and not sys.dont_write_bytecode:
            header = importlib.util.MAGIC_NUMBER + _CHECKED_HASH + digest
            self.set_data(cached, header + marshal.dumps(code))  # failures to write are ignored
        return code


def _cached_code(loader: SourceFileLoader, cached: str, digest: bytes, path: str) -> types.CodeType | None:
    """The code in the ``.pyc`` at ``cached`` if it is a hash-based one of ``digest``, compiled
    for this interpreter from the file at ``path``; None for any other file or none."""
    try:
        data = loader.get_data(cached)
    except OSError:
        return None
    if data[:4] != importlib.util.MAGIC_NUMBER or data[4:8] != _CHECKED_HASH or data[8:16] != digest:
        return None
    try:
        code = marshal.loads(memoryview(data)[16:])
    except (EOFError, ValueError, TypeError):
        return None
    # a moved checkout: recompile, so that tracebacks and reported lines name the file as it is now
    return code if isinstance(code, types.CodeType) and code.co_filename == path else None


class SourceHashFinder:
    """A meta path finder that asks the finders after it and gives a project module's spec a
    :class:`SourceHashLoader` (installed packages and the standard library keep theirs)."""

    @classmethod
    def find_spec(cls, fullname: str, path=None, target=None) -> ModuleSpec | None:
        finders = sys.meta_path
        try:
            later = finders[finders.index(cls) + 1 :]
        except ValueError:  # asked directly, not by the import system
            later = finders
        spec = first_spec(later, fullname, path, target)
        return source_loader(spec) if spec is not None else None

    @classmethod
    def invalidate_caches(cls) -> None:
        """Nothing of its own to forget (the finders it asks are invalidated by the import system)."""


def install() -> None:
    """Load project modules imported from now on with :class:`SourceHashLoader` (idempotent)."""
    if SourceHashFinder not in sys.meta_path:
        sys.meta_path.insert(0, SourceHashFinder)


def source_loader(spec: ModuleSpec) -> ModuleSpec:
    """``spec`` (from ``spec_from_file_location``) with a :class:`SourceHashLoader` if it loads a
    project's source file."""
    loader = spec.loader
    if type(loader) is SourceFileLoader and spec.origin and project_directory(os.path.dirname(spec.origin)):
        spec.loader = SourceHashLoader(loader.name, loader.path)
    return spec
