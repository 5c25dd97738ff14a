"""Locks that remember who waited and who held them: drop-ins for threads and for processes.

`TracedLock()` behaves like `threading.Lock()`; `TracedLock(ctx)` (ctx = `multiprocessing` or a
context from `multiprocessing.get_context(...)`) like `ctx.Lock()`, shared by child processes the
usual way (pass it as an argument to `Process`). `TracedSemaphore(n[, ctx])` likewise (and
`bounded=True` for a BoundedSemaphore). `TracedCondition()` is a `threading.Condition` that
records who waited when and every notify (threads only).

Each acquire/release cycle records three times, on the course's one clock: *requested* (acquire
called), *acquired* (acquire returned) and *released*. Waiting = requested -> acquired, holding =
acquired -> released. The record is one tuple appended to a per-process list when the lock is
released (about 0.5-1 us per cycle on top of the bare lock, see `make bench`); child processes
write their list once when they exit (see `recording`), so join them before reading.

`statistics()` summarises a run in the spirit of trio's `Lock.statistics()`: per worker how often
it got the lock, how long it waited and held it, and how many times the lock passed from one
worker to another (hand-offs). With no work outside the critical section one worker tends to get
the lock again and again (few hand-offs): that is fairness you can see.

A deadlock among traced locks of one process can be ended: `lock.abandon()` makes every thread
waiting for it, now or later, raise `Abandoned` (chapter 08's demos and exercise tests use it, so a
deadlocked thread finishes instead of staying blocked for ever; `helpers.deadlock` finds the cycle).
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field

from .recording import Recorder, clock_ns

HOLDING, WAITING = "holding", "lock wait"   # colours: see plots.STATE_COLORS


class Abandoned(RuntimeError):
    """Raised in a thread whose lock was abandoned to end a deadlock (`TracedLock.abandon`)."""


@dataclass
class WorkerStats:
    """One worker's totals, in seconds."""
    acquisitions: int = 0
    wait_total: float = 0.0
    wait_max: float = 0.0
    hold_total: float = 0.0
    hold_max: float = 0.0
    timeouts: int = 0


@dataclass
class LockStatistics:
    """What a traced lock saw: `workers` maps a worker name to its `WorkerStats`."""
    name: str
    acquisitions: int
    handoffs: int
    workers: dict[str, WorkerStats] = field(default_factory=dict)
    span: float = 0.0            # first request to last release, seconds
    held_fraction: float = 0.0   # share of `span` during which someone held the lock (1 holder)

    def table(self) -> str:
        """The statistics as a small text table (print it)."""
        lines = [f"{self.name}: {self.acquisitions} acquisitions, {self.handoffs} hand-offs, "
                 f"held {self.held_fraction:.0%} of {self.span * 1e3:.1f} ms",
                 f"{'worker':<24}{'count':>7}{'wait ms':>10}{'max wait':>10}{'hold ms':>10}"]
        for w, s in self.workers.items():
            lines.append(f"{w:<24}{s.acquisitions:>7}{s.wait_total * 1e3:>10.2f}{s.wait_max * 1e3:>10.2f}"
                         f"{s.hold_total * 1e3:>10.2f}")
        return "\n".join(lines)

    def __str__(self):
        return self.table()


