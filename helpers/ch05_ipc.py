"""Chapter 05: the child-process side of inter-process communication (IPC).

Every function here runs in a child process, so it lives in a module (under `spawn` and
`forkserver` a child imports its target by module and name). They are small on purpose: the
chapter prints their source next to the parent code that drives them.

Timelines: the workers that chapter 05 draws take an optional `rec`, a
`helpers.recording.Recorder`, and note their state changes on it (one clock across processes,
about 0.1 us per event, so the recording does not change what it shows).
"""
from __future__ import annotations

import os
import time

STOP = None   # the sentinel: "no more items". One per consumer, sent after every producer is done.


# ---------------------------------------------------------------- queue and pipe basics
def squarer(inbox, outbox, work: float = 0.0) -> None:
    """Take numbers from `inbox`, put (pid, n, n*n) on `outbox`, until the sentinel arrives.

    `work` (seconds) is a pause per number, standing for a real computation.
    """
    while True:
        n = inbox.get()
        if n is STOP:
            break
        time.sleep(work)
        outbox.put((os.getpid(), n, n * n))


def pipe_echo(conn) -> None:
    """Answer every message on a Pipe end with ("echo", message) until None arrives; then close."""
    with conn:
        while True:
            msg = conn.recv()
            if msg is None:
                break
            conn.send(("echo", msg))


def queue_echo(inbox, outbox) -> None:
    """The same echo over two Queues, to compare a round trip's cost with a Pipe's."""
    while True:
        msg = inbox.get()
        if msg is None:
            break
        outbox.put(msg)


# ---------------------------------------------------------------- producers and consumers
def producer(q, name: str, n_items: int, make: float = 0.0, rec=None) -> None:
    """Put `n_items` items named "<name>-<i>" on `q`, taking `make` seconds to make each one.

    No sentinel here: the producer does not know how many consumers there are. Whoever started
    the consumers sends their sentinels, once every producer has finished.
    With `rec` (a `helpers.recording.Recorder`), record a timeline: "running" while making an
    item, "blocked" while waiting in put() for room in the queue.
    """
    for i in range(n_items):
        if rec is not None:
            rec.state("running")
        time.sleep(make)
        if rec is not None:
            rec.state("blocked")
        q.put(f"{name}-{i}")
    if rec is not None:
        rec.done()


def original_producer(q, name: str, n_items: int, make: float = 0.0, rec=None) -> None:
    """The original tutorial's producer: its items, then TWO sentinels of its own, whatever the consumer count."""
    producer(q, name, n_items, make, rec)
    q.put(STOP)
    q.put(STOP)


def consumer(q, name: str, done, work: float = 0.0, rec=None) -> None:
    """Take items from `q` until a sentinel; "process" each (`work` seconds), report it on `done`.

    Sends (name, item) on `done` for each item, then (name, STOP) as it leaves, so the parent
    can tell which consumers exited. With `rec` (a Recorder), record a timeline: "blocked" while
    waiting in get(), "running" while working on an item.
    """
    while True:
        if rec is not None:
            rec.state("blocked")
        item = q.get()
        if item is STOP:
            break
        if rec is not None:
            rec.state("running")
        time.sleep(work)
        done.put((name, item))
    if rec is not None:
        rec.done()
    done.put((name, STOP))


def joinable_consumer(q, name: str, done, work: float = 0.0) -> None:
    """A JoinableQueue consumer: call task_done() once per item taken, even if processing fails.

    It never stops by itself (no sentinel): the parent makes it a daemon and stops it after
    q.join() returns, or sends sentinels; each sentinel taken needs its task_done() too.
    """
    while True:
        item = q.get()
        try:
            if item is STOP:
                return
            time.sleep(work)
            done.put((name, item))
        finally:
            q.task_done()


# ---------------------------------------------------------------- shared memory
def add_to_value(counter, n: int, locked: bool) -> None:
    """Add 1 to a multiprocessing.Value `n` times; with `locked`, hold its lock for each +1.

    `counter.value += 1` reads, adds and writes: without the lock two processes can read the same
    value and one of the two increments is lost, even though each read and each write is locked.
    """
    if locked:
        for _ in range(n):
            with counter.get_lock():
                counter.value += 1
    else:
        for _ in range(n):
            counter.value += 1


def add_to_dict(shared, lock, n: int) -> None:
    """Add 1 to shared["count"] `n` times through a Manager dict proxy, under `lock`."""
    for _ in range(n):
        with lock:
            shared["count"] += 1


def sum_shared_memory(q, out) -> None:
    """Get (block name, n) from `q`, attach to that shared memory (n float64s), sum it in place,
    and put (sum, finished_at) on `out`.

    Only the name travels through the queue; the data is not copied: the child maps the same
    physical memory the parent filled.
    """
    import numpy as np
    from multiprocessing import shared_memory
    name, n = q.get()
    shm = shared_memory.SharedMemory(name=name)
    try:
        arr = np.ndarray((n,), dtype=np.float64, buffer=shm.buf)
        total = float(arr.sum())
        del arr                     # release the view before close(), or close() raises BufferError
    finally:
        shm.close()                 # the parent, which created it, unlinks it
    out.put((total, time.perf_counter()))


def sum_from_queue(q, out) -> None:
    """Take one numpy array from `q` (pickled, copied through a pipe), sum it, report like above."""
    arr = q.get()
    out.put((float(arr.sum()), time.perf_counter()))
