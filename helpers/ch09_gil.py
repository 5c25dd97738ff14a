"""Chapter 09, the GIL: the measurements behind the chapter (and `make bench`), in one place.

- `lost_updates(how)`: threads adding 1 to a shared counter, with the GIL on: what it does not protect.
- `workload_grid()`: CPU-bound and I/O-bound work, serial, on threads and on processes, in one run,
  with CPU time / wall time and the cores the machine really gave (`helpers.bench`).
- `convoy()`: how long an I/O thread waits for the GIL after waking up, next to CPU-bound threads.
- `hashing()`: threads in parallel where C code releases the GIL (hashlib on big buffers, zlib).
- `other_pythons()` / `run_elsewhere(python)`: the same benchmark on a free-threaded build (3.13t,
  3.14t) or with subinterpreters (3.14), wherever such an interpreter is installed.
- `probe_on_one_cpu()`: the GIL hand-offs of a process the OS may run on one CPU only.

Work that runs in another thread or process is a top-level function of a module (here or in
`helpers.workloads`), so it runs under fork, spawn and forkserver alike.
"""
from __future__ import annotations

import functools
import glob
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
import zlib
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass

from . import bench, gil, workloads

# ---- what the GIL does not protect ------------------------------------------------------------


class Counter:
    """A shared counter: `value` is read, changed and written back by several threads."""

    def __init__(self):
        self.value = 0


def add_one(x: int) -> int:
    return x + 1


HOW = {
    "+=": "counter.value += 1",
    "call": "counter.value = add_one(counter.value)",
    "lock": "with lock: counter.value = add_one(counter.value)",
}


def bump(counter: Counter, rounds: int, how: str, lock=None) -> None:
    """Add 1 to `counter.value` `rounds` times, the way `how` names (see `HOW`)."""
    if how == "+=":
        for _ in range(rounds):
            counter.value += 1
    elif how == "call":
        for _ in range(rounds):
            counter.value = add_one(counter.value)        # read ... a call (a switch point) ... write
    elif how == "lock":
        for _ in range(rounds):
            with lock:
                counter.value = add_one(counter.value)
    else:
        raise ValueError(f"how must be one of {sorted(HOW)}, not {how!r}")


def lost_updates(how: str, threads: int = 4, rounds: int = 100_000,
                 switch_interval: float | None = 0.0001) -> tuple[int, int]:
    """Run `threads` threads that each add 1 `rounds` times; return (expected, counted).

    While they run, the switch interval is `switch_interval` (0.1 ms: many hand-overs, so that the
    race shows on a fast machine too; None keeps the interpreter's own)."""
    counter, lock = Counter(), threading.Lock()
    workers = [threading.Thread(target=bump, args=(counter, rounds, how, lock)) for _ in range(threads)]
    old = sys.getswitchinterval()
    if switch_interval is not None:
        sys.setswitchinterval(switch_interval)
    try:
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    finally:
        sys.setswitchinterval(old)
    return threads * rounds, counter.value


