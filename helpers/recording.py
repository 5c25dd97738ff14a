"""Record what threads and processes do, on one clock, cheaply enough not to change the picture.

Design (costs in docs/design-notes.md):
- One clock: `time.perf_counter_ns()` is CLOCK_MONOTONIC on Linux, so timestamps taken in
  different processes can be put on one time axis. Times are stored as integer nanoseconds and
  shown as seconds since the recorder was made.
- Cheap: an event is one `list.append` of a tuple to this process's own list (about 0.1 us).
  Nothing crosses a process boundary while the work runs.
- Collected without queues: a `Recorder` pickles as just a folder name. A child process appends
  to its own list and writes it, once, to a file in that folder when it exits normally (or when
  you call `rec.flush()`). The parent reads its own list plus every file: join your children
  first, then call `rec.events()` / `rec.rows()`.

Works with `Process` children and with `ProcessPoolExecutor` tasks (read after the executor shut
down). Caveat: a process killed with SIGKILL/SIGTERM (e.g. by `Pool.terminate()`, which leaving
`with multiprocessing.Pool()` does) never writes its file: call `pool.close(); pool.join()` first,
use `pools.run` for pool timelines, and `rec.flush()` in workers that never end.
"""
from __future__ import annotations

import atexit
import multiprocessing
import os
import pickle
import shutil
import sys
import tempfile
import threading
import time
import weakref
from contextlib import contextmanager
from typing import NamedTuple

clock_ns = time.perf_counter_ns   # the course's one clock (ns, monotonic, comparable across processes)

_LIVE: "weakref.WeakSet[Recorder]" = weakref.WeakSet()
_exit_hooked_pid: int | None = None


class Event(NamedTuple):
    """One recorded event: `t` seconds since the recorder started, who, what, extra detail."""
    t: float
    worker: str
    kind: str | None
    detail: object = None


def worker_label(owner_pid: int | None = None) -> str:
    """A readable name for the calling thread or process.

    In the process that owns the recording (`owner_pid`, default: the main process) it is the
    thread's name ("MainThread", "Thread-1 (f)"); in a child it is the process's name
    ("Process-1", "ForkPoolWorker-2", or "pid 1234" for a plain interpreter), plus the thread's
    name if that is not the child's main thread.
    """
    proc = multiprocessing.current_process()
    thread = threading.current_thread()
    if owner_pid == os.getpid() or (owner_pid is None and multiprocessing.parent_process() is None):
        return thread.name
    name = proc.name if proc.name != "MainProcess" else f"pid {os.getpid()}"
    if thread is not threading.main_thread():
        name += f"/{thread.name}"
    return name


