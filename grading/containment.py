"""Grade one submission so that nothing it starts outlives it, within memory, process and time limits.

`run_contained(zygote, nbgrader_args, limits, ...)` is how every submission is graded: one
`nbgrader autograde` forked from a warm `Zygote` (see `zygote.py`), with everything the student's
code does happening below it. Three layers, each used when this machine allows it
(`capabilities()` finds out once, and says what is missing):

1. **PID + mount + network namespaces** (`namespaces.py`, like `unshare --pid --fork
   --mount-proc --net`). Their PID 1 supervises the grader (`jail.py`): no descendant can escape
   by `setsid()` or a double fork, and when PID 1 ends the kernel kills the whole namespace. The
   network namespace has its own loopback, so a student's server never collides with another
   submission's port and its listening sockets vanish with it. Without root, a user namespace is
   added (where the system allows unprivileged ones).
2. **A cgroup** (`cgroup.py`): a memory limit for the whole submission and `pids.max` against
   fork floods; its process list is the final check that nothing is left.
3. **Fallbacks**: without namespaces PID 1's job is done by a *subreaper*; without cgroups the
   memory limit is RLIMIT_AS (per process) and the process limit RLIMIT_NPROC (which only binds a
   non-root user).

A wall-clock deadline bounds the whole run: past it, the grader's process group is killed (PID 1
dies with it, and the kernel empties the namespace) and `Outcome.timed_out` is set.
"""
from __future__ import annotations

import functools
import os
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field

from .cgroup import Cgroup, oom_kills
from .limits import Limits
from .zygote import Zygote


@dataclass
class Capabilities:
    """What this machine lets us use to contain a submission, and what is missing."""
    namespaces: bool
    cgroups: bool
    files: bool = False          # kernels start in grading.sandbox (the course's files hidden)
    warnings: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return ", ".join(["PID/network namespace" if self.namespaces else "subreaper (no namespace)",
                          "cgroup memory+process limits" if self.cgroups else "rlimits (no cgroup)",
                          "file sandbox" if self.files else "no file sandbox"])


@functools.lru_cache(maxsize=1)
def capabilities() -> Capabilities:
    """Probe once per process which containment mechanisms work here."""
    from .namespaces import probe
    warnings = []
    why = probe() if sys.platform.startswith("linux") else "not Linux"
    if not hasattr(os, "fork"):
        warnings.append("no fork(): each submission runs as a plain nbgrader process with only the "
                        "time limits; grade a class on Linux")
    if why:
        warnings.append(f"no PID namespace ({why}): leftover processes are found through a "
                        "subreaper instead, and submissions share the network (ports may collide)")
    from .sandbox import probe as sandbox_probe
    no_sandbox = "turned off by COURSE_ISOLATE_FILES=0" if not Limits.from_env().isolate_files else sandbox_probe()
    cgroup = Cgroup.create(memory_bytes=1 << 30, max_pids=64, prefix="course-probe")
    if cgroup is not None:
        cgroup.destroy()
    else:
        processes = ("" if os.geteuid() != 0 else
                     " and only the kernel's RLIMIT_NPROC limits processes" if not no_sandbox else
                     " and nothing limits the number of processes (root ignores RLIMIT_NPROC)")
        warnings.append("no writable cgroup: the memory limit is per process (RLIMIT_AS)" + processes)
    if no_sandbox:
        warnings.append(f"no file sandbox ({no_sandbox}): student code can read the hidden tests in "
                        "solutions/ and write the course folder; grade on a machine that allows mount "
                        "(and user) namespaces")
    return Capabilities(why is None, cgroup is not None, no_sandbox is None, warnings)


@dataclass
class Outcome:
    """How a contained run ended."""
    returncode: int
    output: str
    seconds: float
    timed_out: bool = False
    oom_kills: int = 0
    leftovers: int = 0          # processes still in the cgroup after the run (then killed)


def _rlimits(limits: Limits, cgroup: Cgroup | None) -> dict[str, int]:
    out = {"RLIMIT_CORE": 0}
    if cgroup is None:
        # Per process, and virtual memory (threads reserve address space): a generous multiple.
        out["RLIMIT_AS"] = limits.memory_mb * 1024 * 1024 * 4
        if os.geteuid() != 0:
            out["RLIMIT_NPROC"] = limits.max_processes
    return out


def run_contained(zygote: Zygote | None, nbgrader_args: list[str], limits: Limits, *, deadline: float,
                  env: dict, cwd: str) -> Outcome:
    """Run `nbgrader ARGS` inside the best containment available, killed after `deadline` s."""
    if zygote is None:
        return _run_uncontained(nbgrader_args, deadline=deadline, env=env, cwd=cwd)
    caps = capabilities()
    cgroup = Cgroup.create(limits.memory_mb * 1024 * 1024, limits.max_processes) if caps.cgroups else None
    env = dict(env)
    if cgroup is not None and cgroup.events_file is not None:
        env["COURSE_OOM_EVENTS"] = str(cgroup.events_file)   # lets the grader say "memory limit"
    start = time.monotonic()
    timed_out = False
    # Output goes to a file, not a pipe: a leftover holding a pipe open could make us wait forever.
    with tempfile.NamedTemporaryFile(prefix="course-grade-", suffix=".log") as log:
        try:
            rid, pid = zygote.start({"argv": nbgrader_args, "env": env, "cwd": cwd, "log": log.name,
                                     "cgroup": [str(d) for d in cgroup.dirs] if cgroup else [],
                                     "rlimits": _rlimits(limits, cgroup), "namespace": caps.namespaces})
            status = zygote.wait(rid, timeout=deadline)
            if status is None:
                timed_out = True
                _stop(pid, caps.namespaces)
                status = zygote.wait(rid, timeout=60)
        finally:
            oom = oom_kills(cgroup.events_file) if cgroup else 0
            leftovers = len(cgroup.destroy()) if cgroup else 0
        log.seek(0, os.SEEK_END)
        log.seek(max(0, log.tell() - 1_000_000))   # a flood on the kernel's stderr stays out of memory
        output = log.read().decode("utf-8", "replace")
    return Outcome(-9 if status is None else status, output, time.monotonic() - start, timed_out, oom, leftovers)


def _run_uncontained(nbgrader_args: list[str], *, deadline: float, env: dict, cwd: str) -> Outcome:
    """Without fork() (Windows): a plain nbgrader process with only the time limits."""
    import subprocess
    start = time.monotonic()
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen([sys.executable, "-m", "nbgrader", *nbgrader_args], cwd=cwd, env=env,
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        try:
            proc.wait(timeout=deadline)
            timed_out = False
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            timed_out = True
        log.seek(0)
        output = log.read().decode("utf-8", "replace")
    return Outcome(proc.returncode, output, time.monotonic() - start, timed_out)


def _stop(pgid: int, namespaced: bool) -> None:
    """Kill the grader's process group. In a namespace PID 1 dies with it (PDEATHSIG) and the
    kernel empties the namespace; as a subreaper, the supervisor first gets SIGTERM and a moment
    to kill its descendants itself."""
    if not namespaced:
        try:
            os.killpg(pgid, signal.SIGTERM)
            time.sleep(3)
        except ProcessLookupError:
            pass
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
