"""Test-side targets for exercise ex05 (IPC): producers and consumers the tests pair with yours.

They live in a module for the reason chapter 02 gives: under `spawn` and `forkserver` a child
imports its target by name. Reading them is allowed and may help you understand what a test checks.
"""
from __future__ import annotations

import time

from .ch05_ipc import STOP
from .testing import OUTLASTS_GUESSES


def steady_producer(tasks, first: int, count: int, delay: float = 0.0) -> None:
    """Put the numbers first .. first+count-1 on `tasks`, sleeping `delay` before each; no sentinel."""
    for item in range(first, first + count):
        time.sleep(delay)
        tasks.put(item)


def slow_exit_consumer(tasks, results) -> None:
    """Put (item, item*item) on `results` for each item until the sentinel; then take 0.5 s to exit.

    The slow exit makes a parent that forgets to join its consumers easy to catch: when it
    returns, this consumer is certainly still running.
    """
    while True:
        item = tasks.get()
        if item is STOP:
            break
        results.put((item, item * item))
    time.sleep(0.5)


def slow_consumer(tasks, results, work: float) -> None:
    """Like exercise 05's consumer: (item, item*item) on `results` per item, `work` seconds each."""
    while True:
        item = tasks.get()
        if item is STOP:
            break
        time.sleep(work)
        results.put((item, item * item))


def padded_consumer(tasks, results, padding: int = 20_000) -> None:
    """Like exercise 05's consumer, but each result carries `padding` extra bytes: (item, item*item, "x..."),
    so that ten results are more than a pipe holds. A parent that joins its consumers before it has
    drained the results then waits for ever: each consumer waits, at exit, to hand over what it put."""
    while True:
        item = tasks.get()
        if item is STOP:
            break
        results.put((item, item * item, "x" * padding))


def delay_checking_producer(tasks, first: int, count: int, delay: float = 0.0) -> None:
    """A producer for tests that give producer i the delay i / 100: it puts its items when it got
    that delay, and the marker -(i + 1) instead of each item when it did not (its delay was lost)."""
    index = first // count if count else 0
    right = abs(delay - index / 100) < 1e-9
    for item in range(first, first + count):
        time.sleep(delay)
        tasks.put(item if right else -(index + 1))


def send_items(conn, count: int = 5, pause: float = 0.0, size: int = 0) -> None:
    """Send (i, "x" * size) for i in 0 .. count-1 through `conn`, pausing `pause` seconds before the
    last one, then close this end: the other end then reads EOFError once it has read everything."""
    for i in range(count):
        if i == count - 1:
            time.sleep(pause)
        conn.send((i, "x" * size))
    conn.close()


def slow_square(counter, n: int, seconds: float = 0.2) -> int:
    """Work that takes `seconds`: return n * n; raise ValueError for a negative n.

    Before returning it adds 1 to `counter` (an mp.Value): the test compares it with the items it
    sent, to see that no item was marked done before its work had finished.
    """
    time.sleep(seconds)
    with counter.get_lock():
        counter.value += 1
    if n < 0:
        raise ValueError(f"cannot work on {n}")
    return n * n


def sum_slice(name: str, length: int, start: int, stop: int, results) -> None:
    """Attach to the shared memory block `name` (`length` C doubles), put the sum of values
    [start:stop] on `results`, and detach (close, never unlink: the creator frees the block)."""
    from multiprocessing import shared_memory
    shm = shared_memory.SharedMemory(name=name)
    try:
        values = shm.buf.cast("d")
        try:
            if not 0 <= start <= stop <= length <= len(values):
                raise ValueError(f"slice [{start}:{stop}] does not fit {length} values")
            results.put(sum(values[start:stop]))
        finally:
            values.release()
    finally:
        shm.close()


class created_blocks:
    """Context manager: note the name of every shared memory block created inside it.

    `leaked()` then lists those that still exist, and frees them (so that a failed test leaves
    nothing behind): a block lives until someone unlinks it, even after every process has ended.
    """

    def __enter__(self):
        from multiprocessing import shared_memory
        self.names: list[str] = []
        cls = shared_memory.SharedMemory
        self._original = original = cls.__init__
        names = self.names

        def init(shm, *args, **kwargs):
            original(shm, *args, **kwargs)
            if kwargs.get("create", args[1] if len(args) > 1 else False):
                names.append(shm.name)

        cls.__init__ = init
        return self

    def __exit__(self, *exc):
        from multiprocessing import shared_memory
        shared_memory.SharedMemory.__init__ = self._original
        return False

    def leaked(self) -> list[str]:
        from multiprocessing import shared_memory
        left = []
        for name in self.names:
            try:
                block = shared_memory.SharedMemory(name=name)
            except FileNotFoundError:
                continue
            left.append(name)
            block.close()
            block.unlink()
        return left


def late_consumer(tasks, results, pause: float = OUTLASTS_GUESSES) -> None:
    """Like exercise 05's consumer, but it takes `pause` seconds over each item before putting its
    result: results then stop coming for longer than a guessed timeout, though none is lost."""
    while True:
        item = tasks.get()
        if item is STOP:
            break
        time.sleep(pause)
        results.put((item, item * item))
