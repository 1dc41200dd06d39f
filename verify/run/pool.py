"""Worker processes with a hard wall-clock limit per task.

Each task runs in a forked worker process. A task that exceeds ``limit`` seconds has its worker
killed (``SIGKILL``: nothing inside the task can delay it, unlike an alarm signal that a SymPy
call or a garbage-collector callback may swallow) and a fresh worker takes its place. A worker
that dies on its own (a crash, the out-of-memory killer) is replaced the same way. The caller
turns both cases into results through ``on_timeout`` and ``on_crash``.

Workers are forked, so a task only names its work (ids); the objects it refers to are
inherited from the parent as they were when the worker started. Workers die with their parent:
each closes every pipe end it inherited but its own (so a parent's death is an end of file it
sees), and on Linux asks the kernel to kill it when the parent dies (``PR_SET_PDEATHSIG``), so
a ``kill -9`` of the parent leaves no worker computing on.

Before its work, a task's optional ``prelude`` runs in the worker and its value is sent at once:
what the caller needs to report a task that is then killed (a step's printed claim) is computed
under the same hard limit, never by the parent after the kill.

While workers run, the parent's objects are frozen (``gc.freeze``): a worker's collections never
walk the heap it inherited, so they neither spend time on it nor copy its pages (a worker's first
Hypothesis search runs a full collection: 0.11 s of CPU and 7,900 page faults in a worker forked
from a parent that loaded the built-in derivations, 0.015 s and 2,400 with the heap frozen).

A task's work may raise :class:`Later` to be held back until another task's result settles
what it waits for: a step whose claim another worker is checking at that moment waits for that
verdict instead of checking the same claim twice at once.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable, Hashable, Iterator, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_READY = "ready"


_PR_SET_PDEATHSIG = 1


class Later(Exception):
    """Raised by a task's work: run ``task`` instead, once a result settles ``after`` (see
    :func:`run_tasks`) or nothing else is running."""

    def __init__(self, task: Any, after: Hashable):
        super().__init__(task, after)
        self.task = task
        self.after = after


def _die_with_parent(parent: int) -> None:
    """Ask the kernel to kill this process when its parent dies (Linux); exit if it already has."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _serve(
    conn: Connection,
    inherited: list[Connection],
    parent: int,
    work: Callable[[Any], Any],
    prelude: Callable[[Any], Any] | None,
) -> None:
    _die_with_parent(parent)
    for other in inherited:  # the parent's ends of every pipe, this worker's own included
        other.close()
    conn.send(_READY)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if task is None:
            return
        try:
            if prelude is not None:
                conn.send(("prelude", prelude(task)))
            conn.send(("ok", work(task)))
        except Later as later:
            conn.send(("later", (later.task, later.after)))
        except BaseException as exc:  # reported as the task's crash, the worker keeps serving
            conn.send(("crash", f"{type(exc).__name__}: {exc}"))


class _Worker:
    def __init__(
        self,
        ctx: Any,
        work: Callable[[Any], Any],
        prelude: Callable[[Any], Any] | None,
        others: Sequence[_Worker | None] = (),
    ):
        self.conn, child = ctx.Pipe()
        inherited = [self.conn, *(w.conn for w in others if w is not None)]
        self.process = ctx.Process(target=_serve, args=(child, inherited, os.getpid(), work, prelude), daemon=True)
        self.process.start()
        child.close()
        self.task: int | None = None
        self.started = 0.0
        self.ready = False
        self.prelude: Any = None

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            try:
                self.conn.send(None)
            except (OSError, BrokenPipeError):
                self.process.kill()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


