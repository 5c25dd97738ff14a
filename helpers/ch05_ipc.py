"""Chapter 05: the child-process side of inter-process communication (IPC).

Every function here runs in a child process, so it lives in a module (under `spawn` and
`forkserver` a child imports its target by module and name). They are small on purpose: the
chapter prints their source next to the parent code that drives them.

Simulated work ("make an item", "process an item") is real CPU work, `helpers.workloads.spin`,
so a picture that draws it as running tells the truth (a `sleep` would be blocked).

Timelines: the workers that chapter 05 draws take an optional `rec`, a
`helpers.recording.Recorder`, and note their state changes on it (one clock across processes;
an event costs far less than the steps it records: see docs/design-notes.md).

The last part runs unrelated programs (`python -m helpers.ch05_ipc ...`) that attach to a
shared-memory block by name, to show what the resource tracker does to it.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time

from .workloads import spin

# The sentinel: an ordinary value meaning "no more items", one per consumer, sent after every
# producer is done. (Not `Process.sentinel`, the OS handle that becomes ready when a process ends.)
STOP = None


# ---------------------------------------------------------------- queue and pipe basics
def squarer(inbox, outbox, work: float = 0.0) -> None:
    """Take numbers from `inbox`, put (pid, n, n*n) on `outbox`, until the sentinel arrives.

    `work` is the CPU seconds spent per number (`spin`), standing for a real computation.
    """
    while True:
        n = inbox.get()
        if n is STOP:
            break
        spin(work)
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
    """Put `n_items` items named "<name>-<i>" on `q`, taking `make` CPU seconds to make each one.

    No sentinel here: the producer does not know how many consumers there are. Whoever started
    the consumers sends their sentinels, once every producer has finished.
    With `rec` (a `helpers.recording.Recorder`), record a timeline: "running" while making an
    item (real CPU work), "blocked" while in put() (waiting for room in a bounded queue).
    """
    for i in range(n_items):
        if rec is not None:
            rec.state("running")
        spin(make)
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
    """Take items from `q` until a sentinel; process each (`work` CPU seconds), report it on `done`.

    Sends (name, item) on `done` for each item, then (name, STOP) as it leaves, so the parent
    can tell which consumers exited. With `rec` (a Recorder), record a timeline: "blocked" while
    waiting in get(), "running" while working on an item (real CPU work).
    """
    while True:
        if rec is not None:
            rec.state("blocked")
        item = q.get()
        if item is STOP:
            break
        if rec is not None:
            rec.state("running")
        spin(work)
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
            spin(work)
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


# ---------------------------------------------------------------- how much a pipe holds
def pipe_capacity() -> int | None:
    """How many bytes an OS pipe on this machine accepts before a writer has to wait.

    Measured, not looked up: fill a fresh pipe with non-blocking writes until the OS says "would
    block". (A `multiprocessing.Queue` on Linux and macOS sends through such a pipe.) None where
    that cannot be done (on Windows, `os.set_blocking` works on pipes only from Python 3.12).
    """
    r, wfd = os.pipe()
    try:
        os.set_blocking(wfd, False)
        total, chunk = 0, b"x" * 1024
        while True:
            try:
                written = os.write(wfd, chunk)
            except BlockingIOError:
                return total
            if not written:                # a full non-blocking pipe may also say "0 bytes"
                return total
            total += written
    except (AttributeError, OSError):
        return None
    finally:
        os.close(r)
        os.close(wfd)


# ---------------------------------------------------------------- shared memory and the resource tracker
TRACK_PARAMETER = sys.version_info >= (3, 13)    # SharedMemory(..., track=False) exists from 3.13


def block_exists(name: str) -> bool:
    """Can a shared-memory block still be found by `name`? (Attaching is the only portable test.)"""
    from multiprocessing import shared_memory
    try:
        shm = shared_memory.SharedMemory(name=name, **({"track": False} if TRACK_PARAMETER else {}))
    except FileNotFoundError:
        return False
    shm.close()
    return True


def run_program(*args: str, timeout: float = 30.0) -> subprocess.CompletedProcess:
    """Run `python -m helpers.ch05_ipc ARGS...`: a separate program, unrelated to this one.

    Reading its output to the end waits for its resource tracker too (the tracker inherits the
    program's stderr and exits after it has cleaned up), so whatever it was going to unlink is
    gone when this returns. (`helpers.subproc` would kill the tracker at once, before it cleans up.)
    """
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
    return subprocess.run([sys.executable, "-m", "helpers.ch05_ipc", *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=root)


def tracker_warnings(stderr: str) -> list[str]:
    """The resource tracker's warnings in a program's stderr, without the file paths around them."""
    return [line.split("UserWarning: ", 1)[1] for line in stderr.splitlines() if "UserWarning: resource_tracker" in line]


def stranger(name: str, track: bool = True) -> None:
    """An unrelated program: attach to the block `name`, print its first bytes, close it, exit.

    It never calls unlink(): it does not own the block. With `track=False` (3.13+) it also
    tells its resource tracker to keep out.
    """
    from multiprocessing import shared_memory
    shm = shared_memory.SharedMemory(name=name, **({} if track else {"track": False}))
    print(bytes(shm.buf[:5]).decode())
    shm.close()


def share_with_a_stranger(stranger_tracks: bool = True) -> dict:
    """Create a block, let an unrelated program attach to it and leave, then look for the block.

    Run this in a program of its own (the chapter uses `helpers.subproc.call`), so that the
    notebook's resource tracker has nothing to do with it. Returns what the stranger read and
    said, and whether the creator could still find its block afterwards.
    """
    from multiprocessing import shared_memory
    if not stranger_tracks and not TRACK_PARAMETER:
        raise ValueError(f"SharedMemory(track=False) needs Python 3.13+; this is {sys.version.split()[0]}")
    shm = shared_memory.SharedMemory(create=True, size=16)
    try:
        shm.buf[:5] = b"hello"
        run = run_program("stranger", shm.name, *([] if stranger_tracks else ["--no-track"]))
        return {"stranger read": run.stdout.strip(), "stranger's tracker said": tracker_warnings(run.stderr),
                "block still there for its creator": block_exists(shm.name)}
    finally:
        shm.close()
        try:
            shm.unlink()
        except FileNotFoundError:
            pass                    # the stranger's tracker destroyed it already


def forget_to_unlink() -> None:
    """A program that creates a block, prints its name and exits without unlink()."""
    from multiprocessing import shared_memory
    shm = shared_memory.SharedMemory(create=True, size=16)
    print(shm.name)
    shm.close()                    # closed, but never unlinked


def _main(argv: list[str]) -> None:
    """`python -m helpers.ch05_ipc stranger NAME [--no-track]` or `... forget`."""
    if argv[:1] == ["stranger"]:
        stranger(argv[1], track="--no-track" not in argv)
    elif argv[:1] == ["forget"]:
        forget_to_unlink()
    else:
        raise SystemExit("usage: python -m helpers.ch05_ipc stranger NAME [--no-track] | forget")


if __name__ == "__main__":
    _main(sys.argv[1:])
