"""Enter fresh Linux namespaces from Python: a private PID tree, /proc, and network.

`unshare(2)` gives the calling process new namespaces; for the PID namespace only its *next
child* is inside, as PID 1. So a grader calls `enter()`, forks, and the child calls
`setup_as_init()` before running anything else:

    enter(user=os.geteuid() != 0)      # PID + mount + network (+ user, when not root)
    if os.fork() == 0:
        setup_as_init()                # mount this namespace's /proc, bring up `lo`
        ...                            # everything started from here stays inside

When PID 1 of a namespace exits, the kernel kills every process left in it: that is the
guarantee grading relies on. (This is what `unshare --pid --fork --mount-proc --net` does;
doing it here lets an already-running Python process with nbgrader imported fork graders.)
"""
from __future__ import annotations

import ctypes
import os
import signal

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x00020000, 0x10000000, 0x20000000, 0x40000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 2, 4, 8, 16384, 1 << 18
PR_SET_PDEATHSIG = 1

# Loaded before any fork, so a forked child only makes calls. (None where there is no libc: Windows.)
libc = ctypes.CDLL(None, use_errno=True) if os.name == "posix" else None


def check(result: int, what: str) -> None:
    """Turn a libc call's -1 into an OSError that says which step failed and why."""
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def unshare(flags: int) -> None:
    """unshare(2): give this process the new namespaces named by `flags` (CLONE_NEW*)."""
    check(libc.unshare(flags), "unshare")


def map_ids(inside_uid: int, outside_uid: int, inside_gid: int, outside_gid: int) -> None:
    """Just after unshare(CLONE_NEWUSER): one user and one group, inside -> outside.

    Without this map the process is "nobody" in its new user namespace and cannot mount; an
    unprivileged process may map only its own ids (and must give up setgroups(2) first).
    """
    with open("/proc/self/setgroups", "w") as fh:
        fh.write("deny")
    with open("/proc/self/uid_map", "w") as fh:
        fh.write(f"{inside_uid} {outside_uid} 1")
    with open("/proc/self/gid_map", "w") as fh:
        fh.write(f"{inside_gid} {outside_gid} 1")


def enter(user: bool = False) -> None:
    """Give this process new PID, mount and network namespaces (and a user one, mapped to us)."""
    uid, gid = os.geteuid(), os.getegid()
    unshare(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | (CLONE_NEWUSER if user else 0))
    if user:   # become "root" inside, mapped to our own user outside: needed to mount /proc
        map_ids(0, uid, 0, gid)


def setup_as_init() -> None:
    """In PID 1 of the new namespace: die with our parent, own /proc, loopback up."""
    check(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl(PDEATHSIG)")
    check(libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "make / private")
    check(libc.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None), "mount /proc")
    loopback_up()


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


def probe() -> str | None:
    """Try the whole sequence in a throw-away child; None if it works, else why not."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        try:
            enter(user=os.geteuid() != 0)
            inner = os.fork()
            if inner == 0:
                try:
                    setup_as_init()
                    os._exit(0 if os.getpid() == 1 else 3)
                except BaseException as exc:
                    os.write(write_end, str(exc).encode()[:500])
                    os._exit(2)
            _, status = os.waitpid(inner, 0)
            os._exit(os.waitstatus_to_exitcode(status))
        except BaseException as exc:
            os.write(write_end, str(exc).encode()[:500])
            os._exit(1)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as fh:
        why = fh.read().decode(errors="replace")
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    return None if code == 0 else (why or f"probe exited with status {code}")
