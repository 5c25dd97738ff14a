"""Checks for exercise tests: call student code with a deadline, and see what it did with its processes.

A test cell that simply calls a student's function waits for as long as the function does: a
deadlock or a missing join would sit until the autograder's cell timeout. `finishes_within` runs
the call in a watchdog thread and turns "still running after N seconds" into a failed test with
a hint; `all_finish_within` does the same for several calls at once, so a test can wait for
several slow children in the time of one.

`started_processes` records the `multiprocessing` processes a call starts, so a test can check the
behaviour a task asks for (one process per buyer, every one joined before returning, a consumer
that ended by its sentinel rather than by `terminate()`) and not only the result. `timed_call`
runs a function in a child and notes when the call began, so that a test can check that it took
at least as long as it must (a sleep), however slowly the child started.
`no_new_processes` cleans up whatever a test's code left running. `started_threads` does for
threads what `started_processes` does for processes, and `watched_pools` for executors and pools.

Threads cannot be killed: a student's thread that deadlocks or spins would stay in the kernel for
good. `in_fresh_interpreter` therefore runs a test's thread code in a fresh interpreter with a
time limit (`helpers.subproc`), which takes every thread with it when it ends or is killed. Where
the threads must share objects with the test (a buffer whose insides the test watches),
`no_new_threads` runs them in the kernel instead, and wakes the ones left waiting so that they end.
"""
from __future__ import annotations

import functools
import threading
import time

HANG_HINT = ("does it wait for something that never happens: a join on a process that never "
             "ends, a lock that is never released, a consumer that never gets its sentinel?")

# Seconds that a test child runs, a lock is held or a producer pauses, when the point is to catch a
# guessed timeout (`join(timeout=2)`, `get(timeout=2)`, `acquire(timeout=1)`): longer than the
# guesses students make (1 to 3 s), yet short enough for a test. Only wrong answers notice it.
OUTLASTS_GUESSES = 4.0


