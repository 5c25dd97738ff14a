"""Who holds the GIL when: a probe that lets threads draw their own turns.

Each probe thread does tiny chunks of pure-Python work (a few microseconds each) and appends one
timestamp after every chunk to its own list. Recording (start, end) around bigger chunks would
mislead: a thread can lose the GIL in the middle of a chunk (docs/design-notes.md). Afterwards, per thread,
consecutive stamps closer together than a few chunk lengths are joined into "running" stretches;
a longer gap means the thread was waiting for the GIL ("GIL wait": a lock wait, drawn as a shade
of blocked, because the OS puts a thread that waits for the GIL to sleep). With the GIL, stretches of
different threads alternate and last about `sys.getswitchinterval()` (5 ms by default); on a
free-threaded build (3.13t/3.14t with the GIL off) they overlap: the picture shows both rows green
at the same time, and `overlap` tells how much.

    run = gil.probe(threads=2, seconds=0.1)        # or switch_interval=0.001
    run.plot()                                     # or plots.timeline(run.rows())
    run.slices_ms(), run.handoffs, run.overlap
"""
from __future__ import annotations

import statistics as _stats
import sys
import threading
import time
from dataclasses import dataclass, field

CHUNK = 200   # loop steps per chunk: a few microseconds of bytecode


def gil_enabled() -> bool:
    """True if this interpreter runs with a GIL (always before 3.13; 3.13t/3.14t can run without)."""
    check = getattr(sys, "_is_gil_enabled", None)
    return True if check is None else bool(check())


def _probe_thread(stamps: list, barrier: threading.Barrier, deadline_box: list, record: bool, chunk: int,
                  cpu: dict, name: str):
    clock = time.perf_counter_ns
    append = stamps.append
    barrier.wait()
    deadline = deadline_box[0]
    c0 = time.thread_time()
    if record:
        t = clock()
        while t < deadline:
            for _ in range(chunk):
                pass
            t = clock()
            append(t)
    else:
        n, t = 0, clock()
        while t < deadline:
            for _ in range(chunk):
                pass
            t = clock()
            n += 1
        stamps.append(n)
    cpu[name] = time.thread_time() - c0


def _io_thread(stamps: list, barrier, deadline_box, sleep: float):
    barrier.wait()
    deadline = deadline_box[0]
    clock = time.perf_counter_ns
    while clock() < deadline:
        stamps.append(clock())     # going to sleep (releases the GIL)
        time.sleep(sleep)
        stamps.append(clock())     # running again: woke up *and* got the GIL back


