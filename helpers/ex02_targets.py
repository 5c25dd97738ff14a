"""Test-side targets for exercise ex02 (multiprocessing.Process): what the tests start in children.

The exercise's tests run *your* code against these child-process targets. They live in a
module for the reason chapter 02 gives: under `spawn` and `forkserver` a child imports its
target by name. Reading them is allowed and may help you understand what a test checks.
"""
from __future__ import annotations

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
