"""The symbolic budget: CPU seconds of this process, not wall-clock seconds.

A proof attempt is cut off after ``seconds`` of CPU time spent by this process (user time,
``ITIMER_VIRTUAL``). On a loaded machine the process gets fewer time slices, but every slice it
gets counts and nothing else does, so the same attempt reaches the same point before its budget
runs out on an idle machine and beside a CPU hog (up to the few per cent of cache contention).
A verdict that a budget cut short is never final (:mod:`verify.kernel.verdict`): it is not cached
and is checked again next run, so such a difference never outlives the run that saw it.

A sequence of attempts (the strategies of one proof) shares an :class:`Allowance`: each attempt
gets its own limit or what is left of the allowance, whichever is less.
"""

from __future__ import annotations

import functools
import math
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class SymbolicTimeout(BaseException):
    """A strategy exceeded its budget.

    A ``BaseException`` so that SymPy's internal ``except Exception`` handlers cannot swallow it.
    """


def _quiet_unraisable(hook: Callable) -> Callable:
    def quiet(unraisable) -> None:
        if isinstance(unraisable.exc_value, SymbolicTimeout):
            return  # an alarm that landed in a gc callback: expected, and the alarm repeats
        hook(unraisable)

    quiet.verify_quiet = True
    return quiet


class Deadline:
    """A CPU-time deadline (``time.process_time``) for work that checks it between items and is held to
    it inside one item too (:meth:`within`): one point of an integral can keep mpmath busy for minutes.
    ``reached`` records that an item was cut, which the clock alone may not yet show (the CPU-time
    alarm and ``process_time`` count at different granularities)."""

    def __init__(self, at: float = math.inf) -> None:
        self.at = at
        self.reached = False

    @classmethod
    def of(cls, deadline: Deadline | float) -> Deadline:
        return deadline if isinstance(deadline, Deadline) else cls(deadline)

    def passed(self) -> bool:
        return self.reached or time.process_time() > self.at

    @contextmanager
    def within(self) -> Iterator[None]:
        """The block under :func:`time_limit` up to the deadline; :class:`SymbolicTimeout` at once when
        it has passed."""
        if self.at == math.inf:
            yield
            return
        left = self.at - time.process_time()
        if left <= 0:
            self.reached = True
            raise SymbolicTimeout
        try:
            with time_limit(left):
                yield
        except SymbolicTimeout:
            self.reached = True
            raise


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`SymbolicTimeout` in the block after ``seconds`` of this process's CPU time.

    Main thread only (elsewhere the block runs unbounded). The alarm repeats every 50 ms of CPU
    time until the block exits: an exception raised while the interpreter runs a
    garbage-collector or finaliser callback is swallowed as "unraisable", so a single alarm
    could be lost and the budget silently ignored.
    """
    if threading.current_thread() is not threading.main_thread() or seconds <= 0:
        yield
        return
    if not getattr(sys.unraisablehook, "verify_quiet", False):
        sys.unraisablehook = _quiet_unraisable(sys.unraisablehook)
    active = [True]

    def _raise(signum, frame):
        if active[0]:
            raise SymbolicTimeout

    old = signal.signal(signal.SIGVTALRM, _raise)
    previous = signal.setitimer(signal.ITIMER_VIRTUAL, seconds, 0.05)
    try:
        yield
    finally:
        while True:  # an alarm landing here must not skip the clean-up
            try:
                active[0] = False
                signal.setitimer(signal.ITIMER_VIRTUAL, *previous)
                signal.signal(signal.SIGVTALRM, old)
                break
            except SymbolicTimeout:
                continue


class Allowance:
    """CPU seconds shared by a sequence of attempts (see :func:`time_limit`)."""

    def __init__(self, seconds: float):
        self.left = seconds

    @contextmanager
    def limit(self, seconds: float) -> Iterator[None]:
        """:func:`time_limit` of ``seconds`` or what is left, whichever is less; what the block
        spends is taken from the allowance. Raises :class:`SymbolicTimeout` at once when nothing is left."""
        if self.left <= 0:
            raise SymbolicTimeout
        start = time.process_time()
        try:
            with time_limit(min(seconds, self.left)):
                yield
        finally:
            self.left -= time.process_time() - start


@functools.cache
def solver_loaded() -> None:
    """Run one small solve, outside any budget: SymPy's first ``solve`` in a process loads its solvers (0.1 s),
    which a budgeted solve would otherwise pay, so that its outcome depended on what ran before it."""
    import sympy as sp

    t = sp.Symbol("t", real=True)
    sp.solve((t - sp.sqrt(2)) ** 2 * (3 * t - 1), t)
