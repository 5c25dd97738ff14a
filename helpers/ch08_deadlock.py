"""Chapter 08: diners who deadlock (and the fixes), the original tutorial's demo, livelock, starvation.

Every in-process demo uses traced locks (`helpers.locks`), so `helpers.deadlock` can see who holds
what, and a deadlock can be ended (the locks are abandoned; each stuck diner raises `Abandoned` and
leaves the table): nothing is left running. Demos whose locks are plain `threading` locks run in a
fresh interpreter (`helpers.subproc`) that is killed after its time limit.

A diner's row shows what the diner is doing, in the course's colours: `running` while it eats (real
CPU work, `workloads.spin`), `lock wait` while blocked in `acquire()`, `blocked` while it sleeps
(thinking, backing off, or waiting at the "worst case" gate).
"""
from __future__ import annotations

import random
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from . import deadlock, locks, subproc
from .recording import Recorder
from .workloads import spin

STRATEGIES = ("naive", "ordered", "timeout", "try-lock", "one lock")
FIX_BREAKS = {                              # which Coffman condition each strategy removes
    "naive": "no fix, all four conditions hold",
    "ordered": "removes circular wait: everyone takes the lower-numbered lock first",
    "timeout": "removes no preemption: who waited too long gives its first lock back",
    "try-lock": "removes no preemption: who cannot get the second lock at once gives the first back",
    "one lock": "removes hold and wait: one lock for both, nobody holds one while waiting",
}


def table(diners: int = 2, lock_type=locks.TracedLock) -> tuple[list[str], list]:
    """Diner names and their resources: noodles and a fork for two, forks 0..n-1 for more."""
    if diners == 2:
        return ["Ann", "Bob"], [lock_type(name="noodles"), lock_type(name="fork")]
    return [f"diner {i}" for i in range(diners)], [lock_type(name=f"fork {i}") for i in range(diners)]


@dataclass
class Dinner:
    """What happened at the table: meals and retries per diner, the deadlock if there was one."""
    strategy: str
    names: list[str]
    meals: dict[str, int]
    retries: dict[str, int]
    gave_up: dict[str, bool]
    deadlock: deadlock.Snapshot | None
    seconds: float
    rows: dict = field(default_factory=dict)
    marks: dict = field(default_factory=dict)    # diner -> [(time, "retry" | "gave up")]
    holds: dict = field(default_factory=dict)    # diner -> [(start, end)] while it held a resource
    stopped_at: float | None = None              # when the deadlock was ended (s since start)

    def summary(self) -> str:
        """One line per diner: meals, retries; and how the dinner ended."""
        hungry = [n for n in self.names if self.gave_up[n]]
        end = ("DEADLOCK, ended by abandoning the locks" if self.deadlock is not None
               else f"{' and '.join(hungry)} gave up hungry" if hungry else "everyone ate")
        lines = [f"{self.strategy:9} {end} after {self.seconds * 1000:.0f} ms"]
        for n in self.names:
            lines.append(f"   {n:8} ate {self.meals[n]} meal(s), retried {self.retries[n]} time(s)"
                         + (", gave up hungry" if self.gave_up[n] else ""))
        return "\n".join(lines)


class _WorstCase:
    """Each diner, holding its first resource, waits here until every other diner holds one too,
    waits for one, has tried and failed, or is done; then they all go on at the same instant. The
    unlucky timing that a real program meets only now and then, made to happen every time."""

    def __init__(self, forks, names, done, retries, limit: float = 2.0):
        self.forks, self.names, self.done, self.retries, self.limit = forks, names, done, retries, limit
        self.arrived: set[str] = set()
        self.cond = threading.Condition()

    def ready(self, others, tried) -> bool:
        busy = {lk.owner for lk in self.forks} | {w for lk in self.forks for w in lk.waiting()}
        return all(n in self.arrived or n in busy or n in self.done or self.retries[n] > tried[n] for n in others)

    def wait(self, me: str) -> None:
        others = [n for n in self.names if n != me]
        tried = dict(self.retries)
        end = time.monotonic() + self.limit
        with self.cond:
            self.arrived.add(me)
            self.cond.notify_all()
            while not self.ready(others, tried) and time.monotonic() < end:
                self.cond.wait(0.0005)        # a wait for a lock does not notify: look again soon
            self.cond.notify_all()


