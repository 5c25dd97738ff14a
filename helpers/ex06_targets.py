"""Test-side tools for exercise ex06 (semaphores, events, conditions, barriers): the visits, ticks,
shift work and instrumented buffer parts that the tests hand to your functions, and what they
observed.

Reading them is allowed and may help you understand what a test checks. None of them decides by
how long something took: each records what happened (how many at once, in which order, whether
anything ran after closing time), and a time limit only turns a hang into a failed test.
"""
from __future__ import annotations

import collections
import threading
import time

from .locks import TracedCondition
from .testing import wait_until

OVERLAP_WAIT = 5.0      # seconds the tests wait for cars to be inside together before concluding they cannot be
EXTRA_CARS_WAIT = 0.2   # seconds the cars stay inside after that, so that a gate that lets too many in shows it


# ---- task 1: visits to the car park -----------------------------------------------------------

class Visits:
    """A `visit(car)` function that notes how many cars were inside at once (`peak`), which cars
    visited, and returns the car's name in capitals.

    A visit lasts until `leave` is set (at once, unless a test cleared it: see `rush`). `full` is
    set by a test that holds every space itself: a visit made while it is set entered a full car
    park (`while_full`).
    """

    def __init__(self):
        self.inside = self.peak = 0
        self.visited: list[str] = []
        self.while_full: list[str] = []
        self.full, self.leave = threading.Event(), threading.Event()
        self.leave.set()
        self._lock = threading.Lock()

    def __call__(self, car):
        with self._lock:
            if self.full.is_set():
                self.while_full.append(car)
            self.inside += 1
            self.peak = max(self.peak, self.inside)
            self.visited.append(car)
        try:
            self.leave.wait(OVERLAP_WAIT * 2)
        finally:
            with self._lock:
                self.inside -= 1
        return str(car).upper()


def rush(park, lot, cars: list, visits: Visits, spaces: int, limit: float = 5.0):
    """Send every car to `park(lot, car, visits)` at once, each from a thread of its own.

    The first cars stay inside until `spaces` of them are (at most `OVERLAP_WAIT` s), and
    `EXTRA_CARS_WAIT` s more, so that a gate letting in one car too many is seen in `visits.peak`;
    then all are let go. Returns (results in car order, whether `spaces` cars were inside at once).
    Fails with a hint if a park() call hangs; re-raises the first exception a call raised.
    """
    visits.leave.clear()
    results, errors = [None] * len(cars), []

    def one(i, car):
        try:
            results[i] = park(lot, car, visits)
        except BaseException as exc:  # handed to the test, which re-raises it
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i, car), name=f"park({car!r})", daemon=True)
               for i, car in enumerate(cars)]
    for t in threads:
        t.start()
    together = wait_until(lambda: visits.inside >= spaces, OVERLAP_WAIT, every=0.005)
    time.sleep(EXTRA_CARS_WAIT)
    visits.leave.set()
    deadline = time.monotonic() + limit
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    hung = [t.name for t in threads if t.is_alive()]
    if hung:
        raise AssertionError(f"{', '.join(hung)} did not finish within {limit:g} s of the cars being let go: does "
                             "park() give its space back, so that the waiting cars get in?")
    if errors:
        raise errors[0]
    return results, together


def free_spaces(lot, at_most: int = 20) -> int:
    """How many spaces `lot` has free now (taken without waiting, then given back)."""
    got = 0
    while got < at_most and lot.acquire(False):
        got += 1
    for _ in range(got):
        lot.release()
    return got


# ---- task 2: ticks of the attendant ---------------------------------------------------------

class AfterClosing(RuntimeError):
    """Raised by a tick that keeps being called after closing time (ends a runaway loop)."""


class Ticks:
    """A `tick()` for attendant threads: counts ticks per thread, and ticks made after `closing`
    was set (`late`). With `close_at=n`, the n-th tick of a thread sets `closing` itself; with
    `threads=k` as well, the tick that makes k threads reach n ticks each sets it. The attendant
    that made that tick then certainly sees the event set, whatever the others were doing.
    Once there have been `give_up` late ticks, a tick raises AfterClosing, which stops a loop
    that would otherwise call tick() forever."""

    def __init__(self, closing, close_at: int | None = None, give_up: int = 50, threads: int = 1):
        self.closing, self.close_at, self.give_up, self.threads = closing, close_at, give_up, threads
        self.counts: collections.Counter = collections.Counter()
        self.late = 0
        self._lock = threading.Lock()

    def __call__(self):
        with self._lock:
            if self.closing.is_set():
                self.late += 1
                if self.late >= self.give_up:
                    raise AfterClosing("tick() is still being called after closing time")
            me = threading.current_thread().name
            self.counts[me] += 1
            if self.close_at is not None and sum(n >= self.close_at for n in self.counts.values()) >= self.threads:
                self.closing.set()


