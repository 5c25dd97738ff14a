"""Chapter 03 (process life cycle): targets that make zombies, orphans and daemons on purpose,
and small readers that show them the way `ps` does.

Every function that runs in a child process lives here (see helpers/proc_demos.py for why).
Zombies and orphans are POSIX ideas: the demos need Linux or macOS; `subreaper` needs Linux.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager

import psutil

from .proc_demos import tell

# --- looking at processes ---------------------------------------------------------------------------

PS_STATES = {"R": "running or ready", "S": "sleeping (blocked)", "D": "blocked in the kernel (disk)",
             "Z": "zombie", "T": "stopped", "t": "stopped (traced)", "I": "idle kernel thread",
             "X": "dead"}


def state_letter(pid: int) -> str | None:
    """The one-letter state `ps` shows (R, S, D, Z, T...) for `pid`, or None if there is no such process.

    Read from /proc/PID/stat on Linux. The process name in that line is in parentheses and may
    itself contain spaces or ')', so the state is the first field after the *last* ')'.
    Elsewhere psutil's status is translated.
    """
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return None
    except OSError:
        pass
    try:
        status = psutil.Process(pid).status()
    except psutil.NoSuchProcess:
        return None
    return {"running": "R", "sleeping": "S", "disk-sleep": "D", "zombie": "Z", "stopped": "T",
            "idle": "I", "dead": "X"}.get(status, "?")


def ps(*pids: int) -> None:
    """Print a `ps`-like line (PID, PPID, STAT, command) for each pid; a vanished pid says so."""
    print(f"{'PID':>7} {'PPID':>7} STAT  COMMAND")
    for pid in pids:
        letter = state_letter(pid)
        if letter is None:
            print(f"{pid:>7} {'-':>7} -     (no such process: it has been reaped)")
            continue
        try:
            p = psutil.Process(pid)
            ppid, name = p.ppid(), p.name()
        except psutil.NoSuchProcess:
            print(f"{pid:>7} {'-':>7} -     (no such process: it has been reaped)")
            continue
        note = " <defunct>" if letter == "Z" else ""
        print(f"{pid:>7} {ppid:>7} {letter:<4}  {name}{note}   [{PS_STATES.get(letter, '?')}]")


def ppid_of(pid: int) -> int | None:
    """The parent pid of `pid` right now, or None if it has gone."""
    try:
        return psutil.Process(pid).ppid()
    except psutil.NoSuchProcess:
        return None


def describe(pid: int | None) -> str:
    """'1234 (python3)': a pid with its command name, for printing."""
    if pid is None:
        return "(gone)"
    try:
        return f"{pid} ({psutil.Process(pid).name()})"
    except psutil.NoSuchProcess:
        return f"{pid} (gone)"


def wait_until(predicate, timeout: float = 5.0, every: float = 0.01) -> bool:
    """Poll `predicate()` until it is true or `timeout` seconds pass; return the last answer."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True


def sleeper_command(seconds: float) -> list[str]:
    """A command line for a plain Python process that sleeps `seconds` (no multiprocessing involved)."""
    return [sys.executable, "-c", f"import time; time.sleep({seconds})"]


# --- subreaper (Linux) ------------------------------------------------------------------------------

PR_SET_CHILD_SUBREAPER = 36
PR_GET_CHILD_SUBREAPER = 37


def subreaper_supported() -> bool:
    """True on Linux (3.4+), where a process may adopt its orphaned descendants."""
    return sys.platform.startswith("linux")


def _prctl(option: int, value: int) -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    if libc.prctl(option, value, 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def is_subreaper() -> bool:
    """Is the calling process a child subreaper? (Linux only.)"""
    libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    flag = ctypes.c_int(0)
    libc.prctl(PR_GET_CHILD_SUBREAPER, ctypes.byref(flag), 0, 0, 0)
    return bool(flag.value)


@contextmanager
def subreaper():
    """Make the calling process a child subreaper for the duration of the block (Linux only).

    While it is one, any descendant whose parent dies is re-parented to *this* process instead
    of to init, and so becomes this process's child: it must be reaped here (os.waitpid).
    The flag is restored on the way out.
    """
    if not subreaper_supported():
        raise OSError("PR_SET_CHILD_SUBREAPER exists on Linux only")
    before = is_subreaper()
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    try:
        yield
    finally:
        _prctl(PR_SET_CHILD_SUBREAPER, int(before))


# --- targets ---------------------------------------------------------------------------------------

def quick_job(seconds: float = 0.1) -> None:
    """Work briefly and end: the parent will find a zombie if it does not reap it."""
    time.sleep(seconds)


def parent_of_orphan(conn, seconds: float) -> None:
    """Start a grandchild (a plain sleeping Python process), send its pid, then wait to be killed.

    When the notebook kills this process, the grandchild keeps running: it is an orphan.
    """
    child = subprocess.Popen(sleeper_command(seconds))
    conn.send(child.pid)
    conn.close()
    time.sleep(seconds)
    child.wait()


def parent_with_daemon(conn, daemon_seconds: float, worker_seconds: float, linger: float) -> None:
    """Start a daemon child and a normal child, send both pids, linger, then return normally.

    On the way out multiprocessing terminates the daemon (it never finishes its sleep) and
    waits for the normal child (its work is not cut short).
    """
    daemon = multiprocessing.Process(target=time.sleep, args=(daemon_seconds,), name="daemon", daemon=True)
    worker = multiprocessing.Process(target=time.sleep, args=(worker_seconds,), name="worker")
    daemon.start()
    worker.start()
    conn.send({"daemon": daemon.pid, "worker": worker.pid})
    conn.close()
    time.sleep(linger)


def daemon_tries_children(out) -> None:
    """Run as a daemon process: try to start a multiprocessing child, then a subprocess."""
    try:
        p = multiprocessing.Process(target=time.sleep, args=(0.1,))
        p.start()
        p.join()
        tell(out, "started a child process (unexpected)")
    except AssertionError as exc:
        tell(out, f"multiprocessing.Process.start() -> AssertionError: {exc}")
    done = subprocess.run([sys.executable, "-c", "print('hi')"], capture_output=True, text=True)
    tell(out, f"subprocess.run(...) still works: the command printed {done.stdout.strip()!r}")


def has_ps() -> bool:
    """Is the real `ps` command available (to show the same thing from a terminal)?"""
    return shutil.which("ps") is not None
