"""Benchmarks that do not teach the wrong lesson on a noisy machine.

- Every case runs several times (after a warm-up); we report the median and the spread (min-max)
  because a single run can be off by 2x on a shared laptop or VM.
- Speed-up is measured against a serial baseline and compared with the *physical limit*:
  min(workers, CPUs this process may use).
- Each run also records CPU time / wall time: how many cores' worth of CPU the run actually got.
  A process-parallel run on 2 cores should read about 2.0; if it reads 1.0, the machine gave us
  one core (docs/design-notes.md: this VM sometimes packs its two vCPUs onto one), and the table says so
  instead of presenting 1x as "parallelism does not help". `machine_cores()` checks the machine
  directly (n spinning processes, each reporting its own CPU time), before and after the cases.
- CPU time = this process (all threads) + children it has waited for (`RUSAGE_CHILDREN`) +
  grandchildren seen while running (a forkserver's children are not ours to wait for).
- Runs longer than about two seconds in total print a progress line.
"""
from __future__ import annotations

import math
import os
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import workloads

try:
    import resource                   # POSIX: CPU time of the children we have waited for
except ImportError:                   # Windows: count every descendant by polling instead
    resource = None


def _cgroup_cpu_quota(proc_cgroup: str = "/proc/self/cgroup", root: str = "/sys/fs/cgroup") -> float | None:
    """The CPU quota of this process's cgroup, in CPUs (`docker --cpus=1.5` gives 1.5), or None.

    cgroup v2 keeps it in `cpu.max` ("max 100000" or "150000 100000": quota and period in us), v1 in
    `cpu.cfs_quota_us` / `cpu.cfs_period_us` (-1: no quota). The smallest quota on the way up to the
    root counts. Only Linux has cgroups; elsewhere, and when the files cannot be read, None.
    """
    try:
        lines = Path(proc_cgroup).read_text().splitlines()
    except OSError:
        return None
    quotas = []
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":                                     # v2: 0::/path
            bases, files = [Path(root)], ("cpu.max",)
        elif "cpu" in controllers.split(","):                     # v1: N:cpu,cpuacct:/path
            bases = [Path(root) / name for name in (controllers, "cpu", "cpu,cpuacct")]
            files = ("cpu.cfs_quota_us", "cpu.cfs_period_us")
        else:
            continue
        for base in bases:
            folder = base / path.lstrip("/")
            if not folder.is_dir():       # in a container the path may be relative to another root
                folder = base
            while True:
                try:
                    values = [(folder / f).read_text().split() for f in files]
                except OSError:
                    values = None
                if values:
                    quota, period = (values[0][0], values[0][1]) if len(files) == 1 else (values[0][0], values[1][0])
                    if quota not in ("max", "-1") and int(period) > 0:
                        quotas.append(int(quota) / int(period))
                if folder == base or folder.parent == folder:
                    break
                folder = folder.parent
    return min(quotas) if quotas else None


def cpu_limits() -> dict[str, float | None]:
    """Everything that limits how many CPUs this process can use at once, as the OS reports it.

    - "logical CPUs": `os.cpu_count()`, what the machine has;
    - "affinity": CPUs the scheduler may run this process on (`os.sched_getaffinity`, which is
      what `os.process_cpu_count()` reads on Python 3.13+), None where the OS does not say;
    - "cgroup quota": CPU time per second the process's cgroup may use (`docker --cpus`), None
      when there is none. `os.process_cpu_count()` does *not* read it.
    """
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:                       # macOS, Windows
        affinity = None
    return {"logical CPUs": os.cpu_count() or 1, "affinity": affinity, "cgroup quota": _cgroup_cpu_quota()}


def usable_cpus() -> int:
    """How many CPUs this process can keep busy at the same time: the smallest limit of
    `cpu_limits()`, with a fractional quota rounded up (1.5 CPUs of quota still run 2 at once)."""
    limits = [v for v in cpu_limits().values() if v is not None]
    return max(1, math.ceil(min(limits)))