def run_tasks(
    tasks: Sequence[T],
    work: Callable[[T], R],
    jobs: int,
    limit: float | None,
    on_timeout: Callable[[T, float, Any], R],
    on_crash: Callable[[T, str, float, Any], R],
    prelude: Callable[[T], Any] | None = None,
    settles: Callable[[R], Hashable] | None = None,
) -> Iterator[tuple[int, R]]:
    """Run ``work(task)`` for every task in ``jobs`` forked processes; yield ``(index, result)``.

    Results come in completion order. Tasks are started in the order given (put the slowest
    first). A task whose work raises ``Later(task, after)`` is held back, as ``task``, until a
    result ``r`` with ``settles(r) == after`` has been yielded, then started before the tasks
    still waiting; or, when no such result comes (the task it waited for timed out, say), once
    every worker is idle. ``limit`` (seconds, None for none) is a hard limit per task, measured
    from the moment the task is handed to a worker. ``on_timeout`` and ``on_crash`` get the value of
    ``prelude(task)`` when the worker sent it before it was stopped, else None.
    """
    if not tasks:
        return
    ctx = multiprocessing.get_context("fork")
    tasks = list(tasks)  # a task held back by :class:`Later` is replaced by the one it names
    pending = list(range(len(tasks)))
    pending.reverse()  # pop() from the end takes the first task
    held: list[tuple[int, Hashable]] = []  # tasks held back (:class:`Later`) and what each waits for
    settled: set[Hashable] = set()
    workers: list[_Worker | None] = []
    remaining = len(tasks)

    def next_task() -> int | None:
        for n, (_, after) in enumerate(held):
            if after in settled:
                return held.pop(n)[0]
        if pending:
            return pending.pop()
        if held and all(w.task is None for w in workers if w is not None):
            return held.pop(0)[0]
        return None

    thaw = _freeze()
    try:
        for _ in range(min(jobs, len(tasks))):
            workers.append(_Worker(ctx, work, prelude, workers))
        while remaining:
            for w in workers:
                if w.task is None and w.ready and (pending or held):
                    w.task = next_task()
                    if w.task is None:
                        continue
                    w.started = time.monotonic()
                    try:
                        w.conn.send(tasks[w.task])
                    except OSError:  # died while idle: the next wait() sees it and replaces it
                        pass
            busy = [w for w in workers if w.task is not None or not w.ready]
            timeout = None
            if limit is not None:
                deadlines = [w.started + limit - time.monotonic() for w in busy if w.task is not None]
                timeout = max(0.0, min(deadlines)) if deadlines else None
            ready = wait([w.conn for w in busy], timeout=timeout)
            now = time.monotonic()
            for i, w in enumerate(list(workers)):
                if w.conn in ready:
                    try:
                        msg = w.conn.recv()
                    except (EOFError, OSError):
                        msg = None
                    if msg == _READY:
                        w.ready = True
                        continue
                    task = w.task
                    if msg is None:  # the worker died
                        w.process.join(timeout=5)  # its pipe closed as it died: collect its exit status
                        code = w.process.exitcode
                        w.stop(kill=True)
                        workers[i] = _Worker(ctx, work, prelude, workers) if pending or held else None
                        if task is None:
                            raise RuntimeError(f"a worker process exited on start (exit code {code})")
                        remaining -= 1
                        message = f"the worker process died (exit code {code})"
                        yield task, on_crash(tasks[task], message, now - w.started, w.prelude)
                        continue
                    kind, value = msg
                    if kind == "prelude":
                        w.prelude = value
                        continue
                    if kind == "later":  # held back, as the task it names
                        tasks[task], after = value
                        held.append((task, after))
                        w.task, w.prelude = None, None
                        continue
                    w.task, before, w.prelude = None, w.prelude, None
                    remaining -= 1
                    if kind == "ok" and settles is not None:
                        settled.add(settles(value))
                    yield task, value if kind == "ok" else on_crash(tasks[task], value, now - w.started, before)
                elif limit is not None and w.task is not None and now - w.started >= limit:
                    task = w.task
                    w.stop(kill=True)
                    workers[i] = _Worker(ctx, work, prelude, workers) if pending or held else None
                    remaining -= 1
                    yield task, on_timeout(tasks[task], now - w.started, w.prelude)
            workers = [w for w in workers if w is not None]
    finally:
        for w in workers:
            if w is not None:
                w.stop(kill=remaining > 0)
        if thaw:
            gc.unfreeze()


def _freeze() -> bool:
    """Freeze the parent's objects before workers are forked from it, unless something else froze
    some already (they are then left as they are); True when this call froze them."""
    if gc.get_freeze_count():
        return False
    gc.freeze()
    return True
