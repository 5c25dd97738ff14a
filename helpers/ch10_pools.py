"""Chapter 10 (pools): tasks for pool workers, and the measurements and pictures only this chapter draws.

The tasks at the top run in pool workers (threads or processes), so they are plain functions of
this module, importable under every start method; this module imports nothing heavy at the top,
because every spawned worker imports it. Pictures import matplotlib inside the function.

Shared instruments do the rest: `pools.run` (which worker ran which task), `bench` (CPUs, timing).
"""
from __future__ import annotations

import os
import time

from . import workloads

CALLS: list = []      # what `step` was called with, in this process (thread-pool demos read it)


# ---- tasks for the workers -------------------------------------------------------------------

def fail(message: str = "this task failed"):
    """A task that raises ValueError(message)."""
    raise ValueError(message)


def step(x, seconds: float = 0.1):
    """Note `x` in CALLS, sleep `seconds`, then return x, or raise ValueError if x is "fail"."""
    CALLS.append(x)
    time.sleep(seconds)
    if x == "fail":
        raise ValueError("the task given 'fail' failed")
    return x


def die(code: int = 1):
    """End the worker process at once, as a crash would (no exception, no clean-up)."""
    os._exit(code)


def pid_after(seconds: float = 0.0) -> int:
    """Sleep `seconds`, then return this worker's process id."""
    time.sleep(seconds)
    return os.getpid()


def tiny(x: int) -> int:
    """A task so small that sending it to a worker costs far more than running it."""
    return x + 1


