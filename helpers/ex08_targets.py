"""Test-side tools for exercise ex08 (deadlock and RLock): locks that referee, accounts that check.

The tests hand your code locks made by a `Court`: they behave like `threading.Lock` (acquire with
`blocking` and `timeout`, release, `with`), and the court watches every one of them:

- **Deadlocks end at once, and say why.** When a wait closes a cycle (this thread waits for a lock
  whose holder waits, without a timeout, for ... a lock this thread holds), or waits for a lock
  whose holder has finished, every thread blocked on the court's locks raises `Deadlocked` and the
  test fails with the cycle. No thread is left behind, and no time limit decides it.
- **The unlucky timing happens every time.** With `gate=True`, a thread that has just taken its
  first lock waits (briefly) until every other thread of the run has reached a lock too, so two
  transfers in opposite directions really do hold one lock each before reaching for the second.
- **The order of locks is recorded.** Whenever a thread that holds lock X asks for lock Y (a
  blocking acquire, with or without a timeout), the court notes X -> Y. If the calls took locks in
  orders that contradict each other (X before Y here, Y before X there), a deadlock was possible,
  whatever happened in this run.
- **Busy loops end too.** A hundred thousand failed `acquire(blocking=False)` in a row, with nobody
  taking or releasing a lock meanwhile, is a retry loop that can never succeed: the court ends it
  like a deadlock.
- `LockProbe` wraps a lock of yours (`shelf.lock`) and tells who holds it and how deep; a blocking
  re-acquire by its owner that could never succeed raises `SelfDeadlock` instead of hanging (and so
  does a busy loop of non-blocking tries by the owner).

Reading this module is allowed and may help you understand what a test checks.
"""
from __future__ import annotations

import ctypes
import threading
import time
from dataclasses import dataclass, field

from .testing import OUTLASTS_GUESSES


SPIN_LIMIT = 100_000     # failed tries with no progress at all: a busy loop that can never succeed


class Deadlocked(BaseException):
    """Raised in a thread blocked on a court lock when the court has seen a deadlock. A
    BaseException, so that an `except Exception:` in a retry loop does not swallow it."""


class SelfDeadlock(RuntimeError):
    """A thread asked, without a timeout, for a non-re-entrant lock it already holds."""


class Stuck(BaseException):
    """Raised (asynchronously) in a thread still running when its test gave up on it."""


# ---- the court and its locks ---------------------------------------------------------------------

class ExamLock:
    """A lock refereed by its court: use it exactly like a `threading.Lock`."""

    def __init__(self, court: "Court", name: str):
        self.court, self.name = court, name

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        return self.court._acquire(self, blocking, timeout)

    def release(self) -> None:
        self.court._release(self)

    def locked(self) -> bool:
        with self.court.mutex:
            return self.court.owner.get(self) is not None

    def __enter__(self):
        self.acquire()
        return True

    def __exit__(self, *exc):
        self.release()
        return False

    def __repr__(self):
        return f"<ExamLock {self.name!r}>"


@dataclass
class Outcome:
    """One call run by `Court.run`: its label, result or error, and whether it ended."""
    label: str
    value: object = None
    error: BaseException | None = None
    finished: bool = False

    @property
    def deadlocked(self) -> bool:
        return isinstance(self.error, Deadlocked)


