"""Who holds the GIL when: a probe that lets threads draw their own turns.

Each probe thread does tiny chunks of pure-Python work (a microsecond or two each) and appends one
timestamp after every chunk to its own list. Recording (start, end) around bigger chunks would
mislead: a thread can lose the GIL in the middle of a chunk (docs/design-notes.md).

How a run is read:
- A *gap* is a pause between two stamps of one thread longer than `gap_ns` (20 chunk lengths, at
  least 50 us). A gap is not always a wait for the GIL. With a GIL it is one only if another probe
  thread was seen running during it: "GIL wait" (a lock wait, drawn as a shade of blocked), from
  that thread's first stamp on (from the start of the gap when that stamp comes within `gap_ns`:
  that is the hand-off itself). In a gap where nobody else ran, the thread kept the GIL and
  stopped for another reason: the OS gave its CPU to another program, or the interpreter was busy
  (growing the stamp list copies it). Each thread reads its own CPU clock after every gap, so the
  probe tells the two apart: a gap without CPU time is "not running" (off the CPU: blocked or
  ready, the CPU clock cannot say which); a gap with CPU time stays "running". (The part of a gap
  before a late first stamp of another thread is "not running" too: the holder was off the CPU,
  or it had let go and the next thread was not yet on one.)
- A *turn* (`slices_ms`) is what a thread ran between two GIL waits, its stops included: with a
  GIL, the time it held the GIL. (Ending a slice at every gap instead cut one turn into several
  whenever the OS interrupted the holder: on a busy machine that reported slices well under the
  switch interval, docs/design-notes.md.)
- Without a GIL (3.13t/3.14t with the GIL off) nobody waits for a GIL: every gap without CPU time
  ends a run, and `overlap` says how much of the time two or more threads ran at once.

    run = gil.probe(threads=2, seconds=0.1)        # or switch_interval=0.001, io_threads=1
    run.plot()                                     # or plots.timeline(run.rows())
    run.slices_ms(), run.handoffs, run.stalls_ms(), run.overlap, run.io_wakeup_delays_ms()
"""
from __future__ import annotations

import bisect
import statistics as _stats
import sys
import threading
import time
from dataclasses import dataclass, field

CHUNK = 200   # loop steps per chunk: a microsecond or two of bytecode
MIN_GAP_NS = 50_000


def gil_enabled() -> bool:
    """True if this interpreter runs with a GIL (always before 3.13; 3.13t/3.14t can run without)."""
    check = getattr(sys, "_is_gil_enabled", None)
    return True if check is None else bool(check())


def _probe_thread(stamps: list, marks: list, barrier: threading.Barrier, deadline_box: list, record: bool,
                  chunk: int, gap: int, cpu: dict, name: str):
    clock, cpu_clock = time.perf_counter_ns, time.thread_time_ns
    append = stamps.append
    barrier.wait()
    deadline = deadline_box[0]
    c0 = cpu_clock()
    if record:
        prev = clock()
        append(prev)
        marks.append((0, c0))
        while prev < deadline:
            for _ in range(chunk):
                pass
            t = clock()
            append(t)
            if t - prev > gap:                      # back after a pause: how much CPU did we get?
                marks.append((len(stamps) - 1, cpu_clock()))
            prev = t
    else:
        n, t = 0, clock()
        while t < deadline:
            for _ in range(chunk):
                pass
            t = clock()
            n += 1
        stamps.append(n)
    cpu[name] = (cpu_clock() - c0) / 1e9


def _io_thread(stamps: list, barrier, deadline_box, sleep: float):
    barrier.wait()
    deadline = deadline_box[0]
    clock = time.perf_counter_ns
    while clock() < deadline:
        stamps.append(clock())     # going to sleep (releases the GIL)
        time.sleep(sleep)
        stamps.append(clock())     # running again: woke up *and* got the GIL back


def chunk_ns(chunk: int = CHUNK, n: int = 500) -> float:
    """Median nanoseconds between two stamps of a probe thread running alone (calibration)."""
    clock, stamps = time.perf_counter_ns, []
    for _ in range(n):
        for _ in range(chunk):
            pass
        stamps.append(clock())
    return _stats.median(b - a for a, b in zip(stamps, stamps[1:]))


