"""Chapter 04: processes that share a terminal and a file, with and without a lock.

Processes do not share memory, but they do share the outside world: the terminal they print to
and the files they read and write. This module holds the code that runs in the child processes
of chapter 04 (it must live in a module: under `spawn` and `forkserver` a child imports its
target by name):

- `clerk`: prints a three-line receipt, with a pause between lines, to a shared terminal;
- `buyer`: books tickets in a JSON "database" (`db.json`), reading, paying (a sleep that widens
  the race window, as a slow payment service would: the buyer is blocked meanwhile) and
  writing back;
- `write_json_atomic` / `write_json_in_place`: the right and the wrong way to rewrite a file
  that other processes read; `folder_on_another_file_system` for the rename that cannot work;
- `run_box_office`: the parent's side of the ticket demo, returning what happened;
  `draw_sale`: its timeline, in the course's colours.

Run `python -m helpers.ch04_box_office [--lock]` to see the clerks share a real terminal.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from .workloads import spin

DB_NAME = "db.json"
DOORS = "doors-open"
RECEIPTS = "receipts"
QUEUE = "queue"


# ---------------------------------------------------------------- a shared terminal
def clerk(name: str, lock=None, pause: float = 0.05) -> None:
    """Print a three-line receipt, pausing between lines; hold `lock` (if given) for all three."""
    lines = [f"+-- receipt from {name} (pid {os.getpid()})",
             f"|   1 seat, paid by {name}'s customer",
             f"+-- end of {name}'s receipt"]
    if lock is not None:
        lock.acquire()
    try:
        for line in lines:
            sys.stdout.write(line + "\n")   # one line, newline included, in one write() call
            sys.stdout.flush()
            time.sleep(pause)
    finally:
        if lock is not None:
            lock.release()


def _clerks_main(argv: list[str]) -> None:
    """What `python -m helpers.ch04_box_office [--lock] [--clerks N]` runs: N clerks share this terminal."""
    from multiprocessing import Lock, Process
    n = int(argv[argv.index("--clerks") + 1]) if "--clerks" in argv else 3
    lock = Lock() if "--lock" in argv else None
    clerks = [Process(target=clerk, args=(f"clerk {i + 1}", lock)) for i in range(n)]
    for p in clerks:
        p.start()
    for p in clerks:
        p.join()


# ---------------------------------------------------------------- writing a file others read
def flush_to_disk(fd: int) -> None:
    """Ask the OS, and the drive, to put everything written to `fd` on stable storage.

    `os.fsync` does that on Linux (it also flushes the drive's write cache) and on Windows. On
    macOS `fsync` only hands the data to the drive, which may keep it in a volatile cache for a
    while (Apple's fsync(2) manual page); `fcntl.F_FULLFSYNC` asks the drive to flush it. Some
    file systems refuse F_FULLFSYNC: then plain `fsync` is the best there is.
    """
    if sys.platform == "darwin":
        import fcntl
        try:
            fcntl.fcntl(fd, fcntl.F_FULLFSYNC)
            return
        except (AttributeError, OSError):
            pass
    os.fsync(fd)


def write_json_atomic(path, data, *, fsync: bool = True, pause: float = 0.0) -> None:
    """Replace the file at `path` with `data` as JSON so that no reader ever sees half a file.

    The new content goes to a temporary file in the same folder: a rename is atomic only within
    one file system (across two, `os.replace` fails with EXDEV), and the target's own folder is
    the one place sure to be on the target's file system. The file is flushed and, with
    `fsync`, forced to disk (`flush_to_disk`); then `os.replace` swaps it in with one rename: a
    reader opens either the old file or the new one. If this process dies half-way, the old
    file is untouched and only the temporary file is left.
    `pause` (seconds, for demos) sleeps half-way through writing, to make a crash easy to cause.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            text = json.dumps(data)
            f.write(text[: len(text) // 2])
            if pause:
                f.flush()
                time.sleep(pause)
            f.write(text[len(text) // 2:])
            f.flush()
            if fsync:
                flush_to_disk(f.fileno())    # the bytes are on disk before the name points at them
        os.replace(tmp, path)                # atomic: readers see the old file or the new one
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if fsync and hasattr(os, "O_DIRECTORY"):   # POSIX: make the rename itself survive a power cut
        dfd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def folder_on_another_file_system(path) -> Path | None:
    """A folder we may write to whose file system is not `path`'s, or None if we find none.

    Candidates: /dev/shm (a RAM file system on Linux), `tempfile`'s default folder, the home
    folder. Used to show that a rename between two file systems fails.
    """
    here = os.stat(path).st_dev
    for candidate in ("/dev/shm", tempfile.gettempdir(), str(Path.home())):
        try:
            if os.stat(candidate).st_dev != here and os.access(candidate, os.W_OK):
                return Path(candidate)
        except OSError:
            continue
    return None


def write_json_in_place(path, data, *, pause: float = 0.0) -> None:
    """Rewrite `path` in place, the way the original tutorial does: open(path, "w") empties the file first.

    Between the truncation and the last write the file is empty or half-written; a reader (or
    a crash) in that window sees it so. `pause` (seconds) sleeps half-way to make that visible.
    """
    text = json.dumps(data)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text[: len(text) // 2])
        if pause:
            f.flush()
            time.sleep(pause)
        f.write(text[len(text) // 2:])


def read_json(path):
    """Load a JSON file, closing it at once (`with`), as every reader here does."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)


# ---------------------------------------------------------------- the box office
def create_db(folder, tickets: int) -> Path:
    """Start a fresh box office in `folder`: db.json with `tickets` seats, no receipts, doors shut."""
    folder = Path(folder)
    for sub in (RECEIPTS, QUEUE):
        (folder / sub).mkdir(parents=True, exist_ok=True)
        for old in (folder / sub).iterdir():
            old.unlink()
    (folder / DOORS).unlink(missing_ok=True)
    write_json_atomic(folder / DB_NAME, {"tickets": tickets}, fsync=False)
    return folder / DB_NAME


def open_doors(folder, expected: int, timeout: float = 30.0) -> None:
    """Wait until `expected` buyers are queueing, then let them all in at once."""
    deadline = time.monotonic() + timeout
    while len(list((Path(folder) / QUEUE).iterdir())) < expected:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {len(list((Path(folder) / QUEUE).iterdir()))} of {expected} "
                               "buyers reached the queue: did some of them fail to start?")
        time.sleep(0.002)
    (Path(folder) / DOORS).touch()


def wait_for_doors(folder, name: str, timeout: float = 30.0) -> None:
    """Say "I am in the queue" (a file in folder/queue), then wait until the doors open.

    Polling every millisecond is crude but needs nothing we have not met yet; chapter 06 shows
    Event and Barrier, the proper tools for "start together".
    """
    (Path(folder) / QUEUE / name).touch()
    flag = Path(folder) / DOORS
    deadline = time.monotonic() + timeout
    while not flag.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"nobody opened the doors ({flag} never appeared)")
        time.sleep(0.001)


def buyer(folder, name: str, lock=None, scope: str = "all", pay: float = 0.1,
          browse: float = 0.0, wants: int = 1, rec=None, work: float = 0.0) -> None:
    """Try to buy `wants` tickets, one at a time, from folder/db.json; a receipt for each one sold.

    For each ticket: browse the site (`browse` seconds, a sleep, outside any lock), read the db,
    check the order (`work` seconds of real CPU work), pay (`pay` seconds, a sleep: waiting for
    the payment service), and, if a ticket was left, write the db back with one ticket fewer and
    print a receipt (a file in folder/receipts). `scope` says what `lock` protects:
    "none" nothing, "write" only the write, "all" the whole read-check-write.
    With `rec` (a `helpers.recording.Recorder`), each step is noted for a timeline, in the
    course's states: sleeping is "blocked", waiting in acquire() is "lock wait", reading,
    checking and writing are "running"; the instants of the read and the write are marks.
    """
    folder = Path(folder)
    db = folder / DB_NAME
    if rec is not None:
        note, mark = rec.state, rec.mark
    else:
        note = mark = lambda what: None
    if scope not in ("none", "write", "all"):
        raise ValueError(f"scope must be 'none', 'write' or 'all', not {scope!r}")
    if scope != "none" and lock is None:
        raise ValueError(f"scope={scope!r} needs a lock")
    wait_for_doors(folder, name)
    for k in range(wants):
        note("blocked")                           # browsing: a sleep
        time.sleep(browse)
        if scope == "all":
            note("lock wait")
            lock.acquire()
        try:
            note("running")
            mark("read")
            left = read_json(db)["tickets"]
            spin(work)                            # checking the order: CPU work
            note("blocked")                       # paying: the race window, others may read the same count
            time.sleep(pay)
            if left <= 0:
                return
            if scope == "write":
                note("lock wait")
                lock.acquire()
            try:
                note("running")
                write_json_atomic(db, {"tickets": left - 1}, fsync=False)
                mark("write")
            finally:
                if scope == "write":
                    lock.release()
            (folder / RECEIPTS / f"{name}-{k + 1}.txt").write_text(f"{name} bought a seat\n")
        finally:
            if scope == "all":
                lock.release()
            note(None)


def hold_lock(lock, seconds: float = 0.0, crash: bool = False) -> None:
    """Take `lock` the original tutorial's way (acquire, work, release: no `with`, no try/finally).

    With `crash`, the work raises before release(): the process exits with code 1 and the lock
    stays taken for good, because a multiprocessing.Lock does not know who holds it.
    """
    lock.acquire()
    time.sleep(seconds)
    if crash:
        raise RuntimeError("payment service unavailable (a deliberate crash, lock still held)")
    lock.release()


def hold_lock_with(lock, seconds: float = 0.0, crash: bool = False) -> None:
    """The same work as `hold_lock`, holding `lock` with `with`: released even when the work raises."""
    with lock:
        time.sleep(seconds)
        if crash:
            raise RuntimeError("payment service unavailable (a deliberate crash, lock released by `with`)")


def receipts(folder) -> list[str]:
    """Names of the receipts printed so far (one per ticket a buyer believes it bought)."""
    return sorted(p.stem for p in (Path(folder) / RECEIPTS).glob("*.txt"))


def run_box_office(folder, *, buyers: int = 10, tickets: int = 3, scope: str = "none",
                   pay: float = 0.1, browse: float = 0.0, wants: int = 1, work: float = 0.0,
                   lock=None, rec=None) -> dict:
    """Run one sale: `buyers` processes race for `tickets` seats; return what happened.

    The parent creates db.json, starts every buyer, opens the doors once all are waiting, joins
    them all, and reports the seats sold (receipts), the seats the db says are left, and the
    wall time. Pass your own `lock` (e.g. a traced one) or let it make a multiprocessing.Lock;
    pass a `Recorder` as `rec` to get each buyer's steps on a timeline.
    """
    from multiprocessing import Lock, Process
    create_db(folder, tickets)
    if lock is None and scope != "none":
        lock = Lock()
    procs = [Process(target=buyer, args=(str(folder), f"buyer {i + 1}", lock),
                     kwargs=dict(scope=scope, pay=pay, browse=browse, wants=wants, rec=rec, work=work),
                     name=f"buyer {i + 1}") for i in range(buyers)]
    for p in procs:
        p.start()
    try:
        open_doors(folder, buyers)
    except TimeoutError:
        for p in procs:
            p.kill()
            p.join()
        raise
    t0 = time.perf_counter()
    for p in procs:
        p.join()
    wall = time.perf_counter() - t0
    sold = receipts(folder)
    return {"tickets": tickets, "sold": len(sold), "left_in_db": read_json(Path(folder) / DB_NAME)["tickets"],
            "oversold": max(0, len(sold) - tickets), "receipts": sold, "seconds": round(wall, 3),
            "exitcodes": [p.exitcode for p in procs]}


def draw_sale(rec, buyers: int, ax=None, title: str | None = None):
    """Draw a recorded sale: each buyer's states on one time axis, with a tick at every read (v)
    and every write (^) of db.json; times in seconds from the first event."""
    from . import plots
    order = [f"buyer {i + 1}" for i in range(buyers)]
    rows = rec.rows(order=order)
    marks = [e for e in rec.events() if e.kind == "mark"]
    t0 = min([seg[1] for segs in rows.values() for seg in segs] + [e.t for e in marks])
    rows = {b: [(st, a - t0, e - t0) for st, a, e in segs] for b, segs in rows.items()}
    ax = plots.timeline(rows, ax=ax, title=title)
    y_of = {b: len(rows) - 1 - i for i, b in enumerate(rows)}
    for what, symbol in (("read", "v"), ("write", "^")):
        xs = [e.t - t0 for e in marks if e.detail == what]
        ys = [y_of[e.worker] + 0.5 for e in marks if e.detail == what]
        ax.plot(xs, ys, linestyle="none", marker=symbol, markersize=5, color=plots.DIAGRAM_COLORS["text"])
    ax.set_ylim(-0.6, len(rows) - 0.1)
    return ax


if __name__ == "__main__":
    from helpers.config import apply_start_method_from_env
    apply_start_method_from_env()
    _clerks_main(sys.argv[1:])
