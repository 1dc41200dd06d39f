"""Worker processes with a hard wall-clock limit per task.

Each task runs in a forked worker process. A task that exceeds ``limit`` seconds has its worker
killed (``SIGKILL``: nothing inside the task can delay it, unlike an alarm signal that a SymPy
call or a garbage-collector callback may swallow) and a fresh worker takes its place. A worker
that dies on its own (a crash, the out-of-memory killer) is replaced the same way. The caller
turns both cases into results through ``on_timeout`` and ``on_crash``.

Workers are forked, so a task only names its work (ids); the objects it refers to are
inherited from the parent as they were when the worker started.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_READY = "ready"


def _serve(conn: Connection, work: Callable[[Any], Any]) -> None:
    conn.send(_READY)
    while True:
        try:
            task = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        if task is None:
            return
        try:
            conn.send(("ok", work(task)))
        except BaseException as exc:  # reported as the task's crash, the worker keeps serving
            conn.send(("crash", f"{type(exc).__name__}: {exc}"))


class _Worker:
    def __init__(self, ctx: Any, work: Callable[[Any], Any]):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child, work), daemon=True)
        self.process.start()
        child.close()
        self.task: int | None = None
        self.started = 0.0
        self.ready = False

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
    on_timeout: Callable[[T, float], R],
    on_crash: Callable[[T, str, float], R],
) -> Iterator[tuple[int, R]]:
    """Run ``work(task)`` for every task in ``jobs`` forked processes; yield ``(index, result)``.

    Results come in completion order. Tasks are started in the order given (put the slowest
    first). ``limit`` (seconds, None for none) is a hard limit per task, measured from the
    moment the task is handed to a worker.
    """
    if not tasks:
        return
    ctx = multiprocessing.get_context("fork")
    pending = list(range(len(tasks)))
    pending.reverse()  # pop() from the end takes the first task
    workers = [_Worker(ctx, work) for _ in range(min(jobs, len(tasks)))]
    remaining = len(tasks)
    try:
        while remaining:
            for w in workers:
                if w.task is None and w.ready and pending:
                    w.task = pending.pop()
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
                        code = w.process.exitcode if not w.process.is_alive() else None
                        w.stop(kill=True)
                        workers[i] = _Worker(ctx, work) if pending else None
                        if task is None:
                            raise RuntimeError(f"a worker process exited on start (exit code {code})")
                        remaining -= 1
                        yield (
                            task,
                            on_crash(tasks[task], f"the worker process died (exit code {code})", now - w.started),
                        )
                        continue
                    w.task = None
                    remaining -= 1
                    kind, value = msg
                    yield task, value if kind == "ok" else on_crash(tasks[task], value, now - w.started)
                elif limit is not None and w.task is not None and now - w.started >= limit:
                    task = w.task
                    w.stop(kill=True)
                    workers[i] = _Worker(ctx, work) if pending else None
                    remaining -= 1
                    yield task, on_timeout(tasks[task], now - w.started)
            workers = [w for w in workers if w is not None]
    finally:
        for w in workers:
            if w is not None:
                w.stop(kill=remaining > 0)
