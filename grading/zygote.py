"""A warm nbgrader: import it once, then fork one contained grader per submission.

Importing nbgrader takes about 2.5 s (it pulls in Jupyter's server); executing a small exercise
notebook takes about one. Starting `python -m nbgrader` once per submission would spend most of
the class's time importing, and make parallel grading no faster than nbgrader's own sequential
loop. So, as Android's "zygote" does for apps, one process imports nbgrader and then *forks* a
grader per request; a fork costs milliseconds and shares the imported code.

Each forked grader (see `_grader`) contains itself before it runs anything of the student's:

    zygote ──fork──> C: own process group, joins the submission's cgroup, rlimits, log file,
                        unshare(PID|mount|net)          (or: become a subreaper)
                     └─fork──> G: PID 1 of the namespace: /proc, lo, dies with C; supervises
                               └─fork──> H: nbgrader autograde ... (in-process), which starts
                                            the kernel, which starts whatever the student wrote

The client side, `Zygote`, talks to the server over its stdin/stdout, one JSON object a line:
requests `{"id", "argv", "env", "cwd", "log", "cgroup", "rlimits", "namespace"}`; replies
`{"id", "pid"}` when C started and `{"id", "status"}` when it ended. The caller can kill C's
process group at any time; G then dies with C and the kernel empties the namespace.
"""
from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
import traceback
from contextlib import contextmanager

from . import jail, namespaces