class ProcessTick:
    """A `tick()` that works in a child process: counts ticks in a shared `multiprocessing.Value`,
    and ticks made after `closing` (a multiprocessing.Event) was set in `late`."""

    def __init__(self, closing, count, late):
        self.closing, self.count, self.late = closing, count, late

    def __call__(self):
        target = self.late if self.closing.is_set() else self.count
        with target.get_lock():
            target.value += 1


def run_and_report(func, args, results, started=None) -> None:
    """Child side: set `started` (an Event, if given), call func(*args), and put ("ok", value) or
    ("error", "Type: message") on `results`."""
    if started is not None:
        started.set()
    try:
        outcome = ("ok", func(*args))
    except BaseException as exc:  # reported to the parent, which turns it into a test hint
        outcome = ("error", f"{type(exc).__name__}: {exc}")
    results.put(outcome)


# ---- task 3: the buffer's insides, instrumented -----------------------------------------------

class WatchedDeque(collections.deque):
    """The buffer's `items`, watched: `longest` is the most items it ever held. With `delay`, each
    append() and popleft() takes that long before it changes anything, which widens the gap between
    a notify and a state change made outside the lock: a waiter woken too early sees the old state."""

    def __init__(self, delay: float = 0.0):
        super().__init__()
        self.delay, self.longest = delay, 0

    def append(self, item):
        if self.delay:
            time.sleep(self.delay)
        super().append(item)
        self.longest = max(self.longest, len(self))

    def popleft(self):
        if self.delay:
            time.sleep(self.delay)
        return super().popleft()


def watch(buf, delay: float = 0.0):
    """Give `buf` a WatchedDeque and a TracedCondition in place of its `items` and `cond`; return them."""
    buf.items, buf.cond = WatchedDeque(delay), TracedCondition(name="buffer")
    return buf.items, buf.cond


def wake_without_change(cond) -> None:
    """A wake-up with nothing changed (what a spurious or stolen wake-up looks like to the waiter)."""
    with cond:
        cond.notify_all()


def unjam(buf, stop):
    """A `wake` callable for `no_new_threads`: tell the test's loops to stop, and let every waiter
    of `buf` through once (an item for a consumer, room for a producer), without the buffer's lock."""
    def wake():
        stop.set()
        if not buf.items:
            collections.deque.append(buf.items, "filler")
        elif len(buf.items) >= buf.capacity:
            collections.deque.popleft(buf.items)
        wake_without_change(buf.cond)
    return wake


def producer(buf, items, stop) -> None:
    """Put each of `items` into `buf`, unless told to stop."""
    for item in items:
        if stop.is_set():
            return
        buf.put(item)


def consumer(buf, n: int, got: list, stop) -> None:
    """Get `n` items from `buf` into `got`, unless told to stop."""
    for _ in range(n):
        if stop.is_set():
            return
        got.append(buf.get())


# ---- task 4: shift work -----------------------------------------------------------------------

class ShiftLog:
    """A `work(worker, shift)` that logs ("start" | "end", worker, shift, thread) in order.

    `slow` maps (worker, shift) to extra seconds of work; `fail` is a (worker, shift) whose work
    raises RuntimeError after starting.
    """

    def __init__(self, slow: dict | None = None, fail: tuple | None = None):
        self.slow, self.fail = slow or {}, fail
        self.log: list[tuple] = []
        self._lock = threading.Lock()

    def __call__(self, worker, shift):
        with self._lock:
            self.log.append(("start", worker, shift, threading.current_thread()))
        time.sleep(self.slow.get((worker, shift), 0.0))
        if (worker, shift) == self.fail:
            raise RuntimeError(f"{worker} broke down in shift {shift}")
        with self._lock:
            self.log.append(("end", worker, shift, threading.current_thread()))

    def out_of_step(self, workers) -> list[str]:
        """Each start of shift k + 1 that came before every worker had ended shift k."""
        ended: collections.Counter = collections.Counter()
        problems = []
        for what, worker, shift, _ in self.log:
            if what == "end":
                ended[shift] += 1
            elif shift > 0 and ended[shift - 1] < len(workers):
                problems.append(f"{worker} started shift {shift} while only {ended[shift - 1]} of "
                                f"{len(workers)} workers had finished shift {shift - 1}")
        return problems

    def threads_per_worker(self) -> dict:
        """worker -> the threads its work ran in (Thread objects: an id can be reused, they cannot)."""
        out: dict = collections.defaultdict(list)
        for _, worker, _, thread in self.log:
            if not any(t is thread for t in out[worker]):
                out[worker].append(thread)
        return dict(out)

    def started(self, shift: int) -> list[str]:
        return [w for what, w, s, _ in self.log if what == "start" and s == shift]
