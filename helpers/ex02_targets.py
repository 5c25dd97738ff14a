"""Test-side targets for exercise ex02 (multiprocessing.Process): what the tests start in children.

The exercise's tests run *your* code against these child-process targets. They live in a
module for the reason chapter 02 gives: under `spawn` and `forkserver` a child imports its
target by name. Reading them is allowed and may help you understand what a test checks.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time


def finish(code: int, delay: float = 0.0) -> None:
    """Sleep `delay` seconds, then exit with status `code`."""
    time.sleep(delay)
    sys.exit(code)


def meet(barrier, code: int, timeout: float = 5.0) -> None:
    """Wait at `barrier` for the other children, then exit with `code`.

    If the others do not all arrive within `timeout` seconds (because they were not running at
    the same time), exit with status 99 instead.
    """
    try:
        barrier.wait(timeout)
    except threading.BrokenBarrierError:
        sys.exit(99)
    sys.exit(code)


def ignore_term(ready, seconds: float = 30.0) -> None:
    """Ignore SIGTERM, tell the parent so (set `ready`), then sleep: only SIGKILL stops this one."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    ready.set()
    time.sleep(seconds)


def clean_up_on_term(ready, cleanup: float = 0.2, code: int = 3, seconds: float = 30.0) -> None:
    """On SIGTERM, take `cleanup` seconds to tidy up, then exit with `code`; otherwise sleep.

    Neither dies at once nor ignores the signal: a `stop()` that reads `is_alive()` straight
    after `terminate()` finds it still alive and kills it, losing its clean exit.
    """
    def tidy_up(signum, frame):
        time.sleep(cleanup)
        sys.exit(code)

    signal.signal(signal.SIGTERM, tidy_up)
    ready.set()
    time.sleep(seconds)


class WatchedProcess(multiprocessing.Process):
    """A Process that notes, in the parent, what was asked of it: ("join", timeout), ("terminate",),
    ("kill",), in `calls`. A test reads them to see how long `stop()` was ready to wait."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls: list = []

    def join(self, timeout=None):
        self.calls.append(("join", timeout))
        super().join(timeout)

    def terminate(self):
        self.calls.append(("terminate",))
        super().terminate()

    def kill(self):
        self.calls.append(("kill",))
        super().kill()


# Set by a test in the parent before it starts `how_started`: a child that still sees it was forked.
PARENT_MARK: str | None = None
STARTED_BY = {"fork": 10, "spawn": 20, "forkserver": 30}


def how_started(parent_pid: int) -> None:
    """Exit with the code in STARTED_BY for the start method that made this process.

    fork copies the parent's memory, so `PARENT_MARK` set in the parent is still there; spawn and
    forkserver children import this module afresh. A spawn child is a child of the process that
    started it; a forkserver child is a child of the fork server.
    """
    if PARENT_MARK is not None:
        sys.exit(STARTED_BY["fork"])
    sys.exit(STARTED_BY["spawn"] if os.getppid() == parent_pid else STARTED_BY["forkserver"])