def dinner(strategy: str = "naive", diners: int = 2, meals: int = 3, *, eat: float = 0.002,
           think: float = 0.002, worst_case: bool = True, patience: float = 0.005,
           lock_type=locks.TracedLock, limit: float = 5.0) -> Dinner:
    """Seat `diners` at a round table, each needing the resource on its left and on its right.

    `strategy`: "naive" (left, then right), "ordered" (lower number first), "timeout" (wait
    `patience` s for the second, else give back the first and retry), "try-lock" (the same without
    waiting), "one lock" (a single lock for the whole table). `worst_case`: in the first meal every
    diner holds its first resource before anyone reaches for a second. After a failed try a diner
    lets go of the first and backs off for a random time (up to twice `patience`).
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, not {strategy!r}")
    names, forks = table(diners, lock_type)
    table_lock = lock_type(name="table")
    rec = Recorder("dinner")
    eaten = {n: 0 for n in names}
    retries = {n: 0 for n in names}
    gave_up = {n: False for n in names}
    done: set[str] = set()
    gate = _WorstCase(forks, names, done, retries)
    rng = random.Random(1)

    def take(lock, blocking=True, timeout=-1):
        rec.state("lock wait")
        return lock.acquire(blocking, timeout)

    def pause(seconds):
        rec.state("blocked")
        time.sleep(seconds)

    def one_meal(me, first, second, worst) -> None:
        if strategy == "one lock":
            rec.state("lock wait")
            with table_lock:
                rec.state("running")
                spin(eat)
            return
        if strategy == "ordered":
            first, second = sorted((first, second), key=forks.index)
        while True:
            take(first)
            try:
                if worst:
                    rec.state("blocked")
                    gate.wait(me)
                    worst = False
                if strategy in ("naive", "ordered"):
                    got = take(second)
                elif strategy == "timeout":
                    got = take(second, True, patience)
                else:
                    got = take(second, False)
                if got:
                    try:
                        rec.state("running")
                        spin(eat)
                        return
                    finally:
                        second.release()
                retries[me] += 1
                rec.mark("retry")
            finally:
                first.release()
            pause(rng.uniform(0, 2 * patience))

    def diner(i):
        me = names[i]
        first, second = forks[i], forks[(i + 1) % diners]
        try:
            for m in range(meals):
                one_meal(me, first, second, worst=worst_case and m == 0)
                eaten[me] += 1
                pause(think)
        except locks.Abandoned:
            rec.mark("abandoned")
        finally:
            rec.done()
            with gate.cond:
                done.add(me)
                gate.cond.notify_all()

    threads = [threading.Thread(target=diner, args=(i,), name=n, daemon=True) for i, n in enumerate(names)]
    deadlock.prepare(sys.modules[__name__])   # read this module's source now, not while they dine
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    out = deadlock.join(threads, limit, rescue=True)
    seconds = time.perf_counter() - t0
    stopped = (time.perf_counter_ns() - rec.t0) / 1e9 if out.deadlock is not None else None
    marks = {n: [(e.t, e.detail) for e in rec.events() if e.worker == n and e.kind == "mark"] for n in names}
    rows = rec.rows(order=names)
    holds = _holds(rec, forks + [table_lock], names)
    rec.close()
    return Dinner(strategy, names, eaten, retries, gave_up, out.deadlock, seconds, rows, marks, holds, stopped)


def _holds(rec: Recorder, resources, names) -> dict[str, list[tuple[float, float]]]:
    """When each diner held any of the traced `resources`, on the recorder's time axis."""
    out = {n: [] for n in names}
    for lk in resources:
        shift = (lk._rec.t0 - rec.t0) / 1e9           # each traced lock counts from its own start
        for worker, segs in lk.rows().items():
            out.setdefault(worker, []).extend((a + shift, b + shift) for st, a, b in segs if st == locks.HOLDING)
    return out


