"""Run code in a fresh Python interpreter, with a time limit, and always clean up after it.

Some demos must not run inside the notebook's kernel: gevent's monkey patching breaks an
ipykernel 7 kernel (docs/design-notes.md), servers hold ports, and a demo that hangs would freeze the
lecture. `run(...)` starts a new interpreter, waits at most `timeout` seconds, and returns its
exit code, output and any events it recorded. `start(...)` does the same in the background (for a
server) and returns a handle to stop it.

Cleaning up "the whole process tree" is harder than killing one pid: a child may start children
of its own, and a child that calls `setsid()` (or is started with `start_new_session=True`)
leaves the process group, so killing the group misses it, and once its parent dies it is
reparented to PID 1, so walking the tree misses it too. Every process started here carries a
unique token in its environment (inherited by all its descendants); `stop()` kills the process
group, every descendant it can see, and every process of ours carrying the token.
"""
from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from .recording import ENV_VAR as _REC_ENV, Event, Recorder

TOKEN_VAR = "COURSE_SUBPROC_TOKEN"
REPO = Path(__file__).resolve().parent.parent

_CALL = """\
import pickle, sys, importlib
with open(sys.argv[1], "rb") as f:
    target, args, kwargs = pickle.load(f)
module, _, name = target.partition(":")
func = importlib.import_module(module)
for part in name.split("."):
    func = getattr(func, part)
result = func(*args, **kwargs)
with open(sys.argv[2], "wb") as f:
    pickle.dump(result, f)
if sys.argv[3:] == ["--hard-exit"]:
    import os
    os._exit(0)
"""


@dataclass
class Result:
    """What a fresh interpreter did: exit code, output, events, return value (for `call`)."""
    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool
    duration: float
    events: list[Event] = field(default_factory=list)
    rows: dict = field(default_factory=dict)
    value: object = None

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def check(self) -> "Result":
        """Raise with the program's stderr if it failed or timed out; return self otherwise."""
        if self.timed_out:
            raise TimeoutError(f"the program was still running after its time limit and was killed.\n"
                               f"Output so far:\n{self.stdout[-2000:]}\n{self.stderr[-2000:]}")
        if self.returncode != 0:
            raise RuntimeError(f"the program exited with code {self.returncode}:\n{self.stderr[-3000:]}")
        return self


