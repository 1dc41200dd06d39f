"""Telling a real Ctrl-C from a ``KeyboardInterrupt`` or ``SystemExit`` raised by a derivation's code.

A derivation module is the user's own code; if it raises ``SystemExit`` or ``KeyboardInterrupt``
while being imported or checked, that is its error, reported on its step, never the end of the
run (which would otherwise stop silently, perhaps with exit 0, leaving false claims unchecked).
A real interrupt still stops the run: while :func:`watching` is active, SIGINT is recorded before
``KeyboardInterrupt`` is raised, so :func:`from_user` can tell the two apart.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

_received = False

USER_EXITS = (Exception, SystemExit, KeyboardInterrupt)
"""What a derivation's own code may raise that is caught as its error (see :func:`from_user`)."""


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    global _received
    _received = True
    raise KeyboardInterrupt


@contextlib.contextmanager
def watching() -> Iterator[None]:
    """Record real interrupts (SIGINT) for the duration (main thread only; elsewhere a no-op)."""
    global _received
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _received = False
    previous = signal.signal(signal.SIGINT, _on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def from_user(exc: BaseException) -> bool:
    """True if ``exc`` came from a derivation's own code, False for a real interrupt (re-raise it)."""
    return not (isinstance(exc, KeyboardInterrupt) and _received)
