"""The first process of a submission's grading: run one command, then kill all it left behind.

    python -m grading.jail [--loopback] -- COMMAND ...

It runs in one of two ways, and finds out which by itself:

- **As PID 1 of a new PID namespace** (started by `unshare --pid --fork`). Every process the
  command starts, however it detaches (a new session, a double fork), stays inside the namespace
  and is re-parented to us. When we exit, the kernel kills everything left in the namespace;
  we `kill(-1, SIGKILL)` and reap first, so the namespace is empty when our parent sees us end.
- **As a subreaper** (`prctl(PR_SET_CHILD_SUBREAPER)`), when namespaces are not available.
  Orphans are then re-parented to us instead of to the machine's init, so they stay our
  descendants and we can find and kill them at the end.

Either way we reap every orphan while the command runs (so zombies do not pile up) and turn
SIGTERM/SIGINT/SIGHUP into "kill everything now". `--loopback` brings up `lo` in a fresh network
namespace, so kernels can still talk to the grader over 127.0.0.1.
"""
from __future__ import annotations

import ctypes
import errno
import os
import signal
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36


def loopback_up() -> None:
    """`ip link set lo up`, without needing the `ip` program: SIOCSIFFLAGS on "lo"."""
    import fcntl
    import socket
    import struct
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        ifreq = struct.pack("16sH22x", b"lo", 0)
        flags = struct.unpack("16sH22x", fcntl.ioctl(s, siocgifflags, ifreq))[1]
        fcntl.ioctl(s, siocsifflags, struct.pack("16sH22x", b"lo", flags | iff_up))


def become_subreaper() -> bool:
    """Ask Linux to re-parent our orphaned descendants to us; False where that is not possible."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _reap_nowait() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def kill_descendants(as_init: bool, timeout: float = 10) -> int:
    """SIGKILL and reap every descendant; return how many were found still running."""
    found: set[int] = set()
    if as_init:      # /proc is this namespace's own (unshare --mount-proc): count before killing
        found = {int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != 1}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if as_init:
            try:
                os.kill(-1, signal.SIGKILL)      # everyone in our namespace except us
            except ProcessLookupError:
                pass
            pids = set()
        else:
            import psutil
            try:
                procs = psutil.Process().children(recursive=True)
            except psutil.Error:
                procs = []
            pids = {p.pid for p in procs}
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        found |= pids
        try:
            pid, _ = os.waitpid(-1, 0 if as_init else os.WNOHANG)
        except ChildProcessError:
            return len(found)
        if pid == 0:
            time.sleep(0.01)
    return len(found)


def run(cmd: list[str], loopback: bool = False) -> int:
    """Run `cmd`, reaping orphans meanwhile; kill every leftover at the end; return cmd's status."""
    as_init = os.getpid() == 1
    if loopback:
        loopback_up()
    if not as_init and not become_subreaper():
        print("grading.jail: warning: cannot become a subreaper; processes that detach from the "
              "submission may survive it", file=sys.stderr)

    stop = {"signal": None}

    def on_signal(signum, _frame):
        stop["signal"] = signum
        raise InterruptedError

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)

    child = subprocess.Popen(cmd)
    status = None
    while status is None:
        try:
            pid, raw = os.waitpid(-1, 0)
        except InterruptedError:
            break
        except ChildProcessError:
            break
        except OSError as exc:
            if exc.errno != errno.EINTR:
                raise
            continue
        if pid == child.pid:
            status = os.waitstatus_to_exitcode(raw)
    child.returncode = status if status is not None else -9   # stop Popen from waiting on it
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    left = kill_descendants(as_init)
    _reap_nowait()
    if left:
        print(f"grading.jail: killed {left} process(es) the submission left running", file=sys.stderr)
    if stop["signal"] is not None:
        return 128 + stop["signal"]
    return status if status is not None and status >= 0 else 128 + (-(status or -9))


def main(argv: list[str]) -> int:
    loopback = False
    while argv and argv[0] != "--":
        if argv[0] == "--loopback":
            loopback = True
        else:
            print(f"grading.jail: unknown option {argv[0]}", file=sys.stderr)
            return 2
        argv = argv[1:]
    if not argv or len(argv) < 2:
        print("usage: python -m grading.jail [--loopback] -- COMMAND ...", file=sys.stderr)
        return 2
    return run(argv[1:], loopback)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
