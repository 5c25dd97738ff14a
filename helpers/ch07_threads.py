"""Chapter 07 (threads): the chapter's workers, its exit demo and its pictures.

A thread needs no module: its target runs in this very process, so the chapter defines most of
its thread functions in the notebook, where you can read them. What lives here is what a
*process* must import too (the workers that compare threads with processes), the program that
shows what a daemon thread loses at exit (it must really exit, so it runs in a fresh interpreter
started by `helpers.subproc`), and the drawing code.

Every picture is a `plots.timeline` of rows recorded with `helpers.recording`, the same format
chapters 02-05 use for processes. Simulated work is a `sleep`, drawn as blocked (what the OS
sees): on the standard build a thread doing CPU work may be waiting for the GIL, which a
recording made inside the program cannot see (chapter 09 measures it).
"""
from __future__ import annotations

import atexit
import os
import statistics
import tempfile
import threading
import time

from .recording import Recorder, from_env


def noop() -> None:
    """Do nothing: what a start-up cost measurement starts."""


def sleeper(rec: Recorder, seconds: float) -> None:
    """Be blocked in a sleep for `seconds`, recorded: a worker for a thread or for a process."""
    rec.state("blocked")
    time.sleep(seconds)
    rec.done()


# ---- start-up cost --------------------------------------------------------------------------------

def _make(kind: str, ctx, target, args=(), name=None):
    if kind == "thread":
        return threading.Thread(target=target, args=args, name=name)
    return ctx.Process(target=target, args=args, name=name)


def start_cost(kind: str, repeat: int, ctx=None) -> float:
    """Median seconds to start and join a worker that does nothing: a "thread" or a process of `ctx`."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        w = _make(kind, ctx, noop)
        w.start()
        w.join()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def start_many(kind: str, n: int, seconds: float, rec: Recorder, ctx=None) -> float:
    """Start `n` sleepers ("thread" or "process") one after another, then join them all.

    Just before each `start()` the parent marks the time on the worker's own row ("start"), so
    the picture shows how long each one took to reach its first line. Returns the wall time.
    """
    t0 = time.perf_counter()
    workers = []
    for i in range(n):
        name = f"{kind} {i + 1}"
        w = _make(kind, ctx, sleeper, (rec, seconds), name=name)
        rec.mark("start", worker=name)
        w.start()
        workers.append(w)
    for w in workers:
        w.join()
    return time.perf_counter() - t0


def draw_starts(rec: Recorder, order: list[str], ax=None, title: str | None = None):
    """Each worker's sleep (blocked) on one time axis, with a tick where the parent called start()."""
    from . import plots
    rows = rec.rows(order=order)
    ax = plots.timeline(rows, ax=ax, title=title)
    y_of = {w: len(rows) - 1 - i for i, w in enumerate(rows)}
    marks = [e for e in rec.events() if e.kind == "mark" and e.detail == "start" and e.worker in y_of]
    ax.plot([e.t for e in marks], [y_of[e.worker] + 0.5 for e in marks], linestyle="none", marker="v",
            markersize=5, color=plots.DIAGRAM_COLORS["text"], label="start() called")
    ax.set_ylim(-0.6, len(rows) - 0.1)
    return ax


# ---- what a daemon thread loses at exit -----------------------------------------------------------

def _writer(rec: Recorder, row: str, path: str, lines: int, pause: float, flush: bool) -> None:
    """Write `lines` lines to `path`, pausing between them; note each write and the `finally`."""
    with open(path, "w", encoding="utf-8") as f:
        try:
            for i in range(lines):
                f.write(f"line {i + 1}\n")
                if flush:
                    f.flush()
                rec.mark(f"wrote line {i + 1}", worker=row)
                rec.state("blocked", worker=row)
                time.sleep(pause)
                rec.done(worker=row)
        finally:
            f.write("finally: ran\n")
            rec.mark("finally ran", worker=row)


def exit_demo(folder: str, daemon_lines: int, worker_lines: int, pause: float, flush: bool) -> None:
    """The program the chapter runs (in a fresh interpreter): a worker thread and a daemon thread
    write files while the main thread's code ends at once. At exit the interpreter waits for the
    worker (not a daemon) and stops the daemon wherever it is."""
    rec = from_env()
    rec.mark("main thread starts", worker="main thread")
    # registered after the recorder's own exit hook, so it runs first (atexit is last in, first out)
    atexit.register(rec.mark, "interpreter exits", worker="main thread")
    for row, lines, is_daemon in (("worker (daemon=False)", worker_lines, False),
                                  ("daemon (daemon=True)", daemon_lines, True)):
        path = os.path.join(folder, row.split()[0] + ".txt")
        threading.Thread(target=_writer, args=(rec, row, path, lines, pause, flush), daemon=is_daemon).start()
    rec.mark("main thread's code ends", worker="main thread")


def run_exit_demo(daemon_lines: int = 10, worker_lines: int = 4, pause: float = 0.05, flush: bool = False) -> dict:
    """Run `exit_demo` in a fresh interpreter; return its recording and what reached each file."""
    from . import subproc
    with tempfile.TemporaryDirectory(prefix="course-ch07-exit-") as folder:
        r = subproc.run(f"from helpers.ch07_threads import exit_demo\n"
                        f"exit_demo({folder!r}, {daemon_lines}, {worker_lines}, {pause}, {flush})",
                        timeout=30, record=True).check()
        files = {}
        for name in ("worker", "daemon"):
            with open(os.path.join(folder, f"{name}.txt"), encoding="utf-8") as f:
                files[name] = f.read().splitlines()
    wrote = {name: sum(e.kind == "mark" and e.detail.startswith("wrote") and e.worker.startswith(name)
                       for e in r.events) for name in files}
    return {"rows": r.rows, "events": r.events, "files": files, "wrote": wrote,
            "asked": {"worker": worker_lines, "daemon": daemon_lines}}


