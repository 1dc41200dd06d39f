"""The data files a derivation reads: part of what its stored results depend on.

A claim may be built from a file read when its module is imported (a table of a paper's
numbers), and a ``Reported`` recomputation may read one when it is checked (the log of the
user's own trainer). Neither file is source code, so no source fingerprint sees it: without
this record, a changed file left the stored verdict in place (``confirmed`` for a number the
new log no longer reproduces).

:func:`recording` collects, through an audit hook (:pep:`578`, the ``open`` event), every
regular file the process opens for reading while it runs, except code and the tools' own
files: Python sources and bytecode, installed packages and the standard library, the verdict
cache's directory, ``/proc``, ``/dev`` and ``/sys``. Each file is kept with a digest of its
bytes (:func:`digests`); a stored result is reused only while :func:`changed` finds every
one of them as it was. Directory listings are not recorded (the import system lists
directories itself), nor is what is read without Python opening a file: environment variables,
the network, a file a native library opens itself (HDF5, Arrow's own file system).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import sys
from collections.abc import Iterator, Mapping

#: the digest of a file recorded as read that is no longer a readable regular file
MISSING = "missing"
_CODE = (".py", ".pyc", ".pyo")
_SYSTEM = ("/proc/", "/dev/", "/sys/")
_WRITES = os.O_WRONLY | os.O_RDWR

_recording: list[tuple[set[str], tuple[str, ...]]] = []
_hooked = False
_digesting = False  # the digests' own reads are not recorded


def _hook(event: str, args: tuple) -> None:
    if not _recording or event != "open" or _digesting:
        return
    path, _mode, flags = args
    if not isinstance(path, str | bytes) or (isinstance(flags, int) and flags & _WRITES):
        return
    path = os.fsdecode(path)
    if path.startswith("<") and path.endswith(">"):  # a pseudo-file name: "<string>", "<unknown>"
        return
    path = os.path.abspath(path)
    if path.endswith(_CODE) or path.startswith(_SYSTEM):
        return
    for files, excluded in _recording:
        if not any(path == e or path.startswith(e + os.sep) for e in excluded):
            files.add(path)


@contextlib.contextmanager
def recording(exclude: tuple[str | os.PathLike[str], ...] = ()) -> Iterator[dict[str, str]]:
    """Record the data files opened for reading inside the ``with`` block (nested blocks each
    record what is read inside them); the dict yielded is filled on exit with each file's digest
    (:func:`digests`). ``exclude``: directories whose files are not recorded."""
    global _hooked
    if not _hooked:
        sys.addaudithook(_hook)  # for the process's lifetime: an audit hook cannot be removed
        _hooked = True
    files: set[str] = set()
    out: dict[str, str] = {}
    entry = (files, tuple(os.path.abspath(e) for e in exclude))
    _recording.append(entry)
    try:
        yield out
    finally:
        _recording.remove(entry)
        from verify.run.cache import project_directory  # which imports this module

        out.update(digests(sorted(f for f in files if project_directory(os.path.dirname(f)))))


def digests(paths: list[str]) -> dict[str, str]:
    """``path → sha256 of its bytes`` (:data:`MISSING` when it is not a readable regular file)."""
    global _digesting
    out = {}
    _digesting = True
    try:
        for path in paths:
            try:
                if not stat.S_ISREG(os.stat(path).st_mode):  # never open a FIFO or a device: it may block
                    out[path] = MISSING
                    continue
                with open(path, "rb") as f:
                    out[path] = hashlib.file_digest(f, "sha256").hexdigest()
            except OSError:
                out[path] = MISSING
    finally:
        _digesting = False
    return out


def changed(recorded: Mapping[str, str] | None) -> list[str]:
    """The files of ``recorded`` (``path → digest``) whose bytes are not those it recorded."""
    if not recorded:
        return []
    now = digests(list(recorded))
    return [path for path, digest in recorded.items() if now[path] != digest]