class _Traced:
    """Shared machinery: the recorder, reading back, rows, statistics."""

    _kind = "lock"

    def _init(self, inner, name: str, ctx):
        self._inner = inner
        self.name = name
        self._mp = ctx is not None        # process-shared (multiprocessing) or threads only
        self._rec = Recorder(name)
        self._tls = threading.local()     # per thread: what a semaphore's holder holds

    def __getstate__(self):
        if not self._mp:
            raise TypeError(f"{type(self).__name__}() without a context is a lock for threads and cannot "
                            f"be sent to another process; make it with {type(self).__name__}(multiprocessing) "
                            f"or {type(self).__name__}(multiprocessing.get_context('spawn')).")
        return {"_inner": self._inner, "name": self.name, "_mp": True, "_rec": self._rec}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._tls = threading.local()

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()
        return False

    # -- reading -----------------------------------------------------------------------------
    def cycles(self) -> list[tuple[str, float, float, float | None]]:
        """Every (worker, requested, acquired, released) in seconds, by acquisition time; a failed
        (timed-out) acquire has acquired = None and released = the time it gave up."""
        out = []
        for e in self._rec.events():
            if e.kind != "acquire":
                continue
            t_acq, t_rel = e.detail
            out.append((e.worker, e.t, None if t_acq is None else (t_acq - self._rec.t0) / 1e9,
                        (t_rel - self._rec.t0) / 1e9))
        out.sort(key=lambda c: c[2] if c[2] is not None else c[3])
        return out

    def rows(self, order: list[str] | None = None, holding: str = HOLDING) -> dict[str, list[tuple[str, float, float]]]:
        """Timeline rows: per worker, 'lock wait' (a shade of blocked) and 'holding' (green) segments.

        `holding` names the state a hold is drawn in: 'holding' (running) when the holder computes,
        'blocked' when it sleeps or waits while it holds (a parked car, a simulated download).
        """
        rows: dict[str, list] = {w: [] for w in order or []}
        for worker, t_req, t_acq, t_rel in self.cycles():
            segs = rows.setdefault(worker, [])
            if t_acq is None:
                segs.append((WAITING, t_req, t_rel))
                continue
            if t_acq > t_req:
                segs.append((WAITING, t_req, t_acq))
            segs.append((holding, t_acq, t_rel))
        for segs in rows.values():
            segs.sort(key=lambda s: s[1])
        return rows

    def statistics(self) -> LockStatistics:
        """Per-worker wait and hold times, acquisitions and hand-offs (see `LockStatistics`)."""
        cycles = self.cycles()
        workers: dict[str, WorkerStats] = {}
        handoffs, prev, held = 0, None, 0.0
        for worker, t_req, t_acq, t_rel in cycles:
            s = workers.setdefault(worker, WorkerStats())
            if t_acq is None:
                s.timeouts += 1
                continue
            s.acquisitions += 1
            wait, hold = t_acq - t_req, t_rel - t_acq
            s.wait_total += wait
            s.wait_max = max(s.wait_max, wait)
            s.hold_total += hold
            s.hold_max = max(s.hold_max, hold)
            held += hold
            if prev is not None and worker != prev:
                handoffs += 1
            prev = worker
        span = (max(c[3] for c in cycles) - min(c[1] for c in cycles)) if cycles else 0.0
        n = sum(s.acquisitions for s in workers.values())
        return LockStatistics(self.name, n, handoffs, dict(sorted(workers.items())), span,
                              held / span / getattr(self, "_value", 1) if span else 0.0)

    def clear(self) -> None:
        """Forget the recorded cycles (to reuse the lock for another run)."""
        self._rec.clear()

    def plot(self, ax=None, title: str | None = None):
        """Draw who waited for and who held the lock (see `plots.lock`)."""
        from . import plots
        return plots.lock(self, ax=ax, title=title)