class Court:
    """Referee of one test: hands out `ExamLock`s, runs calls in threads, notes what they did."""

    def __init__(self, gate: bool = False, patience: float = OUTLASTS_GUESSES):
        # `with self.mutex:` (a C lock) rather than `with self.mutex:`: an asynchronous `Stuck` cannot
        # then land between taking the court's own lock and the block that releases it.
        self.mutex = threading.Lock()
        self.cond = threading.Condition(self.mutex)
        self.gate, self.patience = gate, patience
        self.owner: dict[ExamLock, int] = {}
        self.held: dict[int, list[ExamLock]] = {}
        self.waiting: dict[int, tuple[ExamLock, bool]] = {}
        self.tries: dict[int, int] = {}
        self.order: dict[tuple[str, str], str] = {}      # (held, wanted) -> label of the call
        self.labels: dict[int, str] = {}
        self.finished: set[int] = set()
        self.gated: set[int] = set()
        self.deadlock: str | None = None
        self.problems: list[str] = []                     # e.g. a release of a lock not held
        self.inside: set[int] = set()                     # for `meet`
        self.met = False
        self.gate_gave_up = False
        self.fails = 0                                    # failed non-blocking tries since any progress

    def lock(self, name: str) -> ExamLock:
        return ExamLock(self, name)

    def label(self, ident: int | None = None) -> str:
        ident = threading.get_ident() if ident is None else ident
        return self.labels.get(ident, threading.current_thread().name if ident == threading.get_ident() else str(ident))

    def holds(self, lock: ExamLock, ident: int | None = None) -> bool:
        """Does the thread `ident` (default: the calling one) hold `lock` now?"""
        with self.mutex:
            return self.owner.get(lock) == (threading.get_ident() if ident is None else ident)

    # -- acquire / release ---------------------------------------------------------------------
    def _acquire(self, lock: ExamLock, blocking: bool, timeout: float) -> bool:
        me = threading.get_ident()
        timed = timeout is not None and timeout >= 0
        if not blocking and timed:
            raise ValueError("can't specify a timeout for a non-blocking call")
        with self.mutex:
            if self.deadlock:
                raise Deadlocked(self.deadlock)
            self.tries[me] = self.tries.get(me, 0) + 1
            mine = self.held.setdefault(me, [])
            if blocking:
                for h in mine:
                    if h is not lock:
                        self.order.setdefault((h.name, lock.name), self.label(me))
            if self.owner.get(lock) is not None:
                if not blocking:
                    self.fails += 1
                    if self.fails > SPIN_LIMIT:
                        self._found(f"{SPIN_LIMIT} tries in a row failed with nobody taking or releasing a lock "
                                    f"meanwhile ({self.label(me)} asks for {lock.name} again and again): "
                                    f"retries that can never succeed, a livelock")
                    self.cond.notify_all()
                    return False
                end = time.monotonic() + timeout if timed else None
                self.waiting[me] = (lock, timed)
                self.cond.notify_all()
                try:
                    self._check(me)
                    while self.owner.get(lock) is not None or self.deadlock:
                        if self.deadlock:             # found meanwhile: nobody goes on
                            raise Deadlocked(self.deadlock)
                        left = None if end is None else end - time.monotonic()
                        if left is not None and left <= 0:
                            return False
                        self.cond.wait(0.5 if left is None else min(left, 0.5))
                        self._check(me)
                finally:
                    del self.waiting[me]
            self.owner[lock] = me
            mine.append(lock)
            self.fails = 0                            # progress
            self.cond.notify_all()
            if me in self.gated and len(mine) == 1:
                self.gated.discard(me)
                self._wait_for_the_others(me)
            return True

    def _release(self, lock: ExamLock) -> None:
        me = threading.get_ident()
        with self.mutex:
            if self.owner.get(lock) != me:
                if self.deadlock:
                    return                                # unwinding out of a deadlock
                self.problems.append(f"{self.label(me)} released {lock.name}, which it did not hold")
                raise RuntimeError(f"release of {lock.name}, which this thread does not hold")
            del self.owner[lock]
            self.held[me].remove(lock)
            self.fails = 0
            self.cond.notify_all()

    # -- what the court looks for ----------------------------------------------------------------
    def _check(self, me: int) -> None:
        """Called with `cond` held by a thread about to wait: is the wait hopeless?"""
        path, t = [], me
        while True:
            lock, timed = self.waiting[t]
            holder = self.owner.get(lock)
            path.append(f"{self.label(t)} waits for {lock.name} (held by "
                        f"{'itself' if holder == t else self.label(holder)})")
            if holder in self.finished:
                self._found(f"{self.label(t)} waits for {lock.name}, held by {self.label(holder)}, "
                            f"which has returned without releasing it")
                return
            if timed or holder not in self.waiting:
                return                                    # it can still move: no deadlock (yet)
            if holder == me:
                self._found("; ".join(path))
                return
            if len(path) > len(self.waiting):
                return                                    # a cycle that does not include me
            t = holder

    def _found(self, text: str) -> None:
        self.deadlock = text
        self.cond.notify_all()
        raise Deadlocked(text)

    def _wait_for_the_others(self, me: int) -> None:
        """The gate: until every other call of the run holds a lock, waits for one, has tried one
        since now, or has finished (at most `patience` seconds)."""
        tried = dict(self.tries)
        end = time.monotonic() + self.patience
        others = [t for t in self.labels if t != me]

        def ready():
            return all(t in self.finished or self.held.get(t) or t in self.waiting or
                       self.tries.get(t, 0) > tried.get(t, 0) for t in others)

        if self.gate_gave_up:
            return
        while not ready() and not self.deadlock:
            if time.monotonic() >= end:       # someone never reaches a lock of ours (another lock of
                self.gate_gave_up = True      # yours?): waiting again would only cost time
                return
            self.cond.wait(min(0.5, max(0.0, end - time.monotonic())))

    def meet(self) -> None:
        """Wait until another call of the run also called `meet` (or all others finished), at most
        `patience` seconds: `met` says whether two calls were ever inside at the same time."""
        me = threading.get_ident()
        end = time.monotonic() + self.patience
        with self.mutex:
            if me in self.inside:
                return
            self.inside.add(me)
            self.cond.notify_all()
            others = [t for t in self.labels if t != me]
            while time.monotonic() < end and not self.deadlock:
                if any(t in self.inside for t in others):
                    self.met = True
                    return
                if all(t in self.finished for t in others):
                    return
                self.cond.wait(min(0.5, max(0.0, end - time.monotonic())))

    def order_cycles(self) -> list[str]:
        """Locks taken in orders that contradict each other (X before Y somewhere, Y before X, or
        before Z before X, elsewhere): each such cycle as text, [] if one order fits every call."""
        after: dict[str, list[str]] = {}
        for x, y in self.order:
            after.setdefault(x, []).append(y)
        cycles, seen = [], set()

        def walk(path):
            for nxt in sorted(after.get(path[-1], [])):
                if nxt == path[0]:
                    ring = path + [nxt]
                    key = frozenset(ring)
                    if key not in seen:
                        seen.add(key)
                        cycles.append(", ".join(f"{self.order[(a, b)]} held {a} and asked for {b}"
                                                for a, b in zip(ring, ring[1:])))
                elif nxt not in path and nxt > path[0]:
                    walk(path + [nxt])

        for start in sorted(after):
            walk([start])
        return cycles

    def held_now(self) -> list[str]:
        """Locks still held, as 'lock (by call)'."""
        with self.mutex:
            return [f"{lk.name} (by {self.label(t)})" for lk, t in self.owner.items()]

    # -- running calls -----------------------------------------------------------------------------
    def run(self, *calls, limit: float = 10.0) -> list[Outcome]:
        """Run each call `(label, func, arg, ...)` in a thread of its own, all at once; return their
        outcomes. Ends by itself when they all return or the court sees a deadlock; after `limit`
        seconds (a hang that is not on the court's locks, or a busy loop) it stops waiting: still
        running threads are interrupted where possible, and `finished` is False for them."""
        outcomes = [Outcome(label) for label, *_ in calls]
        started = threading.Barrier(len(calls) + 1)

        def body(outcome, func, args):
            me = threading.get_ident()
            with self.mutex:
                self.labels[me] = outcome.label
                if self.gate:
                    self.gated.add(me)
            try:
                started.wait()
                outcome.value = func(*args)
            except BaseException as exc:      # reported to the test, which turns it into a hint
                outcome.error = exc
            finally:
                with self.mutex:
                    self.finished.add(me)
                    self.inside.discard(me)           # `meet` counts calls inside at the same time
                    self.cond.notify_all()
                outcome.finished = not isinstance(outcome.error, Stuck)

        threads = [threading.Thread(target=body, args=(o, func, args), name=f"ex08 {o.label}", daemon=True)
                   for o, (_, func, *args) in zip(outcomes, calls)]
        for t in threads:
            t.start()
        started.wait()
        end = time.monotonic() + limit
        for t in threads:
            t.join(max(0.0, end - time.monotonic()))
        late = [t for t in threads if t.is_alive()]
        if late:
            with self.mutex:                  # from now on every acquire of a court lock raises
                self.deadlock = self.deadlock or (
                    f"{', '.join(o.label for o, t in zip(outcomes, threads) if t.is_alive())} still running after "
                    f"{limit:g} s: retries that never succeed (a livelock), or a wait for something other than "
                    f"the locks the test gave you")
                self.cond.notify_all()
            for t in late:
                t.join(1)
            for t in late:                    # still alive: a loop that never touches our locks
                stop_thread(t)
                t.join(2)
        return outcomes