class _GrandchildCPU:
    """Poll descendants that are not our own children (so RUSAGE_CHILDREN misses them)."""

    def __init__(self, period: float = 0.02, everyone: bool = False):
        import psutil
        self._psutil, self._me, self._everyone = psutil, os.getpid(), everyone
        self.cpu: dict[int, float] = {}
        # processes that already exist count only for the CPU they use from now on
        self._base: dict[int, float] = {}
        for p in self._candidates():
            try:
                t = p.cpu_times()
                self._base[p.pid] = t.user + t.system
            except psutil.Error:
                pass
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, args=(period,), daemon=True)
        self._t.start()

    def _candidates(self) -> list:
        ps = self._psutil
        try:
            kids = ps.Process(self._me).children(recursive=True)
        except ps.Error:
            return []
        out = []
        for p in kids:
            try:
                if self._everyone or p.ppid() != self._me:
                    out.append(p)
            except ps.Error:
                pass
        return out

    def _run(self, period):
        while not self._stop.wait(period):
            for p in self._candidates():
                try:
                    t = p.cpu_times()
                    self.cpu[p.pid] = t.user + t.system - self._base.get(p.pid, 0.0)
                except self._psutil.Error:
                    pass

    def stop(self) -> float:
        self._stop.set()
        self._t.join()
        return sum(self.cpu.values())


def _cpu_now() -> float:
    if resource is None:
        return time.process_time()
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + ch.ru_utime + ch.ru_stime


def timed(func, *args, **kwargs) -> tuple[float, float, object]:
    """Run func once; return (wall seconds, CPU seconds used by us and our children, result)."""
    poll = _GrandchildCPU(everyone=resource is None)
    c0, t0 = _cpu_now(), time.perf_counter()
    try:
        result = func(*args, **kwargs)
    finally:
        wall = time.perf_counter() - t0
        extra = poll.stop()
    return wall, _cpu_now() - c0 + extra, result


@dataclass
class Measurement:
    """Repeated runs of one case: wall and CPU seconds per run."""
    label: str
    walls: list[float]
    cpus: list[float]
    workers: int = 1
    cpu_bound: bool = True   # False for work that waits (sleeps, I/O): it needs no CPU to overlap

    @property
    def median(self) -> float:
        return statistics.median(self.walls)

    @property
    def spread(self) -> tuple[float, float]:
        return min(self.walls), max(self.walls)

    @property
    def cpu_wall(self) -> float:
        """Median over runs of CPU time / wall time: cores' worth of CPU the case got."""
        return statistics.median(c / w for c, w in zip(self.cpus, self.walls) if w > 0)


def measure(func, *args, repeat: int = 5, warmup: int = 1, label: str | None = None,
            workers: int = 1, progress: bool = True, cpu_bound: bool = True, **kwargs) -> Measurement:
    """Run `func(*args, **kwargs)` `warmup` + `repeat` times; keep wall and CPU time of each run."""
    label = label or getattr(func, "__name__", "case")
    walls, cpus = [], []
    start = time.perf_counter()
    show = False
    for i in range(warmup + repeat):
        wall, cpu, _ = timed(func, *args, **kwargs)
        if i >= warmup:
            walls.append(wall)
            cpus.append(cpu)
        elapsed = time.perf_counter() - start
        show = show or (progress and elapsed / (i + 1) * (warmup + repeat) > 2.0)
        if show:
            print(f"\r{label}: run {i + 1}/{warmup + repeat}, {elapsed:.1f} s", end="", flush=True)
    if show:
        print(f"\r{label}: {repeat} runs, median {statistics.median(walls):.3f} s" + " " * 10, flush=True)
    return Measurement(label, walls, cpus, workers, cpu_bound)


def _spin_report(seconds: float) -> float:
    """Spin `seconds` of wall time; return the CPU time this process got meanwhile."""
    c = time.process_time()
    workloads.spin_wall(seconds)
    return time.process_time() - c


def machine_cores(seconds: float = 0.2, n: int | None = None) -> float:
    """How many cores' worth of CPU `n` (default: all usable CPUs) spinning processes really get.

    Each process spins for `seconds` of wall time and reports its own CPU time; the sum over
    the wall time is the number of cores the machine actually gave us (2.0 on a healthy 2-CPU
    machine; about 1.0 when something else, or the hypervisor, takes one away).
    """
    from concurrent.futures import ProcessPoolExecutor
    import multiprocessing
    n = n or usable_cpus()
    with ProcessPoolExecutor(n, mp_context=multiprocessing.get_context()) as ex:
        list(ex.map(workloads.sleep, [0.0] * n))          # start the workers first
        t0 = time.perf_counter()
        cpu = sum(ex.map(_spin_report, [seconds] * n))
        wall = time.perf_counter() - t0
    return cpu / wall