def exit_demo_report(demo: dict) -> str:
    """One line per thread: lines asked for, lines written before the exit, lines in the file, finally."""
    out = []
    for name, lines in demo["files"].items():
        in_file = sum(line.startswith("line") for line in lines)
        out.append(f"{name + '.txt':<11} asked for {demo['asked'][name]:2} lines, wrote {demo['wrote'][name]:2} "
                   f"before the exit, {in_file:2} reached the file; finally ran: {'finally: ran' in lines}")
    return "\n".join(out)


def draw_exit_demo(demo: dict, ax=None, title: str | None = None):
    """The exit demo's threads: their pauses (blocked), a tick per line written, and the exit.

    The main thread's row shows its wait at exit: from the end of its code until the interpreter
    exits it is blocked, joining the non-daemon worker.
    """
    from . import plots
    marks = [e for e in demo["events"] if e.kind == "mark"]
    at = {e.detail: e.t for e in marks if e.worker == "main thread"}
    t0 = at.get("main thread starts", 0.0)
    order = ["main thread", "worker (daemon=False)", "daemon (daemon=True)"]
    rows = {w: [(s, a - t0, b - t0) for s, a, b in demo["rows"].get(w, [])] for w in order}
    if "main thread's code ends" in at and "interpreter exits" in at:
        rows["main thread"] = [("blocked", at["main thread's code ends"] - t0, at["interpreter exits"] - t0)]
    ax = plots.timeline(rows, ax=ax, title=title or "who is still running when the interpreter exits")
    y_of = {w: len(rows) - 1 - i for i, w in enumerate(rows)}
    writes = [e for e in marks if e.detail.startswith("wrote") and e.worker in y_of]
    ax.plot([e.t - t0 for e in writes], [y_of[e.worker] + 0.5 for e in writes], linestyle="none", marker="v",
            markersize=4, color=plots.DIAGRAM_COLORS["text"])
    if "interpreter exits" in at:
        ax.axvline(at["interpreter exits"] - t0, color=plots.DIAGRAM_COLORS["wrong"], linestyle="--", linewidth=1)
    for e in marks:
        if e.detail == "finally ran" and e.worker in y_of:
            ax.annotate("finally ran", (e.t - t0, y_of[e.worker]), xytext=(-3, 0), textcoords="offset points",
                        fontsize=8, va="center", ha="right", color="white")
    ax.text(0, y_of["main thread"], " code ends, then joins the worker", fontsize=8, va="center", color="white")
    ax.set_ylim(-0.6, len(rows) - 0.1)
    ax.set_xlabel("time (s) since the program started; dashed: the interpreter exits")
    return ax


# ---- the lost update ------------------------------------------------------------------------------

def run_together(func, threads: int, *args) -> float:
    """Run `func(*args)` in `threads` threads released at the same moment; join them; return the wall time."""
    go = threading.Barrier(threads + 1)

    def body():
        go.wait()
        func(*args)

    workers = [threading.Thread(target=body, name=f"T{i + 1}") for i in range(threads)]
    for w in workers:
        w.start()
    go.wait()
    t0 = time.perf_counter()
    for w in workers:
        w.join()
    return time.perf_counter() - t0


class Shared:
    """A number several threads update: `value`, and nothing else."""

    def __init__(self, value: int = 0):
        self.value = value


def recorded_increments(rec: Recorder, shared: Shared, rounds: int, pause: float, lock=None) -> None:
    """`rounds` times: read `shared.value`, pause (a sleep: blocked), write it back plus one.

    With a `lock`, the whole read-pause-write is its critical section and the wait for it is
    recorded as "lock wait". Each read and write is marked with the value it saw or wrote.
    """
    for _ in range(rounds):
        if lock is not None:
            rec.state("lock wait")
            lock.acquire()
        try:
            seen = shared.value
            rec.mark(f"read {seen}")
            rec.state("blocked")
            time.sleep(pause)
            shared.value = seen + 1
            rec.mark(f"wrote {seen + 1}")
            rec.done()
        finally:
            if lock is not None:
                lock.release()


def draw_increments(rec: Recorder, ax=None, title: str | None = None):
    """The recorded increments: each pause (blocked) labelled with the value its thread read before
    it and wrote after it ("0→1"), and the waits for the lock."""
    from . import plots
    rows = rec.rows()
    rows = {w: rows[w] for w in sorted(rows)}
    ax = plots.timeline(rows, ax=ax, title=title)
    y_of = {w: len(rows) - 1 - i for i, w in enumerate(rows)}
    marks = {}
    for e in rec.events():
        if e.kind == "mark":
            marks.setdefault(e.worker, []).append(e)
    for worker, segments in rows.items():
        reads = [e for e in marks.get(worker, []) if e.detail.startswith("read")]
        writes = [e for e in marks.get(worker, []) if e.detail.startswith("wrote")]
        pauses = [(a, b) for state, a, b in segments if state == "blocked"]
        for (a, b), r, w in zip(pauses, reads, writes):
            ax.text((a + b) / 2, y_of[worker], f"{r.detail.split()[1]}→{w.detail.split()[1]}",
                    ha="center", va="center", fontsize=8, color="white")
    return ax
