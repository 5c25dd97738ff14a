"""Targets for chapter 02 (multiprocessing.Process): small functions a child process runs.

Why they live here and not in the notebook: under the `spawn` and `forkserver` start methods a
child process receives its target *by name* ("helpers.ch02_processes.task") and imports it. A
function typed into a notebook belongs to that notebook's `__main__`, which a fresh interpreter
cannot import, so the child would die with `AttributeError: Can't get attribute ...`.

Reporting back: a child's `print` reaches a notebook only through Jupyter's output capture,
which forwards it late and may glue it to the parent's lines. So every target here takes an
optional `out` queue: with one, the child *sends* its lines (`tell`) and the parent prints them
after joining (`show`); without one (in a script), it simply prints. Chapter 05 explains queues.
"""
from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from multiprocessing import Process, current_process

count = 100
"""A module global: the "isolated memory" demo changes it in a child and reads it in the parent."""


# --- talking back to the parent -----------------------------------------------------------------

def tell(out, text: str) -> None:
    """Child side: report one line, tagged with this process's name and pid."""
    line = f"[{current_process().name} pid={os.getpid()}] {text}"
    if out is None:
        print(line, flush=True)
    else:
        out.put(line)


def show(out, wait: float = 0.5) -> None:
    """Parent side: print every line the children sent, in the order they arrived.

    Call it after joining the children. `wait` is how long to wait for a first line.
    """
    lines = []
    timeout = wait
    while True:
        try:
            lines.append(out.get(timeout=timeout))
        except queue.Empty:
            break
        timeout = 0.05
    for line in lines:
        print(line)


# --- way 1: a function as target; way 2: a Process subclass ---------------------------------------

def task(seconds: float, out=None) -> None:
    """Say hello with our pid and our parent's, sleep `seconds`, say goodbye."""
    tell(out, f"started; my parent is pid {os.getppid()}")
    time.sleep(seconds)
    tell(out, f"finished after {seconds} s")


class Sleeper(Process):
    """Way 2: subclass Process and override `run()`; `start()` calls `run()` in the new process."""

    def __init__(self, seconds: float, out=None, name: str | None = None):
        super().__init__(name=name)   # let Process set itself up first, *with* our name
        self.seconds = seconds
        self.out = out

    def run(self) -> None:
        task(self.seconds, self.out)


class OriginalSleeper(Process):
    """The pitfall the original tutorial warns about: a name set *before* `Process.__init__` is overwritten."""

    def __init__(self, seconds: float, name: str):
        self.name = name              # set first ...
        super().__init__()            # ... then Process.__init__ picks "OriginalSleeper-N"
        self.seconds = seconds

    def run(self) -> None:
        time.sleep(self.seconds)


def greet(greeting: str, who: str, *, punctuation: str = "!", out=None) -> None:
    """A target with positional and keyword arguments."""
    tell(out, f"{greeting}, {who}{punctuation}")


def count_args(*args, out=None) -> None:
    """Report how many positional arguments arrived (shows what `args="abc"` really passes)."""
    tell(out, f"got {len(args)} positional argument(s): {args!r}")


# --- isolated memory -------------------------------------------------------------------------------

def set_count_original(new: int, out=None) -> None:
    """The original tutorial's version: it declares `global n` but assigns `count`, so `count` is a local."""
    global n  # noqa: F824 - the original tutorial's mistake, kept on purpose
    count = new
    tell(out, f"set count = {count} (but only a local variable called count)")


def set_count(new: int, out=None) -> None:
    """The fixed version: `global count` makes the assignment change this process's module global."""
    global count
    before = count
    count = new
    tell(out, f"module global count: {before} -> {count}")


def read_count(out=None) -> None:
    """Report the value of the module global `count` as this child sees it."""
    tell(out, f"I see count = {count}")


def append_item(items: list, item, out=None) -> None:
    """Append to a list passed as an argument: the child changes its own copy only."""
    items.append(item)
    tell(out, f"my list is now {items}")


# --- exit codes, terminate, kill -------------------------------------------------------------------

def exit_with(code: int, delay: float = 0.0) -> None:
    """Sleep `delay` seconds, then end the process with exit status `code`."""
    time.sleep(delay)
    sys.exit(code)


def crash() -> None:
    """Raise an exception the child does not handle: its exit code becomes 1."""
    raise ValueError("something went wrong in the child")


def sleep_for(seconds: float) -> None:
    """Just sleep (a stand-in for a long job)."""
    time.sleep(seconds)


