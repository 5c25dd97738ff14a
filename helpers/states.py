"""Sample real processes and draw the three-state diagram from what the OS says: running, ready,
blocked (plus zombie and stopped).

Why /proc and not psutil alone (docs/design-notes.md): `psutil.Process.status()` says "running" both for a
process on a CPU and for one that *could* run but waits for a CPU, so it cannot show *ready*.
What Linux offers, per *thread*: `/proc/PID/schedstat` holds two running totals, nanoseconds on a CPU
and nanoseconds spent waiting in a run queue, and `/proc/PID/stat` the state letter (R, S, D, Z, T).
For a process both files describe its **main thread** only (`/proc/PID/task/TID/...` for the
others), so what is sampled here is each process's main thread.

How the timeline is rebuilt. The kernel updates the CPU total at scheduler events and timer ticks
(a few milliseconds apart), so single deltas are lumpy, and it adds a run-queue wait to the second
total only when the wait *ends* (the task gets a CPU): while a process waits, neither total moves.
So growth of the wait total cannot say *when* a process was ready, and "the rest of the interval"
is not blocked time. Instead, each sample's state letter decides what the interval before it was:
- letter S or D: *blocked*; Z: *zombie*; T: *stopped*;
- letter R: running-or-ready. When the wait total has grown by w in an interval, the task has just
  come off a run queue: the w nanoseconds are painted as *ready* back over the running-or-ready time
  just before the point where it started running again, and the rest stays *running*.
What the edges cannot know: nothing before the first sample is seen, and a wait that began before
it is credited in full when it ends (the picture clips it to the first sample; `totals()` counts
it all); a wait still going on at the last sample has not been credited yet, so it is drawn as
running. Edges are therefore accurate to about one sampling interval, or one run-queue wait.
`totals()` takes running and ready from the two kernel totals between the first and last samples
(zombie and stopped from the letters) and calls the rest of the wall time blocked.

Elsewhere (macOS, Windows) only psutil's status is available: the picture then shows "running
or ready" in one colour and says so in its title.

Cost: one `pread` of two small files per process per sample, on file descriptors kept open, in
a background thread: a few per cent of one CPU at a 2 ms interval for a few processes
(`make bench` prints `state_sampler_cpu_percent`).
"""
from __future__ import annotations

import os
import sys
import threading
import time

RUNNING, READY, BLOCKED, ZOMBIE, STOPPED = "running", "ready", "blocked", "zombie", "stopped"
RUNNING_OR_READY = "running or ready"
HAVE_SCHEDSTAT = sys.platform.startswith("linux") and os.path.exists(f"/proc/{os.getpid()}/schedstat")

_LETTER = {"R": RUNNING, "S": BLOCKED, "D": BLOCKED, "I": BLOCKED, "W": BLOCKED, "P": BLOCKED,
           "Z": ZOMBIE, "X": ZOMBIE, "T": STOPPED, "t": STOPPED}
_PSUTIL_STATUS = {"running": RUNNING_OR_READY, "sleeping": BLOCKED, "disk-sleep": BLOCKED,
                  "idle": BLOCKED, "waiting": BLOCKED, "waking": RUNNING_OR_READY, "parked": BLOCKED,
                  "zombie": ZOMBIE, "dead": ZOMBIE, "stopped": STOPPED, "tracing-stop": STOPPED}


def stat_letter(stat: bytes) -> str:
    """The state letter in a /proc/PID/stat line. The process name before it is in parentheses and
    may itself contain spaces or ')', so the letter is the first field after the *last* ')'."""
    return chr(stat[stat.rindex(b")") + 2])


