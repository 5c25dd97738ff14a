"""Test-side tools for exercise ex04 (locks between processes): run a student's function in
several processes released at the same instant, and report what each call did.

They live in a module for the reason chapter 02 gives: under `spawn` and `forkserver` a child
imports its target by name. Reading them is allowed and may help you understand what a test checks.
"""
from __future__ import annotations

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


def call_and_report(func, args, results) -> None:
    """Child side of a single call: put ("ok", value) or ("error", "Type: msg") on `results`."""
    _call_and_report(func, args, None, results, 0)