def ignore_sigterm(seconds: float, out=None) -> None:
    """Ignore SIGTERM, then sleep: `terminate()` cannot stop this one, `kill()` can."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    tell(out, "ignoring SIGTERM from now on")
    time.sleep(seconds)


def work_then_clean_up(seconds: float, marker: str) -> None:
    """Sleep, and write `marker` (a file path) in a `finally:` block on the way out."""
    try:
        time.sleep(seconds)
    finally:
        with open(marker, "w") as f:
            f.write("the finally block ran\n")


def noop() -> None:
    """Do nothing: starting and joining this measures the cost of a process itself."""


def fork_cost(repeats: int = 10) -> tuple[float, int]:
    """(median seconds to start and join a `fork` child that does nothing, this process's resident
    memory in bytes). fork() copies the parent's page tables, so the first figure grows with the second.

    Forking a process that runs several threads (this notebook's does) warns on 3.12+; the child here
    does nothing, so the warning is silenced.
    """
    import multiprocessing
    import statistics
    import warnings

    import psutil

    ctx = multiprocessing.get_context("fork")
    times = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for _ in range(repeats):
            t = time.perf_counter()
            p = ctx.Process(target=noop)
            p.start()
            p.join()
            times.append(time.perf_counter() - t)
    return statistics.median(times), psutil.Process().memory_info().rss


# --- scripts in a fresh interpreter ---------------------------------------------------------------

def run_script(source: str, *args: str, timeout: float = 20, quiet: bool = False,
               env: dict | None = None) -> subprocess.CompletedProcess:
    """Save `source` as a script in a temporary folder and run it with this Python, like a learner
    would from a terminal (`python script.py`); print what it printed and return the result.

    Used to show what only a real script *file* shows: under spawn/forkserver a child re-imports
    the main script from its file, running its unguarded module-level code again (chapter 03).
    `helpers.subproc.run` runs `python -c`, whose `__main__` has no file, so it cannot show that.
    The script gets a hard `timeout`; the helpers package is importable from it; the course's
    $COURSE_START_METHOD is not passed on (the scripts choose their own start method).
    """
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryDirectory(prefix="course-script-") as tmp:
        path = os.path.join(tmp, "script.py")
        with open(path, "w") as f:
            f.write(textwrap.dedent(source))
        full_env = dict(os.environ, PYTHONPATH=here + os.pathsep + os.environ.get("PYTHONPATH", ""),
                        PYTHONUNBUFFERED="1", **(env or {}))
        full_env.pop("COURSE_START_METHOD", None)
        result = subprocess.run([sys.executable, path, *args], capture_output=True, text=True,
                                timeout=timeout, env=full_env, cwd=tmp)
    if not quiet:
        if result.stdout:
            print(result.stdout, end="")
        if result.stderr:
            print("--- stderr ---")
            print(result.stderr, end="")
        print(f"--- exit status {result.returncode} ---")
    return result


# --- pictures ----------------------------------------------------------------------------------

def start_methods_diagram(ax=None):
    """Three panels: how fork, spawn and forkserver make a child, and what the child starts with."""
    import matplotlib.pyplot as plt

    from .plots import DIAGRAM_COLORS

    if ax is None:
        _, axes = plt.subplots(1, 3, figsize=(11, 3.4))
    else:
        axes = ax
    box = dict(boxstyle="round,pad=0.4", ec="black", lw=0.8)
    parent_text = "parent\nmodules + globals\n(as they are now)\nseveral threads"
    panels = [
        ("fork", [(0.5, 0.8, parent_text, DIAGRAM_COLORS["box"]),
                  (0.5, 0.18, "child = copy of the parent\nsame globals, same objects\n(copy-on-write)\nonly 1 thread", DIAGRAM_COLORS["box"])],
         "fork(): copy everything", "no new interpreter; cost grows with\nthe parent's memory; unsafe if other\nthreads held locks at that instant"),
        ("spawn", [(0.5, 0.8, parent_text, DIAGRAM_COLORS["box"]),
                   (0.5, 0.18, "child = new interpreter\nimports main script + target's\nmodule; unpickles target, args", DIAGRAM_COLORS["box 2"])],
         "start python, send\npickled target + args", "a whole interpreter start and its\nimports, every time; safe;\nneeds an importable target"),
        ("forkserver", [(0.5, 0.86, parent_text, DIAGRAM_COLORS["box"]),
                        (0.5, 0.5, "fork server: started once,\nfresh interpreter, 1 thread", DIAGRAM_COLORS["box 2"]),
                        (0.5, 0.14, "child = fork of the server;\nunpickles target, args", DIAGRAM_COLORS["box 2"])],
         "", "one fork of a small server (started\nonce); safe; needs an\nimportable target"),
    ]
    for ax_, (name, boxes, arrow_text, note) in zip(axes, panels):
        for x, y, text, color in boxes:
            ax_.text(x, y, text, ha="center", va="center", fontsize=8.5, bbox=dict(box, fc=color))
        for (x1, y1, *_), (x2, y2, *_) in zip(boxes, boxes[1:]):
            ax_.annotate("", xy=(x2, y2 + 0.13), xytext=(x1, y1 - 0.13),
                         arrowprops=dict(arrowstyle="-|>", lw=1.2))
        if arrow_text:
            ax_.text(0.53, 0.49, arrow_text, fontsize=8, va="center", ha="left", color=DIAGRAM_COLORS["text"])
        ax_.text(0.5, -0.12, note, ha="center", va="top", fontsize=8, style="italic")
        ax_.set_title(name, fontsize=11, fontweight="bold")
        ax_.set_xlim(0, 1)
        ax_.set_ylim(-0.3, 1.02)
        ax_.axis("off")
    axes[0].figure.tight_layout()
    return axes
