"""The Jupyter kernel the chapters run in: when Jupyter stops it, let it exit cleanly.

To stop or restart a kernel, Jupyter sends it a shutdown request, and ipykernel first signals its
child processes and waits until none is left. Two kinds never leave: multiprocessing's resource
tracker (started with the first `spawn` or `forkserver` child) ignores SIGTERM, and a child that
nobody reaped stays a zombie. So a few seconds later Jupyter sends the kernel itself SIGTERM,
which by default ends it at once: no `atexit` handler runs, and multiprocessing's temporary
folders (`/tmp/pymp-*`) and the recorders' (`/tmp/course-rec-*`) stay behind, one set per kernel.

`exit_cleanly_on_sigterm()` (called when `helpers` is imported) makes SIGTERM raise SystemExit in
the kernel, so it exits as after `sys.exit()`: finalizers run and the folders go; the resource
tracker sees the kernel gone and exits too. Child processes keep the default, so `terminate()`
stays as abrupt as chapter 03 teaches.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading

_installed = False
_forking = threading.local()      # the signal mask a fork started with, in the thread that forks


def _exit(signum, frame):
    raise SystemExit(128 + signum)


def exit_cleanly_on_sigterm() -> bool:
    """Install the handler, in a Jupyter kernel's main process and thread only, and only where
    SIGTERM still has its default action; True when it is installed."""
    global _installed
    if (os.name != "posix" or "ipykernel" not in sys.modules or multiprocessing.parent_process() is not None
            or threading.current_thread() is not threading.main_thread()):
        return False
    if signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, _exit):
        return False                                  # the notebook has a handler of its own
    signal.signal(signal.SIGTERM, _exit)
    if not _installed:
        os.register_at_fork(before=_block, after_in_parent=_restore, after_in_child=_default_in_child)
        _installed = True
    return True


# A forked child (the `fork` start method, `os.fork()`) must be born with SIGTERM's default action:
# a `terminate()` right after `start()` would otherwise reach it before it could reset the handler,
# and a Python handler reset to the default drops a pending signal. So the forking thread blocks
# SIGTERM across the fork, and the child unblocks it only after the reset.
def _block() -> None:
    if signal.getsignal(signal.SIGTERM) is _exit:
        _forking.mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})


def _restore() -> None:
    mask = _forking.__dict__.pop("mask", None)
    if mask is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def _default_in_child() -> None:
    if signal.getsignal(signal.SIGTERM) is _exit:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _restore()
