"""Start a student's kernel where the only files of the course it can see are its own.

Grading runs the student's code as a process of the grading machine, so without this it could read
the hidden tests (`solutions/`, the git history), copy another submission, or write the gradebook.
nbgrader starts each kernel through this module (`wrap()`; see `execute.py`):

    python -I -m grading.sandbox -- python -m ipykernel_launcher -f <connection file>

Before it execs the kernel, it builds a new root file system from an allow-list, in a mount
namespace of its own, and switches to it:

    /usr /bin /lib* /sbin /etc /sys        the system                           read-only
    Python's prefixes, the course helpers  the interpreter, its packages, helpers/  read-only
    /proc /dev                             as they are (/proc is the PID namespace's own)
    /tmp /dev/shm $HOME                    empty, private to this kernel
    the kernel's working folder            a private copy of the submission's folder

Nothing else exists there: not the repository, not the course root with the gradebook and other
students' work, not the machine's /tmp or home. What the kernel writes lands in memory (counted
against the submission's memory limit) and vanishes with it; nbgrader itself keeps its own view.

Then the kernel loses the power to undo this: it moves into a user namespace of its own where,
once it runs, it has no capabilities, and from which it cannot look into processes outside. Run
as root, it also becomes `nobody`, so it cannot signal the grader either (run as a user, kernel
and grader are the same user). `no_new_privs` stops a setuid program from giving anything back.

`python -m grading.sandbox --probe` tries it all once and says whether this machine allows it.
"""
from __future__ import annotations

import errno
import functools
import os
import platform
import shutil
import subprocess
import sys
import tempfile

from . import namespaces
from .namespaces import CLONE_NEWNS, CLONE_NEWUSER, check, libc

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS = 4, 38
NOBODY = 65534
GRADER_RESERVE = 48     # of the submission's processes/threads, kept for nbgrader and its helpers
SYSTEM_DIRS = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc")
# pivot_root(2) has no libc wrapper: its number on each architecture.
PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "arm64": 41, "riscv64": 41, "i686": 217, "armv7l": 218}

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HELPERS = os.path.join(REPO, "helpers")

def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = (lambda s: None if s is None else s.encode())
    check(libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)), f"mount {target}")


# ---- what the kernel may see ------------------------------------------------------------
def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def readable_paths(kernel_argv: list[str]) -> list[str]:
    """The folders bound read-only into the sandbox, outermost only, real paths."""
    wanted = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, HELPERS]
    for exe in (sys.executable, shutil.which(kernel_argv[0]) or kernel_argv[0]):
        real = os.path.realpath(exe)      # a venv's python is a link into the base installation
        wanted += [os.path.dirname(os.path.dirname(real))]
    wanted += [p for p in sys.path if p and os.path.isabs(p)]
    system = ["/" + name for name in SYSTEM_DIRS]
    out: list[str] = []
    for path in sorted({os.path.realpath(p) for p in wanted if os.path.isdir(p)}, key=len):
        if _inside(REPO, path):
            continue      # a folder holding the whole repository (e.g. an odd PYTHONPATH): never
        if not any(_inside(path, seen) for seen in out + system):
            out.append(path)
    return out


def _connection_file(argv: list[str]) -> str | None:
    for i, arg in enumerate(argv):
        if arg in ("-f", "--f") and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(("-f=", "--f=")):
            return arg.split("=", 1)[1]
    return None


# ---- building the new root --------------------------------------------------------------
def _is_real_root() -> bool:
    """Root of the machine itself, not "root" inside a user namespace."""
    try:
        with open("/proc/self/uid_map") as fh:
            return os.geteuid() == 0 and fh.read().split()[:3] == ["0", "0", "4294967295"]
    except OSError:
        return False


def _outside_ids() -> tuple[int, int]:
    """The user and group this process really is, seen from outside its user namespace."""
    ids = []
    for name in ("uid_map", "gid_map"):
        try:
            with open(f"/proc/self/{name}") as fh:
                inside, outside, _ = fh.readline().split()
            ids.append(int(outside) if inside == "0" else NOBODY)
        except (OSError, ValueError):
            ids.append(NOBODY)
    return ids[0] or NOBODY, ids[1] or NOBODY


def _bind_readonly(fd: int, target: str) -> None:
    _mount(f"/proc/self/fd/{fd}", target, None, MS_BIND | MS_REC)
    # Keep the flags the original mount has (a user namespace may not drop nosuid/nodev/noexec).
    kept = os.statvfs(target).f_flag & (MS_NOSUID | MS_NODEV | MS_NOEXEC)
    _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | kept)