@dataclass
class GilRun:
    """The stamps of one probe run and what they say (see `probe`)."""
    stamps: dict[str, list[int]]
    t0: int
    switch_interval: float
    gil: bool
    gap_ns: int
    io_threads: list[str] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)   # CPU seconds each compute thread got
    io_sleep: float = 0.0

    def io_wakeup_delays_ms(self) -> list[float]:
        """For each I/O thread wake-up: ms from the end of its sleep until it ran again (got the GIL)."""
        out = []
        for name in self.io_threads:
            st = self.stamps[name]
            for k in range(0, len(st) - 1, 2):
                out.append(max(0.0, (st[k + 1] - st[k]) / 1e6 - self.io_sleep * 1e3))
        return out

    def rows(self) -> dict[str, list[tuple[str, float, float]]]:
        """Per thread: 'running' stretches and 'GIL wait' gaps (waiting for the GIL), in seconds."""
        rows = {}
        for name, st in self.stamps.items():
            segs = []
            if name in self.io_threads:
                # blocked while it sleeps; then 'GIL wait': awake, waiting for the GIL; then running
                t0, sleep_ns = self.t0, int(self.io_sleep * 1e9)
                for k in range(0, len(st) - 1, 2):
                    went, back = st[k], st[k + 1]
                    woke = min(went + sleep_ns, back)
                    segs.append(("blocked", (went - t0) / 1e9, (woke - t0) / 1e9))
                    if back > woke:
                        segs.append(("GIL wait", (woke - t0) / 1e9, (back - t0) / 1e9))
                    nxt = st[k + 2] if k + 2 < len(st) else back
                    segs.append(("running", (back - t0) / 1e9, (max(nxt, back + 100_000) - t0) / 1e9))
                rows[name] = segs
                continue
            for a, b in self._runs(st):
                # waiting for the GIL: from the start (or the end of its last run) to this run
                gap_start = segs[-1][2] if segs else 0.0
                if (a - self.t0) / 1e9 > gap_start:
                    segs.append(("GIL wait", gap_start, (a - self.t0) / 1e9))
                segs.append(("running", (a - self.t0) / 1e9, (b - self.t0) / 1e9))
            rows[name] = segs
        return rows

    def _runs(self, st: list[int]) -> list[tuple[int, int]]:
        runs = []
        if not st:
            return runs
        start = prev = st[0]
        for t in st[1:]:
            if t - prev > self.gap_ns:
                runs.append((start, prev))
                start = t
            prev = t
        runs.append((start, prev))
        return runs

    def slices_ms(self) -> list[float]:
        """Lengths (ms) of every uninterrupted stretch a compute thread ran."""
        return [(b - a) / 1e6 for name, st in self.stamps.items() if name not in self.io_threads
                for a, b in self._runs(st)]

    @property
    def median_slice_ms(self) -> float:
        s = self.slices_ms()
        return _stats.median(s) if s else 0.0

    @property
    def handoffs(self) -> int:
        """How many times the running compute thread changed (stamps of all threads merged, sorted)."""
        merged = sorted((t, name) for name, st in self.stamps.items() if name not in self.io_threads for t in st)
        return sum(1 for (_, a), (_, b) in zip(merged, merged[1:]) if a != b)

    @property
    def overlap(self) -> float:
        """Fraction of the run during which two or more compute threads ran at once (0 with a GIL)."""
        edges = []
        for name, st in self.stamps.items():
            if name in self.io_threads:
                continue
            for a, b in self._runs(st):
                edges += [(a, 1), (b, -1)]
        edges.sort()
        if not edges:
            return 0.0
        busy = both = 0
        level, last = 0, edges[0][0]
        for t, d in edges:
            if level >= 1:
                busy += t - last
            if level >= 2:
                both += t - last
            level += d
            last = t
        return both / busy if busy else 0.0

    def summary(self) -> str:
        """One line: switch interval, GIL state, median slice, hand-offs, overlap."""
        return (f"switch interval {self.switch_interval * 1e3:g} ms, GIL {'on' if self.gil else 'OFF'}: "
                f"median slice {self.median_slice_ms:.2f} ms, {self.handoffs} hand-offs, "
                f"overlap {self.overlap:.0%}")

    def plot(self, ax=None, title: str | None = None):
        """Draw the hand-off timeline (see `plots.gil`)."""
        from . import plots
        return plots.gil(self, ax=ax, title=title)


def probe(threads: int = 2, seconds: float = 0.1, *, switch_interval: float | None = None,
          io_threads: int = 0, io_sleep: float = 0.002, chunk: int = CHUNK, record: bool = True) -> GilRun:
    """Run `threads` CPU-bound probe threads for `seconds` and return who ran when.

    `switch_interval` temporarily sets `sys.setswitchinterval` (how long a thread may keep the GIL
    when another wants it). `io_threads` adds threads that sleep `io_sleep` in a loop: they get
    the GIL quickly when they wake up. `record=False` runs the same loop without timestamps
    (to measure the probe's overhead); the result then holds chunk counts instead of stamps.
    """
    old = sys.getswitchinterval()
    if switch_interval is not None:
        sys.setswitchinterval(switch_interval)
    try:
        barrier = threading.Barrier(threads + io_threads + 1)
        box = [0]
        stamps = {f"thread {i + 1}": [] for i in range(threads)}
        io_names = [f"I/O thread {i + 1}" for i in range(io_threads)]
        stamps.update({n: [] for n in io_names})
        cpu: dict[str, float] = {}
        workers = [threading.Thread(target=_probe_thread,
                                    args=(stamps[f"thread {i + 1}"], barrier, box, record, chunk, cpu, f"thread {i + 1}"),
                                    name=f"gil-probe-{i + 1}", daemon=True) for i in range(threads)]
        workers += [threading.Thread(target=_io_thread, args=(stamps[n], barrier, box, io_sleep), daemon=True)
                    for n in io_names]
        for w in workers:
            w.start()
        t0 = time.perf_counter_ns()
        box[0] = t0 + int(seconds * 1e9)
        barrier.wait()
        for w in workers:
            w.join()
        interval = sys.getswitchinterval()
    finally:
        sys.setswitchinterval(old)
    # a gap longer than this many chunk-lengths means "was not running"
    lens = []
    for name, st in stamps.items():
        if name not in io_names and len(st) > 2 and record:
            lens += [b - a for a, b in zip(st, st[1:])]
    typical = _stats.median(lens) if lens else 10_000
    gap = max(int(typical * 20), 50_000)   # >= 50 us: a switch costs more than a chunk
    return GilRun(stamps, t0, interval, gil_enabled(), gap, io_names, cpu, io_sleep)
