"""Test-side tools for exercise ex04 (locks between processes): run a student's function in
several processes released at the same instant and report what each call did; watch fsync; a
stand-in buyer that records which process and which lock it ran with.

They live in a module for the reason chapter 02 gives: under `spawn` and `forkserver` a child
imports its target by name. Reading them is allowed and may help you understand what a test checks.
"""
from __future__ import annotations

import json
import os
import time


def _call_and_report(func, args, barrier, results, index) -> None:
    """Child side of `run_together`: wait for the others, call func(*args), report the outcome."""
    if barrier is not None:
        barrier.wait()
    try:
        outcome = ("ok", func(*args))
    except BaseException as exc:  # reported to the parent, which turns it into a test hint
        outcome = ("error", f"{type(exc).__name__}: {exc}")
    results.put((index, outcome))


def run_together(func, arg_tuples, *, timeout: float = 20.0, together: bool = True) -> list:
    """Call func(*args) in one process per args tuple, all released at the same instant.

    Returns one (kind, value) per process, in order: ("ok", return value), ("error", "Type: msg")
    or ("hang", None) for a process that had not reported within `timeout` seconds (it is killed).
    `func` must be importable by name (a module-level function in a module), like any target.
    """
    import multiprocessing as mp
    import queue as queue_mod
    barrier = mp.Barrier(len(arg_tuples)) if together and arg_tuples else None
    results = mp.Queue()
    procs = [mp.Process(target=_call_and_report, args=(func, args, barrier, results, i))
             for i, args in enumerate(arg_tuples)]
    for p in procs:
        p.start()
    outcomes: list = [("hang", None)] * len(procs)
    deadline = time.monotonic() + timeout
    got = 0
    while got < len(procs) and time.monotonic() < deadline:
        try:
            index, outcome = results.get(timeout=0.1)
        except queue_mod.Empty:
            if not any(p.is_alive() for p in procs) and results.empty():
                time.sleep(0.2)
                if results.empty():
                    break
            continue
        outcomes[index] = outcome
        got += 1
    for p in procs:
        p.join(timeout=1)
        if p.is_alive():
            p.kill()
            p.join()
    results.close()
    results.join_thread()
    return outcomes


def call_and_report(func, args, results, began=None) -> None:
    """Child side of a single call: put ("ok", value) or ("error", "Type: msg") on `results`.
    `began`, an mp.Event, is set just before the call, so a test knows the call is under way."""
    if began is not None:
        began.set()
    _call_and_report(func, args, None, results, 0)


class watch_fsync:
    """Context manager: note every fsync (or fdatasync) call while it is active, and what the
    synced file and `path` held at that moment; then make the real call. `calls` lists
    (inode of the synced file, its bytes on disk, the bytes of `path`).

    Both spellings are watched, `os.fsync(fd)` and `fsync(fd)` after `from os import fsync`, by
    patching `os` and the `module` under test for the duration of the block.
    """

    def __init__(self, module, path):
        self.module, self.path = module, path
        self.calls: list = []
        self._saved: list = []

    def _watching(self, real):
        def synced(fd):
            self.calls.append((os.fstat(fd).st_ino, _content(fd), _read(self.path)))
            return real(fd)
        return synced

    def __enter__(self):
        originals = {name: getattr(os, name) for name in ("fsync", "fdatasync") if hasattr(os, name)}
        for owner in (os, self.module):
            for name, real in originals.items():
                if getattr(owner, name, None) is real:
                    self._saved.append((owner, name, real))
                    setattr(owner, name, self._watching(real))
        return self

    def __exit__(self, *exc):
        for owner, name, real in reversed(self._saved):
            setattr(owner, name, real)
        return False


def _read(path) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def _content(fd: int) -> bytes:
    """What the file behind `fd` holds on disk now (read through a second descriptor)."""
    try:
        with open(f"/proc/self/fd/{fd}", "rb") as f:     # Linux: works for a write-only fd too
            return f.read()
    except OSError:
        return os.pread(fd, os.fstat(fd).st_size, 0)


def lock_identity(lock):
    """The same value in every process for one multiprocessing lock, different for another lock:
    the name of its POSIX semaphore (spawn, forkserver), or its address (fork, where it is unnamed)."""
    semlock = getattr(lock, "_semlock", None)
    if semlock is None:                       # a Manager's lock proxy: the id of the object it stands for
        return getattr(lock, "_id", None) or f"unknown lock {id(lock)}"
    return semlock.name or semlock.handle


def recording_buyer(db_path, lock, buyer, pay=0.0) -> None:
    """A stand-in for buy_ticket that notes who bought, in which process, with which lock.

    Under `lock` it takes a seat for "buyer@pid@lock": its name, its process id and the identity
    of the lock it was given. Then it keeps running for the number of seconds at the end of its
    name (`"first-0.9"` runs 0.9 s more), so that a test decides which buyer finishes last.
    """
    with lock:
        with open(db_path, encoding="utf-8") as f:
            db = json.load(f)
        db["seats_left"] -= 1
        db["buyers"].append(f"{buyer}@{os.getpid()}@{lock_identity(lock)}")
        tmp = f"{db_path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(db, f)
        os.replace(tmp, db_path)
    time.sleep(float(buyer.rpartition("-")[2] or 0))
