"""Exercise 07's test side: what the tests run, in a fresh interpreter, against your `ex07_threads.py`.

Each function here imports your module, drives it from threads the way the tests describe, and
returns what it observed (balances, counts, who overlapped, which threads were still alive) as a
plain dict; the test cells only compare those observations with what the task asks for. They run
through `helpers.testing.in_fresh_interpreter`, so a thread of yours that hangs or spins ends
with that interpreter and never stays behind in the notebook.

Races are provoked, not waited for. `widened(Account)` is a subclass of your class whose
`balance` attribute makes every *read* wait, for a moment, until a second thread has read it too
(a rendezvous, `threading.Barrier(2)`). Code that reads outside the lock then always meets
another reader between its read and its write: the lost update happens on the first try, on any
machine, in any Python. Code that locks the whole read-modify-write never has two readers at
once: its first read waits out the rendezvous (`RENDEZVOUS` seconds, once), the barrier breaks,
and every later read goes straight through.

Reading this file is allowed, and a good way to see what "thread-safe" has to survive.
"""
from __future__ import annotations

import importlib
import os
import sys
import threading
import time

from .testing import started_threads

MODULE = "ex07_threads"
RENDEZVOUS = 0.3     # seconds a read waits for a second reader before it gives up, once per account
STOP = None          # the sentinel the exercise uses


def student():
    """Your module, imported from the current folder (where `%%writefile` saved it)."""
    if not os.path.exists(f"{MODULE}.py"):
        raise AssertionError(f"{MODULE}.py does not exist: run the cell that starts with `%%writefile {MODULE}.py`")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    return importlib.import_module(MODULE)


# ---- task 1: the account ------------------------------------------------------------------------

def widened(account_class):
    """A subclass of `account_class` whose `balance` reads wait for a second reader (see above).

    The balance is stored under another name; `reads` counts how often `balance` was read.
    """
    class Widened(account_class):
        meet = threading.Barrier(2, timeout=RENDEZVOUS)
        reads = 0

        @property
        def balance(self):
            value = self.__dict__["_widened_balance"]
            type(self).reads += 1
            try:
                self.meet.wait()
            except threading.BrokenBarrierError:
                pass                   # nobody else came: from now on, reads go straight through
            return value

        @balance.setter
        def balance(self, value):
            self.__dict__["_widened_balance"] = value

    Widened.__name__ = f"Widened{account_class.__name__}"
    return Widened


def _together(calls) -> list:
    """Run each `(func, args)` in a thread of its own, all released at once; return their results
    (or the exception each raised) in order."""
    go = threading.Barrier(len(calls))
    out = [None] * len(calls)

    def run(i, func, args):
        go.wait()
        try:
            out[i] = func(*args)
        except Exception as exc:     # reported, not raised: the test says what it means
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i, f, a), name=f"caller-{i + 1}") for i, (f, a) in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def account_basics() -> dict:
    """One thread: the balance after deposits and withdrawals, and what withdraw() returns."""
    mod = student()
    acct = mod.Account(10)
    seen = {"start": acct.balance}
    acct.deposit(5)
    seen["after deposit(5)"] = acct.balance
    seen["withdraw(12)"] = acct.withdraw(12)
    seen["after withdraw(12)"] = acct.balance
    seen["withdraw(4)"] = acct.withdraw(4)
    seen["after withdraw(4)"] = acct.balance
    seen["withdraw(3)"] = acct.withdraw(3)
    seen["after withdraw(3)"] = acct.balance
    seen["default start"] = mod.Account().balance
    return seen


def deposit_race(threads: int = 2, deposits: int = 5, amount: int = 1) -> dict:
    """`threads` threads each deposit `amount` `deposits` times into one widened account."""
    acct = widened(student().Account)(0)
    outcomes = _together([(lambda: [acct.deposit(amount) for _ in range(deposits)], ())] * threads)
    errors = [repr(o) for o in outcomes if isinstance(o, Exception)]
    return {"balance": acct.balance, "expected": threads * deposits * amount,
            "reads": type(acct).reads, "errors": errors}


def withdraw_race(balance: int = 1, threads: int = 2, amount: int = 1) -> dict:
    """`threads` threads each try to withdraw `amount` once from a widened account holding `balance`."""
    acct = widened(student().Account)(balance)
    outcomes = _together([(acct.withdraw, (amount,))] * threads)
    return {"balance": acct.balance, "granted": sum(o is True for o in outcomes),
            "returned": [o if isinstance(o, bool) else repr(o) for o in outcomes], "reads": type(acct).reads}


def mixed_race(balance: int = 10, rounds: int = 5) -> dict:
    """One thread deposits 1 and another withdraws 1, `rounds` times each, on one widened account."""
    acct = widened(student().Account)(balance)
    out = _together([(lambda: [acct.deposit(1) for _ in range(rounds)], ()),
                     (lambda: [acct.withdraw(1) for _ in range(rounds)], ())])
    granted = sum(r is True for r in out[1]) if isinstance(out[1], list) else 0
    return {"balance": acct.balance, "expected": balance + rounds - granted, "granted": granted,
            "errors": [repr(o) for o in out if isinstance(o, Exception)]}


# ---- task 2: the worker -------------------------------------------------------------------------