class TracedLock(_Traced):
    """A `threading.Lock` (or, given a multiprocessing context, a process-shared Lock) that records
    every request, acquisition and release. Use it exactly like the lock it replaces.

    While a run is in progress (or stuck: a deadlock), `owner` and `waiting()` say who holds the
    lock and who waits for it, as seen from this process; `wait_for_graph(...)` joins several locks.
    """

    def __init__(self, ctx=None, name: str = "lock"):
        self._init(threading.Lock() if ctx is None else ctx.Lock(), name, ctx)
        self._t = None
        self._waiting: dict[str, tuple[int, bool]] = {}    # worker -> (since, with a timeout?)
        self._abandoned = False

    def __getstate__(self):
        state = super().__getstate__()
        state["_t"] = None
        state["_waiting"] = {}
        state["_abandoned"] = False
        return state

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        t_req = clock_ns()
        inner = self._inner
        if inner.acquire(False):              # free: the fast path, nothing else to do
            ok = True
        elif not blocking:
            ok = False
        else:                                 # contended: note that we wait, then wait
            me = self._rec.worker()
            self._waiting[me] = (t_req, timeout is not None and timeout >= 0)
            try:
                if self._mp:                  # multiprocessing spells it acquire(block, timeout=None)
                    ok = inner.acquire(True, None if timeout is None or timeout < 0 else timeout)
                else:
                    ok = inner.acquire(True, timeout)
            finally:
                self._waiting.pop(me, None)
        if ok and self._abandoned:            # woken by abandon(): pass the wake-up on, and leave
            inner.release()
            raise Abandoned(f"{self.name!r} was abandoned to end a deadlock")
        if ok:
            self._t = (t_req, clock_ns(), self._rec.worker())     # safe: only the holder writes it
        else:
            self._rec.record(t_req, self._rec.worker(), "acquire", (None, clock_ns()))
        return ok

    def release(self) -> None:
        if self._abandoned:                   # a thread unwinding out of an abandoned deadlock
            return
        t = self._t
        if t is None:
            raise RuntimeError("release unlocked lock")
        t_rel = clock_ns()
        self._t = None
        self._rec.record(t[0], t[2], "acquire", (t[1], t_rel))
        self._inner.release()

    @property
    def owner(self) -> str | None:
        """The worker holding the lock now (if it took it in this process), else None."""
        t = self._t
        return t[2] if t else None

    def waiting(self) -> dict[str, float]:
        """Workers of this process blocked in acquire() right now, and since when (seconds)."""
        t0 = self._rec.t0
        return {w: (t - t0) / 1e9 for w, (t, _) in list(self._waiting.items())}

    def waiting_with_timeout(self) -> set[str]:
        """The workers in `waiting()` that gave acquire() a timeout: they will stop waiting by
        themselves, so a cycle through them is not (yet) a deadlock."""
        return {w for w, (_, timed) in list(self._waiting.items()) if timed}

    def abandon(self) -> None:
        """End a deadlock: every thread waiting for this lock, now or later, raises `Abandoned`,
        and `release()` does nothing any more. For demos and tests: the lock is useless afterwards.

        Threads only (a process-shared lock cannot be abandoned from one process). Call it on
        locks whose holders are stuck; `helpers.deadlock.join(..., rescue=True)` does.
        """
        if self._mp:
            raise TypeError("only a lock for threads can be abandoned; a process-shared lock is "
                            "waited for in other processes too")
        self._abandoned = True
        try:
            self._inner.release()             # wake one waiter; each woken waiter wakes the next
        except RuntimeError:
            pass                              # nobody held it

    def rows(self, order: list[str] | None = None, holding: str = HOLDING) -> dict[str, list[tuple[str, float, float]]]:
        """Like `_Traced.rows`, plus what is still going on: a hold or a wait not finished yet is
        drawn up to now (that is how a deadlock looks: two waits that never end)."""
        rows = super().rows(order, holding)
        now = (clock_ns() - self._rec.t0) / 1e9
        t = self._t
        if t is not None:
            rows.setdefault(t[2], [])
            if t[1] > t[0]:
                rows[t[2]].append((WAITING, (t[0] - self._rec.t0) / 1e9, (t[1] - self._rec.t0) / 1e9))
            rows[t[2]].append((holding, (t[1] - self._rec.t0) / 1e9, now))
        for w, since in self.waiting().items():
            rows.setdefault(w, []).append((WAITING, since, now))
        return rows

    def locked(self) -> bool:
        """True if someone holds the lock now."""
        inner = self._inner
        if hasattr(inner, "locked"):
            return inner.locked()
        if inner.acquire(False):     # multiprocessing.Lock before 3.12 has no locked()
            inner.release()
            return False
        return True

    def __repr__(self):
        return f"<TracedLock {self.name!r} {'locked' if self.locked() else 'unlocked'}>"


class TracedRLock(TracedLock):
    """A re-entrant lock (like `threading.RLock`; process-shared, given a context) that records the
    outermost acquire/release of each holder: nested re-acquisitions by the owner are not waits.

    It is a plain lock plus an owner and a depth kept here, which is what an RLock is: the owner
    may take it again (depth + 1) and must release it as often as it took it; only the outermost
    release frees it. `owner` and `depth` say who holds it and how deep.
    """

    def __init__(self, ctx=None, name: str = "rlock"):
        super().__init__(ctx, name)
        self._depth = 0
        self._owner_id = None

    def __getstate__(self):
        state = super().__getstate__()
        state.update(_depth=0, _owner_id=None)
        return state

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        me = (os.getpid(), threading.get_ident())
        if self._abandoned:
            raise Abandoned(f"{self.name!r} was abandoned to end a deadlock")
        if self._owner_id == me:              # re-entry by the owner: never waits
            self._depth += 1
            return True
        ok = super().acquire(blocking, timeout)
        if ok:
            self._owner_id, self._depth = me, 1
        return ok

    def release(self) -> None:
        if self._abandoned:
            return
        if self._owner_id != (os.getpid(), threading.get_ident()):
            raise RuntimeError("cannot release un-acquired lock")
        self._depth -= 1
        if self._depth:
            return
        self._owner_id = None
        super().release()

    @property
    def depth(self) -> int:
        """How many times the owner has taken it without releasing (0: free)."""
        return self._depth

    def __repr__(self):
        return f"<TracedRLock {self.name!r} owner={self.owner!r} depth={self._depth}>"


