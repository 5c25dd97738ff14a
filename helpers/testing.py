"""Checks for exercise tests: call student code with a deadline, so a hang fails in seconds.

A test cell that simply calls a student's function waits for as long as the function does: a
deadlock or a missing join would sit until the autograder's cell timeout. `finishes_within` runs
the call in a watchdog thread and turns "still running after N seconds" into a failed test with
a hint.
"""
from __future__ import annotations

import threading

HANG_HINT = ("does it wait for something that never happens: a join on a process that never "
             "ends, a lock that is never released, a consumer that never gets its sentinel?")


def finishes_within(seconds: float, func, *args, what: str | None = None, **kwargs):
    """Return `func(*args, **kwargs)`, or fail with a hint if it runs longer than `seconds`.

    An exception raised by `func` is raised again here, so the test shows the student's error.
    The watchdog thread is a daemon: a call that never returns cannot keep the kernel alive.
    """
    outcome: dict = {}

    def call():
        try:
            outcome["value"] = func(*args, **kwargs)
        except BaseException as exc:  # handed to the caller, who re-raises it
            outcome["error"] = exc

    name = what or getattr(func, "__name__", "the call")
    worker = threading.Thread(target=call, name=f"finishes_within({name})", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise AssertionError(f"{name} did not finish within {seconds:g} s: {HANG_HINT}")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
