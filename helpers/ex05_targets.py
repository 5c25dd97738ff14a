"""Test-side targets for exercise ex05 (IPC): producers and consumers the tests pair with yours.

They live in a module for the reason chapter 02 gives: under `spawn` and `forkserver` a child
imports its target by name. Reading them is allowed and may help you understand what a test checks.
"""
from __future__ import annotations

import time

from .ch05_ipc import STOP


def steady_producer(tasks, first: int, count: int, delay: float = 0.0) -> None:
    """Put the numbers first .. first+count-1 on `tasks`, sleeping `delay` before each; no sentinel."""
    for item in range(first, first + count):
        time.sleep(delay)
        tasks.put(item)


def slow_exit_consumer(tasks, results) -> None:
    """Put (item, item*item) on `results` for each item until the sentinel; then take 0.5 s to exit.

    The slow exit makes a parent that forgets to join its consumers easy to catch: when it
    returns, this consumer is certainly still running.
    """
    while True:
        item = tasks.get()
        if item is STOP:
            break
        results.put((item, item * item))
    time.sleep(0.5)


def slow_consumer(tasks, results, work: float) -> None:
    """Like exercise 05's consumer: (item, item*item) on `results` per item, `work` seconds each."""
    while True:
        item = tasks.get()
        if item is STOP:
            break
        time.sleep(work)
        results.put((item, item * item))
