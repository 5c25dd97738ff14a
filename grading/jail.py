"""Supervise one grader process, then kill everything it left behind.

`supervise(pid, as_init)` is run by the parent of a submission's grader, in one of two roles:

- **PID 1 of a fresh PID namespace** (`as_init=True`, see `namespaces.py`). Every process the
  submission starts, however it detaches (a new session, a double fork), stays inside the
  namespace and is re-parented to us. At the end `kill(-1, SIGKILL)` reaches all of them.
- **A subreaper** (`become_subreaper()`), when namespaces are not available: orphans are
  re-parented to us instead of to the machine's init, so they stay our descendants and can be
  found (with psutil) and killed.

Either way we reap every orphan while the grader runs (zombies would otherwise pile up and count
against the process limit) and treat SIGTERM/SIGINT/SIGHUP as "kill everything now".
"""
from __future__ import annotations

import os
import signal
import sys
import time

from .namespaces import libc

PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    """Ask Linux to re-parent our orphaned descendants to us; False where that is not possible."""
    try:
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def kill_descendants(as_init: bool, timeout: float = 10) -> int:
    """SIGKILL and reap every descendant; return how many were still there."""
    found: set[int] = set()
    if as_init:      # our /proc is the namespace's own: count before killing
        found = {int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != 1}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if as_init:
            try:
                os.kill(-1, signal.SIGKILL)      # everyone in our namespace except us
            except ProcessLookupError:
                pass
        else:
            import psutil
            try:
                pids = {p.pid for p in psutil.Process().children(recursive=True)}
            except psutil.Error:
                pids = set()
            found |= pids
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        try:
            pid, _ = os.waitpid(-1, 0 if as_init else os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            time.sleep(0.01)
    return len(found)


def supervise(child: int, as_init: bool) -> int:
    """Reap until `child` exits (or we are told to stop), kill all leftovers, return its status."""
    stopped = {"signal": None}

    def on_signal(signum, _frame):
        stopped["signal"] = signum
        raise InterruptedError

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)
    status = None
    while status is None:
        try:
            pid, raw = os.waitpid(-1, 0)
        except (InterruptedError, ChildProcessError):
            break
        if pid == child:
            status = os.waitstatus_to_exitcode(raw)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    left = kill_descendants(as_init)
    if left:
        print(f"grading.jail: killed {left} process(es) the submission left running", file=sys.stderr, flush=True)
    if stopped["signal"] is not None:
        return 128 + stopped["signal"]
    if status is None:
        return 128 + signal.SIGKILL
    return status if status >= 0 else 128 - status