def state_letter(pid: int) -> str | None:
    """The one-letter state `ps` shows (R, S, D, Z, T...) for `pid`, or None if there is no such process.

    Read from /proc/PID/stat on Linux (see `stat_letter`); elsewhere psutil's status is translated.
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return stat_letter(f.read())
    except FileNotFoundError:
        return None
    except OSError:
        pass
    import psutil
    try:
        status = psutil.Process(pid).status()
    except psutil.NoSuchProcess:
        return None
    return {"running": "R", "sleeping": "S", "disk-sleep": "D", "zombie": "Z", "stopped": "T",
            "idle": "I", "dead": "X"}.get(status, "?")


def _pid_of(p) -> int:
    """Accept a pid, a multiprocessing.Process, a subprocess.Popen or a psutil.Process."""
    if isinstance(p, int):
        return p
    pid = getattr(p, "pid", None)
    if pid is None:
        raise ValueError(f"{p!r} has no pid yet: start() the process before sampling it")
    return pid


def _label_of(p, pid: int) -> str:
    name = getattr(p, "name", None)
    if isinstance(name, str) and name:
        return f"{name} ({pid})"
    return f"pid {pid}"


class _ProcFiles:
    """Open /proc/PID/stat and /proc/PID/schedstat once; re-read them with pread (cheap)."""

    def __init__(self, pid: int):
        self.stat = os.open(f"/proc/{pid}/stat", os.O_RDONLY)
        try:
            self.sched = os.open(f"/proc/{pid}/schedstat", os.O_RDONLY)
        except OSError:
            os.close(self.stat)
            raise

    def read(self):
        """(state letter, raw schedstat bytes); raises OSError once the process is reaped.

        The hot path of sampling: two preads and nothing else. The name in /proc/PID/stat is at
        most 15 characters, so the first 64 bytes hold the state letter; the counters are parsed
        later (`_parse`), when the picture is drawn."""
        return stat_letter(os.pread(self.stat, 64, 0)), os.pread(self.sched, 128, 0)

    def close(self):
        for fd in (self.stat, self.sched):
            try:
                os.close(fd)
            except OSError:
                pass


def _parse(sample: tuple) -> tuple:
    """(t, letter, cpu ns, run-queue wait ns) from a sample as taken (raw schedstat bytes)."""
    t, letter, raw = sample[0], sample[1], sample[2]
    if not isinstance(raw, bytes):
        return sample
    run, wait, _ = raw.split()
    return t, letter, int(run), int(wait)


class StateRecording:
    """Samples of some processes' states over time; made by `sample(...)`.

    `rows()` gives timeline rows; `totals()` exact seconds per state; `stop()` ends sampling
    (also done by `rows()`, `totals()`, the end of a `with` block, or when every process is gone).
    """

    def __init__(self, procs, interval: float = 0.002, method: str = "auto", duration: float | None = None):
        procs = list(procs) if isinstance(procs, (list, tuple, set)) else [procs]
        self.pids = [_pid_of(p) for p in procs]
        self.labels = {pid: _label_of(p, pid) for p, pid in zip(procs, self.pids)}
        self.interval = interval
        if method == "auto":
            method = "schedstat" if HAVE_SCHEDSTAT else "psutil"
        if method not in ("schedstat", "psutil"):
            raise ValueError("method must be 'auto', 'schedstat' (Linux) or 'psutil'")
        self.method = method
        self.note = ("" if method == "schedstat" else
                     "ready cannot be told apart from running here (no /proc/PID/schedstat): "
                     "green-amber means 'running or ready'")
        self.samples: dict[int, list[tuple]] = {pid: [] for pid in self.pids}
        self.t0 = time.perf_counter_ns()
        self._duration = duration
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="state-sampler", daemon=True)
        self._thread.start()

    # -- sampling ------------------------------------------------------------------------------
    def _run(self):
        clock, interval_ns = time.perf_counter_ns, int(self.interval * 1e9)
        end = None if self._duration is None else self.t0 + int(self._duration * 1e9)
        readers = {}
        for pid in self.pids:
            try:
                readers[pid] = _ProcFiles(pid) if self.method == "schedstat" else _psutil_reader(pid)
            except (OSError, Exception):
                self.samples[pid].append((clock(), "gone", 0, 0))
        next_t = clock()
        last_round = False
        stop, sleep = self._stop, time.sleep
        try:
            while readers:
                last_round = last_round or stop.is_set()
                now = clock()
                for pid, r in list(readers.items()):
                    try:
                        self.samples[pid].append((now, *r.read()))
                    except Exception:   # reaped: the pid no longer exists
                        self.samples[pid].append((now, "gone", 0, 0))
                        r.close()
                        del readers[pid]
                if last_round or (end is not None and now >= end):
                    break
                next_t += interval_ns
                delay = (next_t - clock()) / 1e9
                if delay > 0:
                    sleep(delay)        # cheaper than waiting on the Event; stop() waits <= 1 interval
                else:
                    next_t = clock()
        finally:
            for r in readers.values():
                r.close()
            for pid in self.samples:
                self.samples[pid] = [_parse(s) for s in self.samples[pid]]

    def stop(self) -> "StateRecording":
        """Stop sampling after one last sample (with a `duration`: wait until it has passed).
        Idempotent; returns self."""
        if self._duration is None:
            self._stop.set()
        self._thread.join()
        return self

    def wait(self) -> "StateRecording":
        """Wait until sampling ends by itself (its `duration` passed, or every process is gone)."""
        self._thread.join()
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    # -- reading ---------------------------------------------------------------------------------
    def _state_of(self, letter: str) -> str:
        if self.method == "psutil":
            return letter        # already a course state name
        return _LETTER.get(letter, BLOCKED)

    def rows(self) -> dict[str, list[tuple[str, float, float]]]:
        """Each process's (state, start, end) segments in seconds since sampling began."""
        self.stop()
        return {self.labels[pid]: self._segments(pid) for pid in self.pids}

    def _segments(self, pid: int) -> list[tuple[str, float, float]]:
        samples = [s for s in self.samples[pid]]
        t0 = self.t0
        base: list[list] = []                   # [state, start_ns, end_ns]
        readies: list[tuple[int, int]] = []     # (start_ns, end_ns) of run-queue waits
        for (ta, _, ra, wa), (tb, letter, rb, wb) in zip(samples, samples[1:]):
            if letter == "gone" or samples[0][1] == "gone":
                break
            state = self._state_of(letter)
            base.append([state, ta, tb])
            if self.method == "schedstat" and wb > wa:
                # the wait ended (the task got a CPU) inside (ta, tb]: paint it back from there
                d_run = max(0, rb - ra)
                end = max(ta, tb - d_run)
                readies.append((end - (wb - wa), end))
        segs = _paint_ready(base, readies)
        out: list[tuple[str, float, float]] = []
        for state, a, b in segs:
            if b - a < 20_000:          # slivers under 20 us: below what sampling can resolve
                continue
            a, b = (a - t0) / 1e9, (b - t0) / 1e9
            if out and out[-1][0] == state and a - out[-1][2] < 1e-4:
                out[-1] = (state, out[-1][1], b)
            else:
                out.append((state, a, b))
        return out

    def totals(self) -> dict[str, dict[str, float]]:
        """Seconds each process spent running, ready and blocked while sampled (from the kernel's
        own counters, so exact), plus zombie/stopped time from the state letters."""
        self.stop()
        out = {}
        for pid in self.pids:
            rows = self._segments(pid)
            tot = {RUNNING: 0.0, READY: 0.0, BLOCKED: 0.0, ZOMBIE: 0.0, STOPPED: 0.0}
            if self.method == "psutil":
                tot[RUNNING_OR_READY] = 0.0
                for state, a, b in rows:
                    tot[state] = tot.get(state, 0.0) + (b - a)
                out[self.labels[pid]] = tot
                continue
            live = [s for s in self.samples[pid] if s[1] != "gone"]
            if len(live) >= 2:
                wall = (live[-1][0] - live[0][0]) / 1e9
                run = (live[-1][2] - live[0][2]) / 1e9
                ready = (live[-1][3] - live[0][3]) / 1e9
                for state, a, b in rows:
                    if state in (ZOMBIE, STOPPED):
                        tot[state] += b - a
                tot[RUNNING], tot[READY] = run, ready
                tot[BLOCKED] = max(0.0, wall - run - ready - tot[ZOMBIE] - tot[STOPPED])
            out[self.labels[pid]] = tot
        return out

    def seen(self, state: str) -> dict[str, bool]:
        """Was each process ever seen in `state` ('zombie', 'blocked', ...)?"""
        return {label: any(s == state for s, _, _ in segs) for label, segs in self.rows().items()}

    def plot(self, ax=None, title: str | None = None):
        """Draw the timeline (see `plots.states`)."""
        from . import plots
        return plots.states(self, ax=ax, title=title)