@dataclass
class GilRun:
    """The stamps of one probe run and what they say (see the module docstring and `probe`)."""
    stamps: dict[str, list[int]]
    t0: int
    switch_interval: float
    gil: bool
    gap_ns: int
    io_threads: list[str] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)   # CPU seconds each compute thread got
    io_sleep: float = 0.0
    marks: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # (stamp index, thread CPU ns)
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def compute_threads(self) -> list[str]:
        return [n for n in self.stamps if n not in self.io_threads]

    def io_wakeup_delays_ms(self) -> list[float]:
        """For each I/O thread wake-up: ms from the end of its sleep until it ran again (got the GIL)."""
        out = []
        for name in self.io_threads:
            st = self.stamps[name]
            for k in range(0, len(st) - 1, 2):
                out.append(max(0.0, (st[k + 1] - st[k]) / 1e6 - self.io_sleep * 1e3))
        return out

    # ---- reading the stamps -------------------------------------------------------------------

    def _first_other_stamp(self, name: str, a: int, b: int) -> int | None:
        """The first stamp of any other probe thread strictly between a and b, or None."""
        first = None
        for other, st in self.stamps.items():
            if other == name:
                continue
            k = bisect.bisect_right(st, a)
            if k < len(st) and st[k] < b and (first is None or st[k] < first):
                first = st[k]
        return first

    def _cpu_fraction(self, name: str, i: int) -> float | None:
        """Share of the gap before stamp i that the thread spent on a CPU (None: not recorded)."""
        marks = self.marks.get(name)
        if not marks:
            return None
        k = bisect.bisect_left(marks, (i, -1))
        if k >= len(marks) or marks[k][0] != i or k == 0:
            return None
        (j, cj), ci = marks[k - 1], marks[k][1]
        st = self.stamps[name]
        wall = st[i] - st[i - 1]
        cpu = (ci - cj) - (st[i - 1] - st[j])       # CPU used minus the time it was seen running
        return min(1.0, max(0.0, cpu / wall)) if wall > 0 else 1.0

    def _segments(self, name: str) -> list[tuple[str, int, int, bool]]:
        """(state, start ns, end ns, stall) for a compute thread; stall: off the CPU, nobody else ran."""
        if name not in self._cache:
            self._cache[name] = self._read(name)
        return self._cache[name]

    def _read(self, name: str) -> list[tuple[str, int, int, bool]]:
        st = self.stamps[name]
        if not st:
            return []
        segs: list[tuple[str, int, int, bool]] = []

        def add(state, a, b, stall=False):
            if b <= a:
                return
            if segs and segs[-1][0] == state and segs[-1][2] == a and not stall and not segs[-1][3]:
                segs[-1] = (state, segs[-1][1], b, False)
            else:
                segs.append((state, a, b, stall))

        def gap(a, b, frac):
            other = self._first_other_stamp(name, a, b) if self.gil else None
            # the wait starts when another thread is seen running (at once, if that is within a gap)
            cut = b if other is None else a if other - a <= self.gap_ns else other
            state = "running" if frac is not None and frac >= 0.5 else "not running"
            add(state, a, cut, other is None and state == "not running")
            add("GIL wait", cut, b)

        if st[0] - self.t0 > self.gap_ns:      # started late: someone else had the GIL, or no CPU
            gap(self.t0, st[0], None)
        start, g = st[0], self.gap_ns
        for i in (i for i, (a, b) in enumerate(zip(st, st[1:]), 1) if b - a > g):
            add("running", start, st[i - 1])
            gap(st[i - 1], st[i], self._cpu_fraction(name, i))
            start = st[i]
        add("running", start, st[-1])
        return segs

    def rows(self) -> dict[str, list[tuple[str, float, float]]]:
        """Per thread: 'running', 'not running' and 'GIL wait' stretches (I/O threads: 'blocked' while
        they sleep), in seconds from the start of the run."""
        rows = {}
        t0 = self.t0
        for name, st in self.stamps.items():
            if name in self.io_threads:
                # blocked while it sleeps; then 'GIL wait': awake, waiting for the GIL; then running
                segs, sleep_ns = [], int(self.io_sleep * 1e9)
                for k in range(0, len(st) - 1, 2):
                    went, back = st[k], st[k + 1]
                    woke = min(went + sleep_ns, back)
                    segs.append(("blocked", (went - t0) / 1e9, (woke - t0) / 1e9))
                    if back > woke:
                        segs.append(("GIL wait", (woke - t0) / 1e9, (back - t0) / 1e9))
                    nxt = st[k + 2] if k + 2 < len(st) else back
                    segs.append(("running", (back - t0) / 1e9, (max(nxt, back + 100_000) - t0) / 1e9))
                rows[name] = segs
            else:
                rows[name] = [(s, (a - t0) / 1e9, (b - t0) / 1e9) for s, a, b, _ in self._segments(name)]
        return rows

    def _turns(self, name: str) -> list[tuple[int, int]]:
        """(start, end) ns of each turn: the stretch between two GIL waits (or, without a GIL, between
        two stops off the CPU), from its first stamp to its last."""
        turns, start, end = [], None, None
        ends_a_turn = ("GIL wait",) if self.gil else ("GIL wait", "not running")
        for state, a, b, _ in self._segments(name):
            if state in ends_a_turn:
                if start is not None:
                    turns.append((start, end))
                start = None
            elif state == "running":
                start = a if start is None else start
                end = b
        if start is not None:
            turns.append((start, end))
        return turns

    def slices_ms(self) -> list[float]:
        """Length (ms) of every turn a compute thread ran, except each thread's last (which the end of
        the run cuts short). With a GIL: how long each thread held it."""
        return [(b - a) / 1e6 for name in self.compute_threads for a, b in self._turns(name)[:-1]]

    def pieces_ms(self) -> list[float]:
        """Lengths (ms) of the stretches between any two pauses of a compute thread: the first
        probe's reading of "slices", kept to show why it misled (a stop is not a hand-off)."""
        g = self.gap_ns
        out = []
        for name in self.compute_threads:
            st, start = self.stamps[name], None
            for a, b in zip(st, st[1:]):
                start = a if start is None else start
                if b - a > g:
                    out.append((a - start) / 1e6)
                    start = None
        return out

    @property
    def median_slice_ms(self) -> float:
        s = self.slices_ms()
        return _stats.median(s) if s else 0.0

    def stalls_ms(self) -> list[float]:
        """Gaps (ms) in which a compute thread used no CPU and no other probe thread ran either: with a
        GIL, the holder was off the CPU (the OS ran something else) and nobody ran Python."""
        return [(b - a) / 1e6 for name in self.compute_threads for s, a, b, stall in self._segments(name)
                if stall and s == "not running"]

    @property
    def handoffs(self) -> int:
        """How many times the running compute thread changed (turns of all compute threads in order)."""
        turns = sorted((a, name) for name in self.compute_threads for a, _ in self._turns(name))
        return sum(1 for (_, x), (_, y) in zip(turns, turns[1:]) if x != y)

    @property
    def overlap(self) -> float:
        """Fraction of the run during which two or more compute threads ran at once (0 with a GIL)."""
        edges = []
        for name in self.compute_threads:
            for s, a, b, _ in self._segments(name):
                if s == "running":
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
        """One line: switch interval, GIL state, median turn, hand-offs, stops off the CPU, overlap."""
        stalls = self.stalls_ms()
        off = f", {len(stalls)} stops off the CPU (longest {max(stalls):.2f} ms)" if stalls else ""
        return (f"switch interval {self.switch_interval * 1e3:g} ms, GIL {'on' if self.gil else 'OFF'}: "
                f"median turn {self.median_slice_ms:.2f} ms, {self.handoffs} hand-offs{off}, "
                f"overlap {self.overlap:.0%}")

    def plot(self, ax=None, title: str | None = None):
        """Draw the hand-off timeline (see `plots.gil`)."""
        from . import plots
        return plots.gil(self, ax=ax, title=title)