@dataclass
class Comparison:
    """Several cases against one baseline: median, spread, speed-up, limit and CPU/wall each."""
    cases: list[Measurement]
    baseline: str
    cpus: int
    machine: tuple[float, float] = (float("nan"), float("nan"))
    notes: dict[str, str] = field(default_factory=dict)

    def speedup(self, label: str) -> float:
        base = next(m for m in self.cases if m.label == self.baseline)
        return base.median / next(m for m in self.cases if m.label == label).median

    def limit(self, m: Measurement) -> int:
        """The physical limit on speed-up for a case: min(its workers, usable CPUs); for work that
        waits instead of computing (`cpu_bound=False`), its workers: waiting needs no CPU."""
        return max(1, min(m.workers, self.cpus) if m.cpu_bound else m.workers)

    def table(self) -> str:
        """A text table of the comparison, with a warning line when the machine gave fewer cores."""
        lines = [f"{'case':<22}{'median s':>9}{'min-max s':>16}{'speed-up':>9}{'limit':>6}{'CPU/wall':>9}  note"]
        for m in self.cases:
            lo, hi = m.spread
            lines.append(f"{m.label:<22}{m.median:>9.3f}{f'{lo:.3f}-{hi:.3f}':>16}{self.speedup(m.label):>8.2f}x"
                         f"{self.limit(m):>5}x{m.cpu_wall:>9.2f}  {self.notes.get(m.label, '')}")
        before, after = self.machine
        lines.append(f"machine check: {before:.2f} cores before, {after:.2f} after (of {self.cpus} usable)")
        if min(before, after) < 0.8 * self.cpus:
            lines.append(f"WARNING: the machine gave fewer cores than it has ({min(before, after):.1f} of "
                         f"{self.cpus}); parallel speed-ups above are understated. Re-run later.")
        return "\n".join(lines)

    def __str__(self):
        return self.table()

    def label_shortfalls(self) -> dict[str, str]:
        """Note every case whose CPU/wall fell well short of its limit (done by `compare`)."""
        before, after = self.machine
        machine_ok = not min(before, after) < 0.8 * self.cpus     # True when not checked (nan)
        for m in self.cases:
            expect = self.limit(m)
            if m.cpu_bound and m.cpu_wall < 0.75 * expect:
                note = f"got only {m.cpu_wall:.2f} cores' worth of CPU, not {expect}"
                if not machine_ok:
                    note += " (the machine gave fewer cores)"
                elif expect == 1:
                    note += " (something else was using the CPU)"
                if m.label == self.baseline:
                    note += "; speed-ups against it are overstated"
                self.notes[m.label] = note
        return self.notes

    def plot(self, ax=None, title: str | None = None):
        """Bar chart of median times with min-max whiskers, speed-ups and limits (see `plots.bench`)."""
        from . import plots
        return plots.bench(self, ax=ax, title=title)


def compare(cases: dict, baseline: str | None = None, workers: dict[str, int] | None = None,
            repeat: int = 3, warmup: int = 1, check_machine: bool = True, progress: bool = True,
            cpu_bound: bool = True) -> Comparison:
    """Measure several cases and compare each with `baseline` (default: the first case).

    `cases` maps a label to a zero-argument callable (use `functools.partial` for arguments);
    `workers` maps a label to how many workers it runs in parallel (default 1), which sets its
    physical limit and the CPU/wall it should reach. A case whose CPU/wall falls well short of
    that limit is labelled (a serial baseline that got half a core makes every speed-up look
    twice as good); a machine check before and after says whether the machine or the program is
    to blame (threads held back by the GIL also read about 1.0: that is the program).
    `cpu_bound=False` says the cases wait (sleep, I/O) instead of computing: their limit is their
    number of workers, and a CPU/wall near 0 is what they should read.
    """
    workers = workers or {}
    baseline = baseline or next(iter(cases))
    cpus = usable_cpus()
    before = machine_cores(0.1) if check_machine else float("nan")
    ms = [measure(f, repeat=repeat, warmup=warmup, label=label, workers=workers.get(label, 1), progress=progress,
                  cpu_bound=cpu_bound) for label, f in cases.items()]
    after = machine_cores(0.1) if check_machine else float("nan")
    comp = Comparison(ms, baseline, cpus, (before, after))
    comp.label_shortfalls()
    return comp