def wait_until(predicate, timeout: float = 5.0, every: float = 0.01) -> bool:
    """Poll `predicate()` every `every` seconds until it is true (True) or `timeout` seconds have
    passed (False): for a state another thread or process reaches by itself."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True


def finishes_within(seconds: float, func, *args, what: str | None = None, hint: str | None = None,
                    **kwargs):
    """Return `func(*args, **kwargs)`, or fail with a hint if it runs longer than `seconds`.

    An exception raised by `func` is raised again here, so the test shows the student's error.
    `hint` replaces the general hang hint when the test knows the likely cause.
    The watchdog thread is a daemon: a call that never returns cannot keep the kernel alive.
    """
    name = what or getattr(func, "__name__", "the call")
    return all_finish_within(seconds, (func, *args), what=name, hint=hint, **kwargs)[0]


def all_finish_within(seconds: float, *calls, what: str | None = None, hint: str | None = None, **kwargs):
    """Run each call `(func, arg, ...)` at the same time, one thread each; return their results in order.

    Fails with the hang hint if any call is still running after `seconds` (counted from the start
    of all of them); raises the first exception a call raised. `kwargs` go to every call.
    """
    outcomes = [dict() for _ in calls]

    def call(func, args, outcome):
        try:
            outcome["value"] = func(*args, **kwargs)
        except BaseException as exc:  # handed to the caller, who re-raises it
            outcome["error"] = exc

    workers = []
    for (func, *args), outcome in zip(calls, outcomes):
        name = what or getattr(func, "__name__", "the call")
        worker = threading.Thread(target=call, args=(func, args, outcome), name=f"finishes_within({name})",
                                  daemon=True)
        worker._course_watchdog = True        # not student code: `no_new_threads.running()` leaves it out
        workers.append(worker)
    deadline = time.monotonic() + seconds
    for worker in workers:
        worker.start()
    for worker, (func, *_) in zip(workers, calls):
        worker.join(max(0.0, deadline - time.monotonic()))
        if worker.is_alive():
            name = what or getattr(func, "__name__", "the call")
            raise AssertionError(f"{name} did not finish within {seconds:g} s: {hint or HANG_HINT}")
    for outcome in outcomes:
        if "error" in outcome:
            raise outcome["error"]
    return [outcome.get("value") for outcome in outcomes]


def timed_call(func, args, began) -> None:
    """A child-process target: note the time (time.monotonic(), one clock for every process) in the
    mp.Value `began`, then call func(*args). A test compares it with the moment the process ended
    or a result arrived: that is how long `func` took, whatever the child took to start."""
    began.value = time.monotonic()
    func(*args)


class started_processes:
    """Context manager: `.procs` lists every `multiprocessing` process started inside the block.

    It wraps `Process.start` for the duration of the block (any context, any start method), so a
    test can see what student code did: how many processes it started (`len(procs)`), with which
    target, whether it joined each before returning (`not_joined()`), and how each ended.
    `first_start` is the `time.monotonic()` at which the first `start()` was called: a test that
    also notes when the student's function returned knows how long its processes ran, and so
    whether a duration the function reports stops early.
    """

    def __enter__(self):
        from multiprocessing.process import BaseProcess
        self.procs: list = []
        self.first_start: float | None = None
        self._original = original = BaseProcess.start
        procs = self.procs

        def start(process):
            called = time.monotonic()
            original(process)
            procs.append(process)
            if self.first_start is None:
                self.first_start = called

        BaseProcess.start = start
        return self

    def __exit__(self, *exc):
        from multiprocessing.process import BaseProcess
        BaseProcess.start = self._original
        return False

    def not_joined(self) -> list:
        """The processes nobody has joined (or otherwise reaped) yet. It only looks: unlike
        `exitcode` or `is_alive()`, it does not reap a child that has already ended."""
        return [p for p in self.procs if getattr(p, "_popen", None) is not None and p._popen.returncode is None]


class started_threads:
    """Context manager: `.threads` lists every `threading.Thread` started inside the block.

    Like `started_processes`, it wraps `Thread.start` for the duration of the block, so a test can
    ask how many threads a call started, whether they were daemons, and whether any is still
    alive when the call returns (`alive()`: started but never joined, or stuck).

    It also wraps `join` and `is_alive`, so `not_waited_for()` can say which threads nobody waited
    for: a thread that ended by itself just before the call returned looks the same as a joined
    one to `alive()`, but not to `not_waited_for()`, which does not depend on timing.
    """

    def __enter__(self):
        import threading
        self.threads: list = []
        self._waited: set = set()
        self._original = original = threading.Thread.start
        self._original_join = original_join = threading.Thread.join
        self._original_is_alive = original_is_alive = threading.Thread.is_alive
        threads, waited = self.threads, self._waited

        def start(thread):
            threads.append(thread)            # before it runs: a thread may end before start() returns
            try:
                original(thread)
            except BaseException:
                threads.remove(thread)
                raise

        def join(thread, timeout=None):
            original_join(thread, timeout)
            if not original_is_alive(thread):
                waited.add(thread)

        def is_alive(thread):
            alive = original_is_alive(thread)
            if not alive and thread in threads:     # a thread not yet started is not alive either
                waited.add(thread)
            return alive

        threading.Thread.start, threading.Thread.join, threading.Thread.is_alive = start, join, is_alive
        return self

    def __exit__(self, *exc):
        import threading
        threading.Thread.start = self._original
        threading.Thread.join, threading.Thread.is_alive = self._original_join, self._original_is_alive
        return False

    def alive(self) -> list:
        """The threads started in the block that have not ended yet."""
        return [t for t in self.threads if self._original_is_alive(t)]

    def not_waited_for(self) -> list:
        """The threads started in the block that no code has yet seen end, with `join()` or an
        `is_alive()` that said False. Ask it right after the call under test returns."""
        return [t for t in self.threads if t not in self._waited]


def _then_note(method, into: list):
    """`method`, which then appends the object it was called on to `into`."""
    @functools.wraps(method)
    def call(self, *args, **kwargs):
        method(self, *args, **kwargs)
        into.append(self)
    return call


class watched_pools:
    """Context manager: `.pools` lists every executor and `multiprocessing` pool created in the block.

    It keeps each one alive until the block ends, so that a pool the code under test never shut
    down cannot be tidied away by the garbage collector behind the test's back (an executor nobody
    refers to any more shuts itself down, a moment later): its workers stay where the test can see
    them. `not_waited_for()` names the pools whose workers nobody waited for: an executor never
    shut down with `wait=True` (`with` does that), a `multiprocessing` pool neither joined nor
    terminated. On exit it shuts every pool down without waiting, but without cancelling queued
    calls either: code under test that still waits for one (after a failed test) gets it, and ends
    (`no_new_processes` removes leftover processes).
    """

    def __enter__(self):
        from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
        from multiprocessing.pool import Pool
        self.pools: list = []
        self._waited: list = []
        self._saved = []
        for cls in (ThreadPoolExecutor, ProcessPoolExecutor, Pool):
            self._saved.append((cls, "__init__", cls.__init__))
            cls.__init__ = _then_note(cls.__init__, self.pools)
        for cls in (ThreadPoolExecutor, ProcessPoolExecutor):
            self._saved.append((cls, "shutdown", cls.shutdown))
            cls.shutdown = self._noting_wait(cls.shutdown)
        for name in ("join", "terminate"):
            self._saved.append((Pool, name, getattr(Pool, name)))
            setattr(Pool, name, _then_note(getattr(Pool, name), self._waited))
        return self

    def _noting_wait(self, original):
        waited = self._waited

        def shutdown(pool, wait=True, **kwargs):
            original(pool, wait, **kwargs)
            if wait:
                waited.append(pool)
        return shutdown

    def not_waited_for(self) -> list:
        """The pools created in the block whose workers no code has waited for (so far)."""
        return [p for p in self.pools if not any(p is w for w in self._waited)]

    def __exit__(self, *exc):
        from multiprocessing.pool import Pool
        for cls, name, original in reversed(self._saved):
            setattr(cls, name, original)
        for pool in self.pools:
            try:
                if isinstance(pool, Pool):
                    pool.terminate()
                else:           # queued calls still run (a scripted call always ends), then the workers exit
                    pool.shutdown(wait=False)
            except Exception:           # a pool broken by the code under test: nothing to shut down
                pass
        return False


def in_fresh_interpreter(seconds: float, func, *args, what: str | None = None, hint: str | None = None,
                         normal_exit: bool = False, **kwargs):
    """Return `func(*args, **kwargs)` called in a fresh interpreter, or fail with a hint.

    `func` is a module-level function (a test-side target); its arguments and value must pickle.
    The interpreter ends with `os._exit` once the value is saved, so threads the call left running
    cannot hold it open; after `seconds` it is killed. Either way no thread survives the test.
    With `normal_exit` it ends as any program does instead: it waits for the threads that are not
    daemons and stops the daemon ones (what a test of "the work survives the exit" needs).
    An exception in the call fails the test with the end of its traceback.
    """
    from . import subproc
    name = what or getattr(func, "__name__", "the call")
    r = subproc.call(func, *args, timeout=seconds, hard_exit=not normal_exit, **kwargs)
    if r.timed_out:
        raise AssertionError(f"{name} did not finish within {seconds:g} s: {hint or HANG_HINT}")
    if r.returncode != 0:
        lines = [line for line in r.stderr.strip().splitlines() if line.strip()]
        raise AssertionError(f"{name} raised an exception:\n" + "\n".join(lines[-6:]))
    return r.value


def multiprocessing_service_pids() -> set[int]:
    """PIDs of the helper processes multiprocessing keeps for the whole session, if running.

    The resource tracker and the fork server start on first use and must outlive the code that
    started them: killing them breaks every later `Process.start()` in this interpreter.
    """
    from multiprocessing import forkserver, resource_tracker
    pids = {getattr(resource_tracker._resource_tracker, "_pid", None),
            getattr(forkserver._forkserver, "_forkserver_pid", None)}
    return {pid for pid in pids if pid}


class no_new_processes:
    """Context manager for tests: on exit, kill (and reap) any child process started inside it.

    Use it around student code that starts processes, so a test that fails half-way (a worker
    that never ends, a missing join) leaves nothing running behind it. Only processes started
    inside the block are touched, and never multiprocessing's own long-lived helpers (the
    resource tracker, the fork server). `leftovers` lists the ones found, for an assert message.
    """

    def __init__(self, grace: float = 1.0):
        self.grace = grace
        self.leftovers: list[int] = []

    def __enter__(self):
        import psutil
        self._me = psutil.Process()
        self._before = {p.pid for p in self._me.children(recursive=True)}
        return self

    def __exit__(self, *exc):
        import multiprocessing
        import psutil
        multiprocessing.active_children()          # reaps children that already finished
        keep = self._before | multiprocessing_service_pids()
        new = [p for p in self._me.children(recursive=True) if p.pid not in keep]
        self.leftovers = [p.pid for p in new]
        for p in new:
            try:
                p.terminate()
            except psutil.NoSuchProcess:
                pass
        _, alive = psutil.wait_procs(new, timeout=self.grace)
        for p in alive:
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(alive, timeout=self.grace)
        multiprocessing.active_children()
        return False


def _wake_blocked(thread: threading.Thread) -> None:
    """Release whatever `threading` object `thread` is blocked in, found on its stack: abort a
    Barrier, set an Event, release a Semaphore, notify a Condition's waiters. Python cannot kill a
    thread, but a thread woken from its wait runs on and (usually) ends."""
    from .deadlock import stacks               # read safely: CPython 3.11 can hang in sys._current_frames()
    stack = stacks().get(thread.ident, [])
    pokes = {getattr(method, "__code__", None): poke for method, poke in (
        (threading.Barrier.wait, lambda b: b.abort()), (threading.Event.wait, lambda e: e.set()),
        (threading.Semaphore.acquire, lambda s: s.release()), (threading.Condition.wait, _notify_all))}
    pokes.pop(None, None)                       # a method written in C has no code object to look for
    found = []
    for frame in stack:                         # innermost first; poke the outermost first
        poke = pokes.get(frame.f_code)
        if poke is not None:
            found.append((poke, frame.f_locals.get("self")))
    for poke, obj in reversed(found):
        try:
            poke(obj)
        except (ValueError, RuntimeError):      # a full BoundedSemaphore; a lock we could not take
            pass


def _notify_all(cond) -> None:
    if cond.acquire(timeout=0.1):
        try:
            cond.notify_all()
        finally:
            cond.release()


class no_new_threads(started_threads):
    """Context manager for tests: see which threads the code inside starts, and leave none running.

    As `started_threads` does, it notes every thread started in the block (`threads`); an exception
    that ends one of them goes to `errors` as (thread name, "Type: message") instead of a traceback
    on the page. `running()` lists the ones still alive, apart from the test's own `finishes_within`
    watchdogs: right after a student's function returns, it says whether the function joined its threads.

    On exit, threads still running are named in `leftovers` and helped to end: the test's `wake`
    callables run (set its events, feed its buffers), and a thread blocked in a `threading`
    Barrier, Event, Semaphore or Condition is woken (see `_wake_blocked`), again and again for up
    to `grace` seconds. A thread still running then (a long `time.sleep`, a loop that never looks at
    anything the test controls) is named in `stuck`; test cells assert that there is none.
    """

    def __init__(self, wake=(), grace: float = 3.0):
        self.wake, self.grace = list(wake), grace
        self.errors: list[tuple[str, str]] = []
        self.leftovers: list[str] = []
        self.stuck: list[str] = []

    def __enter__(self):
        super().__enter__()
        self._hook, self._body = threading.excepthook, True
        original_hook = self._hook

        def hook(args):
            if args.thread in self.threads and not issubclass(args.exc_type, SystemExit):
                if self._body:
                    self.errors.append((args.thread.name, f"{args.exc_type.__name__}: {args.exc_value}"))
                return
            original_hook(args)

        threading.excepthook = hook
        return self

    def running(self) -> list[threading.Thread]:
        """The threads started in the block (by the code under test) that are still alive."""
        return [t for t in self.alive() if not getattr(t, "_course_watchdog", False)]

    def __exit__(self, *exc):
        super().__exit__(*exc)
        self._body = False
        alive = self.alive()
        self.leftovers = [t.name for t in alive if not getattr(t, "_course_watchdog", False)]
        deadline = time.monotonic() + self.grace
        while alive and time.monotonic() < deadline:
            for wake in self.wake:
                try:
                    wake()
                except Exception:
                    pass
            for t in alive:
                _wake_blocked(t)
            for t in alive:
                t.join(0.02)
            alive = [t for t in alive if t.is_alive()]
        self.stuck = [t.name for t in alive]
        threading.excepthook = self._hook
        return False
