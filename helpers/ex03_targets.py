"""Test-side targets for exercise ex03 (process life cycle): children that end when the test says.

The exercise's tests run *your* code against these child-process targets. They live in a
module for the reason chapter 02 gives: under `spawn` and `forkserver` a child imports its
target by name. Reading them is allowed and may help you understand what a test checks.
"""
from __future__ import annotations

import sys
import time

from .states import state_letter


def wait_then_exit(go, code: int = 0, limit: float = 20.0) -> None:
    """Wait until `go` is set (at most `limit` seconds), then exit with `code`."""
    go.wait(limit)
    sys.exit(code)


def release_in_order(events, procs, order, pause: float = 0.2, limit: float = 10.0) -> None:
    """Let the children end one at a time, in `order`: set one event, wait until that child has
    exited (a zombie, or already reaped), pause, then set the next one.

    Run it in a thread while the code under test waits for the children: whatever that code
    does, child `order[k]` cannot end before child `order[k-1]` has.
    """
    for i in order:
        events[i].set()
        deadline = time.monotonic() + limit
        while state_letter(procs[i].pid) not in ("Z", None) and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(pause)


def named_command(name: str, seconds: float, code: int = 0) -> list[str]:
    """A Python process that renames itself `name` (what `ps` and /proc show), sleeps, exits `code`.

    Names may contain spaces and parentheses: a reader of /proc/PID/stat that splits on spaces
    gets them wrong.
    """
    script = ("import ctypes, ctypes.util, sys, time\n"
              "try:\n"
              "    libc = ctypes.CDLL(ctypes.util.find_library('c') or None)\n"
              f"    libc.prctl(15, {name.encode()!r}, 0, 0, 0)\n"
              "except Exception:\n"
              "    pass\n"
              f"time.sleep({seconds})\n"
              f"sys.exit({code})\n")
    return [sys.executable, "-c", script]