def wait_for_graph(*traced_locks) -> list[tuple[str, str, str]]:
    """Who waits for whom right now: (waiting worker, lock name, worker holding it) for each wait.

    A cycle in these edges (A waits for B's lock, B waits for A's) is a deadlock. Only waits and
    holders seen from this process are known (threads; for processes, call it in each process).
    """
    edges = []
    for lock in traced_locks:
        owner = lock.owner
        for waiter in lock.waiting():
            edges.append((waiter, lock.name, owner or "?"))
    return edges


def find_deadlock(*traced_locks) -> list[str] | None:
    """The workers in a wait-for cycle among these locks (a deadlock), or None if there is none."""
    waits_for = {w: o for w, _, o in wait_for_graph(*traced_locks)}
    for start in waits_for:
        seen, w = [], start
        while w in waits_for and w not in seen:
            seen.append(w)
            w = waits_for[w]
        if w in seen:
            return seen[seen.index(w):]
    return None


class TracedSemaphore(_Traced):
    """A `threading.Semaphore(value)` (or a process-shared one, given a context) that records every
    request, acquisition and release; several workers can hold it at once (up to `value`).

    `bounded=True` makes it a `BoundedSemaphore`: a release that would lift the counter above
    `value` raises ValueError, like the real one. Each release is paired with an acquire by the
    same worker; a release by a worker that holds no permit (an over-release, or a permit handed
    on to another thread) is recorded as an *unmatched release* (`unmatched_releases()`): on a
    plain Semaphore it silently adds a permit, which `peak()` and `permit_rows()` then show as
    more holders than `value`.
    """

    _kind = "semaphore"

    def __init__(self, value: int = 1, ctx=None, name: str = "semaphore", bounded: bool = False):
        if ctx is None:
            inner = threading.BoundedSemaphore(value) if bounded else threading.Semaphore(value)
        else:
            inner = ctx.BoundedSemaphore(value) if bounded else ctx.Semaphore(value)
        self._init(inner, name, ctx)
        self._value = value
        self.bounded = bounded

    @property
    def value(self) -> int:
        """The number of permits the semaphore was made with."""
        return self._value

    def __getstate__(self):
        state = super().__getstate__()
        state.update(_value=self._value, bounded=self.bounded)
        return state

    def _held(self) -> list:
        """This thread's (request, acquire) times of the permits it holds, most recent last."""
        try:
            return self._tls.held
        except AttributeError:
            self._tls.held = []
            return self._tls.held

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        t_req = clock_ns()
        ok = self._inner.acquire(blocking, timeout)
        if ok:
            self._held().append((t_req, clock_ns()))
        else:
            self._rec.record(t_req, self._rec.worker(), "acquire", (None, clock_ns()))
        return ok

    def release(self) -> None:
        held = self._held()
        t_rel = clock_ns()
        if held:
            t_req, t_acq = held.pop()
            self._rec.record(t_req, self._rec.worker(), "acquire", (t_acq, t_rel))
            self._inner.release()
        else:
            self._inner.release()        # a full BoundedSemaphore raises ValueError here: not recorded
            self._rec.record(t_rel, self._rec.worker(), "unmatched release")

    # -- reading -----------------------------------------------------------------------------
    def unmatched_releases(self) -> list[tuple[str, float]]:
        """(worker, time) of every release by a worker that held no permit, in seconds."""
        return [(e.worker, e.t) for e in self._rec.events() if e.kind == "unmatched release"]

    def in_use(self) -> list[tuple[float, int]]:
        """How many workers held a permit, as steps: (time, holders from then on), in seconds."""
        edges = sorted([(a, 1) for _, _, a, r in self.cycles() if a is not None] +
                       [(r, -1) for _, _, a, r in self.cycles() if a is not None])   # releases first at a tie
        steps, n = [(0.0, 0)], 0
        for t, d in edges:
            n += d
            steps.append((t, n))
        return steps

    def peak(self) -> int:
        """The most workers that held a permit at the same time (more than `value`: over-released)."""
        return max(n for _, n in self.in_use())

    def permit_rows(self, label: str = "permit") -> dict[str, list[tuple[str, float, float]]]:
        """One row per permit, each hold labelled with its worker: who held which permit when.

        A semaphore has no numbered permits; each hold is given the lowest-numbered permit free
        at that moment. Rows beyond `value` exist only when more workers held it than it has
        permits, and say so in their label.
        """
        ends: list[float] = []                    # per permit: when its last holder released it
        rows: dict[str, list] = {f"{label} {i + 1}": [] for i in range(self._value)}
        for worker, _, t_acq, t_rel in sorted((c for c in self.cycles() if c[2] is not None), key=lambda c: c[2]):
            free = next((i for i, end in enumerate(ends) if end <= t_acq), None)
            if free is None:
                free = len(ends)
                ends.append(t_rel)
            ends[free] = t_rel
            name = f"{label} {free + 1}" + (f" (over {self._value}!)" if free >= self._value else "")
            rows.setdefault(name, []).append((worker, t_acq, t_rel))
        return rows

    def plot(self, axes=None, title: str | None = None, holding: str = HOLDING, label: str = "permit"):
        """Draw who held which permit, and who waited (see `plots.semaphore`)."""
        from . import plots
        return plots.semaphore(self, axes=axes, title=title, holding=holding, label=label)

    def __repr__(self):
        kind = "bounded, " if self.bounded else ""
        return f"<TracedSemaphore {self.name!r} {kind}value={self._value}>"