def probe(threads: int = 2, seconds: float = 0.1, *, switch_interval: float | None = None,
          io_threads: int = 0, io_sleep: float = 0.002, chunk: int = CHUNK, record: bool = True) -> GilRun:
    """Run `threads` CPU-bound probe threads for `seconds` and return who ran when.

    `switch_interval` temporarily sets `sys.setswitchinterval` (how long a thread may keep the GIL
    when another wants it). `io_threads` adds threads that sleep `io_sleep` in a loop: when they
    wake up they must get the GIL back before they run (`io_wakeup_delays_ms`). `record=False` runs
    the same loop without timestamps (to measure the probe's overhead); the result then holds chunk
    counts instead of stamps.
    """
    if threads < 0 or io_threads < 0 or threads + io_threads < 1 or seconds <= 0:
        raise ValueError("probe needs at least one thread (threads + io_threads >= 1) and seconds > 0")
    gap = max(int(chunk_ns(chunk) * 20), MIN_GAP_NS)     # a switch costs more than a chunk
    old = sys.getswitchinterval()
    if switch_interval is not None:
        sys.setswitchinterval(switch_interval)
    try:
        barrier = threading.Barrier(threads + io_threads + 1)
        box = [0]
        names = [f"thread {i + 1}" for i in range(threads)]
        io_names = [f"I/O thread {i + 1}" for i in range(io_threads)]
        stamps = {n: [] for n in names + io_names}
        marks = {n: [] for n in names}
        cpu: dict[str, float] = {}
        workers = [threading.Thread(target=_probe_thread,
                                    args=(stamps[n], marks[n], barrier, box, record, chunk, gap, cpu, n),
                                    name=f"gil-probe-{i + 1}", daemon=True) for i, n in enumerate(names)]
        workers += [threading.Thread(target=_io_thread, args=(stamps[n], barrier, box, io_sleep),
                                     name=f"gil-probe-io-{i + 1}", daemon=True) for i, n in enumerate(io_names)]
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
    return GilRun(stamps, t0, interval, gil_enabled(), gap, io_names, cpu, io_sleep, marks)