def append_from_threads(threads: int = 4, rounds: int = 100_000) -> tuple[int, int]:
    """Threads appending to one list: (expected length, length). `list.append` is one step."""
    items: list[int] = []
    workers = [threading.Thread(target=_append, args=(items, rounds)) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return threads * rounds, len(items)


def _append(items: list, rounds: int) -> None:
    for i in range(rounds):
        items.append(i)


# ---- CPU-bound against I/O-bound, threads against processes -----------------------------------

def run_serial(func, args: list) -> list:
    return [func(a) for a in args]


def run_threads(func, args: list) -> list:
    with ThreadPoolExecutor(len(args)) as ex:
        return list(ex.map(func, args))


def run_processes(func, args: list) -> list:
    """One process per task, started now (its start-up is part of the time, as in real use)."""
    import multiprocessing
    with ProcessPoolExecutor(len(args), mp_context=multiprocessing.get_context()) as ex:
        return list(ex.map(func, args))


@dataclass
class Grid:
    """CPU-bound and I/O-bound work, each serial / on threads / on processes, from one run."""
    cpu: bench.Comparison
    io: bench.Comparison
    workers: int
    io_tasks: int
    start_method: str = ""      # how the processes were started (multiprocessing's start method)

    @property
    def cpus_given(self) -> float:
        """Cores' worth of CPU the machine gave (the lower of the checks before and after)."""
        return min(self.cpu.machine)

    def speedups(self) -> dict[str, float]:
        w, k = self.workers, self.io_tasks
        return {"cpu threads": self.cpu.speedup(f"{w} threads"), "cpu processes": self.cpu.speedup(f"{w} processes"),
                "io threads": self.io.speedup(f"{k} threads"), "io processes": self.io.speedup(f"{k} processes")}

    def table(self) -> str:
        started = f" (processes started with {self.start_method})" if self.start_method else ""
        return (f"CPU-bound: {self.workers} tasks of pure-Python counting{started}\n{self.cpu.table()}\n\n"
                f"I/O-bound: {self.io_tasks} tasks that sleep{started}\n{self.io.table()}")

    def verdict(self) -> str:
        """What this run measured, in words, including what the machine gave."""
        s, w, k = self.speedups(), self.workers, self.io_tasks
        limit = min(w, self.cpu.cpus)
        lines = [f"CPU-bound: {w} threads {s['cpu threads']:.2f}x, {w} processes {s['cpu processes']:.2f}x "
                 f"(the most {w} workers can reach on {self.cpu.cpus} usable CPUs: {limit}x).",
                 f"I/O-bound: {k} threads {s['io threads']:.2f}x, {k} processes {s['io processes']:.2f}x "
                 f"(sleeping needs no CPU: up to {k}x).",
                 f"This machine reports {os.cpu_count()} logical CPUs, {self.cpu.cpus} usable by this process; "
                 f"the machine check found {self.cpus_given:.2f} cores' worth of CPU given to us."]
        if self.cpus_given < 0.8 * self.cpu.cpus:
            lines.append(f"It gave fewer CPUs than it reports ({self.cpus_given:.1f} of {self.cpu.cpus}): the "
                         "processes' speed-up is held back by the machine, not by Python. Run it again later.")
        if self.start_method in ("spawn", "forkserver"):
            lines.append(f"The processes were started with {self.start_method}: each is a fresh interpreter (or a fork of "
                         "one) that must import the task's module, which can take longer than tasks this short. Where the "
                         "processes fall short of their limit, give each task more work (cpu_seconds, io_seconds).")
        return "\n".join(lines)

    def plot(self):
        import matplotlib.pyplot as plt
        from . import plots
        fig, axes = plt.subplots(2, 1, figsize=(9, 5.2))
        plots.bench(self.cpu, ax=axes[0], title=f"CPU-bound: {self.workers} tasks")
        plots.bench(self.io, ax=axes[1], title=f"I/O-bound: {self.io_tasks} sleeping tasks")
        fig.tight_layout()
        return axes


def workload_grid(workers: int | None = None, cpu_seconds: float = 0.15, io_tasks: int = 8,
                  io_seconds: float = 0.05, repeat: int = 3, warmup: int = 1, progress: bool = True) -> Grid:
    """Measure the six cases of the grid, with one machine check before and one after.

    CPU-bound: `workers` (default: the usable CPUs, at least 2) tasks of `cpu_seconds` of counting
    each. I/O-bound: `io_tasks` tasks that each sleep `io_seconds`. Processes are started for each
    run (a pool of one process per task) and their start-up counts: a few milliseconds each with
    fork, far more with spawn or forkserver (a fresh interpreter, or a fork of one, that imports the
    task's module).
    """
    import multiprocessing
    w = workers or max(2, bench.usable_cpus())
    n = workloads.iterations_for(cpu_seconds)
    before = bench.machine_cores(0.1)

    def cases(func, args, wk, cpu_bound):
        runs = {"serial": (run_serial, 1), f"{wk} threads": (run_threads, wk), f"{wk} processes": (run_processes, wk)}
        return [bench.measure(functools.partial(runner, func, args), repeat=repeat, warmup=warmup, label=label,
                              workers=k, progress=progress, cpu_bound=cpu_bound)
                for label, (runner, k) in runs.items()]

    cpu = cases(workloads.count, [n] * w, w, True)
    io = cases(workloads.sleep, [io_seconds] * io_tasks, io_tasks, False)
    after = bench.machine_cores(0.1)
    comps = [bench.Comparison(ms, "serial", bench.usable_cpus(), (before, after)) for ms in (cpu, io)]
    for c in comps:
        c.label_shortfalls()
    return Grid(comps[0], comps[1], w, io_tasks, multiprocessing.get_start_method())


# ---- the convoy effect -------------------------------------------------------------------------

def convoy(cpu_threads=(0, 1, 2), seconds: float = 0.3, switch_interval: float | None = None,
           io_sleep: float = 0.002) -> dict[int, list[float]]:
    """For each number of CPU-bound threads: the I/O thread's wake-up delays (ms) in one probe run."""
    return {k: gil.probe(k, seconds, switch_interval=switch_interval, io_threads=1, io_sleep=io_sleep)
            .io_wakeup_delays_ms() for k in cpu_threads}


def plot_convoy(delays: dict[int, list[float]], switch_interval: float, ax=None):
    """Wake-up delays of the I/O thread (one dot each, a bar at the median), one row per number of
    CPU-bound threads beside it, with the switch interval as a dashed line."""
    import matplotlib.pyplot as plt
    from . import plots
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.7 * len(delays) + 1.4))
    colour = plots.DIAGRAM_COLORS["measured"]
    for y, (k, d) in enumerate(delays.items()):
        jitter = [((i * 0.618) % 1 - 0.5) * 0.4 for i in range(len(d))]       # spread the dots, no randomness
        ax.scatter(d, [y + j for j in jitter], s=10, color=colour, alpha=0.6)
        if d:
            ax.plot([median(d)] * 2, [y - 0.3, y + 0.3], color=plots.DIAGRAM_COLORS["text"], linewidth=2)
    ax.set_yticks(range(len(delays)), [f"{k} CPU-bound thread{'s' if k != 1 else ''}" for k in delays])
    ax.axvline(switch_interval * 1e3, color="black", linestyle="--", label=f"switch interval {switch_interval * 1e3:g} ms")
    ax.set_xlabel("ms from the end of the sleep until the I/O thread ran again (bar: median)")
    ax.legend(loc="lower right", frameon=False, fontsize=8)
    ax.invert_yaxis()
    ax.figure.tight_layout()
    return ax