def draw_dinner(result: Dinner, ax=None, title: str | None = None):
    """The diners' rows (eating, waiting for a lock, sleeping), retries as x, the deadlock's end."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from . import plots
    t0 = min((a for segs in result.rows.values() for _, a, _ in segs), default=0.0)
    ms = lambda t: (t - t0) * 1e3                     # noqa: E731  (time since the first diner moved)
    rows = {n: [(s, ms(a), ms(b)) for s, a, b in segs] for n, segs in result.rows.items()}
    ax = plots.timeline(rows, ax=ax, unit="ms", title=title or result.summary().splitlines()[0])
    wrong, held = plots.DIAGRAM_COLORS["wrong"], plots.STATE_COLORS["holding"]
    order = list(rows)
    for n in order:
        y = len(order) - 1 - order.index(n)
        end = max((b for _, _, b in result.rows.get(n, [])), default=0.0)   # not past the row's end
        bars = [(ms(a), ms(min(b, end)) - ms(a)) for a, b in result.holds.get(n, []) if a < end]
        ax.broken_barh(bars, (y - 0.38, 0.16), facecolors=held, edgecolor="none")
        marks = result.marks.get(n, [])
        xs = [ms(t) for t, what in marks if what == "retry"]
        ax.plot(xs, [y + 0.1] * len(xs), "x", color=wrong, markersize=6)
        for t, what in marks:
            if what == "gave up":
                ax.text(ms(t), y + 0.42, "gave up", fontsize=8, color=wrong, ha="right")
    if result.stopped_at is not None:
        ax.axvline(ms(result.stopped_at), color=wrong, linestyle="--")
        ax.text(ms(result.stopped_at), len(order) - 0.55, "deadlock found:\nlocks abandoned ",
                fontsize=8, color=wrong, va="top", ha="right")
    legend = ax.get_legend()
    handles = list(legend.legend_handles) if legend is not None else []
    handles.append(Patch(color=held, label="holds a resource\n(thin bar)"))
    if any(what == "retry" for marks in result.marks.values() for _, what in marks):
        handles.append(Line2D([], [], marker="x", linestyle="none", color=wrong, label="retry"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return ax


# ---- livelock: polite diners who keep stepping back ---------------------------------------------------

def polite_pair(backoff: str = "fixed", tries: int = 12, *, reach: float = 0.003, undo: float = 0.010,
                tick: float = 0.030, eat: float = 0.002) -> Dinner:
    """Two polite diners: each takes its first resource, reaches for the second (`reach` s), and if it
    is taken does not wait: it spends `undo` s putting things back (still holding the first), puts
    the first down and tries again. "fixed": again at the next tick of a shared clock (every `tick`
    s), like a retry timer; "random": after 1 to 4 ticks, chosen at random. After `tries` failed
    tries a diner gives up hungry. Returns what happened (a `Dinner`).

    The two collide again whenever they start a try less than about `undo` s apart: with a fixed
    back-off they start together every time (up to the scheduler's jitter), with a random one they
    soon start at different ticks."""
    if backoff not in ("fixed", "random"):
        raise ValueError("backoff must be 'fixed' or 'random'")
    names, forks = table(2)
    rec = Recorder("polite")
    eaten = {n: 0 for n in names}
    retries = {n: 0 for n in names}
    gave_up = {n: False for n in names}
    rng = random.Random()
    t0 = time.perf_counter()

    def until_tick(k: int = 1) -> None:       # sleep to the k-th next tick of the shared clock
        rec.state("blocked")
        now = time.perf_counter() - t0
        time.sleep((int(now / tick) + k) * tick - now)

    def diner(i):
        me, first, second = names[i], forks[i], forks[1 - i]
        until_tick()
        while retries[me] < tries:
            rec.state("lock wait")
            with first:
                rec.state("blocked")           # reaching across the table, holding the first
                time.sleep(reach)
                if second.acquire(blocking=False):
                    try:
                        rec.state("running")
                        spin(eat)
                        eaten[me] += 1
                        break
                    finally:
                        second.release()
                retries[me] += 1
                rec.mark("retry")
                time.sleep(undo)               # putting things back, still holding the first
            until_tick(1 if backoff == "fixed" else rng.randint(1, 4))
        else:
            rec.mark("gave up")
            gave_up[me] = True
        rec.done()

    threads = [threading.Thread(target=diner, args=(i,), name=n) for i, n in enumerate(names)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    marks = {n: [(e.t, e.detail) for e in rec.events() if e.worker == n and e.kind == "mark"] for n in names}
    rows = rec.rows(order=names)
    holds = _holds(rec, forks, names)
    rec.close()
    return Dinner(f"{backoff} back-off", names, eaten, retries, gave_up, None, seconds, rows, marks, holds)


# ---- starvation: who gets the lock next ---------------------------------------------------------------

class ReadersWriterLock:
    """Many readers at once, or one writer alone (the standard library has no such lock).

    `prefer="readers"`: a reader may enter whenever no writer *holds* the lock, even while a writer
    waits; with readers that overlap, the writer never finds it free (starvation). `prefer="writer"`:
    once a writer waits, new readers wait too, so the writer gets in as soon as the readers inside
    are done.
    """

    def __init__(self, prefer: str = "readers"):
        if prefer not in ("readers", "writer"):
            raise ValueError("prefer must be 'readers' or 'writer'")
        self.prefer = prefer
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0

    def acquire_read(self) -> None:
        with self._cond:
            while self._writing or (self.prefer == "writer" and self._writers_waiting):
                self._cond.wait()
            self._readers += 1

    def release_read(self) -> None:
        with self._cond:
            self._readers -= 1
            if not self._readers:
                self._cond.notify_all()

    def acquire_write(self) -> None:
        with self._cond:
            self._writers_waiting += 1
            while self._writing or self._readers:
                self._cond.wait()
            self._writers_waiting -= 1
            self._writing = True

    def release_write(self) -> None:
        with self._cond:
            self._writing = False
            self._cond.notify_all()


@dataclass
class Starvation:
    """Who got the lock how often, and the longest wait, in a run of `readers_and_writer`."""
    prefer: str
    seconds: float
    got: dict[str, int]
    longest_wait: dict[str, float]
    rows: dict = field(default_factory=dict)

    def summary(self) -> str:
        lines = [f"prefer {self.prefer}: a run of {self.seconds * 1000:.0f} ms"]
        for who in self.got:
            lines.append(f"   {who:9} got the lock {self.got[who]:3} times, longest wait "
                         f"{self.longest_wait[who] * 1000:6.1f} ms")
        return "\n".join(lines)

    def draw(self, ax=None, title: str | None = None):
        from . import plots
        rows = {w: [(st, a * 1e3, b * 1e3) for st, a, b in segs] for w, segs in self.rows.items()}
        return plots.timeline(rows, ax=ax, unit="ms", title=title or (
            f"prefer {self.prefer}: the writer got in {self.got['writer']} times, waited up to "
            f"{self.longest_wait['writer'] * 1000:.0f} ms"))


def readers_and_writer(prefer: str = "readers", readers: int = 3, seconds: float = 0.3, read: float = 0.001,
                       write: float = 0.001, pause: float = 0.01) -> Starvation:
    """`readers` threads read again and again (`read` s of CPU work each time) for `seconds`; one
    writer wants to write (`write` s of CPU work), then pauses `pause` s, again and again."""
    lock = ReadersWriterLock(prefer)
    rec = Recorder("readers and writer")
    got: dict[str, int] = {}
    longest: dict[str, float] = {}
    start = threading.Barrier(readers + 1)

    def loop(take, give, work, rest):
        me = threading.current_thread().name
        got[me], longest[me] = 0, 0.0
        start.wait()
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            rec.state("lock wait")
            t = time.perf_counter()
            take()
            longest[me] = max(longest[me], time.perf_counter() - t)
            rec.state("holding")
            spin(work)
            give()
            got[me] += 1
            if rest:
                rec.state("blocked")
                time.sleep(rest)
        rec.done()

    threads = [threading.Thread(target=loop, args=(lock.acquire_read, lock.release_read, read, 0), name=f"reader {i}")
               for i in range(readers)]
    threads.append(threading.Thread(target=loop, args=(lock.acquire_write, lock.release_write, write, pause),
                                    name="writer"))
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = Starvation(prefer, time.perf_counter() - t0, dict(sorted(got.items())),
                        dict(sorted(longest.items())), rec.rows(order=[t.name for t in threads]))
    rec.close()
    return result


class FairLock:
    """A first-come, first-served lock: `release()` hands it straight to the longest waiter.

    `threading.Lock` promises no order: a thread that releases and asks again at once often wins
    again, and a waiter can wait for a long time (from 3.13.1 CPython's Lock hands itself to a waiter
    that has waited more than 1 ms; up to 3.13.0 it has no such rule). Handing the lock over costs a
    thread switch per acquisition: fairness is paid for in throughput.
    """

    def __init__(self):
        self._mutex = threading.Lock()
        self._held = False
        self._queue: deque = deque()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        with self._mutex:
            if not self._held and not self._queue:
                self._held = True
                return True
            if not blocking:
                return False
            ticket = threading.Lock()
            ticket.acquire()
            self._queue.append(ticket)
        if ticket.acquire(True, timeout):     # released by release(): the lock is ours now
            return True
        with self._mutex:                     # timed out; unless it was handed over just now
            try:
                self._queue.remove(ticket)
                return False
            except ValueError:
                return True

    def release(self) -> None:
        with self._mutex:
            if not self._held:
                raise RuntimeError("release unlocked lock")
            if self._queue:
                self._queue.popleft().release()   # hand over: it stays held, by the next one
            else:
                self._held = False

    def locked(self) -> bool:
        return self._held

    __enter__ = lambda self: self.acquire()
    __exit__ = lambda self, *exc: self.release()


class TracedFairLock(locks.TracedLock):
    """A `FairLock` that records like a `TracedLock` (for the starvation pictures)."""

    def __init__(self, name: str = "fair lock"):
        super().__init__(name=name)
        self._inner = FairLock()


def greedy_workers(workers: int = 2, seconds: float = 0.3, inside: float = 0.0002, outside: float = 0.0,
                   fair: bool = False, patience: float | None = 0.005):
    """`workers` greedy threads take one lock again and again for `seconds`: `inside` s of CPU work in
    the critical section, `outside` s of CPU work between. With `patience`, one more thread,
    "impatient", waits at most that long for the lock each time (then gives up, and tries again a
    millisecond later). Returns the traced lock: its rows, and statistics with every give-up."""
    lock = TracedFairLock("fair lock") if fair else locks.TracedLock(name="lock")
    start = threading.Barrier(workers + (patience is not None))

    def greedy():
        start.wait()
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            with lock:
                spin(inside)
            if outside:
                spin(outside)

    def impatient():
        start.wait()
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            if lock.acquire(timeout=patience):
                try:
                    spin(inside)
                finally:
                    lock.release()
            time.sleep(0.001)

    threads = [threading.Thread(target=greedy, name=f"greedy {i}") for i in range(workers)]
    if patience is not None:
        threads.append(threading.Thread(target=impatient, name="impatient"))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return lock


def longest_waits(lock) -> dict[str, float]:
    """Each worker's longest wait for the lock, in seconds."""
    return {w: s.wait_max for w, s in lock.statistics().workers.items()}


# ---- the original tutorial's demo, in a fresh interpreter ----------------------------------------------

ORIGINAL_VARIANTS = {
    "as written: two Locks": "two locks",
    "two RLocks": "two rlocks",
    "the original's fix: one RLock, two names": "one rlock",
    "one Lock, two names": "one lock",
}


def original(variant: str = "two locks", threads: int = 4, watch: float | None = None) -> None:
    """The original tutorial's demo, rewritten in English: each thread runs f1 (A then B), then f2
    (B, a 0.1 s nap, then A). Run it in a fresh interpreter: it hangs, as in the original.

    `variant`: "two locks" (as written), "two rlocks", "one rlock" (`mutexA = mutexB = RLock()`,
    the original's fix), "one lock". `watch`: seconds after which `deadlock.watch` reports.
    """
    global mutexA, mutexB
    if variant == "two locks":
        mutexA, mutexB = threading.Lock(), threading.Lock()
    elif variant == "two rlocks":
        mutexA, mutexB = threading.RLock(), threading.RLock()
    elif variant == "one rlock":
        mutexA = mutexB = threading.RLock()
    elif variant == "one lock":
        mutexA = mutexB = threading.Lock()
    else:
        raise ValueError(f"unknown variant {variant!r}")
    if watch:
        deadlock.watch(after=watch, out=sys.stdout).start()
    workers = [_OriginalThread(f"Thread-{i + 1}") for i in range(threads)]
    for t in workers:
        t.start()
    print("main thread", flush=True)


class _OriginalThread(threading.Thread):
    def __init__(self, name):
        super().__init__(name=name)

    def f1(self):
        mutexA.acquire()
        print(f"{self.name} got A", flush=True)
        mutexB.acquire()
        print(f"{self.name} got B", flush=True)
        mutexB.release()
        mutexA.release()

    def f2(self):
        mutexB.acquire()
        print(f"{self.name} got B", flush=True)
        time.sleep(0.1)
        mutexA.acquire()
        print(f"{self.name} got A", flush=True)
        mutexA.release()
        mutexB.release()

    def run(self):
        self.f1()
        self.f2()


def run_original_variants(limit: float = 2.0, watch: float | None = None) -> dict[str, subproc.Result]:
    """Run every variant of the original demo at once, each in a fresh interpreter killed after
    `limit` seconds; return {label: result} (`result.timed_out`: it hung)."""
    handles = {label: subproc.start(f"from helpers import ch08_deadlock as c; c.original({v!r}, watch={watch!r})")
               for label, v in ORIGINAL_VARIANTS.items()}
    end = time.monotonic() + limit
    results = {}
    for label, h in handles.items():
        if h.wait(max(0.0, end - time.monotonic())) is None:
            h.timed_out = True
        results[label] = h.stop()
    return results


# ---- a learner's program with plain locks, for the detector --------------------------------------------

class Account:
    """A bank account with its own plain lock (the detector's demo; exercise 08 has its own)."""

    def __init__(self, number: int, balance: int):
        self.number, self.balance = number, balance
        self.lock = threading.Lock()


def transfer(src: Account, dst: Account, amount: int) -> None:
    """Move money, taking the source's lock first: two opposite transfers can deadlock."""
    with src.lock:
        time.sleep(0.05)                     # a slow check (fraud, limits): makes the bad timing likely
        with dst.lock:
            src.balance -= amount
            dst.balance += amount


def transfer_acquire(src: Account, dst: Account, amount: int) -> None:
    """The same transfer written with acquire()/release(), as the original tutorial writes locks."""
    src.lock.acquire()
    time.sleep(0.05)
    dst.lock.acquire()
    src.balance -= amount
    dst.balance += amount
    dst.lock.release()
    src.lock.release()


def bank(watch: float = 0.5, dump: bool = False, style: str = "with") -> None:
    """Two opposite transfers with plain locks (`style` "with" or "acquire"), watched by
    `deadlock.watch`. With `dump`, also print
    what the standard library's `faulthandler` shows: every thread's stack. Then exit (status 3 if
    the watch reported): the two threads are stuck for good, only the end of the process ends them."""
    import faulthandler
    import os
    a, b = Account(1, 100), Account(2, 100)
    with deadlock.watch(after=watch, out=sys.stdout, names={a.lock: "account 1", b.lock: "account 2"}) as w:
        move = transfer if style == "with" else transfer_acquire
        threads = [threading.Thread(target=move, args=(a, b, 10), name="pay 1->2", daemon=True),
                   threading.Thread(target=move, args=(b, a, 20), name="pay 2->1", daemon=True)]
        for t in threads:
            t.start()
        end = time.monotonic() + 10 * watch
        while not w.found and any(t.is_alive() for t in threads) and time.monotonic() < end:
            time.sleep(0.05)
    if dump:
        print("--- faulthandler.dump_traceback(all_threads=True) ---", flush=True)
        faulthandler.dump_traceback(file=sys.stdout, all_threads=True)
    sys.stdout.flush()
    os._exit(3 if w.found else 0)
