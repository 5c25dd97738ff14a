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


def multiprocessing_service_pids() -> set[int]:
    """PIDs of the helper processes multiprocessing keeps for the whole session, if running.

    The resource tracker and the fork server start on first use and must outlive the code that
    started them: killing them breaks every later `Process.start()` in this interpreter.
    """
    from multiprocessing import forkserver, resource_tracker
    pids = {getattr(resource_tracker._resource_tracker, "_pid", None),
            getattr(forkserver._forkserver, "_forkserver_pid", None)}
    return {pid for pid in pids if pid}


class no_new_processes:
    """Context manager for tests: on exit, kill (and reap) any child process started inside it.

    Use it around student code that starts processes, so a test that fails half-way (a worker
    that never ends, a missing join) leaves nothing running behind it. Only processes started
    inside the block are touched, and never multiprocessing's own long-lived helpers (the
    resource tracker, the fork server). `leftovers` lists the ones found, for an assert message.
    """

    def __init__(self, grace: float = 1.0):
        self.grace = grace
        self.leftovers: list[int] = []

    def __enter__(self):
        import psutil
        self._me = psutil.Process()
        self._before = {p.pid for p in self._me.children(recursive=True)}
        return self

    def __exit__(self, *exc):
        import multiprocessing
        import psutil
        multiprocessing.active_children()          # reaps children that already finished
        keep = self._before | multiprocessing_service_pids()
        new = [p for p in self._me.children(recursive=True) if p.pid not in keep]
        self.leftovers = [p.pid for p in new]
        for p in new:
            try:
                p.terminate()
            except psutil.NoSuchProcess:
                pass
        _, alive = psutil.wait_procs(new, timeout=self.grace)
        for p in alive:
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(alive, timeout=self.grace)
        multiprocessing.active_children()
        return False