def call(func, *args, limit: float = 10.0, what: str | None = None):
    """Return `func(*args)`, run in a thread of its own (its exception is raised again here). If it
    is still running after `limit` seconds (a wait that never ends, a busy loop), it is stopped
    where that is possible (`stop_thread`) and the test fails with a hint: no thread keeps spinning."""
    name = what or getattr(func, "__qualname__", "the call")
    out: dict = {}

    def body():
        try:
            out["value"] = func(*args)
        except BaseException as exc:          # handed to the caller, who re-raises it
            out["error"] = exc

    thread = threading.Thread(target=body, name=f"ex08 call {name}", daemon=True)
    thread.start()
    thread.join(limit)
    if thread.is_alive():
        stop_thread(thread)
        thread.join(2)
        raise AssertionError(f"{name} did not return within {limit:g} s: does it wait for a lock that "
                             "nobody will release, or loop for ever (retrying a lock it holds itself)?")
    if "error" in out:
        raise out["error"]
    return out.get("value")


def stop_thread(thread: threading.Thread, exc=Stuck) -> None:
    """Raise `exc` in `thread` at its next Python instruction (CPython's PyThreadState_SetAsyncExc).
    A thread blocked in C (a plain lock without a timeout) gets it only once it returns there."""
    if thread.ident is not None and thread.is_alive():
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(exc))