class Handle:
    """A program running in the background (from `start`). Use as a context manager, or call
    `stop()`; either way its whole process tree is killed and its output collected."""

    def __init__(self, argv: list[str], *, env: dict | None, cwd, record: bool, python: str):
        self.token = uuid.uuid4().hex
        self._tmp = tempfile.TemporaryDirectory(prefix="course-subproc-")
        self._out = open(os.path.join(self._tmp.name, "stdout"), "w+b")
        self._err = open(os.path.join(self._tmp.name, "stderr"), "w+b")
        full_env = dict(os.environ if env is None else env)
        full_env[TOKEN_VAR] = self.token
        full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), full_env.get("PYTHONPATH", "")]))
        full_env.setdefault("PYTHONUNBUFFERED", "1")
        self.recorder = None
        if record:
            self.recorder = Recorder("subprocess")
            path = os.path.join(self._tmp.name, "recorder.pickle")
            with open(path, "wb") as f:
                pickle.dump(self.recorder, f)
            full_env[_REC_ENV] = path
        self.started = time.perf_counter()
        self.proc = subprocess.Popen([python, *argv], stdout=self._out, stderr=self._err, env=full_env,
                                     cwd=cwd, start_new_session=True)
        self.pid = self.proc.pid
        self.returncode: int | None = None
        self.timed_out = False

    def output(self) -> tuple[str, str]:
        """(stdout, stderr) so far."""
        read = lambda f: Path(f.name).read_bytes().decode(errors="replace")
        return read(self._out), read(self._err)

    def wait_for_output(self, text: str, timeout: float = 10.0) -> bool:
        """Wait until `text` appears in stdout or stderr (e.g. "listening"); False on timeout or exit."""
        end = time.perf_counter() + timeout
        while time.perf_counter() < end:
            out, err = self.output()
            if text in out or text in err:
                return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.01)
        return False

    def wait(self, timeout: float | None = None) -> int | None:
        """Wait up to `timeout` s for the program to exit; its exit code or None if still running."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, grace: float = 0.5) -> Result:
        """Kill the program and everything it started (SIGTERM, then SIGKILL), collect the result."""
        kill_tree(self.proc, self.token, grace)
        self.returncode = self.proc.returncode
        duration = time.perf_counter() - self.started
        out, err = self.output()
        self._out.close()
        self._err.close()
        events, rows = [], {}
        if self.recorder is not None:
            events, rows = self.recorder.events(), self.recorder.rows()
            self.recorder.close()
        self._tmp.cleanup()
        return Result(self.returncode, out, err, self.timed_out, duration, events, rows)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


def _tagged(token: str) -> list:
    """Our processes whose environment carries `token` (found even after setsid + reparenting)."""
    import psutil
    me = os.getpid()
    found = []
    for p in psutil.process_iter(["pid"]):
        if p.pid == me:
            continue
        try:
            if p.environ().get(TOKEN_VAR) == token:
                found.append(p)
        except (psutil.Error, OSError):
            pass
    return found


def kill_tree(proc: subprocess.Popen, token: str | None = None, grace: float = 0.5) -> None:
    """Terminate `proc`, its process group, all its descendants and all processes carrying
    `token`; SIGKILL whatever is left after `grace` seconds; reap `proc`."""
    import psutil
    victims: dict[int, psutil.Process] = {}

    def collect() -> None:
        """Add every descendant of the processes known so far, and every one carrying `token`."""
        for p in list(victims.values()):
            try:
                for c in p.children(recursive=True):
                    victims[c.pid] = c
            except psutil.Error:
                pass
        if token:
            for p in _tagged(token):
                victims[p.pid] = p

    try:
        victims[proc.pid] = psutil.Process(proc.pid)
    except psutil.Error:
        pass
    collect()
    sigkill = getattr(signal, "SIGKILL", signal.SIGTERM)      # Windows has no SIGKILL
    for sig in (signal.SIGTERM, sigkill):
        if sig == sigkill:
            collect()                                          # children started meanwhile
        try:
            if hasattr(os, "killpg"):
                os.killpg(proc.pid, sig)      # the whole process group (POSIX)
        except OSError:
            pass
        for p in victims.values():
            try:
                p.send_signal(sig)
            except psutil.Error:
                pass
        if proc.poll() is None and sig == signal.SIGTERM:
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                pass
        psutil.wait_procs([p for p in victims.values() if p.pid != proc.pid], timeout=grace)
        if proc.poll() is not None and not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE
                                               for p in victims.values() if _safe_exists(p)):
            break
    proc.wait()


def _safe_exists(p) -> bool:
    try:
        return p.is_running()
    except Exception:
        return False


def start(code: str | None = None, *, module: str | None = None, args: list[str] = (), env: dict | None = None,
          cwd=None, record: bool = False, python: str | None = None) -> Handle:
    """Start `code` (a snippet) or `module` (python -m) in a fresh interpreter, in the background.

    with subproc.start(module="http.server", args=["8000"]) as server:
        server.wait_for_output("Serving")
        ...                                        # talk to it; it is killed at the end
    """
    if (code is None) == (module is None):
        raise ValueError("give either code='...' or module='package.module'")
    argv = ["-c", textwrap.dedent(code)] if code is not None else ["-m", module]
    return Handle(argv + list(args), env=env, cwd=cwd, record=record, python=python or sys.executable)


def run(code: str | None = None, *, module: str | None = None, args: list[str] = (), timeout: float = 10.0,
        env: dict | None = None, cwd=None, record: bool = False, python: str | None = None) -> Result:
    """Run a snippet (or `python -m module`) in a fresh interpreter; kill it after `timeout` s.

    r = subproc.run("from gevent import monkey; monkey.patch_all(); ...", timeout=5)
    print(r.stdout)

    With `record=True` the program can call `recording.from_env()` to get a recorder whose events
    come back in `r.events` / `r.rows`. Whatever happens, nothing it started is left running.
    """
    h = start(code, module=module, args=args, env=env, cwd=cwd, record=record, python=python)
    if h.wait(timeout) is None:
        h.timed_out = True
    return h.stop()


def call(target, *args, timeout: float = 10.0, record: bool = False, python: str | None = None,
         hard_exit: bool = False, env: dict | None = None, **kwargs) -> Result:
    """Call a module-level function in a fresh interpreter and return its (picklable) value.

    `target` is a function defined in a module, or a string "package.module:function".
    The return value is in `result.value`; `result.check()` raises if the call failed. `python`
    and `env` choose the interpreter and its environment, as for `run`.
    With `hard_exit`, the interpreter ends with `os._exit(0)` as soon as the value is saved: no
    atexit handlers, and no waiting for the non-daemon threads the call left running (a normal exit
    joins them, so one that never ends would hold the interpreter open until the time limit).
    """
    if callable(target):
        module, name = target.__module__, target.__qualname__
        if module == "__main__" or "<" in name:
            raise ValueError(f"`{name}` is defined in the notebook (or inside a function), so a fresh "
                             f"interpreter cannot import it. Define it in a module (e.g. helpers/...) and pass it.")
        target = f"{module}:{name}"
    with tempfile.TemporaryDirectory(prefix="course-call-") as tmp:
        inp, outp = os.path.join(tmp, "in.pickle"), os.path.join(tmp, "out.pickle")
        with open(inp, "wb") as f:
            pickle.dump((target, args, kwargs), f)
        argv = [inp, outp] + (["--hard-exit"] if hard_exit else [])
        result = run(_CALL, args=argv, timeout=timeout, record=record, python=python, env=env)
        if result.ok and os.path.exists(outp):
            with open(outp, "rb") as f:
                result.value = pickle.load(f)
    return result
