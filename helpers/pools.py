"""Which pool worker ran which task, and when: a timeline of a thread or process pool.

`pools.run(pool, func, items)` submits every item, wrapped so that the worker itself notes its
name and the start and end time of the task (on the course's one clock), and returns the results
in order plus those records. Nothing else travels: the records come back with the results, so
this works for `ThreadPoolExecutor`, `ProcessPoolExecutor` and `multiprocessing.Pool` (with
`chunksize`, to see how chunking changes who does what), under every start method, and even
when the pool is terminated afterwards.

    run = pools.run(executor, workloads.square_slowly, range(12))
    run.results          # [0, 1, 4, ...] in input order
    run.plot()           # one row per worker, one bar per task, labelled with the item's index
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from .checks import ensure_importable
from .recording import clock_ns, worker_label


class _Timed:
    """Picklable wrapper: call func(item), return (result, worker, pid, start_ns, end_ns)."""

    def __init__(self, func, parent_pid: int):
        self.func = func
        self.parent_pid = parent_pid

    def __call__(self, item):
        start = clock_ns()
        result = self.func(item)
        end = clock_ns()
        return result, worker_label(self.parent_pid), os.getpid(), start, end


@dataclass
class Task:
    """One task: its index in the input, who ran it, and when (seconds since `run` started)."""
    index: int
    worker: str
    pid: int
    submitted: float
    start: float
    end: float


@dataclass
class PoolRun:
    """Results (in input order) and per-task records of one `pools.run` call."""
    results: list
    tasks: list[Task]
    wall: float

    def rows(self) -> dict[str, list[tuple[str, float, float]]]:
        """Per worker, one segment per task, named by the task's index (draw with labels_inside)."""
        rows: dict[str, list] = {}
        for t in sorted(self.tasks, key=lambda t: t.start):
            rows.setdefault(t.worker, []).append((str(t.index), t.start, t.end))
        return dict(sorted(rows.items(), key=lambda kv: kv[1][0][1]))

    def utilisation(self) -> float:
        """Busy time of all workers / (number of workers x wall time of the run)."""
        busy = sum(t.end - t.start for t in self.tasks)
        n = len({t.worker for t in self.tasks})
        return busy / (n * self.wall) if n and self.wall else 0.0

    def plot(self, ax=None, title: str | None = None):
        """Draw the per-worker task timeline (see `plots.pool`)."""
        from . import plots
        return plots.pool(self, ax=ax, title=title)


def _is_process_pool(pool) -> bool:
    from concurrent.futures import ProcessPoolExecutor
    import multiprocessing.pool as mpp
    return isinstance(pool, ProcessPoolExecutor) or (isinstance(pool, mpp.Pool) and not isinstance(pool, mpp.ThreadPool))


def run(pool, func, items, chunksize: int = 1) -> PoolRun:
    """Run `func` on every item in `pool` and record which worker ran which task when.

    `pool` is a `concurrent.futures` executor (tasks submitted one by one, like `executor.map`)
    or a `multiprocessing.Pool` / `ThreadPool` (uses `pool.map(..., chunksize)`). For a process
    pool `func` must be importable from a module (not defined in the notebook) unless the pool
    uses `fork`.
    """
    items = list(items)
    if _is_process_pool(pool):
        ensure_importable(func, pool, what="the task function")
    wrapped = _Timed(func, os.getpid())
    t0 = clock_ns()
    if hasattr(pool, "submit"):
        futures = [pool.submit(wrapped, x) for x in items]
        submitted = [clock_ns()] * len(items)
        out = [f.result() for f in futures]
    else:
        submitted = [t0] * len(items)
        out = pool.map(wrapped, items, chunksize)
    wall = (clock_ns() - t0) / 1e9
    tasks = [Task(i, w, pid, (submitted[i] - t0) / 1e9, (s - t0) / 1e9, (e - t0) / 1e9)
             for i, (_, w, pid, s, e) in enumerate(out)]
    return PoolRun([r[0] for r in out], tasks, wall)