def _makedirs(root: str, path: str, mode: int = 0o755) -> str:
    target = root + path
    os.makedirs(target, mode=mode, exist_ok=True)
    return target


def _give_to(root: str, uid: int, gid: int) -> None:
    """chown everything on the new root's own file system (not the bound folders) to the kernel."""
    device = os.stat(root).st_dev
    for here, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if os.lstat(os.path.join(here, d)).st_dev == device]
        for name in dirs + files:
            os.lchown(os.path.join(here, name), uid, gid)


def _switch_root(new_root: str) -> None:
    """Make `new_root` the root and detach the old one, so nothing can find a way back to it.

    (chroot(2) would leave the old root mounted underneath: a process that makes itself a user
    namespace may chroot again and climb out. So without pivot_root there is no sandbox.)
    """
    number = PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise OSError(errno.ENOSYS, f"pivot_root: unknown system call number on {platform.machine()}")
    os.chdir(new_root)
    check(libc.syscall(number, b".", b"."), "pivot_root")
    check(libc.umount2(b".", MNT_DETACH), "detach the old root")
    os.chdir("/")


def enter(kernel_argv: list[str], memory_mb: int) -> None:
    """Build the sandbox around this process (see the module doc); the caller then execs the kernel."""
    workdir = os.getcwd()
    shared = readable_paths(kernel_argv)
    inside = [p for p in shared if _inside(p, workdir)]
    if inside:
        raise OSError(errno.EINVAL, f"the kernel's folder {workdir} holds {inside[0]}, which the sandbox "
                      "shares read-only; start the kernel in a submission's own folder")
    real_root = _is_real_root()
    if os.geteuid() != 0:          # a user: a user namespace first, to be allowed to mount
        uid, gid = os.geteuid(), os.getegid()
        namespaces.unshare(CLONE_NEWUSER | CLONE_NEWNS)
        namespaces.map_ids(0, uid, 0, gid)
    else:
        namespaces.unshare(CLONE_NEWNS)
    _mount("none", "/", None, MS_REC | MS_PRIVATE)

    # Open everything we will need before the new root hides it (a path may lie under /tmp).
    readable = {path: os.open(path, os.O_PATH | os.O_CLOEXEC) for path in shared}
    special = {name: os.open("/" + name, os.O_PATH | os.O_CLOEXEC)
               for name in ("proc", "dev", "sys") if os.path.isdir("/" + name)}
    links = {name: os.readlink("/" + name) for name in SYSTEM_DIRS if os.path.islink("/" + name)}
    for name in SYSTEM_DIRS:
        if name not in links and os.path.isdir("/" + name):
            readable["/" + name] = os.open("/" + name, os.O_PATH | os.O_CLOEXEC)
    work_fd = os.open(workdir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    conn_path = _connection_file(kernel_argv)
    conn = None
    if conn_path:
        with open(conn_path, "rb") as fh:
            conn = fh.read()

    size = f"size={memory_mb}m"
    root = "/tmp"      # any folder will do as the mount point; only this namespace sees it
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, f"mode=0755,{size}")
    for name, target in links.items():
        os.symlink(target, os.path.join(root, name))
    for path, fd in sorted(readable.items()):
        _bind_readonly(fd, _makedirs(root, path))
    for name, fd in special.items():
        target = _makedirs(root, "/" + name)
        _mount(f"/proc/self/fd/{fd}", target, None, MS_BIND | MS_REC)
        if name == "sys":
            _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
    if os.path.isdir(root + "/dev/shm"):     # POSIX semaphores and shared memory, private
        _mount("tmpfs", root + "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, f"mode=1777,{size}")
    os.makedirs(root + "/tmp", exist_ok=True)
    os.chmod(root + "/tmp", 0o1777)
    home = os.environ.get("HOME")
    if home and os.path.isabs(home):
        _makedirs(root, home)
    shutil.copytree(f"/proc/self/fd/{work_fd}", _makedirs(root, workdir), symlinks=True, dirs_exist_ok=True)
    if conn is not None:
        _makedirs(root, os.path.dirname(conn_path), 0o700)
        with open(root + conn_path, "wb") as fh:
            fh.write(conn)
    uid, gid = (NOBODY, NOBODY) if real_root else _outside_ids()
    if real_root:
        _give_to(root, uid, gid)
    for fd in [*readable.values(), *special.values(), work_fd]:
        os.close(fd)

    _switch_root(root)
    os.chdir(workdir)
    if real_root:                  # root: become nobody, which cannot unmount or signal the grader
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
        # Changing user made us "not dumpable": /proc/self/* would stay root's, the maps unwritable.
        check(libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), "prctl(DUMPABLE)")
    # Last, a user namespace of the kernel's own: it keeps no capability over the mounts above, and
    # cannot look into (/proc/PID/root) or trace a process outside it, even one of the same user.
    try:
        outside_uid, outside_gid = os.geteuid(), os.getegid()     # nobody, or "root" of our namespace
        namespaces.unshare(CLONE_NEWUSER)
        namespaces.map_ids(uid, outside_uid, gid, outside_gid)
    except OSError:
        if not real_root:          # a user's kernel would keep the capabilities to undo the sandbox
            raise
        # nobody may not create user namespaces here: it holds no capability anyway
    check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")