class _psutil_reader:
    def __init__(self, pid):
        import psutil
        self.p = psutil.Process(pid)

    def read(self):
        status = self.p.status()     # raises NoSuchProcess once reaped
        return _PSUTIL_STATUS.get(status, BLOCKED), 0, 0

    def close(self):
        pass


def _paint_ready(base: list[list], readies: list[tuple[int, int]]) -> list[tuple[str, int, int]]:
    """Overlay ready intervals on the running parts of `base` (sorted, contiguous segments)."""
    if not readies:
        return [tuple(s) for s in base]
    readies.sort()
    out = []
    j = 0
    for state, a, b in base:
        if state != RUNNING:
            out.append((state, a, b))
            continue
        while j < len(readies) and readies[j][1] <= a:
            j += 1
        cur, k = a, j
        while k < len(readies) and readies[k][0] < b:
            ra, rb = max(readies[k][0], cur), min(readies[k][1], b)
            if ra > cur:
                out.append((RUNNING, cur, ra))
            if rb > ra:
                out.append((READY, ra, rb))
                cur = rb
            else:
                cur = max(cur, rb)
            k += 1
        if cur < b:
            out.append((RUNNING, cur, b))
    return out


def sample(procs, interval: float = 0.002, *, method: str = "auto", duration: float | None = None) -> StateRecording:
    """Start sampling the states of `procs` (pids, Process or Popen objects) every `interval` s.

    Sampling runs in a background thread until you call `.stop()`, read `.rows()`, leave a
    `with` block, `duration` seconds pass, or every process is gone (reaped):

        rec = states.sample([p1, p2], interval=0.002)
        ...; p1.join(); p2.join()
        plots.states(rec)       # or plots.timeline(rec.rows())

    Start the processes first (a process needs a pid). Sampling does not reap: a child that exits
    stays a zombie until its parent waits for it (`join()`, `wait()`). Under the `forkserver`
    start method the fork server, not the notebook, is the parent and reaps at once, so such a
    child goes straight from running to gone; `subprocess.Popen` children stay zombies until waited.
    """
    return StateRecording(procs, interval=interval, method=method, duration=duration)


