"""Test-side targets for exercise ex03 (process life cycle): children that end when the test says.

The exercise's tests run *your* code against these child-process targets. They live in a
module for the reason chapter 02 gives: under `spawn` and `forkserver` a child imports its
target by name. Reading them is allowed and may help you understand what a test checks.
"""
from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time

from .states import state_letter


def wait_then_exit(go, code: int = 0, limit: float = 20.0) -> None:
    """Wait until `go` is set (at most `limit` seconds), then exit with `code`."""
    go.wait(limit)
    sys.exit(code)


def release_in_order(events, procs, order, late: list, pause: float = 0.2, limit: float = 10.0,
                     reaped_within: float = 3.0) -> None:
    """Let the children end one at a time, in `order`: set one event, wait until that child has
    exited, wait until the code under test has reaped it (joined it), pause, then set the next one.

    Run it in a thread while the code under test waits for the children: whatever that code
    does, child `order[k]` cannot end before child `order[k-1]` has been reaped. A child still not
    joined `reaped_within` seconds after it ended is appended to `late` (by name), and the rest are
    released at once: the code under test waited for another child instead of reaping this one.
    """
    for k, i in enumerate(order):
        events[i].set()
        deadline = time.monotonic() + limit
        while state_letter(procs[i].pid) not in ("Z", None) and time.monotonic() < deadline:
            time.sleep(0.005)
        if not _joined_within(procs[i], reaped_within):
            late.append(procs[i].name)
            for j in order[k + 1:]:
                events[j].set()
            return
        time.sleep(pause)


def _joined_within(proc, seconds: float) -> bool:
    """Has `proc` been joined (its exit status collected in this process) within `seconds`?

    Reads the status multiprocessing keeps, without collecting it itself: under fork and spawn
    an unjoined child is a zombie; under forkserver the fork server reaps it, and only join()
    (or is_alive(), exitcode) brings its exit status here.
    """
    deadline = time.monotonic() + seconds
    while proc._popen.returncode is None:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def reap_right_after_existence_check(popen, func, timeout: float = 10.0):
    """Return func(popen.pid) for an exited, unreaped `popen`, reaping it (popen.wait()) at the
    moment func's own code gets the answer of an existence check on it.

    An existence check (psutil.pid_exists, psutil.pids, psutil.Process(pid), os.path.exists,
    Path.exists, os.kill(pid, 0), os.listdir, os.stat...) is out of date as soon as it returns:
    another thread or the process's parent may reap the zombie right then. This makes that
    happen every time, so code that checks first and reads the status afterwards meets the
    vanished process, and code that simply reads and handles "no such process" does not notice.
    It watches with `sys.setprofile` in a thread of its own; `timeout` bounds a call that hangs.
    """
    import genericpath
    import pathlib
    import psutil
    python_checks = {f.__code__ for f in (psutil.pid_exists, psutil.pids, psutil.Process.__init__,
                                          genericpath.exists, genericpath.isdir, genericpath.isfile,
                                          pathlib.Path.exists, pathlib.Path.is_dir)}
    builtin_checks = {os.kill, os.listdir, os.stat, os.lstat, os.access, os.scandir}
    student_file = func.__code__.co_filename
    outcome: dict = {}

    def watch(frame, event, arg):
        if outcome.get("reaped"):
            return
        checked = ((event == "return" and frame.f_code in python_checks and frame.f_back is not None
                    and frame.f_back.f_code.co_filename == student_file)
                   or (event == "c_return" and arg in builtin_checks and frame.f_code.co_filename == student_file))
        if checked:
            outcome["reaped"] = True
            popen.wait()

    def call():
        sys.setprofile(watch)
        try:
            outcome["value"] = func(popen.pid)
        except BaseException as exc:  # handed to the caller
            outcome["error"] = exc
        finally:
            sys.setprofile(None)

    worker = threading.Thread(target=call, daemon=True, name="reap_right_after_existence_check")
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise AssertionError(f"{getattr(func, '__name__', 'the call')} did not finish within {timeout:g} s")
    popen.wait()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"], bool(outcome.get("reaped"))


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


def work_done() -> None:
    """A supervisor's work that ends normally."""


def work_fails() -> None:
    """A supervisor's work that fails half-way: the supervisor's process ends with an exception.

    Its traceback goes nowhere (stderr is sent to os.devnull first): in a graded cell, any output on
    stderr, even this expected one, would cost the cell its points.
    """
    sys.stderr = open(os.devnull, "w")
    raise RuntimeError("the supervisor's work failed (on purpose, for the test)")


def parent_of_watcher(watcher, ready, report, conn, seconds: float = 30.0) -> None:
    """Start `watcher(ready, report)` in a child, send its pid through `conn`, then wait to be killed.

    When the test kills this process, the watcher is orphaned and re-parented: to the test's
    process when that is a subreaper, else to init. The watcher is started with `fork`, whatever
    the test's start method, so that it really is this process's child: a `forkserver` child's
    parent is the fork server, and killing the process that asked for the child orphans the fork
    server, not the child (the server keeps running while any of its children does, because each
    child holds a copy of the pipe that tells the server its clients are gone).
    """
    import multiprocessing
    child = multiprocessing.get_context("fork").Process(target=watcher, args=(ready, report), name="watcher")
    child.start()
    conn.send(child.pid)
    conn.close()
    time.sleep(seconds)


def adopt_orphans():
    """On Linux, make this process a subreaper for a `with` block (elsewhere, do nothing): an orphaned
    descendant is then adopted here instead of by PID 1, so the test can see it and clean it up."""
    import contextlib

    from . import ch03_lifecycle
    return ch03_lifecycle.subreaper() if ch03_lifecycle.subreaper_supported() else contextlib.nullcontext()


class CountingProcess(multiprocessing.Process):
    """A Process that counts, in the parent, how often it is asked whether it has ended
    (`is_alive()`, `exitcode`): a loop that keeps asking instead of blocking shows as thousands
    of questions a second, however little CPU a busy machine gives it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.asked = 0

    def is_alive(self):
        self.asked += 1
        return super().is_alive()

    @property
    def exitcode(self):
        self.asked += 1
        return super().exitcode