class Recorder:
    """Collects timestamped events from threads and processes into one timeline.

    rec = Recorder()                      # in the notebook
    rec.state("running") ... rec.done()   # in any thread or child process (pass `rec` along)
    with rec.span("download"): ...        # the same, as a block
    plots.timeline(rec.rows())            # after joining the children
    """

    def __init__(self, name: str = "recording"):
        self.name = name
        self.dir = tempfile.mkdtemp(prefix="course-rec-")
        self.t0 = clock_ns()
        self._owner = os.getpid()
        self._cleanup = weakref.finalize(self, shutil.rmtree, self.dir, True)
        self._init_local(hooked=True)

    # -- pickling: only the folder, the start time and the name travel to a child ------------
    def __getstate__(self):
        return {"name": self.name, "dir": self.dir, "t0": self.t0, "_owner": self._owner}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._init_local(hooked=os.getpid() == self._owner)

    def __reduce__(self):
        # A pool pickles the arguments of every task separately: rebuild one recorder per process
        # (kept alive until the process exits), or the events of finished tasks would be lost.
        return _rebuild, (self.__getstate__(),)

    def _init_local(self, hooked: bool):
        self._buf: list = []
        self._flushed = 0
        self._tls = threading.local()
        self._hooked = hooked          # False in a child until its exit hook is installed
        _LIVE.add(self)

    def _hook(self):
        """First event in a child process: make sure the events get written when it exits."""
        _install_exit_hook()
        self._hooked = True

    # -- recording (hot path) -------------------------------------------------------------------
    def state(self, kind: str | None, detail=None, worker: str | None = None) -> None:
        """From now on, the calling worker is in state `kind` (None: in no state; a gap)."""
        if not self._hooked:
            self._hook()
        self._buf.append((clock_ns(), worker or self.worker(), kind, detail))

    def worker(self) -> str:
        """The calling thread's (or process's) row label on this recording: `worker_label`,
        worked out once per thread. Instruments that time events themselves call it, then `record`."""
        try:
            return self._tls.w
        except AttributeError:
            if not self._hooked:
                self._hook()
            self._tls.w = worker_label(self._owner)
            return self._tls.w

    def record(self, t_ns: int, worker: str, kind: str, detail=None) -> None:
        """Add one event that happened at `t_ns` (a `clock_ns()` reading) to `worker`'s row, for
        an instrument that takes its own timestamps (see `locks`); call `worker()` first in a child."""
        self._buf.append((t_ns, worker, kind, detail))

    def done(self, worker: str | None = None) -> None:
        """End the calling worker's current state (the row shows a gap until the next state)."""
        self.state(None, worker=worker)

    def mark(self, what: str, worker: str | None = None) -> None:
        """Record an instant (a message sent, a result ready), kept in `events()` but not in rows."""
        self.state("mark", what, worker=worker)

    @contextmanager
    def span(self, kind: str, detail=None):
        """`with rec.span("work"):` records state `kind` for the duration of the block."""
        self.state(kind, detail)
        try:
            yield
        finally:
            self.state(None)

    def flush(self) -> None:
        """Write this process's new events to the shared folder (done for you when a child exits)."""
        if os.getpid() == self._owner:
            return
        new = self._buf[self._flushed:]
        if not new:
            return
        self._flushed += len(new)
        try:
            with open(os.path.join(self.dir, f"{os.getpid()}.events"), "ab") as f:
                pickle.dump(new, f, protocol=pickle.HIGHEST_PROTOCOL)
        except FileNotFoundError:
            pass   # the parent already threw the recording away

    # -- reading (in the process that made the recorder) -----------------------------------------
    def _raw(self) -> list:
        raw = list(self._buf) if os.getpid() == self._owner else []
        for fname in sorted(os.listdir(self.dir)):
            with open(os.path.join(self.dir, fname), "rb") as f:
                while True:
                    try:
                        raw.extend(pickle.load(f))
                    except EOFError:
                        break
        return raw

    def events(self) -> list[Event]:
        """Every event so far, sorted by time (seconds since the recorder was made)."""
        t0 = self.t0
        return [Event((t - t0) / 1e9, w, k, d) for t, w, k, d in sorted(self._raw(), key=lambda e: e[0])]

    def rows(self, order: list[str] | None = None) -> dict[str, list[tuple[str, float, float]]]:
        """Each worker's (state, start, end) segments, ready for `plots.timeline`.

        A state lasts until the worker's next state event; `done()` (or the end of a `span`) ends
        it. A state still open at the end is closed at the worker's last event.
        """
        rows: dict[str, list] = {}
        open_: dict[str, tuple] = {}
        last: dict[str, float] = {}
        for e in self.events():
            rows.setdefault(e.worker, [])
            last[e.worker] = e.t
            if e.kind == "mark":
                continue
            if e.worker in open_:
                kind, start = open_.pop(e.worker)
                if e.t > start:
                    rows[e.worker].append((kind, start, e.t))
            if e.kind is not None:
                open_[e.worker] = (e.kind, e.t)
        for w, (kind, start) in open_.items():
            if last[w] > start:
                rows[w].append((kind, start, last[w]))
        if order:
            rows = {w: rows.get(w, []) for w in order} | {w: s for w, s in rows.items() if w not in order}
        return rows

    def clear(self) -> None:
        """Forget everything recorded so far (to reuse the recorder for another run)."""
        self._buf.clear()
        self._flushed = 0
        for fname in os.listdir(self.dir):
            os.remove(os.path.join(self.dir, fname))
        self.t0 = clock_ns()

    def close(self) -> None:
        """Delete the recording's folder now (it is deleted anyway when the recorder is garbage)."""
        if os.getpid() == self._owner:
            self._cleanup()

    def __repr__(self):
        return f"<Recorder {self.name!r}: {len(self._raw())} events>"


_BY_DIR: dict[str, "Recorder"] = {}   # in a child: the one recorder per recording, kept alive


def _rebuild(state: dict) -> "Recorder":
    if os.getpid() != state["_owner"]:
        rec = _BY_DIR.get(state["dir"])
        if rec is not None:
            return rec
    rec = Recorder.__new__(Recorder)
    rec.__setstate__(state)
    if os.getpid() != state["_owner"]:
        _BY_DIR[state["dir"]] = rec
    return rec


def flush_all() -> None:
    """Write the events of every recorder in this process (registered to run at process exit)."""
    for rec in list(_LIVE):
        try:
            rec.flush()
        except Exception:
            pass


def _install_exit_hook() -> None:
    """Flush at exit, both for multiprocessing children (which skip atexit when forked) and for
    plain interpreters started by `subproc`."""
    global _exit_hooked_pid
    if _exit_hooked_pid == os.getpid():
        return
    _exit_hooked_pid = os.getpid()
    from multiprocessing import util
    util.Finalize(None, flush_all, exitpriority=100)
    atexit.register(flush_all)


def _after_fork_in_child() -> None:
    # A forked child inherits copies of the parent's lists: start empty, and cache no thread label.
    for rec in list(_LIVE):
        rec._buf = []
        rec._flushed = 0
        rec._tls = threading.local()
        rec._hooked = os.getpid() == rec._owner


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


ENV_VAR = "COURSE_RECORDER"


def from_env() -> Recorder:
    """In a program started by `subproc.run(..., record=True)`: the recorder the parent made."""
    path = os.environ.get(ENV_VAR)
    if not path:
        raise RuntimeError("no recorder here: start this program with subproc.run(..., record=True), "
                           "or make a recording.Recorder() yourself")
    with open(path, "rb") as f:
        rec = pickle.load(f)
    # `subproc` stops programs with SIGTERM: turn it into a normal exit so the events get written.
    import signal
    if threading.current_thread() is threading.main_thread() and \
            signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    return rec