# ---- C code that releases the GIL ---------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _data(size: int) -> bytes:
    """`size` bytes that do not compress well (so zlib has real work), the same on every call."""
    block = hashlib.sha256(b"course").digest() * 32          # 1 KiB
    return (bytes(range(256)) * 4 + block) * (size // 2048) + bytes(size % 2048)


def digest(size: int, piece: int = 1 << 20, kind: str = "sha256") -> str:
    """Hash (or compress) `size` bytes, fed `piece` bytes at a time; returns a short result."""
    data = memoryview(_data(size))
    if kind == "sha256":
        h = hashlib.sha256()
        for i in range(0, size, piece):
            h.update(data[i:i + piece])
        return h.hexdigest()[:12]
    if kind == "zlib":
        c = zlib.compressobj(6)
        out = sum(len(c.compress(data[i:i + piece])) for i in range(0, size, piece)) + len(c.flush())
        return str(out)
    raise ValueError(f"kind must be 'sha256' or 'zlib', not {kind!r}")


def bytes_for(seconds: float, kind: str = "sha256") -> int:
    """How many bytes `digest` gets through in about `seconds` here (measured once, on 4 MiB)."""
    size = 4 << 20
    t = time.perf_counter()
    digest(size, kind=kind)
    rate = size / max(time.perf_counter() - t, 1e-6)
    return max(64 << 10, int(rate * seconds) // 2048 * 2048)


def hashing(workers: int | None = None, seconds: float = 0.15, piece: int = 1 << 20, kind: str = "sha256",
            repeat: int = 3, progress: bool = True) -> bench.Comparison:
    """`workers` tasks of about `seconds` of hashing each (fed `piece` bytes at a time): serial
    against threads. hashlib releases the GIL for pieces over 2047 bytes, zlib always."""
    w = workers or max(2, bench.usable_cpus())
    size = bytes_for(seconds, kind)
    task = functools.partial(digest, piece=piece, kind=kind)
    cases = {"serial": functools.partial(run_serial, task, [size] * w),
             f"{w} threads": functools.partial(run_threads, task, [size] * w)}
    return bench.compare(cases, workers={f"{w} threads": w}, repeat=repeat, progress=progress)


# ---- other interpreters: free-threaded builds, subinterpreters -----------------------------------

_CANDIDATES = ("python3.13t", "python3.14t", "python3.15t", "python3.14", "python3.15")
_DESCRIBE = ("import sys, sysconfig, importlib.util as u; print(sys.version.split()[0], "
             "bool(sysconfig.get_config_var('Py_GIL_DISABLED')), "
             "u.find_spec('concurrent.interpreters') is not None)")


def other_pythons() -> list[dict]:
    """Installed CPythons that would show something this chapter's interpreter may not:
    free-threaded builds (can run threads without the GIL) and 3.14+ (subinterpreters, each with
    its own GIL). Looks on PATH, in pyenv and uv folders and /usr/bin; each entry says
    {"python", "version", "free_threaded", "interpreters"}."""
    paths = [shutil.which(name) for name in _CANDIDATES]
    home = os.path.expanduser("~")
    for pattern in (".pyenv/versions/*/bin/python3.1[3-9]*", ".local/share/uv/python/*/bin/python3.1[3-9]*"):
        paths += glob.glob(os.path.join(home, pattern))
    paths += glob.glob("/usr/bin/python3.1[3-9]*") + glob.glob("/usr/local/bin/python3.1[3-9]*")
    found, seen = [], set()
    for path in sorted(filter(None, paths)):
        real = os.path.realpath(path)
        if real in seen or real == os.path.realpath(sys.executable) or path.endswith("-config"):
            continue
        seen.add(real)
        try:
            out = subprocess.run([path, "-c", _DESCRIBE], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            continue
        if out.returncode != 0 or len(out.stdout.split()) != 3:
            continue
        version, free, interps = out.stdout.split()
        if free == "True" or interps == "True":
            found.append({"python": path, "version": version, "free_threaded": free == "True",
                          "interpreters": interps == "True"})
    return found


def _threads_vs_serial(workers: int, n: int) -> tuple[float, float]:
    """(speed-up of `workers` threads over serial, CPU/wall of the threads) for `count(n)` tasks."""
    t = time.perf_counter()
    run_serial(workloads.count, [n] * workers)
    serial = time.perf_counter() - t
    c, t = time.process_time(), time.perf_counter()
    run_threads(workloads.count, [n] * workers)
    wall = time.perf_counter() - t
    return serial / wall, (time.process_time() - c) / wall


def gil_report(workers: int = 2, cpu_seconds: float = 0.1, probe_seconds: float = 0.05) -> dict:
    """What this interpreter does with CPU-bound threads: GIL on or off, threads' speed-up over
    serial and their CPU/wall, the probe's overlap; on 3.14+ also an InterpreterPoolExecutor's
    speed-up. Runs in any CPython 3.10+ (standard library and helpers.gil/workloads only)."""
    n = workloads.iterations_for(cpu_seconds)
    speedup, cpu_wall = _threads_vs_serial(workers, n)
    run = gil.probe(workers, probe_seconds)
    report = {"python": sys.version.split()[0], "gil": gil.gil_enabled(), "threads_speedup": speedup,
              "threads_cpu_wall": cpu_wall, "overlap": run.overlap, "median_turn_ms": run.median_slice_ms,
              "interpreters_speedup": None}
    try:
        from concurrent.futures import InterpreterPoolExecutor
    except ImportError:
        return report
    t = time.perf_counter()
    run_serial(workloads.count, [n] * workers)
    serial = time.perf_counter() - t
    with InterpreterPoolExecutor(workers) as ex:
        list(ex.map(workloads.sleep, [0.0] * workers))               # start the interpreters first
        t = time.perf_counter()
        list(ex.map(workloads.count, [n] * workers))
        report["interpreters_speedup"] = serial / (time.perf_counter() - t)
    return report


def run_elsewhere(python: str, gil_off: bool | None = None, timeout: float = 60, **kwargs) -> dict:
    """`gil_report(**kwargs)` in another interpreter; `gil_off` sets PYTHON_GIL=0 (True) or =1 (False)."""
    from . import subproc
    env = dict(os.environ)
    if gil_off is not None:
        env["PYTHON_GIL"] = "0" if gil_off else "1"
    return subproc.call(gil_report, python=python, timeout=timeout, env=env, **kwargs).check().value


def one_line(report: dict) -> str:
    """A report from `gil_report` as one line."""
    line = (f"Python {report['python']}, GIL {'on' if report['gil'] else 'OFF'}: CPU-bound threads "
            f"{report['threads_speedup']:.2f}x (CPU/wall {report['threads_cpu_wall']:.2f}), probe overlap "
            f"{report['overlap']:.0%}")
    if report["interpreters_speedup"] is not None:
        line += f"; InterpreterPoolExecutor {report['interpreters_speedup']:.2f}x"
    return line


# ---- when the OS gives the process one CPU -------------------------------------------------------

def probe_pinned(cpu: int, threads: int, seconds: float, switch_interval: float | None) -> gil.GilRun:
    """`gil.probe` in a process the OS may run on CPU `cpu` only (Linux: sched_setaffinity)."""
    os.sched_setaffinity(0, {cpu})
    return gil.probe(threads, seconds, switch_interval=switch_interval)


def probe_on_one_cpu(threads: int = 2, seconds: float = 0.2, switch_interval: float | None = None) -> gil.GilRun | None:
    """The same probe, in a fresh interpreter pinned to one CPU; None where the OS cannot pin."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    from . import subproc
    cpu = min(os.sched_getaffinity(0))
    return subproc.call(probe_pinned, cpu, threads, seconds, switch_interval, timeout=30).check().value


def median(xs) -> float:
    return statistics.median(xs) if xs else float("nan")


_KERNEL_PACKAGES = ("zmq", "ipykernel", "IPython", "jupyter_client", "tornado", "comm")


def threads_left(before: set) -> list[str]:
    """Threads started since `before` (a set of `threading.enumerate()`) that are still running,
    leaving out those of the notebook's own machinery (pyzmq starts one when a big output is sent)."""
    return [t.name for t in set(threading.enumerate()) - before
            if t.is_alive() and not type(t).__module__.startswith(_KERNEL_PACKAGES)]