class Work:
    """The `work` function the tests hand to your code: squares a number, raises on request, and
    notes who ran what, how many ran at once, and how many tasks the queue still counted."""

    def __init__(self, pause: float = 0.0, fail_on=(), meet: int = 0, tasks=None):
        self.pause, self.fail_on, self.tasks = pause, set(fail_on), tasks
        self.meet = threading.Barrier(meet, timeout=2 * RENDEZVOUS) if meet > 1 else None
        self.lock = threading.Lock()
        self.inside = self.peak = 0
        self.calls: list = []             # (item, thread name, unfinished tasks while working on it)
        self.met = 0

    def __call__(self, item):
        with self.lock:
            self.inside += 1
            self.peak = max(self.peak, self.inside)
            self.calls.append((item, threading.current_thread().name,
                               None if self.tasks is None else self.tasks.unfinished_tasks))
        try:
            if self.meet is not None:
                try:
                    self.meet.wait()
                    self.met += 1
                except threading.BrokenBarrierError:
                    pass
            time.sleep(self.pause)
            if item in self.fail_on:
                raise ValueError(f"work({item!r}) failed on purpose")
            return item * item
        finally:
            with self.lock:
                self.inside -= 1


def _describe(results) -> dict:
    """Results as {item: value}, with an exception shown as 'ValueError: ...'."""
    if not isinstance(results, dict):
        return {"not a dict": repr(results)[:200]}
    return {k: (f"{type(v).__name__}: {v}" if isinstance(v, BaseException) else v) for k, v in results.items()}


def worker_run(items, workers: int = 2, fail_on=(), late: float = 0.0, pause: float = 0.0) -> dict:
    """Your `worker` in `workers` threads on one queue holding the items, then one STOP per worker.

    Normally everything is on the queue before the threads start; with `late`, the threads start
    on an empty queue and everything arrives `late` seconds later. Returns the results, how many
    threads ended, the queue's unfinished-task count at the end, and `counted`: for each call of
    `work`, how many unfinished tasks the queue counted while it ran (with one worker and
    everything queued first, a correct worker sees n + 1, n, ..., 2 for n items and one STOP).
    """
    import queue
    mod = student()
    tasks, results = queue.Queue(), {}
    work = Work(pause, fail_on, tasks=tasks)
    threads = [threading.Thread(target=mod.worker, args=(tasks, results, work), name=f"worker-{i + 1}")
               for i in range(workers)]

    def feed():
        for item in items:
            tasks.put(item)
        for _ in threads:
            tasks.put(STOP)

    if not late:
        feed()
    for t in threads:
        t.start()
    if late:
        time.sleep(late)
        feed()
    for t in threads:
        t.join(timeout=5)
    return {"results": _describe(results), "ended": sum(not t.is_alive() for t in threads), "workers": workers,
            "unfinished": tasks.unfinished_tasks, "left_in_queue": tasks.qsize(),
            "counted": [u for _, _, u in work.calls]}


# ---- task 3: the pool ---------------------------------------------------------------------------

SLOW_EXIT_STARTS: list = []


def slow_exit_worker(tasks, results, work):
    """A correct worker that takes a while to end after its STOP (a test-side `target`)."""
    SLOW_EXIT_STARTS.append(threading.current_thread().name)
    while True:
        item = tasks.get()
        try:
            if item is STOP:
                break
            try:
                results[item] = work(item)
            except Exception as exc:
                results[item] = exc
        finally:
            tasks.task_done()
    time.sleep(0.3)


def pool_run(items, n_workers: int = 3, pause: float = 0.0, meet: int = 0, fail_on=(),
             slow_exit: bool = False) -> dict:
    """Call your `run_pool(items, work, n_workers)` (with the test's slow-exit `target` if asked) and
    report its results, how many work calls overlapped, and which of its threads outlived it."""
    mod = student()
    work = Work(pause, fail_on, meet=meet)
    kwargs = {"target": slow_exit_worker} if slow_exit else {}
    with started_threads() as st:
        results = mod.run_pool(list(items), work, n_workers, **kwargs)
        alive = st.alive()
        alive += [t for t in st.not_waited_for() if t not in alive]   # ended in time, but by luck: not joined
    return {"results": _describe(results), "peak": work.peak, "met": work.met,
            "threads": len(st.threads), "alive_after_return": [t.name for t in alive],
            "workers_seen": len({name for _, name, _ in work.calls}), "target_runs": len(SLOW_EXIT_STARTS)}


# ---- task 4: saving in the background -----------------------------------------------------------

def slow_write_line(f, line: str) -> None:
    """The `write_line` the tests pass: writes one line, then pauses (a slow disk)."""
    f.write(line + "\n")
    time.sleep(0.05)


def save_and_watch(path: str, lines: list) -> dict:
    """Call your `save_in_background`, look at what it returned, then join it and read the file.

    The save's first line waits (up to 3 s) until the test has looked, so a thread that was
    returned at once is seen alive however late this thread runs again."""
    mod = student()
    looked = threading.Event()

    def write_line(f, line: str) -> None:
        looked.wait(3.0)
        looked.set()                    # only the first line waits
        slow_write_line(f, line)

    with started_threads() as st:
        thread = mod.save_in_background(path, lines, write_line)
        is_thread = isinstance(thread, threading.Thread)
        alive_at_return = is_thread and thread.is_alive()
        looked.set()
        if is_thread and thread.ident is not None:
            thread.join(timeout=10)
    text = ""
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            text = f.read()
    return {"is_thread": is_thread, "alive_at_return": alive_at_return, "started": len(st.threads),
            "lines": text.splitlines(), "daemon": is_thread and thread.daemon}


def save_then_exit(path: str, lines: list) -> str:
    """A program that calls your `save_in_background` and ends right away (a normal exit).

    Run it with `subproc.call` (no hard exit): the interpreter then does what any program does at
    its end, so whatever your thread had not written by then is what a user would lose.
    """
    student().save_in_background(path, lines, slow_write_line)
    return "main thread finished"