def until_stopped(stop, seconds: float) -> str:
    """Sleep up to `seconds`, checking a `threading.Event` every 10 ms: a task that can be asked to stop."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if stop.wait(0.01):
            return "stopped early"
    return "ran to the end"


# ---- measurements ----------------------------------------------------------------------------

def one_process_per_task(ctx, func, args: list, at_once: int) -> float:
    """Run func(arg) in a new process for every arg, at most `at_once` alive at a time (what a
    pool of `at_once` workers would run in parallel, without re-using them). Returns seconds."""
    t0 = time.perf_counter()
    running: list = []
    for arg in args:
        if len(running) >= at_once:
            running.pop(0).join()
        p = ctx.Process(target=func, args=(arg,))
        p.start()
        running.append(p)
    for p in running:
        p.join()
    return time.perf_counter() - t0


def callback_delays(executor_class, tasks: int, work: float, callback_seconds: float, **pool_kwargs) -> list[float]:
    """When (seconds after submitting) the caller could see each of `tasks` futures done, when
    every future has a callback that sleeps `callback_seconds` (the original tutorial's `handle`)."""
    def slow_callback(future):
        time.sleep(callback_seconds)

    with executor_class(tasks, **pool_kwargs) as ex:
        list(ex.map(workloads.sleep, [0.0] * tasks))          # start every worker first
        t0 = time.perf_counter()
        futures = [ex.submit(workloads.sleep, work) for _ in range(tasks)]
        for f in futures:
            f.add_done_callback(slow_callback)
        from concurrent.futures import as_completed
        return [time.perf_counter() - t0 for _ in as_completed(futures)]


def shutdown_outcome(wait: bool, cancel_futures: bool, tasks: int = 4, seconds: float = 0.2) -> dict:
    """Submit `tasks` sleeps to a one-thread pool, call shutdown(wait, cancel_futures) while the
    first runs, and report what happened: when shutdown returned, which tasks ran (and when)."""
    from concurrent.futures import ThreadPoolExecutor, wait as wait_for
    ran: dict[int, tuple[float, float]] = {}
    t0 = time.perf_counter()

    def task(i):
        start = time.perf_counter() - t0
        time.sleep(seconds)
        ran[i] = (start, time.perf_counter() - t0)

    ex = ThreadPoolExecutor(1)
    futures = [ex.submit(task, i) for i in range(tasks)]
    time.sleep(seconds / 4)                          # the first task is running now
    ex.shutdown(wait=wait, cancel_futures=cancel_futures)
    returned = time.perf_counter() - t0
    # let the demo end before the next cell; not on the cancelled futures: wait() never counts
    # those cancelled by shutdown() as done (CPython gh-109934), it would wait for ever
    wait_for([f for f in futures if not f.cancelled()])
    ex.shutdown(wait=True)
    return {"returned": returned, "ran": ran, "cancelled": sum(f.cancelled() for f in futures)}


def chunk_costs(pool, chunksizes: list, n: int) -> dict:
    """Microseconds per task for `n` tiny tasks through `pool.map` at each chunksize ("auto": Pool's own)."""
    pool.map(tiny, range(4 * len(chunksizes)))              # workers started and warm
    costs = {}
    for c in chunksizes:
        t0 = time.perf_counter()
        pool.map(tiny, range(n), chunksize=None if c == "auto" else c)
        costs[c] = (time.perf_counter() - t0) / n * 1e6
    return costs


def auto_chunksize(n: int, workers: int) -> int:
    """The chunksize `multiprocessing.Pool.map` picks when given none: n / (4 x workers), rounded up."""
    chunksize, extra = divmod(n, workers * 4)
    return chunksize + 1 if extra else chunksize


def sweep_pool_sizes(make_pool, func, args: list, sizes: list[int]) -> dict[int, float]:
    """For each pool size: wall seconds to run func over args, the pool's start-up excluded."""
    out = {}
    for size in sizes:
        with make_pool(size) as ex:
            list(ex.map(workloads.sleep, [0.05] * size))      # start every worker first
            t0 = time.perf_counter()
            list(ex.map(func, args))
            out[size] = time.perf_counter() - t0
    return out


def pool_sizes(cpus: int, most: int) -> list[int]:
    """Pool sizes worth measuring: 1, 2, 4, ... up to `most`, and the number of CPUs itself."""
    sizes, k = {cpus}, 1
    while k <= most:
        sizes.add(k)
        k *= 2
    return sorted(s for s in sizes if s <= most)


# ---- pictures --------------------------------------------------------------------------------

def plot_callback_delays(delays: dict[str, list[float]], callback_seconds: float):
    """One row of dots per case: when the caller saw each future done."""
    import matplotlib.pyplot as plt
    from . import plots
    fig, ax = plt.subplots(figsize=(8, 0.55 * len(delays) + 1.2))
    for y, (label, times) in enumerate(reversed(list(delays.items()))):
        ax.plot(times, [y] * len(times), "o", color=plots.DIAGRAM_COLORS["measured"])
    ax.set_yticks(range(len(delays)))
    ax.set_yticklabels(list(reversed(list(delays))))
    ax.set_ylim(-0.6, len(delays) - 0.4)
    ax.set_xlim(left=0)
    ax.set_xlabel("seconds after submitting: the caller sees the future done")
    ax.set_title(f"equal tasks, one worker each; a slow callback sleeps {callback_seconds:g} s")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return ax


def plot_shutdowns(outcomes: dict[str, dict], seconds: float):
    """One row per way of shutting down: the tasks that ran (asleep: blocked) and when shutdown() returned."""
    from . import plots
    rows = {label: [("blocked", a, b) for a, b in sorted(o["ran"].values())] for label, o in outcomes.items()}
    ax = plots.timeline(rows, title=f"one worker, tasks of {seconds:g} s each (they sleep: blocked)")
    for y, o in enumerate(reversed(list(outcomes.values()))):
        ax.plot([o["returned"]] * 2, [y - 0.45, y + 0.45], color=plots.DIAGRAM_COLORS["text"], linewidth=2.5)
    ax.text(1.0, -0.25, "black line: shutdown() returned", transform=ax.transAxes, ha="right", fontsize=8)
    return ax


def plot_chunk_costs(costs: dict, n: int, workers: int):
    """Microseconds per tiny task against chunksize, log scale."""
    import matplotlib.pyplot as plt
    from . import plots
    labels = [f"{c} ({auto_chunksize(n, workers)})" if c == "auto" else str(c) for c in costs]
    fig, ax = plt.subplots(figsize=(7, 2.6))
    ax.bar(labels, list(costs.values()), color=plots.DIAGRAM_COLORS["measured"])
    ax.set_yscale("log")
    ax.set_xlabel("chunksize")
    ax.set_ylabel("µs per task (log)")
    ax.set_title(f"{n} tiny tasks through Pool.map on {workers} workers")
    for i, v in enumerate(costs.values()):
        ax.text(i, v, f"{v:.1f}", ha="center", va="bottom", fontsize=8)
    fig.tight_layout()
    return ax


def plot_pool_sizes(cpu: dict, io: dict, cpus: int):
    """Wall time against pool size, for CPU-bound work in processes and I/O-bound work in threads."""
    import matplotlib.pyplot as plt
    from . import plots
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
    for ax, (label, data, state) in zip(axes, [("CPU-bound tasks, process pool", cpu, "running"),
                                               ("I/O-bound tasks (sleeps), thread pool", io, "blocked")]):
        sizes = list(data)
        ax.plot(sizes, [data[s] for s in sizes], "o-", color=plots.STATE_COLORS[state])
        ax.axvline(cpus, color=plots.DIAGRAM_COLORS["text"], linestyle="--", linewidth=1)
        ax.text(cpus, ax.get_ylim()[1], f" {cpus} usable CPUs", va="top", fontsize=8)
        ax.set_xscale("log", base=2)
        ax.set_xticks(sizes)
        ax.set_xticklabels([str(s) for s in sizes])
        ax.set_xlabel("workers in the pool")
        ax.set_ylabel("wall time (s)")
        ax.set_ylim(bottom=0)
        ax.set_title(label, fontsize=10)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return axes