def spare_the_grader(submission_max_processes: int) -> None:
    """Make the kernel, not the grader, pay for what the student's code does to the shared limits.

    - The memory limit: the kernel and everything it starts are the first the OOM killer picks
      (oom_score_adj 1000), so nbgrader survives to record the grades.
    - The process limit: the kernel gets RLIMIT_NPROC a little below the submission's, so a fork
      flood fails inside it (BlockingIOError) while nbgrader can still start threads. It counts
      one user's processes and threads in one user namespace: the kernel's own, so only its own.
    """
    import resource
    with open("/proc/self/oom_score_adj", "w") as fh:
        fh.write("1000")
    kernel_max = max(16, submission_max_processes - GRADER_RESERVE)
    resource.setrlimit(resource.RLIMIT_NPROC, (kernel_max, kernel_max))


def wrap(kernel_argv: list[str]) -> list[str]:
    """The command that starts `kernel_argv` inside the sandbox."""
    return [sys.executable, "-I", "-m", "grading.sandbox", "--", *kernel_argv]


# ---- is it available here? --------------------------------------------------------------
_PROBE = """
import os, sys
secret, prefix = sys.argv[1], sys.argv[2]
if os.path.exists(secret):
    sys.exit("the repository is still visible")
with open("written-by-the-kernel", "w") as fh:
    fh.write("ok")
try:
    open(os.path.join(prefix, "written-by-the-kernel"), "w")
except OSError:
    pass
else:
    sys.exit("the Python installation is writable")
import helpers  # noqa: F401 - the course helpers must stay importable
"""


@functools.lru_cache(maxsize=1)
def probe() -> str | None:
    """Start a throw-away sandboxed Python once: None if it works here, else why not."""
    if not sys.platform.startswith("linux") or libc is None:
        return "not Linux"
    with tempfile.TemporaryDirectory(prefix="course-sandbox-probe-") as work:
        cmd = wrap([sys.executable, "-I", "-c", _PROBE, os.path.join(REPO, "solutions"), sys.prefix])
        try:
            proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=60,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return "the sandbox probe did not finish within 60 s"
        if os.path.exists(os.path.join(work, "written-by-the-kernel")):
            return "the kernel's writes reached the real working folder"
        if proc.returncode != 0:
            lines = (proc.stderr or proc.stdout).strip().splitlines()
            return lines[-1] if lines else f"the sandbox probe exited with status {proc.returncode}"
    return None


def main(argv: list[str]) -> int:
    if argv == ["--probe"]:
        why = probe()
        print("the kernel sandbox works here" if why is None else f"no kernel sandbox here: {why}")
        return 0 if why is None else 1
    if len(argv) < 2 or argv[0] != "--":
        print("usage: python -m grading.sandbox -- KERNEL COMMAND... | --probe", file=sys.stderr)
        return 2
    kernel_argv = argv[1:]
    from .limits import Limits
    limits = Limits.from_env()
    try:
        enter(kernel_argv, limits.memory_mb)
        spare_the_grader(limits.max_processes)
    except OSError as exc:
        print(f"grading.sandbox: cannot isolate the kernel's files ({exc}); the kernel was not started",
              file=sys.stderr, flush=True)
        return 1
    try:
        os.execvp(kernel_argv[0], kernel_argv)
    except OSError as exc:
        print(f"grading.sandbox: cannot start {kernel_argv[0]}: {exc}", file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