def run(tasks, *, names=None, interval: float = 0.002, ctx=None, cpus=None, timeout: float = 60.0) -> StateRecording:
    """Start one process per task, sample their states from the moment they all begin, return it.

    `tasks` is a list of (function, arg, ...) tuples; the functions must be importable (defined in
    a module, e.g. `helpers.workloads`). Every process first finishes starting up, then all are
    released together, so the picture shows the work and not the interpreter's start-up. Each
    process is joined as soon as it finishes (a finished, unjoined one would show as a zombie).
    `cpus` (Linux), e.g. {0}, pins every process to those CPUs: a way to get contention (ready
    time) on a machine with many cores.

        rec = states.run([(workloads.spin, 1.0)] * 3 + [(workloads.sleep, 1.0)],
                         names=["cpu 1", "cpu 2", "cpu 3", "sleeper"])
        plots.states(rec)
    """
    import multiprocessing
    from multiprocessing.connection import wait

    from . import workloads
    from .checks import ensure_importable

    ctx = ctx or multiprocessing.get_context()
    for func, *_ in tasks:
        ensure_importable(func, ctx, what="the process's function")
    names = names or [f"{getattr(t[0], '__name__', 'task')} {i + 1}" for i, t in enumerate(tasks)]
    ready, go = ctx.Semaphore(0), ctx.Event()
    procs = [ctx.Process(target=workloads.start_together, args=(ready, go, func, *args), name=name)
             for (func, *args), name in zip(tasks, names)]
    try:
        for p in procs:
            p.start()
        for _ in procs:
            if not ready.acquire(timeout=timeout):
                raise RuntimeError(f"a process did not start within {timeout} s")
        if cpus is not None:
            if not hasattr(os, "sched_setaffinity"):
                raise ValueError("cpus=... needs os.sched_setaffinity, which only Linux has; leave it out")
            for p in procs:
                os.sched_setaffinity(p.pid, set(cpus))
        rec = sample(procs, interval=interval)
        go.set()
        left = {p.sentinel: p for p in procs}
        deadline = time.monotonic() + timeout
        while left:
            for s in wait(list(left), timeout=max(0.0, deadline - time.monotonic())):
                left.pop(s).join()
            if time.monotonic() > deadline:
                raise RuntimeError(f"the processes were still running after {timeout} s")
        return rec.stop()
    finally:
        for p in procs:
            if p.is_alive():
                p.kill()
            if p.pid is not None:
                p.join()
