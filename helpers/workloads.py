"""Work for demos to run: CPU-bound, I/O-bound and mixed, importable from any child process.

Everything here is a plain top-level function of a module, so it can be the target of a thread, a
`multiprocessing.Process` or a pool task under every start method (fork, spawn, forkserver).

Sizes are given in *seconds* where a demo is about time, so a picture looks the same on a fast
and a slow laptop:
- `spin(s)` burns `s` seconds of this thread's CPU time. If the thread has to wait for a CPU (or
  for the GIL) the wall time stretches, which is exactly what a state or GIL picture should show.
- `count(n)` does a fixed amount of work (`n` loop steps), for speed-ups: the same work done
  serially and in parallel. `iterations_for(s)` converts seconds to steps on this machine.
- `sleep`, `wait_socket` block without using a CPU (the "blocked" state).
"""
from __future__ import annotations

import select
import socket
import time

_CHUNK = 2_000          # loop steps between clock reads in `spin` (about 20-50 us of work)
_rate_cache: float | None = None


def count(n: int) -> int:
    """Pure-Python CPU work: `n` additions in a loop (holds the GIL throughout). Returns the sum."""
    total = 0
    for i in range(n):
        total += i
    return total


def spin(seconds: float) -> int:
    """Use `seconds` of this thread's CPU time, however long that takes on the wall clock.

    Returns the number of loop steps done. Counting CPU time (not wall time) means that a process
    that waits for a core, or a thread that waits for the GIL, takes longer to finish.
    """
    clock = time.thread_time
    end = clock() + seconds
    steps = 0
    while clock() < end:
        for _ in range(_CHUNK):
            pass
        steps += _CHUNK
    return steps


def spin_wall(seconds: float) -> int:
    """Stay busy on the CPU until `seconds` of wall time have passed (whether or not we ran)."""
    end = time.perf_counter() + seconds
    steps = 0
    while time.perf_counter() < end:
        for _ in range(_CHUNK):
            pass
        steps += _CHUNK
    return steps


def iterations_per_second(sample: float = 0.05) -> float:
    """Measure (once per process) how many `count` steps this machine does per CPU second."""
    global _rate_cache
    if _rate_cache is None:
        n = 100_000
        while True:
            t = time.thread_time()
            count(n)
            used = time.thread_time() - t
            if used >= sample:
                break
            n *= 2
        _rate_cache = n / used
    return _rate_cache


def iterations_for(seconds: float) -> int:
    """The `count` size that takes about `seconds` of CPU here; pass it to `count` as fixed work."""
    return max(1, int(seconds * iterations_per_second()))


def sleep(seconds: float) -> float:
    """Block (no CPU) for `seconds`; returns `seconds`. A process doing this is *blocked*."""
    time.sleep(seconds)
    return seconds


def wait_socket(seconds: float) -> bool:
    """Block waiting for data on a socket that never gets any, for `seconds` (like a slow server).

    Returns False (nothing arrived). The wait is in `select`, the way an I/O-bound program waits.
    """
    a, b = socket.socketpair()
    try:
        ready, _, _ = select.select([a], [], [], seconds)
        return bool(ready)
    finally:
        a.close()
        b.close()


def mixed(cpu: float, io: float, rounds: int = 3, rec=None) -> int:
    """Alternate `cpu` seconds of CPU work and `io` seconds of sleep, `rounds` times.

    With a `recording.Recorder` as `rec`, each phase is recorded as "running" or "blocked"
    (what the program *thinks* it is doing; compare with `states.sample`, what the OS saw).
    """
    for _ in range(rounds):
        if rec is not None:
            rec.state("running")
        spin(cpu)
        if rec is not None:
            rec.state("blocked")
        time.sleep(io)
    if rec is not None:
        rec.done()
    return rounds


def square_slowly(x, seconds: float = 0.01):
    """A pool task: spin `seconds` of CPU, then return x*x."""
    spin(seconds)
    return x * x


def use_lock(lock, rounds: int = 5, inside: float = 0.002, outside: float = 0.001, cpu: bool = False) -> int:
    """Take `lock` `rounds` times, keeping it `inside` seconds, pausing `outside` seconds between.

    The pause outside matters: with none, the worker that just released the lock usually gets it
    straight back (docs/design-notes.md: one seller sold all the tickets). `cpu=True` spins instead of sleeping.
    """
    work = spin if cpu else time.sleep
    for _ in range(rounds):
        with lock:
            work(inside)
        if outside:
            work(outside)
    return rounds


def signal_then(event, func, *args):
    """Set `event` (e.g. a multiprocessing Event), then run `func(*args)`: lets the parent wait until
    the child has finished starting up (interpreter start is CPU work that would blur a picture)."""
    event.set()
    return func(*args)


def chunks(n: int, size: int = 1_000, rec=None) -> int:
    """`n` chunks of `count(size)` work; with a recorder, one state event per chunk (the densest
    recording a chapter does). Used to measure what recording costs."""
    total = 0
    if rec is None:
        for _ in range(n):
            total += count(size)
    else:
        for i in range(n):
            rec.state("running", i)
            total += count(size)
        rec.done()
    return total


def start_together(ready, go, func, *args):
    """Say "started" (release `ready`), wait for `go`, then run `func(*args)`.

    Lets a demo start several processes, wait until every interpreter has finished booting
    (which is CPU work of its own), and only then let them all begin at once.
    """
    ready.release()
    go.wait()
    return func(*args)


def recorded_task(rec, x, seconds: float = 0.005):
    """A pool task that records itself: state "task x" while it spins `seconds` of CPU."""
    with rec.span(f"task {x}"):
        spin(seconds)
    return x