# ---- server (python -m grading.zygote) ----------------------------------------------------
def _run_nbgrader(argv: list[str]) -> int:
    """In H: run `nbgrader ARGV` in this process, as `python -m nbgrader` would; return its status."""
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    code = 1
    try:
        from nbgrader.apps.nbgraderapp import NbGraderApp
        sys.argv = ["nbgrader", *argv]
        NbGraderApp.launch_instance(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    return code


def _fork_nbgrader(argv: list[str]) -> int:
    pid = os.fork()
    if pid == 0:
        os._exit(_run_nbgrader(argv))
    return pid


_WAKE: tuple[int, int] | None = None     # the server's SIGCHLD self-pipe (see serve)


def _grader(req: dict) -> None:
    """In C (never returns): contain this process, then grade inside the containment."""
    import resource
    code = 70
    try:
        signal.set_wakeup_fd(-1)                 # the server's SIGCHLD wake-up is not ours
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for fd in _WAKE or ():
            os.close(fd)
        os.setpgid(0, 0)
        log = os.open(req["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        for directory in req.get("cgroup", []):
            with open(os.path.join(directory, "cgroup.procs"), "w") as fh:
                fh.write(str(os.getpid()))
        for name, value in req.get("rlimits", {}).items():
            try:
                resource.setrlimit(getattr(resource, name), (value, value))
            except (AttributeError, ValueError, OSError) as exc:   # e.g. RLIMIT_AS on macOS
                print(f"grading: cannot set {name} here ({exc}); grading without it", file=sys.stderr)
        os.chdir(req["cwd"])
        os.environ.clear()
        os.environ.update(req["env"])
        if req.get("namespace"):
            namespaces.enter(user=os.geteuid() != 0)
            init = os.fork()
            if init == 0:
                namespaces.setup_as_init()
                os._exit(jail.supervise(_fork_nbgrader(req["argv"]), as_init=True))
            _, status = os.waitpid(init, 0)
            code = os.waitstatus_to_exitcode(status)
            code = code if code >= 0 else 128 - code
        else:
            jail.become_subreaper()
            code = jail.supervise(_fork_nbgrader(req["argv"]), as_init=False)
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            sys.stderr.flush()
        finally:
            os._exit(code)


def schema_version_in_process() -> str | None:
    """Have nbgrader read its gradebook's schema version from alembic's API, not its command line.

    Creating a gradebook, nbgrader runs `alembic heads` to learn which version to stamp it with:
    a whole Python start-up (2.7-3.0 CPU-s on a slow machine) for every new course root. Alembic's
    `ScriptDirectory` gives the same answer (`tests/test_grading_commands.py` compares them) for
    about 0.15 CPU-s, import included. Called in the zygote, so every grader forked from it
    inherits the answer; a plain `python -m nbgrader` still runs the command. None, and nbgrader
    left as it was, if alembic cannot name one version (a future nbgrader with several heads).
    """
    from alembic.script import ScriptDirectory
    from nbgrader import api, dbutil
    try:
        head = ScriptDirectory(dbutil.ALEMBIC_DIR).get_current_head()
    except Exception:               # alembic's own errors (several heads): the command still works
        return None
    api.get_alembic_version = lambda: head
    return head


def serve() -> None:
    """Import nbgrader, say "ready", then fork a grader per request until stdin closes."""
    import gc

    import nbgrader.apps.nbgraderapp  # noqa: F401 - the expensive import, done once
    from . import execute, feedback, sandbox  # noqa: F401 - what nbgrader_config.py imports
    # What every grader would otherwise import for itself (about 0.1 CPU-s each): finding the
    # kernel imports ipykernel and IPython, opening the gradebook SQLAlchemy's sqlite dialect.
    import ipykernel.kernelspec  # noqa: F401
    import sqlalchemy.dialects.sqlite  # noqa: F401
    sandbox.probe()  # once, here: every forked grader inherits the answer
    schema_version_in_process()
    gc.freeze()     # keep the collector from touching (and so copying) shared pages in each fork
    # A grader's exit wakes the loop at once (SIGCHLD writes to this pipe), instead of a poll
    # every few milliseconds adding its interval to every grading.
    global _WAKE
    _WAKE = os.pipe()
    for fd in _WAKE:
        os.set_blocking(fd, False)
    signal.set_wakeup_fd(_WAKE[1])
    signal.signal(signal.SIGCHLD, lambda *_: None)
    out = sys.stdout
    print(json.dumps({"ready": True}), file=out, flush=True)
    running: dict[int, str] = {}
    buffer = b""
    open_input = True
    while open_input or running:
        ready, _, _ = select.select(([0] if open_input else []) + [_WAKE[0]], [], [], 1.0)
        if _WAKE[0] in ready:
            while True:
                try:
                    if not os.read(_WAKE[0], 4096):
                        break
                except BlockingIOError:
                    break
        if 0 in ready:
            chunk = os.read(0, 65536)
            open_input = bool(chunk)
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                req = json.loads(line)
                pid = os.fork()
                if pid == 0:
                    _grader(req)
                running[pid] = req["id"]
                print(json.dumps({"id": req["id"], "pid": pid}), file=out, flush=True)
        while running:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            code = os.waitstatus_to_exitcode(status)
            print(json.dumps({"id": running.pop(pid, None), "status": code}), file=out, flush=True)


# ---- client --------------------------------------------------------------------------------
class Zygote:
    """Start the server; `start()` a grader and `wait()` for it, from any thread; `close()` at the end."""

    def __init__(self, cwd: str | None = None):
        # Returns at once: the server imports nbgrader while the caller does other work.
        self.proc = subprocess.Popen([sys.executable, "-m", "grading.zygote"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, cwd=cwd, text=True, bufsize=1)
        self._cond = threading.Condition()
        self._hello: dict | None = None
        self._closed = False
        self._pids: dict[str, int] = {}
        self._status: dict[str, int] = {}
        self._next = 0
        self._reader = threading.Thread(target=self._read, name="zygote-reader", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            msg = json.loads(line)
            with self._cond:
                if "ready" in msg:
                    self._hello = msg
                elif "pid" in msg:
                    self._pids[msg["id"]] = msg["pid"]
                else:
                    self._status[msg["id"]] = msg["status"]
                self._cond.notify_all()
        with self._cond:            # the server is gone: nothing will report any more
            self._closed = True
            self._cond.notify_all()

    def _ready(self) -> None:
        self._cond.wait_for(lambda: self._hello is not None or self._closed)
        if self._hello is None:
            raise RuntimeError("the grading zygote did not start; run `python -m grading.zygote` to see why")

    def start(self, request: dict) -> tuple[str, int]:
        """Ask for a grader; return (id, pid of its process group)."""
        with self._cond:
            self._ready()
            self._next += 1
            rid = str(self._next)
            self.proc.stdin.write(json.dumps({**request, "id": rid}) + "\n")
            self.proc.stdin.flush()
            self._cond.wait_for(lambda: rid in self._pids or self._closed)
            if rid not in self._pids:
                raise RuntimeError("the grading zygote died")
            return rid, self._pids[rid]

    def wait(self, rid: str, timeout: float | None = None) -> int | None:
        """The grader's exit status, or None if it is still running after `timeout` seconds."""
        with self._cond:
            self._cond.wait_for(lambda: rid in self._status or self._closed, timeout)
            return self._status.pop(rid, None)

    def run(self, argv: list[str], env: dict, cwd: str, timeout: float = 600) -> tuple[int, str]:
        """Run `nbgrader ARGV` in a plain fork (no limits: for our own steps, never student code)."""
        import tempfile
        with tempfile.NamedTemporaryFile(prefix="course-nbgrader-", suffix=".log") as log:
            rid, pid = self.start({"argv": argv, "env": env, "cwd": cwd, "log": log.name})
            status = self.wait(rid, timeout)
            if status is None:
                os.killpg(pid, signal.SIGKILL)
                status = self.wait(rid, 30)
            return (-9 if status is None else status), log.read().decode("utf-8", "replace")

    def close(self) -> None:
        """Let the server finish its running graders and exit."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class NoZygote:
    """Stands in for `Zygote` where there is no fork() (Windows): callers then start processes."""

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


_prestarted: Zygote | None = None
_keep: str | None = None          # set by keep_warm(): the working folder for a kept zygote
_kept: Zygote | None = None


def prestart(cwd: str) -> None:
    """Start the zygote now, so it imports nbgrader while this process imports it too.

    The command line calls this before anything imports nbgrader (`__main__.py`); the next
    `warm_nbgrader()` then uses this zygote instead of starting one.
    """
    global _prestarted
    if hasattr(os, "fork") and _prestarted is None and _keep is None:
        _prestarted = Zygote(cwd=cwd)


class _Lent:
    """A kept zygote lent to one `with` block, which must not close it."""

    def __init__(self, zygote: Zygote):
        self.zygote = zygote

    def __enter__(self) -> Zygote:
        return self.zygote

    def __exit__(self, *exc):
        return False


def kept() -> Zygote | None:
    """Inside `keep_warm()`: the process's zygote, started on first use. Elsewhere: None."""
    global _kept
    if _keep is not None and (_kept is None or _kept.proc.poll() is not None):   # none yet, or it died
        _kept = Zygote(cwd=_keep)
    return _kept


def kept_pid() -> int | None:
    """The kept zygote's process id, if one is running (the test suite does not count it as a leftover)."""
    return _kept.proc.pid if _kept is not None else None


@contextmanager
def keep_warm(cwd: str):
    """Keep one zygote for every grading command run in this process until the block ends.

    A process that grades many times (the test suite) then imports nbgrader once, not once per
    command: `warm_nbgrader()` lends this zygote, and `nbgrader_run.nbgrader()` forks from it.
    Each request carries its own environment and working folder, so commands stay independent.
    """
    global _keep, _kept
    if not hasattr(os, "fork") or _keep is not None:
        yield
        return
    _keep = cwd
    try:
        yield
    finally:
        zygote, _kept, _keep = _kept, None, None
        if zygote is not None:
            zygote.close()


def warm_nbgrader(cwd: str):
    """A `Zygote` where fork() exists, else a context that yields None (plain subprocesses)."""
    global _prestarted
    if kept() is not None:
        return _Lent(kept())
    if _prestarted is not None:
        zygote, _prestarted = _prestarted, None
        return zygote
    return Zygote(cwd=cwd) if hasattr(os, "fork") else NoZygote()


if __name__ == "__main__":
    serve()