class TracedCondition(threading.Condition):
    """A `threading.Condition` that records who waited when, and every notify (threads only).

    `waits()` lists (worker, start, end, notified) in seconds: `end` is when `wait()` returned,
    with the lock taken again; `notified` is False if it timed out. `notifies()` lists
    (worker, time, n), n being how many waiters it asked to wake ("all" for `notify_all`).
    `waiting()` names the threads inside `wait()` right now: a demo or a test can act once a thread
    is really waiting, not merely started. `rows()` draws each wait as blocked. Pass `rec` (a
    `Recorder`) to record into it, so that other events (marks) share the condition's clock.
    """

    def __init__(self, lock=None, name: str = "condition", rec: Recorder | None = None):
        super().__init__(lock)
        self.name = name
        self._rec = rec if rec is not None else Recorder(name)   # share one to put other events on its clock
        self._in_wait: dict[int, tuple[str, int]] = {}      # thread id -> (worker, since)
        self._notifying_all = threading.local()

    def wait(self, timeout: float | None = None) -> bool:
        me, ident, t0 = self._rec.worker(), threading.get_ident(), clock_ns()
        self._in_wait[ident] = (me, t0)
        try:
            notified = super().wait(timeout)
        finally:
            self._in_wait.pop(ident, None)
        self._rec.record(t0, me, "wait", (clock_ns(), notified))
        return notified

    def notify(self, n: int = 1) -> None:
        if not getattr(self._notifying_all, "on", False):
            self._rec.record(clock_ns(), self._rec.worker(), "notify", n)
        super().notify(n)

    def notify_all(self) -> None:
        self._rec.record(clock_ns(), self._rec.worker(), "notify", "all")
        self._notifying_all.on = True          # CPython's notify_all calls notify(): record it once
        try:
            super().notify_all()
        finally:
            self._notifying_all.on = False

    # -- reading -----------------------------------------------------------------------------
    def waiting(self) -> list[str]:
        """The threads blocked in `wait()` (or `wait_for()`) on this condition right now."""
        return [w for w, _ in list(self._in_wait.values())]

    def until_waiting(self, n: int, timeout: float = 5.0) -> bool:
        """Block until at least `n` threads are inside `wait()`; False if that took over `timeout` s."""
        deadline = clock_ns() + int(timeout * 1e9)
        while len(self._in_wait) < n:
            if clock_ns() > deadline:
                return False
            time.sleep(0.001)
        return True

    def waits(self) -> list[tuple[str, float, float, bool]]:
        """Every finished wait: (worker, start, end, notified), in seconds, by start time."""
        return [(e.worker, e.t, (e.detail[0] - self._rec.t0) / 1e9, e.detail[1])
                for e in self._rec.events() if e.kind == "wait"]

    def notifies(self) -> list[tuple[str, float, object]]:
        """Every notify: (worker, time, n or "all"), in seconds."""
        return [(e.worker, e.t, e.detail) for e in self._rec.events() if e.kind == "notify"]

    def rows(self, order: list[str] | None = None) -> dict[str, list[tuple[str, float, float]]]:
        """Timeline rows: each wait as 'blocked' (a wait still going on is drawn up to now)."""
        rows: dict[str, list] = {w: [] for w in order or []}
        for worker, start, end, _ in self.waits():
            rows.setdefault(worker, []).append(("blocked", start, end))
        now = (clock_ns() - self._rec.t0) / 1e9
        for worker, since in list(self._in_wait.values()):
            rows.setdefault(worker, []).append(("blocked", (since - self._rec.t0) / 1e9, now))
        return rows

    @property
    def recording(self) -> Recorder:
        """The recorder it writes to (given, or its own)."""
        return self._rec

    def clear(self) -> None:
        """Forget the recorded waits and notifies (to reuse the condition for another run)."""
        self._rec.clear()

    def __repr__(self):
        return f"<TracedCondition {self.name!r}: {len(self._in_wait)} waiting>"