# ---- accounts for task 2, a kitchen for task 1 ------------------------------------------------------

class ExamAccount:
    """An account for task 2: `number`, `balance`, `lock` (an ExamLock). Reading or writing the
    balance without holding this account's lock is noted in `court.problems`, and so is changing it
    while holding fewer than two locks (a transfer holds both of its accounts' locks)."""

    def __init__(self, court: Court, number: int, balance: int, meet: bool = False):
        self.court, self.number, self.lock = court, number, court.lock(f"account {number}")
        self._balance, self._meet = balance, meet

    def _check(self, what: str) -> None:
        court, me = self.court, threading.get_ident()
        if not court.holds(self.lock):
            court.problems.append(f"{court.label()} {what} the balance of account {self.number} "
                                  f"without holding its lock")
        elif what == "changed" and len(court.held.get(me, [])) < 2:
            court.problems.append(f"{court.label()} changed the balance of account {self.number} holding only "
                                  f"its lock: hold both accounts' locks while the money moves, or someone can "
                                  f"see it gone from one account and not yet in the other")

    @property
    def balance(self) -> int:
        self._check("read")
        return self._balance

    @balance.setter
    def balance(self, value: int) -> None:
        self._check("changed")
        if self._meet:
            self.court.meet()
        self._balance = value

    def __repr__(self):
        return f"<account {self.number}: {self._balance}>"


def accounts(court: Court, *balances: int, meet: bool = False) -> list[ExamAccount]:
    """Accounts numbered 1, 2, ... with these balances, their locks made by `court`."""
    return [ExamAccount(court, i + 1, b, meet) for i, b in enumerate(balances)]


def watched_kitchen(kitchen_class, court: Court, **kwargs):
    """A Kitchen (your class) whose attributes are watched: `bowls` must change only while
    `noodles_lock` is held, `clean_forks` only while `forks_lock` is held, and every entry of
    `stock_log` must be added while both are held. Problems go to `court.problems`."""
    noodles, forks = court.lock("noodles_lock"), court.lock("forks_lock")

    class Watched(kitchen_class):
        def __setattr__(self, name, value):
            guard = {"bowls": noodles, "clean_forks": forks}.get(name)
            if guard is not None and self.__dict__.get("_watching") and not court.holds(guard):
                court.problems.append(f"{court.label()} changed {name} without holding {guard.name}")
            super().__setattr__(name, value)

    kitchen = Watched(noodles, forks, **kwargs)
    kitchen.stock_log = StockLog(court, (noodles, forks))
    object.__setattr__(kitchen, "_watching", True)
    return kitchen, noodles, forks


class StockLog(list):
    """A list that notes an `append` made without holding all of `needs`."""

    def __init__(self, court: Court, needs):
        super().__init__()
        self.court, self.needs = court, needs

    def append(self, item):
        missing = [lk.name for lk in self.needs if not self.court.holds(lk)]
        if missing:
            self.court.problems.append(f"{self.court.label()} added to stock_log without holding "
                                       f"{' and '.join(missing)}: the snapshot may mix two moments")
        super().append(item)


