"""Chapter 03 (process life cycle): targets that make zombies, orphans and daemons on purpose,
and small readers that show them the way `ps` does.

Every function that runs in a child process lives here (see helpers/ch02_processes.py for why).
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

from .ch02_processes import tell
from .states import state_letter
from .testing import wait_until  # noqa: F401  (the chapter calls lc.wait_until)

# --- looking at processes ---------------------------------------------------------------------------

PS_STATES = {"R": "running or ready", "S": "sleeping (blocked)", "D": "blocked in the kernel (disk)",
             "Z": "zombie", "T": "stopped", "t": "stopped (traced)", "I": "idle kernel thread",
             "X": "dead"}


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


def sleeper_command(seconds: float) -> list[str]:
    """A command line for a plain Python process that sleeps `seconds` (no multiprocessing involved)."""
    return [sys.executable, "-c", f"import time; time.sleep({seconds})"]


def outliver_command(after: float, limit: float = 30) -> list[str]:
    """A plain Python process that waits until its parent has died, then lives `after` seconds more.

    It notices its parent's death by its parent pid changing (it has been adopted). `limit` caps
    its whole life, so it can never linger for long.
    """
    code = ("import os, time\n"
            "first, start = os.getppid(), time.monotonic()\n"
            f"while os.getppid() == first and time.monotonic() - start < {limit}:\n"
            "    time.sleep(0.02)\n"
            f"time.sleep({after})\n")
    return [sys.executable, "-c", code]


# --- subreaper (Linux) ------------------------------------------------------------------------------

PR_SET_CHILD_SUBREAPER = 36
PR_GET_CHILD_SUBREAPER = 37


def subreaper_supported() -> bool:
    """True on Linux (3.4+), where a process may adopt its orphaned descendants."""
    return sys.platform.startswith("linux")


def _libc():
    """The C library, for prctl(2) (loaded on first use: only Linux has prctl)."""
    return ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


def _prctl(option: int, value: int) -> None:
    if _libc().prctl(option, value, 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def is_subreaper() -> bool:
    """Is the calling process a child subreaper? (Linux only.)"""
    flag = ctypes.c_int(0)
    _libc().prctl(PR_GET_CHILD_SUBREAPER, ctypes.byref(flag), 0, 0, 0)
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


def parent_of_orphan(conn, seconds: float, returns_after: float | None = None) -> None:
    """Start a grandchild (a plain Python process that sleeps `seconds`), send its pid, then either
    wait to be killed (`returns_after` None) or return after `returns_after` seconds without waiting
    for the grandchild. Either way the grandchild outlives this process: it becomes an orphan.
    """
    child = subprocess.Popen(sleeper_command(seconds))
    conn.send(child.pid)
    conn.close()
    if returns_after is not None:
        time.sleep(returns_after)
        child.returncode = 0     # we leave it running on purpose: tell Popen's destructor not to warn
        return
    time.sleep(seconds)
    child.wait()


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


def nap(started, seconds: float) -> None:
    """Say "I have started" (set the event), then sleep `seconds`."""
    started.set()
    time.sleep(seconds)


def story_parent(conn, worker_seconds: float, orphan_seconds: float, linger: float) -> None:
    """The parent in chapter 03's whole-story timeline (started with the spawn method).

    It starts three children, sends their pids and then just lingers without ever waiting:
    - "worker": a normal child that finishes early, so it sits as a zombie until this parent's
      exit code reaps it;
    - "daemon": a daemon child that would sleep for a long time, terminated when this parent ends;
    - "orphan": a plain subprocess this parent never waits for, which outlives it by
      `orphan_seconds`.
    """
    ctx = multiprocessing.get_context("spawn")
    ready = [ctx.Event(), ctx.Event()]
    worker = ctx.Process(target=nap, args=(ready[0], worker_seconds), name="worker")
    daemon = ctx.Process(target=nap, args=(ready[1], 60), name="daemon", daemon=True)
    worker.start()
    daemon.start()
    orphan = subprocess.Popen(outliver_command(orphan_seconds))
    for event in ready:          # start-up done: the story (and its timeline) begins now
        event.wait(10)
    conn.send({"worker": worker.pid, "daemon": daemon.pid, "orphan": orphan.pid})
    conn.close()
    time.sleep(linger)
    # returning ends this process: multiprocessing terminates "daemon", joins "worker" and
    # "daemon"; nobody waits for "orphan" (Popen children are not multiprocessing's business)
    orphan.returncode = 0    # tell Popen's destructor not to warn that it is still running


def parent_for_daemon_demo(conn, daemon: bool, seconds: float) -> None:
    """Start one child (daemon or not) that sleeps `seconds`, send its pid, then end soon after."""
    child = multiprocessing.get_context("spawn").Process(target=time.sleep, args=(seconds,),
                                                          daemon=daemon, name="child")
    child.start()
    conn.send(child.pid)
    conn.close()
    time.sleep(0.2)


def lifecycle_diagram(ax=None):
    """Draw the life of a process: created -> ready/running/blocked -> zombie -> reaped."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    from .plots import DIAGRAM_COLORS, STATE_COLORS

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 3.6))
    boxes = {"created\n(start())": (0.6, 2.0, DIAGRAM_COLORS["box"]), "ready": (3.2, 3.4, STATE_COLORS["ready"]),
             "running": (6.4, 3.4, STATE_COLORS["running"]), "blocked": (4.8, 0.6, STATE_COLORS["blocked"]),
             "zombie\n(exited, status\nnot collected)": (9.4, 2.0, STATE_COLORS["zombie"]),
             "gone\n(reaped)": (12.4, 2.0, DIAGRAM_COLORS["box"])}
    for label, (x, y, color) in boxes.items():
        ax.add_patch(FancyBboxPatch((x - 0.9, y - 0.45), 1.8, 0.9, boxstyle="round,pad=0.05",
                                    fc=color, ec="black", lw=0.8))
        dark = color in (STATE_COLORS["running"], STATE_COLORS["blocked"], STATE_COLORS["zombie"])
        ax.text(x, y, label, ha="center", va="center", fontsize=9, color="white" if dark else "black")

    def arrow(a, b, text="", at=None):
        ax.annotate("", xy=b, xytext=a, arrowprops=dict(arrowstyle="->", lw=1.2))
        if text:
            x, y = at or ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
            ax.text(x, y, text, ha="center", va="center", fontsize=8, color=DIAGRAM_COLORS["text"],
                    bbox=dict(fc="white", ec="none", pad=1))

    arrow((1.4, 2.5), (2.3, 3.1))
    arrow((4.15, 3.55), (5.45, 3.55), "scheduled", at=(4.8, 3.85))
    arrow((5.45, 3.25), (4.15, 3.25), "time slice over", at=(4.8, 2.8))
    arrow((6.2, 2.9), (5.3, 1.1), "waits: I/O,\nsleep, join", at=(6.3, 1.9))
    arrow((4.3, 1.1), (3.4, 2.9), "wait over", at=(3.2, 1.9))
    arrow((7.35, 3.2), (8.45, 2.4), "exits or\nis killed", at=(8.3, 3.2))
    arrow((10.35, 2.0), (11.45, 2.0), "parent waits:\njoin(), waitpid()", at=(10.9, 2.85))
    ax.text(10.9, 0.6, "a zombie keeps only its pid and exit status.\nIf its parent dies first, init "
            "or a subreaper\nadopts it and reaps it.", ha="center", va="center", fontsize=8, color=DIAGRAM_COLORS["text"])
    ax.set_xlim(-0.4, 13.4)
    ax.set_ylim(0.0, 4.1)
    ax.axis("off")
    ax.set_title("The life of a process (chapter 01's three states, plus its beginning and end)")
    ax.figure.tight_layout()
    return ax
