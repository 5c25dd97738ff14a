"""The Jupyter kernel the chapters run in: when Jupyter stops it, let it exit cleanly.

To stop or restart a kernel, Jupyter sends it a shutdown request, and ipykernel first signals the
processes in its process group and waits until none is left. Two kinds never leave: multiprocessing's
resource tracker (started by the first `spawn` or `forkserver` child, lock, queue or shared memory
block) ignores SIGTERM, and a child nobody reaped stays listed as a zombie. So a few seconds later
Jupyter sends the kernel's process group SIGTERM, which by default ends the kernel at once: no
`atexit` handler runs, and multiprocessing's temporary folders (`/tmp/pymp-*`) and the recorders'
(`/tmp/course-rec-*`) stay behind, one set per kernel.

`exit_cleanly_on_sigterm()` (called when `helpers` is imported) makes SIGTERM raise SystemExit in
the kernel, so it exits as after `sys.exit()`: finalizers run and the folders go; the resource
tracker sees the kernel gone and exits too. Child processes keep the default, so `terminate()`
stays as abrupt as chapter 03 teaches. In the notebook's own process, `signal.getsignal(SIGTERM)`
shows this handler, and a SIGTERM that arrives while a cell runs shows up as `SystemExit: 143`.
"""
from __future__ import annotations

import os
import signal
import sys
import threading

_installed = False
_forking = threading.local()      # the signal mask a fork started with, in the thread that forks


def _exit(signum, frame):
    raise SystemExit(128 + signum)


def _in_kernel() -> bool:
    """This is a running ipykernel (not a program that merely imported it to find a kernel)."""
    app = sys.modules.get("ipykernel.kernelapp")
    return app is not None and app.IPKernelApp.initialized()


def exit_cleanly_on_sigterm() -> bool:
    """Install the handler, in a Jupyter kernel's main thread on a POSIX system only, and only
    where SIGTERM still has its default action; True when it is installed."""
    global _installed
    if os.name != "posix" or not _in_kernel() or threading.current_thread() is not threading.main_thread():
        return False
    if signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, _exit):
        return False                                  # the notebook has a handler of its own
    signal.signal(signal.SIGTERM, _exit)
    if not _installed:
        os.register_at_fork(before=_block, after_in_parent=_restore, after_in_child=_default_in_child)
        _installed = True
    return True


# A forked child (the `fork` start method, `os.fork()`) must be born with SIGTERM's default action.
# CPython discards, in the child, a signal that arrives before its own after-fork clean-up, so a
# `terminate()` sent right after `start()` could be lost while the child still had the handler.
# The forking thread therefore blocks SIGTERM across the fork: a SIGTERM meant for the child waits,
# and is delivered, with the default action, once the child has reset the handler.
def _block() -> None:
    if signal.getsignal(signal.SIGTERM) is _exit:
        _forking.mask = signal.pthread_sigmask(signal.SIG_BLOCK, ())     # read it before changing it
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})


def _restore() -> None:
    mask = _forking.__dict__.pop("mask", None)
    if mask is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def _default_in_child() -> None:
    try:
        try:
            if signal.getsignal(signal.SIGTERM) is _exit:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
        except BaseException:       # e.g. a KeyboardInterrupt run just before the switch: try again
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
    finally:
        _restore()