# ---- task 3: a probe around your shelf's lock ----------------------------------------------------------

class LockProbe:
    """Wraps a lock of yours (Lock, RLock, Condition...) and knows its holder and depth.

    A blocking acquire, without a timeout, by the thread that holds it already, on a lock that
    cannot be taken twice, raises `SelfDeadlock` instead of waiting for ever. `releases` counts the
    times the lock became free, so a test can tell whether it stayed taken from one point to another.
    """

    def __init__(self, inner):
        self.inner = inner
        self.owner: int | None = None
        self.depth = 0
        self.releases = 0
        self.self_tries = 0
        self._mutex = threading.Lock()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        me = threading.get_ident()
        if self.owner == me:
            if self.inner.acquire(False):             # re-entrant: fine
                self.depth += 1
                return True
            if blocking and (timeout is None or timeout < 0):
                raise SelfDeadlock("this thread asked again for a lock it already holds, and the lock "
                                   "cannot be taken twice: it would wait for itself for ever")
            self.self_tries += 1
            if self.self_tries > SPIN_LIMIT:
                raise SelfDeadlock("this thread keeps trying a lock it holds itself, which cannot be taken "
                                   "twice: it can never succeed (a busy loop for ever)")
            if blocking:
                time.sleep(timeout)
            return False
        ok = self.inner.acquire(blocking, timeout) if blocking else self.inner.acquire(False)
        if ok:
            with self._mutex:
                self.owner, self.depth = me, 1
        return ok

    def release(self) -> None:
        if self.owner != threading.get_ident():
            self.inner.release()                      # let the real lock complain (or not)
            return
        self.depth -= 1
        if self.depth == 0:
            with self._mutex:
                self.owner = None
                self.releases += 1
        self.inner.release()

    def held_by_me(self) -> bool:
        return self.owner == threading.get_ident()

    def free(self) -> bool:
        """Nobody holds it (checked on the real lock too)."""
        if self.owner is not None:
            return False
        if self.inner.acquire(False):
            self.inner.release()
            return True
        return False

    def __enter__(self):
        self.acquire()
        return True

    def __exit__(self, *exc):
        self.release()
        return False


class ShelfLog(list):
    """`shelf.books` for the tests: each append notes (thread, title, lock held by that thread?,
    how many times the lock had become free so far)."""

    def __init__(self, probe: LockProbe):
        super().__init__()
        self.probe = probe
        self.seen: list[tuple[int, str, bool, int]] = []

    def append(self, title):
        self.seen.append((threading.get_ident(), title, self.probe.held_by_me(), self.probe.releases))
        super().append(title)

    def extend(self, titles):
        for t in titles:
            self.append(t)

    def __iadd__(self, titles):
        self.extend(titles)
        return self

    def insert(self, index, title):
        self.seen.append((threading.get_ident(), title, self.probe.held_by_me(), self.probe.releases))
        super().insert(index, title)


def probed(shelf):
    """Put a probe around `shelf.lock` and a watching list in `shelf.books`; return the probe."""
    probe = LockProbe(shelf.lock)
    shelf.lock = probe
    books = ShelfLog(probe)
    list.extend(books, shelf.books)               # the books already there, not noted
    shelf.books = books
    return probe


# ---- what the exercise shows before you fix anything -----------------------------------------------

def collide(kitchen_class) -> str | None:
    """Run `serve` and `wash_up` of a kitchen at the same time, with the worst timing; return the
    deadlock the court saw (or None)."""
    court = Court(gate=True)
    kitchen, _, _ = watched_kitchen(kitchen_class, court)
    court.run(("serve", kitchen.serve, "ann"), ("wash_up", kitchen.wash_up, 1), limit=10)
    return court.deadlock


def try_series(shelf_class) -> str:
    """Call `add_series` on a new shelf of this class, with a probe on its lock; say what happened."""
    shelf = shelf_class()
    probed(shelf)
    try:
        shelf.add_series(["vol. 1", "vol. 2"])
    except SelfDeadlock as exc:
        return f"SelfDeadlock: {exc}"
    return f"add_series returned; the shelf holds {list(shelf.books)}"
