"""Test-side tools for exercise ex09 (the GIL: processes for CPU-bound work, threads for waiting and
for hashing): stand-ins for the exercise's worker functions that note who ran each call, and wait
for one another so that what a test checks does not depend on the machine's speed.

- `primes_watched(folder, expect, lo, hi)` stands in for `ex09_workers.count_primes`: each call
  notes its process in `folder` and waits (at most `RENDEZVOUS_SECONDS`) until calls have started
  in `expect` different processes, or until its own process has started a second call (then the
  pool has fewer processes than ranges, and waiting cannot change that). A pool of `expect`
  processes therefore runs one range in each, however fast or slow they start; a pool of fewer
  processes (or threads) is seen as such.
- `Watch` + `download_watched` / `digest_watched` stand in for `ex09_workers.download` and
  `ex09_workers.digest`: each call notes its process and thread and how many calls ran at once,
  and waits (at most `OVERLAP_SECONDS`) until `expect` calls run together. With `expect` one more
  than the workers asked for, a pool of that many threads never gets there (each call waits the
  full second), while a pool with more threads always does: over-subscription shows on any machine.
  A call then returns only after every call that started after it has returned, so calls running
  together finish in the reverse of the order they started: results collected in the order they
  finished come out of order on any machine, however the threads are scheduled.

They live in a module because a child process imports its function by name (chapter 02); reading
them is allowed and may help you understand what a test checks.
"""
from __future__ import annotations

import hashlib
import os
import threading
import time
import uuid
from pathlib import Path

RENDEZVOUS_SECONDS = 10.0  # far longer than any pool takes to start its processes, even under spawn
OVERLAP_SECONDS = 1.0      # threads start in microseconds: a second is plenty


def count_primes(lo: int, hi: int) -> int:
    """The number of primes p with lo <= p < hi (the tests' own copy of the exercise's function)."""
    return sum(1 for n in range(max(lo, 2), hi) if all(n % d for d in range(2, int(n ** 0.5) + 1)))


def primes_watched(folder: str, expect: int, lo: int, hi: int) -> int:
    """Count the primes in [lo, hi) after noting this process in `folder` and waiting for `expect`
    processes to have started a call (see the module docstring)."""
    me = os.getpid()
    Path(folder, f"{me}-{lo}-{hi}.start").write_text(str(time.time()))
    deadline = time.monotonic() + RENDEZVOUS_SECONDS
    while time.monotonic() < deadline:
        pids = [pid for pid, _, _ in calls_seen(folder)]
        if len(set(pids)) >= expect or pids.count(me) > 1:
            break
        time.sleep(0.01)
    return count_primes(lo, hi)


def calls_seen(folder: str) -> list[tuple[int, int, int]]:
    """(pid, lo, hi) of every call `primes_watched` noted in `folder`, sorted by lo."""
    calls = []
    for p in Path(folder).glob("*.start"):
        pid, lo, hi = p.stem.split("-")
        calls.append((int(pid), int(lo), int(hi)))
    return sorted(calls, key=lambda c: (c[1], c[2]))


class Watch:
    """What the calls of one test did: (argument, pid, thread id) of each, and the most that ran at once."""

    def __init__(self, expect: int):
        self.expect, self.pid = expect, os.getpid()
        self.key = uuid.uuid4().hex
        self.lock = threading.Lock()
        self.calls: list[tuple[object, int, int]] = []
        self.active = self.most = self.started = 0
        self.together = threading.Event()
        self.running: set[int] = set()               # the `order` of each call not yet returned
        self.returned = threading.Condition(self.lock)
        _WATCHES[self.key] = self

    def close(self) -> None:
        _WATCHES.pop(self.key, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    @property
    def threads(self) -> set[int]:
        return {ident for _, _, ident in self.calls}


_WATCHES: dict[str, Watch] = {}


def _watched(key: str, work, arg):
    w = _WATCHES.get(key)
    if w is None or w.pid != os.getpid():       # in another process: nothing to note (the test says so)
        return work(arg, 0)
    with w.lock:
        w.active += 1
        w.most = max(w.most, w.active)
        order, w.started = w.started, w.started + 1
        w.running.add(order)
        if w.most >= w.expect:
            w.together.set()
    try:
        w.together.wait(OVERLAP_SECONDS)
        result = work(arg, order)
        with w.lock:            # the later calls first: they wait only for calls later still, so no cycle
            w.returned.wait_for(lambda: max(w.running) == order, RENDEZVOUS_SECONDS)
        return result
    finally:
        with w.lock:
            w.active -= 1
            w.running.discard(order)
            w.calls.append((arg, os.getpid(), threading.get_ident()))
            w.returned.notify_all()


def _download(name: str, order: int) -> str:
    time.sleep(max(0.0, 0.25 - 0.05 * order))     # a download takes a while (later ones less)
    return f"content of {name}"


def _digest(blob: bytes, order: int) -> str:
    return hashlib.sha256(blob).hexdigest()


def download_watched(key: str, name: str) -> str:
    """Stands in for `ex09_workers.download(name)`: the same result, watched (see `Watch`)."""
    return _watched(key, _download, name)


def digest_watched(key: str, blob: bytes) -> str:
    """Stands in for `ex09_workers.digest(blob)`: the same result, watched (see `Watch`)."""
    return _watched(key, _digest, blob)


def where(_=None) -> int:
    """The pid of the process that runs this call (to see whether an executor uses processes)."""
    return os.getpid()


def new_threads(before: set, grace: float = 1.0) -> list[str]:
    """Threads started since `before` that are still alive after up to `grace` seconds, other than
    the tests' own watchdogs: what a function left running after it returned."""
    deadline = time.monotonic() + grace
    while True:
        left = [t.name for t in threading.enumerate() if t not in before and t.is_alive()
                and not t.name.startswith("finishes_within")]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.02)
